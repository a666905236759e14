package faultproxy

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// seen is what the backend received for one request.
type seen struct {
	method, host, requestURI, body string
	header                         http.Header
}

// startBackend starts a server that records each request and answers 200 "ok <path>".
func startBackend(t *testing.T) (*httptest.Server, chan seen) {
	t.Helper()
	got := make(chan seen, 4096)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- seen{method: r.Method, host: r.Host, requestURI: r.RequestURI, body: string(body), header: r.Header.Clone()}
		w.Header().Set("X-Backend", "yes")
		_, _ = io.WriteString(w, "ok "+r.URL.Path)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func startProxy(t *testing.T, target string, opts Options) *Proxy {
	t.Helper()
	p, err := Start(target, opts)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, p.Close()) })
	return p
}

// newClient returns a client with its own connections, closed when the test ends.
func newClient(t *testing.T) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// do sends one request and returns the status (0 with the error when there was no answer)
// and the body.
func do(t *testing.T, c *http.Client, method, url, body string) (int, string, error) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b), nil
}

// isReset tells whether err is the client's side of a TCP RST: "connection reset by peer"
// when reading the answer; when the RST came while the request was still being written, a
// broken pipe, or "use of closed network connection" if the client's reader closed the
// connection under its writer first.
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}

func TestForwardsRequestsUnchanged(t *testing.T) {
	backend, got := startBackend(t)
	p := startProxy(t, backend.URL, Options{})
	c := newClient(t)

	req, err := http.NewRequest(http.MethodPut, p.URL+"/bucket/a%2Fb/c.json?x-id=PutObject&uploads", strings.NewReader("payload"))
	require.NoError(t, err)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AK/20261122/us-east-1/s3/aws4_request")
	req.Header.Set("X-Amz-Date", "20261122T023000Z")
	req.Header.Set("X-Forwarded-For", "10.0.0.1")
	req.Header.Set("If-None-Match", "*")
	resp, err := c.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "yes", resp.Header.Get("X-Backend"))
	assert.Equal(t, "ok /bucket/a/b/c.json", string(body))

	r := <-got
	assert.Equal(t, http.MethodPut, r.method)
	assert.Equal(t, p.Addr, r.host, "the Host the client signed must reach the target")
	assert.Equal(t, "/bucket/a%2Fb/c.json?x-id=PutObject&uploads", r.requestURI, "path and query bytes are signed")
	assert.Equal(t, "payload", r.body)
	for _, h := range []string{"Authorization", "X-Amz-Date", "X-Forwarded-For", "If-None-Match"} {
		assert.Equal(t, req.Header.Get(h), r.header.Get(h), h)
	}
	assert.Equal(t, Stats{Requests: 1, Forwarded: 1}, p.Stats())
}

func TestStartRefusesBadOptions(t *testing.T) {
	for _, tt := range []struct {
		target string
		opts   Options
		want   string
	}{
		{"127.0.0.1:80", Options{}, "faultproxy: target"},
		{"ftp://127.0.0.1:80", Options{}, "want http://host:port"},
		{"http://127.0.0.1:80/base", Options{}, "want http://host:port with no path"},
		{"https://127.0.0.1:80", Options{}, "want http://host:port"},
		{"http://127.0.0.1:80", Options{Faults: Faults{Reset: Fault{Probability: 1.5}}}, "Reset.Probability 1.5 is not in [0, 1]"},
		{"http://127.0.0.1:80", Options{Faults: Faults{SlowDown: Fault{At: []int{0}}}}, "SlowDown.At holds 0"},
		{"http://127.0.0.1:80", Options{Faults: Faults{Delay: Fault{First: 1}}}, "a Delay needs a positive DelayBy"},
		{"http://127.0.0.1:80", Options{DownMode: 7}, "unknown DownMode(7)"},
	} {
		p, err := Start(tt.target, tt.opts)
		if assert.Error(t, err, tt.target) {
			assert.Contains(t, err.Error(), tt.want)
		} else {
			_ = p.Close()
		}
	}
}

// outcomes sends n PUTs through p and tells, for each, what the client saw.
func outcomes(t *testing.T, p *Proxy, n int) []string {
	t.Helper()
	c := newClient(t)
	out := make([]string, n)
	for i := range out {
		status, _, err := do(t, c, http.MethodPut, p.URL+"/b/k", "x")
		switch {
		case err != nil:
			require.True(t, isReset(err), "request %d: %v", i+1, err)
			out[i] = "reset"
		case status == http.StatusServiceUnavailable:
			out[i] = "503"
		default:
			require.Equal(t, http.StatusOK, status)
			out[i] = "ok"
		}
	}
	return out
}

func count(outs []string, what string) int {
	n := 0
	for _, o := range outs {
		if o == what {
			n++
		}
	}
	return n
}

func TestFaultRatesAreSeededAndRoughlyRight(t *testing.T) {
	backend, _ := startBackend(t)
	opts := Options{Seed: 42, Faults: Faults{
		SlowDown: Fault{Probability: 0.2},
		Reset:    Fault{Probability: 0.1},
	}}
	const n = 1000
	run := func() ([]string, Stats) {
		p := startProxy(t, backend.URL, opts)
		outs := outcomes(t, p, n)
		return outs, p.Stats()
	}
	first, stats := run()
	second, _ := run()
	assert.Equal(t, first, second, "the same seed gives the same faults")

	resets, slowDowns := count(first, "reset"), count(first, "503")
	// A reset wins over SlowDown, so SlowDown lands on about 0.9 * 0.2 of the requests.
	assert.InDelta(t, 0.1*n, resets, 0.03*n)
	assert.InDelta(t, 0.18*n, slowDowns, 0.04*n)
	assert.Equal(t, Stats{
		Requests: n, Forwarded: int64(n - resets - slowDowns),
		Resets: int64(resets), SlowDowns: int64(slowDowns),
	}, stats)

	opts.Seed = 43
	other, _ := run()
	assert.NotEqual(t, first, other, "another seed gives other faults")
}

func TestSchedules(t *testing.T) {
	backend, _ := startBackend(t)
	p := startProxy(t, backend.URL, Options{Faults: Faults{
		SlowDown: Fault{First: 2, Every: 5, At: []int{7}},
		Reset:    Fault{At: []int{4, 5}},
	}})
	got := outcomes(t, p, 12)
	//                    1      2      3     4        5        6     7      8     9     10     11    12
	assert.Equal(t, []string{"503", "503", "ok", "reset", "reset", "ok", "503", "ok", "ok", "503", "ok", "ok"}, got)

	require.NoError(t, p.SetFaults(Faults{SlowDown: Fault{First: 1}}))
	assert.Equal(t, []string{"503", "ok"}, outcomes(t, p, 2), "SetFaults numbers requests from 1 again")
}

func TestMethodFilter(t *testing.T) {
	backend, got := startBackend(t)
	p := startProxy(t, backend.URL, Options{Faults: Faults{Methods: []string{"put"}, SlowDown: Fault{Every: 1}}})
	c := newClient(t)

	status, body, err := do(t, c, http.MethodGet, p.URL+"/b?list-type=2", "")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "ok /b", body)
	assert.Equal(t, http.MethodGet, (<-got).method)

	status, _, err = do(t, c, http.MethodPut, p.URL+"/b/k", "x")
	require.NoError(t, err)
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, Stats{Requests: 2, Forwarded: 1, SlowDowns: 1}, p.Stats())
}

func TestSlowDownLooksLikeS3(t *testing.T) {
	backend, got := startBackend(t)
	p := startProxy(t, backend.URL, Options{Faults: Faults{SlowDown: Fault{First: 2}, RetryAfter: 1500 * time.Millisecond}})
	c := newClient(t)

	resp, err := c.Post(p.URL+"/bucket/dir/key.json", "application/json", strings.NewReader(`{"a":1}`))
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "2", resp.Header.Get("Retry-After"), "whole seconds, rounded up")
	assert.Equal(t, "application/xml", resp.Header.Get("Content-Type"))
	assert.Equal(t, "FAULTPROXY1", resp.Header.Get("X-Amz-Request-Id"))
	var parsed s3Error
	require.NoError(t, xml.Unmarshal(body, &parsed), string(body))
	assert.Equal(t, "SlowDown", parsed.Code)
	assert.Equal(t, "/bucket/dir/key.json", parsed.Resource)
	assert.Equal(t, "FAULTPROXY1", parsed.RequestID)
	assert.True(t, strings.HasPrefix(string(body), "<?xml"), string(body))

	// HEAD answers carry no body; the status is what a client sees.
	resp, err = c.Head(p.URL + "/bucket/dir/key.json")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)

	// Throttled requests never reached the target; the connection stays usable.
	status, _, err := do(t, c, http.MethodPut, p.URL+"/bucket/k", "x")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, status)
	assert.Len(t, got, 1)
}

func TestResetSurfacesAsConnectionError(t *testing.T) {
	backend, got := startBackend(t)
	p := startProxy(t, backend.URL, Options{Faults: Faults{Reset: Fault{At: []int{2}}}})
	c := newClient(t)

	status, _, err := do(t, c, http.MethodPut, p.URL+"/b/1", "one")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, status)

	// The second request goes over the same kept-alive connection and meets the reset.
	_, _, err = do(t, c, http.MethodPut, p.URL+"/b/2", "two")
	require.Error(t, err)
	assert.True(t, isReset(err), "%v", err)
	var opErr *net.OpError
	assert.ErrorAs(t, err, &opErr, "a transport error, not an HTTP answer")

	// A fresh connection works again.
	_, _, err = do(t, c, http.MethodPut, p.URL+"/b/3", "three")
	require.NoError(t, err)
	assert.Len(t, got, 2)
	assert.Equal(t, Stats{Requests: 3, Forwarded: 2, Resets: 1}, p.Stats())
}

func TestResetOnFreshConnection(t *testing.T) {
	backend, _ := startBackend(t)
	p := startProxy(t, backend.URL, Options{Faults: Faults{Reset: Fault{First: 1}}})
	_, _, err := do(t, newClient(t), http.MethodPut, p.URL+"/b/1", "one")
	require.Error(t, err)
	assert.True(t, isReset(err), "%v", err)
}

func TestLoseAnswer(t *testing.T) {
	backend, got := startBackend(t)
	p := startProxy(t, backend.URL, Options{Faults: Faults{LoseAnswer: Fault{At: []int{1}}}})
	c := newClient(t)

	_, _, err := do(t, c, http.MethodPut, p.URL+"/b/1", "one")
	require.Error(t, err)
	assert.True(t, isReset(err), "%v", err)
	require.Len(t, got, 1, "the target got the request")
	assert.Equal(t, "one", (<-got).body)

	status, body, err := do(t, c, http.MethodPut, p.URL+"/b/2", "two")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "ok /b/2", body)
	assert.Equal(t, Stats{Requests: 2, Forwarded: 2, LostAnswers: 1}, p.Stats())
}

func TestLoseAnswerOfATargetThatIsDown(t *testing.T) {
	backend, _ := startBackend(t)
	p := startProxy(t, backend.URL, Options{Faults: Faults{LoseAnswer: Fault{First: 1}}})
	backend.Close()

	_, _, err := do(t, newClient(t), http.MethodPut, p.URL+"/b/1", "x")
	require.Error(t, err)
	assert.True(t, isReset(err), "%v", err)
	assert.Equal(t, Stats{Requests: 1, Forwarded: 1, ForwardErrors: 1}, p.Stats(), "no answer to lose")
}

func TestDelay(t *testing.T) {
	backend, _ := startBackend(t)
	p := startProxy(t, backend.URL, Options{Faults: Faults{Delay: Fault{First: 1}, DelayBy: 150 * time.Millisecond}})
	c := newClient(t)

	start := time.Now()
	status, _, err := do(t, c, http.MethodPut, p.URL+"/b/1", "x")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, status)
	assert.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond)

	start = time.Now()
	_, _, err = do(t, c, http.MethodPut, p.URL+"/b/2", "x")
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 150*time.Millisecond)
	assert.Equal(t, Stats{Requests: 2, Forwarded: 2, Delays: 1}, p.Stats())
}

func TestDelayedRequestEndsWhenClientGivesUp(t *testing.T) {
	backend, got := startBackend(t)
	p := startProxy(t, backend.URL, Options{Faults: Faults{Delay: Fault{Every: 1}, DelayBy: time.Hour}})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, p.URL+"/b/1", strings.NewReader("x"))
	require.NoError(t, err)
	_, err = newClient(t).Do(req)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Empty(t, got)
	// Close must not wait for the hour.
}

func TestDownResetAndUp(t *testing.T) {
	backend, _ := startBackend(t)
	p := startProxy(t, backend.URL, Options{})
	c := newClient(t)

	p.Down()
	p.Down() // twice is fine
	_, _, err := do(t, c, http.MethodPut, p.URL+"/b/1", "x")
	require.Error(t, err)
	assert.True(t, isReset(err), "%v", err)
	_, _, err = do(t, c, http.MethodGet, p.URL+"/b", "")
	require.Error(t, err)

	require.NoError(t, p.Up())
	require.NoError(t, p.Up())
	status, _, err := do(t, c, http.MethodPut, p.URL+"/b/2", "x")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, status)
	st := p.Stats()
	assert.Equal(t, int64(1), st.Forwarded)
	assert.Equal(t, st.Requests-1, st.WhileDown)
}

func TestDownRefuse(t *testing.T) {
	backend, _ := startBackend(t)
	p := startProxy(t, backend.URL, Options{DownMode: DownRefuse})
	c := newClient(t)
	status, _, err := do(t, c, http.MethodPut, p.URL+"/b/1", "x") // leaves an idle kept-alive connection
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status)

	p.Down()
	_, err = net.DialTimeout("tcp", p.Addr, time.Second)
	require.ErrorIs(t, err, syscall.ECONNREFUSED)
	_, _, err = do(t, c, http.MethodPut, p.URL+"/b/2", "x")
	require.Error(t, err, "the kept-alive connection was closed too")

	require.NoError(t, p.Up())
	status, _, err = do(t, c, http.MethodPut, p.URL+"/b/3", "x")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, status, "the same URL answers again")
	assert.Equal(t, int64(2), p.Stats().Forwarded)
}

func TestDownHang(t *testing.T) {
	backend, got := startBackend(t)
	p := startProxy(t, backend.URL, Options{DownMode: DownHang})
	p.Down()

	// A client with a timeout gives up.
	c := newClient(t)
	c.Timeout = 150 * time.Millisecond
	start := time.Now()
	_, _, err := do(t, c, http.MethodPut, p.URL+"/b/1", "x")
	require.Error(t, err)
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout(), "%v", err)
	assert.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond)

	// A patient client is held until Up, then its connection is reset.
	errc := make(chan error, 1)
	go func() {
		_, _, err := do(t, newClient(t), http.MethodPut, p.URL+"/b/2", "x")
		errc <- err
	}()
	require.Eventually(t, func() bool { return p.Stats().WhileDown == 2 }, 5*time.Second, 5*time.Millisecond)
	select {
	case err := <-errc:
		t.Fatalf("answered while down: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	require.NoError(t, p.Up())
	err = <-errc
	require.Error(t, err)
	assert.True(t, isReset(err), "%v", err)

	status, _, err := do(t, newClient(t), http.MethodPut, p.URL+"/b/3", "x")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, status)
	assert.Len(t, got, 1)
}

func TestCloseReleasesHeldRequests(t *testing.T) {
	backend, _ := startBackend(t)
	p, err := Start(backend.URL, Options{DownMode: DownHang})
	require.NoError(t, err)
	p.Down()
	errc := make(chan error, 1)
	go func() {
		_, _, err := do(t, newClient(t), http.MethodPut, p.URL+"/b/1", "x")
		errc <- err
	}()
	require.Eventually(t, func() bool { return p.Stats().WhileDown == 1 }, 5*time.Second, 5*time.Millisecond)
	require.NoError(t, p.Close())
	require.Error(t, <-errc)
	require.NoError(t, p.Close(), "twice is fine")
	p.Down()
	require.NoError(t, p.Up(), "after Close, Down and Up do nothing")
	_, err = net.DialTimeout("tcp", p.Addr, time.Second)
	require.ErrorIs(t, err, syscall.ECONNREFUSED)
}

func TestTargetDownShowsAsReset(t *testing.T) {
	backend, _ := startBackend(t)
	p := startProxy(t, backend.URL, Options{})
	backend.Close()

	_, _, err := do(t, newClient(t), http.MethodPut, p.URL+"/b/1", "x")
	require.Error(t, err)
	assert.True(t, isReset(err), "%v", err)
	assert.Equal(t, Stats{Requests: 1, Forwarded: 1, ForwardErrors: 1}, p.Stats())
}

func TestConcurrentRequests(t *testing.T) {
	backend, got := startBackend(t)
	p := startProxy(t, backend.URL, Options{Seed: 7, Faults: Faults{SlowDown: Fault{Probability: 0.5}}})
	c := newClient(t)
	const workers, each = 8, 50
	done := make(chan [2]int)
	for range workers {
		go func() {
			var ok, throttled int
			for range each {
				req, _ := http.NewRequest(http.MethodPut, p.URL+"/b/k", strings.NewReader("x"))
				resp, err := c.Do(req)
				if err != nil {
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					ok++
				} else {
					throttled++
				}
			}
			done <- [2]int{ok, throttled}
		}()
	}
	var ok, throttled int
	for range workers {
		r := <-done
		ok, throttled = ok+r[0], throttled+r[1]
	}
	assert.Equal(t, workers*each, ok+throttled)
	st := p.Stats()
	assert.Equal(t, Stats{Requests: workers * each, Forwarded: int64(ok), SlowDowns: int64(throttled)}, st)
	assert.Len(t, got, ok)
}
