package errorscrubextension

import (
	"bufio"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// startScrubbing serves h behind the wrapper on a loopback port, logging at debug level into
// the returned observer. net/http's own complaints (a superfluous WriteHeader) are dropped.
func startScrubbing(t *testing.T, h http.HandlerFunc) (string, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	srv := httptest.NewUnstartedServer(scrubErrors(h, zap.New(core)))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL, logs
}

// otlpError writes what the otlp receiver writes for a request it refuses: a google.rpc.Status
// in the request's encoding, its message quoting the request.
func otlpError(contentType string, status int, code codes.Code) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		st := &spb.Status{Code: int32(code), Message: "ReadObject: found bad value, error found in #10 byte of ...|" + plantedSecret + "|..."}
		var body []byte
		if contentType == "application/json" {
			body, _ = protojson.Marshal(st)
		} else {
			body, _ = proto.Marshal(st)
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}
}

// writeAll writes status, then body in writes of at most chunk bytes.
func writeAll(contentType string, status int, body string, chunk int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		for len(body) > 0 {
			n := min(chunk, len(body))
			_, _ = io.WriteString(w, body[:n])
			body = body[n:]
		}
	}
}

func TestScrubbedAnswers(t *testing.T) {
	longStatus, _ := protojson.Marshal(&spb.Status{Code: int32(codes.InvalidArgument), Message: strings.Repeat(plantedSecret, 10)})
	for _, c := range []struct {
		name    string
		handler http.HandlerFunc
		status  int
		format  format
		code    int32
		// header holds headers the handler set that must come back as they were.
		header http.Header
	}{
		{name: "OTLP/JSON 400 quoting the request", handler: otlpError("application/json", 400, codes.InvalidArgument),
			status: 400, format: formatJSON, code: int32(codes.InvalidArgument)},
		{name: "the code comes from the body, not the HTTP status", handler: otlpError("application/json", 500, codes.Internal),
			status: 500, format: formatJSON, code: int32(codes.Internal)},
		{name: "OTLP/protobuf 400 quoting the request", handler: otlpError("application/x-protobuf", 400, codes.InvalidArgument),
			status: 400, format: formatProtobuf, code: int32(codes.InvalidArgument)},
		{name: "protobuf 503 keeps Retry-After", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "7")
			otlpError("application/x-protobuf", 503, codes.Unavailable)(w, r)
		}, status: 503, format: formatProtobuf, code: int32(codes.Unavailable), header: http.Header{"Retry-After": {"7"}}},
		{name: "JSON that is not a Status: the code follows the HTTP status",
			handler: writeAll("application/json", 500, `{"error":"`+plantedSecret+`"}`, 1<<20),
			status:  500, format: formatJSON, code: int32(codes.Unknown)},
		{name: "JSON whose code comes after the message: the code follows the HTTP status",
			handler: writeAll("application/json; charset=utf-8", 429, `{"message":"`+plantedSecret+`","code":9}`, 1<<20),
			status:  429, format: formatJSON, code: int32(codes.ResourceExhausted)},
		{name: "JSON code outside the canonical codes: the code follows the HTTP status",
			handler: writeAll("application/json", 404, `{"code":4242,"message":"`+plantedSecret+`"}`, 1<<20),
			status:  404, format: formatJSON, code: int32(codes.Unimplemented)},
		{name: "protobuf that is not a Status: the code follows the HTTP status",
			handler: writeAll("application/x-protobuf", 403, plantedSecret, 1<<20),
			status:  403, format: formatProtobuf, code: int32(codes.PermissionDenied)},
		{name: "a code cut short by the end of what is kept: the code follows the HTTP status",
			handler: writeAll("application/json", 500, "{"+strings.Repeat(" ", keptBytes-len(`{"code":1`))+`"code":13,"message":"`+plantedSecret+`"}`, 1<<20),
			status:  500, format: formatJSON, code: int32(codes.Unknown)},
		{name: "a Status written a byte at a time, longer than what is kept",
			handler: writeAll("application/json", 400, string(longStatus), 1),
			status:  400, format: formatJSON, code: int32(codes.InvalidArgument)},
		{name: "plain text 415 quoting the media type",
			handler: writeAll("text/plain", 415, "415 unsupported media type: application/"+plantedSecret, 7),
			status:  415, format: formatText},
		{name: "http.Error keeps its other headers", handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("X-Request-Id", "r-1")
			http.Error(w, "no route for /"+plantedSecret, http.StatusNotFound)
		}, status: 404, format: formatText, header: http.Header{"X-Content-Type-Options": {"nosniff"}, "X-Request-Id": {"r-1"}}},
		{name: "no Content-Type", handler: writeAll("", 500, "<html>"+plantedSecret+"</html>", 1<<20),
			status: 500, format: formatText},
		{name: "an error status and no body", handler: writeAll("application/json", 502, "", 1),
			status: 502, format: formatJSON, code: int32(codes.Unavailable)},
		{name: "the handler's Content-Length and Content-Encoding", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "52")
			w.Header().Set("Content-Encoding", "gzip")
			writeAll("text/plain", 400, plantedSecret+"............", 1<<20)(w, r)
		}, status: 400, format: formatText},
		{name: "WriteHeader twice, an error first", handler: func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(400)
			w.WriteHeader(200)
			_, _ = io.WriteString(w, plantedSecret)
		}, status: 400, format: formatText},
		{name: "an error answer flushed before its body", handler: func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(400)
			w.(http.Flusher).Flush()
			_, _ = io.WriteString(w, plantedSecret)
			// Through the controller too, which must find the wrapper's Flush, not the server's.
			_ = http.NewResponseController(w).Flush()
		}, status: 400, format: formatText},
		{name: "an informational status before the error", handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Link", "</style.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(400)
			_, _ = io.WriteString(w, plantedSecret)
		}, status: 400, format: formatText, header: http.Header{"Link": {"</style.css>; rel=preload"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			url, logs := startScrubbing(t, c.handler)
			a := post(t, url, http.Header{}, nil)
			assertScrubbed(t, a, c.status, c.format, c.code)
			for name, values := range c.header {
				assert.Equal(t, values, a.header.Values(name), name)
			}
			// One debug line per scrubbed answer, holding nothing of the discarded body.
			entries := logs.All()
			require.Len(t, entries, 1)
			assert.Equal(t, int64(c.status), entries[0].ContextMap()["status"])
			assert.False(t, leaksSecret([]byte(fmt.Sprint(entries[0].Message, entries[0].ContextMap()))), "the log line quotes the body")
		})
	}
}

func TestPassedThrough(t *testing.T) {
	for _, c := range []struct {
		name    string
		handler http.HandlerFunc
		status  int
		body    string
	}{
		{name: "200 with a body", handler: writeAll("application/json", 200, `{"partialSuccess":{"errorMessage":"`+plantedSecret+`"}}`, 5),
			status: 200, body: `{"partialSuccess":{"errorMessage":"` + plantedSecret + `"}}`},
		{name: "a body without WriteHeader", handler: func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, "taken ")
			_, _ = io.WriteString(w, plantedSecret)
		}, status: 200, body: "taken " + plantedSecret},
		{name: "neither WriteHeader nor a body", handler: func(http.ResponseWriter, *http.Request) {}, status: 200},
		{name: "WriteHeader twice, a success first", handler: func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(202)
			w.WriteHeader(500)
			_, _ = io.WriteString(w, plantedSecret)
		}, status: 202, body: plantedSecret},
		{name: "a redirect", handler: writeAll("text/plain", 307, "see "+plantedSecret, 1<<20), status: 307, body: "see " + plantedSecret},
		{name: "399", handler: writeAll("text/plain", 399, plantedSecret, 1<<20), status: 399, body: plantedSecret},
	} {
		t.Run(c.name, func(t *testing.T) {
			url, logs := startScrubbing(t, c.handler)
			// Redirects are answers too: the client must not follow them.
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			res, err := client.Post(url, "text/plain", nil)
			require.NoError(t, err)
			defer res.Body.Close()
			body, err := io.ReadAll(res.Body)
			require.NoError(t, err)
			assert.Equal(t, c.status, res.StatusCode)
			assert.Equal(t, c.body, string(body))
			assert.Empty(t, logs.All(), "nothing was scrubbed")
		})
	}
}

// TestResponseControllerReachesTheServer checks that a handler behind the wrapper can still set
// its connection's deadlines through http.ResponseController.
func TestResponseControllerReachesTheServer(t *testing.T) {
	deadlineErr := make(chan error, 1)
	url, _ := startScrubbing(t, func(w http.ResponseWriter, _ *http.Request) {
		deadlineErr <- http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Minute))
	})
	a := post(t, url, http.Header{}, nil)
	assert.Equal(t, http.StatusOK, a.status)
	assert.NoError(t, <-deadlineErr)
}

// TestSuccessStreams checks that a success answer is not held back: the client reads what the
// handler flushed while the handler is still running.
func TestSuccessStreams(t *testing.T) {
	release := make(chan struct{})
	released := make(chan bool, 1)
	url, _ := startScrubbing(t, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "first\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
			released <- true
		case <-time.After(5 * time.Second):
			released <- false
		}
		_, _ = io.WriteString(w, "second\n")
	})
	res, err := http.Post(url, "text/plain", nil)
	require.NoError(t, err)
	defer res.Body.Close()
	r := bufio.NewReader(res.Body)
	first, err := r.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "first\n", first)
	close(release)
	assert.True(t, <-released, "the client read the first line only once the handler had returned")
	rest, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.Equal(t, "second\n", string(rest))
}
