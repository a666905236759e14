package errorscrubextension

import (
	"net/http"
	"strconv"

	"go.uber.org/zap"
)

// keptBytes is how much of a discarded body is kept: enough for the gRPC status code, which the
// otlp receiver's encoders write first (protobuf field 1; protojson's "code" before "message").
const keptBytes = 64

// scrubErrors wraps next so that an answer of status 400 or more gets a fixed body in place of
// the one next wrote; every other answer goes straight through.
func scrubErrors(next http.Handler, logger *zap.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &scrubWriter{w: w}
		next.ServeHTTP(sw, r)
		if sw.scrubbing {
			writeScrubbed(w, sw, logger)
		}
	})
}

// scrubWriter passes an answer through until its status is 400 or more; from then on it
// withholds the status and keeps only the first keptBytes of the body, for writeScrubbed.
type scrubWriter struct {
	w http.ResponseWriter
	// status is the answer's final status once set, 0 before.
	status int
	// scrubbing says status is 400 or more: neither it nor the body has reached w.
	scrubbing bool
	kept      [keptBytes]byte
	keptLen   int
	// discarded counts the bytes of the body not sent, for the debug log.
	discarded int
}

func (sw *scrubWriter) Header() http.Header {
	return sw.w.Header()
}

func (sw *scrubWriter) WriteHeader(status int) {
	switch {
	case sw.scrubbing:
		// The first status wins, as with net/http; w has not seen it, so it cannot complain.
		return
	case sw.status != 0 || (status >= 100 && status < 200):
		// A second status (net/http logs it as superfluous) or an informational one, which is
		// sent at once and not final.
		sw.w.WriteHeader(status)
		return
	}
	sw.status = status
	if status >= 400 {
		sw.scrubbing = true
		return
	}
	sw.w.WriteHeader(status)
}

func (sw *scrubWriter) Write(b []byte) (int, error) {
	if sw.status == 0 {
		sw.WriteHeader(http.StatusOK)
	}
	if !sw.scrubbing {
		return sw.w.Write(b)
	}
	sw.keptLen += copy(sw.kept[sw.keptLen:], b)
	sw.discarded += len(b)
	return len(b), nil
}

// Flush sends what has been written of an answer that passes through; a flush before any status
// fixes it at 200, as it does with net/http. An answer being scrubbed is not flushed: its
// status and headers must wait for the replacement body.
func (sw *scrubWriter) Flush() {
	if sw.status == 0 {
		sw.WriteHeader(http.StatusOK)
	}
	if f, ok := sw.w.(http.Flusher); ok && !sw.scrubbing {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach w for what the wrapper does not change (deadlines,
// hijacking); it finds Flush here first.
func (sw *scrubWriter) Unwrap() http.ResponseWriter {
	return sw.w
}

// writeScrubbed sends the withheld status with every header the handler set, and a body that
// says the request was refused, in the format the handler chose.
func writeScrubbed(w http.ResponseWriter, sw *scrubWriter, logger *zap.Logger) {
	h := w.Header()
	f := formatOf(h.Get("Content-Type"))
	code, fromBody := f.codeIn(sw.kept[:sw.keptLen])
	if !fromBody {
		code = codeForHTTPStatus(sw.status)
	}
	body := f.body(sw.status, code)
	if f == formatText {
		h.Set("Content-Type", "text/plain; charset=utf-8")
	}
	// The new body is neither the old one's length nor encoded like it.
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Del("Content-Encoding")
	w.WriteHeader(sw.status)
	_, _ = w.Write(body) // the client has gone if this fails; there is no one left to tell
	// Never the old body: it is what may quote the request.
	logger.Debug("Replaced the body of an error answer, which may quote the request",
		zap.Int("status", sw.status), zap.String("format", f.String()), zap.Int32("grpc_code", code),
		zap.Bool("code_from_body", fromBody), zap.Int("discarded_bytes", sw.discarded))
}
