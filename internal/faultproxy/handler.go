package faultproxy

import (
	"encoding/xml"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"time"
)

// fate is what happens to one request, decided when it arrives.
type fate struct {
	down       bool
	upCh       chan struct{}
	delayBy    time.Duration
	reset      bool
	slowDown   bool
	loseAnswer bool
	retryAfter time.Duration
	requestID  int64
}

// decide numbers the request, draws its faults and counts them.
func (p *Proxy) decide(r *http.Request) (f fate, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return f, false
	}
	p.handlers.Add(1) // under mu and before closed is set, so always before Close waits
	p.stats.Requests++
	f.requestID = p.stats.Requests
	if p.down {
		p.stats.WhileDown++
		f.down, f.upCh = true, p.upCh
		return f, true
	}
	faults := &p.faults
	if !faults.matches(r.Method) {
		return f, true
	}
	p.matched++
	n := p.matched
	// Every fault is drawn in the same order for every request, so that a seed gives one
	// sequence whatever fires; LoseAnswer comes last, so that the sequences of the faults
	// before it stay as they were without it.
	delay := faults.Delay.fires(n, p.rng)
	reset := faults.Reset.fires(n, p.rng)
	slowDown := faults.SlowDown.fires(n, p.rng)
	loseAnswer := faults.LoseAnswer.fires(n, p.rng)
	if delay {
		p.stats.Delays++
		f.delayBy = faults.DelayBy
	}
	switch {
	case reset:
		p.stats.Resets++
		f.reset = true
	case slowDown:
		p.stats.SlowDowns++
		f.slowDown = true
		f.retryAfter = faults.RetryAfter
	case loseAnswer:
		f.loseAnswer = true // counted once the target has answered
	}
	return f, true
}

func (p *Proxy) serveHTTP(w http.ResponseWriter, r *http.Request) {
	f, ok := p.decide(r)
	if !ok {
		resetRequest(w)
		return
	}
	defer p.handlers.Done()

	if f.down {
		if p.downMode == DownHang {
			select {
			case <-f.upCh:
			case <-p.closing:
			case <-r.Context().Done():
				return
			}
		}
		resetRequest(w)
		return
	}
	if f.delayBy > 0 {
		t := time.NewTimer(f.delayBy)
		select {
		case <-t.C:
		case <-p.closing:
			t.Stop()
			resetRequest(w)
			return
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	switch {
	case f.reset:
		resetRequest(w)
	case f.slowDown:
		writeSlowDown(w, r, f.retryAfter, f.requestID)
	case f.loseAnswer:
		sink := &answerSink{header: http.Header{}}
		p.forward(sink, r)
		if sink.status != 0 {
			p.mu.Lock()
			p.stats.LostAnswers++
			p.mu.Unlock()
		}
		resetRequest(w)
	default:
		p.forward(w, r)
	}
}

// forward counts r as forwarded and sends it to the target, its answer to w.
func (p *Proxy) forward(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.stats.Forwarded++
	p.mu.Unlock()
	p.forwarder.ServeHTTP(w, r)
}

// rewrite sends the request to the target as it came: same Host (SigV4 signs it), same
// path and query bytes (signed too), same headers but the hop-by-hop ones, which belong to
// each connection and are not signed.
func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	pr.Out.URL.Scheme = p.target.Scheme
	pr.Out.URL.Host = p.target.Host
	pr.Out.URL.RawQuery = pr.In.URL.RawQuery
	pr.Out.Host = pr.In.Host
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
		if v, ok := pr.In.Header[h]; ok {
			pr.Out.Header[h] = v
		}
	}
}

// forwardFailed handles a target that did not answer: the client's connection is reset, the
// nearest a proxy can come to showing it the target's own failure.
func (p *Proxy) forwardFailed(w http.ResponseWriter, r *http.Request, _ error) {
	if r.Context().Err() != nil {
		return // the client went away; nobody to tell
	}
	p.mu.Lock()
	p.stats.ForwardErrors++
	p.mu.Unlock()
	if _, ok := w.(*answerSink); ok {
		return // the handler resets the client's connection itself
	}
	resetRequest(w)
}

// answerSink takes the target's answer to a request whose answer is to be lost, and keeps
// only its status, to tell whether the target answered at all.
type answerSink struct {
	header http.Header
	status int
}

func (s *answerSink) Header() http.Header { return s.header }

func (s *answerSink) WriteHeader(status int) {
	if s.status == 0 {
		s.status = status
	}
}

func (s *answerSink) Write(b []byte) (int, error) {
	s.WriteHeader(http.StatusOK)
	return len(b), nil
}

// resetRequest closes the request's connection with a TCP RST and no answer.
func resetRequest(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	c, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	resetConn(c)
}

// resetConn closes c so that the peer sees "connection reset" rather than an orderly end.
func resetConn(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// s3Error is the body S3 sends with an error status.
type s3Error struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Resource  string   `xml:"Resource"`
	RequestID string   `xml:"RequestId"`
}

// writeSlowDown answers like a throttling S3: 503, code SlowDown, and Retry-After if set.
func writeSlowDown(w http.ResponseWriter, r *http.Request, retryAfter time.Duration, n int64) {
	// Read the body first, also after "Expect: 100-continue" (the server then sends 100
	// Continue): a client that sends its body without waiting for 100 Continue would
	// otherwise meet a reset, not the 503, when the server closes with the body unread.
	_, _ = io.Copy(io.Discard, r.Body)
	id := "FAULTPROXY" + strconv.FormatInt(n, 10)
	body, _ := xml.Marshal(s3Error{
		Code:      "SlowDown",
		Message:   "Please reduce your request rate.",
		Resource:  r.URL.Path,
		RequestID: id,
	})
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(xml.Header)+len(body)))
	h.Set("X-Amz-Request-Id", id)
	if retryAfter > 0 {
		secs := int64((retryAfter + time.Second - 1) / time.Second)
		h.Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = io.WriteString(w, xml.Header)
	_, _ = w.Write(body)
}
