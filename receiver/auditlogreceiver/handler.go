package auditlogreceiver

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"
)

const (
	// defaultMaxRequestBodySize is confighttp's default max_request_body_size, which it does not
	// export.
	defaultMaxRequestBodySize = 20 << 20

	formatJSON   = "json"
	formatNDJSON = "ndjson"
)

// What the standard receiver telemetry records for a request refused after decoding; the
// details go to the sender only.
var (
	errInvalidEvents = errors.New("request refused: invalid events")
	errForbiddenOrg  = errors.New("request refused: events for orgs the caller may not write")
)

// handler answers POSTs of audit events. A 2xx means the pipeline took every event of the
// request; anything else means it took none, so a sender can always retry the whole request.
type handler struct {
	path       string
	retryAfter string // whole seconds, as the Retry-After header wants them
	maxBody    int    // max_request_body_size in effect
	decoder    eventDecoder
	// access is nil when callers are not bound to orgs (no tenants section).
	access *access
	next   consumer.Logs
	obsrep *receiverhelper.ObsReport
	logger *zap.Logger
}

func newHandler(cfg *Config, dec eventDecoder, acc *access, next consumer.Logs, obsrep *receiverhelper.ObsReport, logger *zap.Logger) *handler {
	return &handler{
		path:       cfg.Path,
		retryAfter: retryAfterSeconds(cfg),
		maxBody:    maxBodySize(cfg),
		decoder:    dec,
		access:     acc,
		next:       next,
		obsrep:     obsrep,
		logger:     logger,
	}
}

// maxBodySize is the limit confighttp applies: its default (20 MiB) when the key is 0.
func maxBodySize(cfg *Config) int {
	if cfg.MaxRequestBodySize > 0 {
		return int(cfg.MaxRequestBodySize)
	}
	return defaultMaxRequestBodySize
}

func retryAfterSeconds(cfg *Config) string {
	return strconv.FormatInt(int64(math.Ceil(cfg.RetryAfter.Seconds())), 10)
}

// ServeHTTP checks what can be checked without the body first (path, method, caller, media
// type), so that a request refused for those costs no reading. Nothing it logs holds event
// values, keys or the pipeline's errors, which may quote events: the pipeline's components log
// their own failures.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	received := pcommon.NewTimestampFromTime(time.Now())
	st := stateOf(r.Context())
	if r.URL.Path != h.path {
		st.outcome = outcomeNotFound
		writeError(w, http.StatusNotFound, "not found: events are posted to "+h.path)
		return
	}
	if r.Method != http.MethodPost {
		st.outcome = outcomeMethodNotAllowed
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "method not allowed: use POST")
		return
	}
	var caller *grant
	if h.access != nil {
		if caller = h.access.caller(r); caller == nil {
			st.outcome = outcomeUnauthorized
			h.unauthorized(w)
			return
		}
	}
	format, msg := formatOf(r.Header.Get("Content-Type"))
	if msg != "" {
		st.outcome = outcomeUnsupportedMediaType
		writeError(w, http.StatusUnsupportedMediaType, msg)
		return
	}
	bodyBuf := bodyBuffers.Get().(*bodyBuffer)
	defer releaseBody(bodyBuf)
	body, err := bodyBuf.read(r, h.maxBody)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			st.outcome = outcomeTooLarge
			writeTooLarge(w, tooLarge.Limit)
			return
		}
		var netErr net.Error
		if errors.As(err, &netErr) && netErr.Timeout() {
			// read_timeout ran out while the body was arriving: a slow link, not a bad
			// request, so the sender may resend it as it is. 408 rather than 503: the
			// collector is not overloaded, so waiting for a Retry-After would not help, and
			// HTTP clients and retry policies take 408 as retryable.
			writeBodyTimeout(w, st)
			return
		}
		// A broken connection or compressed stream; the error's text is the decompressor's or
		// the network's, never the body's.
		st.outcome = outcomeBadBody
		h.logger.Debug("Could not read a request body", zap.Error(err))
		writeError(w, http.StatusBadRequest, "could not read the request body")
		return
	}
	st.body = len(body)

	ctx := h.obsrep.StartLogsOp(r.Context())
	b := h.decoder.decode(body, received)
	st.events = b.events
	if b.refused() {
		st.outcome = outcomeInvalidEvent
		if b.malformed {
			st.outcome = outcomeBadJSON
		}
		h.obsrep.EndLogsOp(ctx, format, b.events, errInvalidEvents)
		h.logger.Debug("Refused a request with invalid events",
			zap.Int("events", b.events), zap.Int("invalid", b.invalid), zap.Bool("malformed", b.malformed))
		writeProblems(w, b)
		return
	}
	if caller != nil {
		if n := caller.forbidden(b.logs); n > 0 {
			st.outcome = outcomeForbiddenOrg
			h.obsrep.EndLogsOp(ctx, format, b.events, errForbiddenOrg)
			h.logger.Debug("Refused a request with events for orgs its caller may not write",
				zap.String("caller", caller.name), zap.Int("events", b.events), zap.Int("forbidden", n))
			writeError(w, http.StatusForbidden, strconv.Itoa(n)+" of "+strconv.Itoa(b.events)+
				" events are for orgs this caller may not write; no event was accepted")
			return
		}
	}
	if b.events == 0 {
		st.outcome = outcomeAccepted
		h.obsrep.EndLogsOp(ctx, format, 0, nil)
		writeAccepted(w, 0)
		return
	}
	err = h.next.ConsumeLogs(ctx, b.logs)
	h.obsrep.EndLogsOp(ctx, format, b.events, err)
	switch {
	case err == nil:
		st.outcome = outcomeAccepted
		writeAccepted(w, b.events)
	case consumererror.IsPermanent(err):
		st.outcome = outcomePipelineFailed
		h.logger.Error("The pipeline permanently refused a request's events; the failing component logs why", zap.Int("events", b.events))
		writeError(w, http.StatusInternalServerError, "the pipeline permanently refused these events; resending them will not help")
	default:
		// Expected under back-pressure (memory limiter, full queue): the sender retries.
		st.outcome = outcomePipelineRefused
		h.logger.Debug("The pipeline could not take a request's events", zap.Int("events", b.events))
		w.Header().Set("Retry-After", h.retryAfter)
		writeError(w, http.StatusServiceUnavailable, "the pipeline cannot take events right now; retry after "+h.retryAfter+"s")
	}
}

// unauthorized answers a request without a known API key; missing and unknown keys get the
// same answer, so that it tells nothing about which keys exist.
func (h *handler) unauthorized(w http.ResponseWriter) {
	if h.access.keys == nil {
		writeError(w, http.StatusUnauthorized, "unauthorized: the caller is not authenticated")
		return
	}
	if h.access.bearer {
		w.Header().Set("WWW-Authenticate", `Bearer realm="auditlog"`)
		writeError(w, http.StatusUnauthorized, "unauthorized: send a known API key as Authorization: Bearer <key>")
		return
	}
	writeError(w, http.StatusUnauthorized, "unauthorized: send a known API key in the "+h.access.header+" header")
}

// formatOf maps the Content-Type to the telemetry format, or says why it is not accepted.
func formatOf(contentType string) (format, refusal string) {
	const accepted = "; send application/json or application/x-ndjson"
	if contentType == "" {
		return "", "missing Content-Type" + accepted
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", "unreadable Content-Type" + accepted
	}
	switch mediaType {
	case "application/json":
		format = formatJSON
	case "application/x-ndjson":
		format = formatNDJSON
	default:
		// Not quoted: answers hold nothing the sender sent, whatever header it came in.
		return "", "unsupported Content-Type" + accepted
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "us-ascii") {
		return "", "unsupported charset: JSON must be UTF-8"
	}
	return format, ""
}

// bodyBuffer holds a request's body while it is decoded.
type bodyBuffer struct{ b []byte }

// read reads the whole body: problems are reported by line and column, which needs the
// bytes. Its size is bounded by max_request_body_size, which confighttp enforces (after
// decompression too); limit is that size, and the buffer never grows past one byte more, so
// that a body that expands beyond it costs under twice the limit at the peak (the last buffer
// and the one it is copied into), not the doubling past it that bytes.Buffer would do.
func (buf *bodyBuffer) read(r *http.Request, limit int) ([]byte, error) {
	body := buf.b[:0]
	// Content-Length is only a hint: a bigger body is cut off by the size limit, and a hint
	// beyond it must not make us allocate.
	if n := int(r.ContentLength); n > 0 && n <= min(limit, maxPooledBody) && n >= cap(body) {
		body = make([]byte, 0, n+1) // +1: room to see the end without growing
	}
	for {
		if len(body) == cap(body) {
			// Double, but jump to one byte past the limit rather than beyond it: reading that
			// byte is how the limit is found exceeded.
			size := max(minBodyGrowth, 2*cap(body))
			if size >= limit {
				size = limit + 1
			}
			grown := make([]byte, len(body), size)
			copy(grown, body)
			body = grown
		}
		n, err := r.Body.Read(body[len(body):cap(body)])
		body = body[:len(body)+n]
		if errors.Is(err, io.EOF) {
			buf.b = body
			return body, nil
		}
		if err != nil {
			buf.b = body
			return nil, err
		}
	}
}

const minBodyGrowth = 4 << 10

// bodyBuffers keep request bodies' buffers from one request to the next: a body is read whole
// and is garbage as soon as it is decoded (records share nothing with it), so a new buffer per
// request would be most of the receiver's allocated bytes.
var bodyBuffers = sync.Pool{New: func() any { return new(bodyBuffer) }}

// maxPooledBody bounds the buffers kept, so that one huge request does not pin its memory.
const maxPooledBody = 4 << 20

func releaseBody(buf *bodyBuffer) {
	if cap(buf.b) > maxPooledBody {
		return
	}
	bodyBuffers.Put(buf)
}

func writeAccepted(w http.ResponseWriter, n int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(strconv.AppendInt([]byte(`{"accepted":`), int64(n), 10))
	_, _ = w.Write([]byte("}\n"))
}

type errorResponse struct {
	Error    string    `json:"error"`
	Problems []problem `json:"problems,omitempty"`
}

func writeProblems(w http.ResponseWriter, b *batch) {
	listed := len(b.problems)
	msg := strconv.Itoa(b.invalid) + " of " + strconv.Itoa(b.events) + " events are invalid; no event was accepted"
	if b.malformed {
		listed-- // the last problem is where the JSON broke
		msg = "the body is not valid JSON; no event was accepted"
	}
	if b.invalid > listed {
		msg += " (the first " + strconv.Itoa(listed) + " invalid events are listed)"
	}
	writeJSON(w, http.StatusBadRequest, errorResponse{Error: msg, Problems: b.problems})
}

func writeTooLarge(w http.ResponseWriter, limit int64) {
	writeError(w, http.StatusRequestEntityTooLarge,
		"request body is larger than max_request_body_size ("+strconv.FormatInt(limit, 10)+" bytes); send fewer events per request")
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorResponse{Error: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// snappyTooLarge is how confighttp refuses a snappy block body whose header declares more
// bytes than max_request_body_size, before the handler reads it: with 400, like a corrupt body,
// where every other body over the limit gets 413.
const snappyTooLarge = "snappy: decoded size exceeds max request body size"

// networkTimeout ends the text of a read that a deadline (read_timeout) cut short.
const networkTimeout = "i/o timeout"

// unsupportedEncoding starts confighttp's refusal of a Content-Encoding it has no decoder for,
// which quotes the header's value; the answer says the same without it.
const unsupportedEncoding = "unsupported Content-Encoding"

// confighttpErrorHandler makes the errors confighttp answers by itself (a refusal of the auth
// extension, an unknown or broken Content-Encoding, a snappy body over the limit) look like
// ours, and counts them. maxBody is max_request_body_size in effect.
// writeBodyTimeout answers a request whose body did not arrive within read_timeout.
func writeBodyTimeout(w http.ResponseWriter, st *requestState) {
	st.outcome = outcomeBodyTimeout
	w.Header().Set("Connection", "close") // the rest of the body is not read
	writeError(w, http.StatusRequestTimeout, "the request body did not arrive within read_timeout; resend the request")
}

func confighttpErrorHandler(maxBody int) confighttp.ToServerOption {
	return confighttp.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, msg string, status int) {
		st := stateOf(r.Context())
		switch {
		case status == http.StatusBadRequest && msg == snappyTooLarge:
			st.outcome = outcomeTooLarge
			writeTooLarge(w, int64(maxBody))
			return
		case status == http.StatusBadRequest && strings.HasSuffix(msg, networkTimeout):
			// confighttp reads a snappy block body whole before the handler runs, and passes on
			// a read_timeout as a 400 with the network error's text.
			writeBodyTimeout(w, st)
			return
		case status == http.StatusBadRequest && strings.HasPrefix(msg, unsupportedEncoding):
			st.outcome = outcomeBadBody
			writeError(w, status, unsupportedEncoding+"; send the body uncompressed or in an encoding of compression_algorithms "+
				"(by default gzip, zstd, zlib, snappy, deflate)")
			return
		case status == http.StatusUnauthorized:
			st.outcome = outcomeUnauthorized
		case status == http.StatusBadRequest:
			st.outcome = outcomeBadBody
		}
		writeError(w, status, msg)
	})
}
