package auditlogreceiver

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/auditship/auditship/receiver/auditlogreceiver/internal/metadata"
)

// blockingConsumer holds every request in the pipeline until released.
type blockingConsumer struct {
	consumer.Logs
	entered chan struct{}
	release chan struct{}
}

func newBlockingConsumer(t *testing.T) *blockingConsumer {
	b := &blockingConsumer{entered: make(chan struct{}, 16), release: make(chan struct{})}
	var err error
	b.Logs, err = consumer.NewLogs(func(context.Context, plog.Logs) error {
		b.entered <- struct{}{}
		<-b.release
		return nil
	})
	require.NoError(t, err)
	return b
}

// postInBackground posts one event and delivers the status (0 when the request failed).
func postInBackground(client *http.Client, url string) <-chan int {
	status := make(chan int, 1)
	go func() {
		resp, err := client.Post(url, "application/json", strings.NewReader(goodDataLogin))
		if err != nil {
			status <- 0
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	return status
}

func TestMaxConcurrentRequests(t *testing.T) {
	pipeline := newBlockingConsumer(t)
	url, client := startReceiver(t, pipeline, func(cfg *Config) {
		cfg.MaxConcurrentRequests = 2
		cfg.RetryAfter = 3 * time.Second
	})
	first, second := postInBackground(client, url), postInBackground(client, url)
	<-pipeline.entered
	<-pipeline.entered

	// Headers announce a body that never comes: an answer proves the receiver refused
	// without reading it.
	conn, err := net.Dial("tcp", strings.TrimPrefix(strings.TrimSuffix(url, defaultPath), "http://"))
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = io.WriteString(conn, "POST "+defaultPath+" HTTP/1.1\r\nHost: auditlog\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "3", resp.Header.Get("Retry-After"))
	assert.JSONEq(t, `{"error":"too many requests in progress; retry after 3s"}`, string(raw))

	close(pipeline.release)
	assert.Equal(t, http.StatusOK, <-first)
	assert.Equal(t, http.StatusOK, <-second)
	assert.Equal(t, http.StatusOK, <-postInBackground(client, url), "slots come back")
}

func TestDefaultMaxConcurrentRequests(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	assert.Zero(t, cfg.MaxConcurrentRequests)
	assert.GreaterOrEqual(t, cfg.maxConcurrentRequests(), minConcurrentRequests)
	cfg.MaxConcurrentRequests = 3
	assert.Equal(t, 3, cfg.maxConcurrentRequests())
}

// refusesConnections tells whether nothing listens on addr any more.
func refusesConnections(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return true
	}
	conn.Close()
	return false
}

func TestGracefulShutdown(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration // of Shutdown's context; 0 for none
		// drain is the receiver's own bound on the wait; 0 for shutdownDrain.
		drain time.Duration
		// wantStatus is what the request in flight gets: its pipeline's answer when shutdown
		// waits for it, nothing when shutdown gives up first.
		wantStatus int
		wantErr    string
	}{
		{name: "waits for requests in flight", wantStatus: http.StatusOK},
		{name: "gives up at the deadline", timeout: 50 * time.Millisecond, wantErr: "shut down HTTP server: context deadline exceeded"},
		{name: "gives up after its own bound when the collector sets none", drain: 50 * time.Millisecond, wantErr: "shut down HTTP server: context deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pipeline := newBlockingConsumer(t)
			factory := NewFactory()
			cfg := factory.CreateDefaultConfig().(*Config)
			cfg.NetAddr.Endpoint = "127.0.0.1:0"
			rcv, err := factory.CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, pipeline)
			require.NoError(t, err)
			require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
			r := rcv.(*auditLogReceiver)
			if tt.drain > 0 {
				r.drain = tt.drain
			}
			client := newClient(t, nil)

			inFlight := postInBackground(client, r.url("http"))
			<-pipeline.entered
			ctx, cancel := context.WithCancel(context.Background())
			if tt.timeout > 0 {
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
			}
			defer cancel()
			shutdown := make(chan error, 1)
			go func() { shutdown <- rcv.Shutdown(ctx) }()

			require.Eventually(t, func() bool { return refusesConnections(r.addr.String()) }, 5*time.Second, 10*time.Millisecond,
				"new connections are refused as soon as shutdown starts")
			if tt.wantErr != "" {
				assert.EqualError(t, <-shutdown, tt.wantErr)
				close(pipeline.release)
				assert.Zero(t, <-inFlight, "the connection was closed")
				return
			}
			select {
			case err := <-shutdown:
				t.Fatalf("shutdown returned (%v) before the request in flight was answered", err)
			case <-time.After(50 * time.Millisecond):
			}
			close(pipeline.release)
			assert.Equal(t, tt.wantStatus, <-inFlight)
			assert.NoError(t, <-shutdown)
		})
	}
}
