package auditlogreceiver

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"mime"
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
	formatJSON   = "json"
	formatNDJSON = "ndjson"
)

// errInvalidEvents is what the receiver's telemetry records for a refused request; the details
// go to the sender only.
var errInvalidEvents = errors.New("request refused: invalid events")

// handler answers POSTs of audit events. A 2xx means the pipeline took every event of the
// request; anything else means it took none, so a sender can always retry the whole request.
type handler struct {
	path       string
	retryAfter string // whole seconds, as the Retry-After header wants them
	decoder    eventDecoder
	next       consumer.Logs
	obsrep     *receiverhelper.ObsReport
	logger     *zap.Logger
}

func newHandler(cfg *Config, dec eventDecoder, next consumer.Logs, obsrep *receiverhelper.ObsReport, logger *zap.Logger) *handler {
	return &handler{
		path:       cfg.Path,
		retryAfter: strconv.FormatInt(int64(math.Ceil(cfg.RetryAfter.Seconds())), 10),
		decoder:    dec,
		next:       next,
		obsrep:     obsrep,
		logger:     logger,
	}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	received := pcommon.NewTimestampFromTime(time.Now())
	if r.URL.Path != h.path {
		writeError(w, http.StatusNotFound, "not found: events are posted to "+h.path)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "method not allowed: use POST")
		return
	}
	format, msg := formatOf(r.Header.Get("Content-Type"))
	if msg != "" {
		writeError(w, http.StatusUnsupportedMediaType, msg)
		return
	}
	bodyBuf := bodyBuffers.Get().(*bytes.Buffer)
	defer releaseBody(bodyBuf)
	body, err := readBody(r, bodyBuf)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, http.StatusRequestEntityTooLarge,
				"request body is larger than max_request_body_size ("+strconv.FormatInt(tooLarge.Limit, 10)+" bytes); send fewer events per request")
			return
		}
		h.logger.Debug("Could not read a request body", zap.Error(err))
		writeError(w, http.StatusBadRequest, "could not read the request body")
		return
	}

	ctx := h.obsrep.StartLogsOp(r.Context())
	b := h.decoder.decode(body, received)
	if b.refused() {
		h.obsrep.EndLogsOp(ctx, format, b.events, errInvalidEvents)
		h.logger.Debug("Refused a request with invalid events",
			zap.Int("events", b.events), zap.Int("invalid", b.invalid), zap.Bool("malformed", b.malformed))
		writeProblems(w, b)
		return
	}
	if b.events == 0 {
		h.obsrep.EndLogsOp(ctx, format, 0, nil)
		writeAccepted(w, 0)
		return
	}
	err = h.next.ConsumeLogs(ctx, b.logs)
	h.obsrep.EndLogsOp(ctx, format, b.events, err)
	switch {
	case err == nil:
		writeAccepted(w, b.events)
	case consumererror.IsPermanent(err):
		// The pipeline's own error may carry details of the events: it goes to the log, and the
		// sender learns only that resending will not help.
		h.logger.Error("The pipeline permanently refused a request's events", zap.Int("events", b.events), zap.Error(err))
		writeError(w, http.StatusInternalServerError, "the pipeline permanently refused these events; resending them will not help")
	default:
		// Expected under back-pressure (memory limiter, full queue): the sender retries.
		h.logger.Debug("The pipeline could not take a request's events", zap.Int("events", b.events), zap.Error(err))
		w.Header().Set("Retry-After", h.retryAfter)
		writeError(w, http.StatusServiceUnavailable, "the pipeline cannot take events right now; retry after "+h.retryAfter+"s")
	}
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
		return "", "unsupported Content-Type " + strconv.Quote(mediaType) + accepted
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "us-ascii") {
		return "", "unsupported charset: JSON must be UTF-8"
	}
	return format, ""
}

// readBody reads the whole body into buf: problems are reported by line and column, which
// needs the bytes. Its size is bounded by max_request_body_size, which confighttp enforces.
func readBody(r *http.Request, buf *bytes.Buffer) ([]byte, error) {
	// Content-Length is only a hint: a bigger body is cut off by the size limit, and a hint
	// beyond it must not make us allocate.
	if n := r.ContentLength; n > 0 && n <= maxPooledBody {
		buf.Grow(int(n) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(r.Body); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// bodyBuffers keep request bodies' buffers from one request to the next: a body is read whole
// and is garbage as soon as it is decoded (records share nothing with it), so a new buffer per
// request would be most of the receiver's allocated bytes.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBody bounds the buffers kept, so that one huge request does not pin its memory.
const maxPooledBody = 4 << 20

func releaseBody(buf *bytes.Buffer) {
	if buf.Cap() > maxPooledBody {
		return
	}
	buf.Reset()
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

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorResponse{Error: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// confighttpErrorHandler makes the errors confighttp answers by itself (decompression, auth)
// look like ours.
func confighttpErrorHandler() confighttp.ToServerOption {
	return confighttp.WithErrorHandler(func(w http.ResponseWriter, _ *http.Request, msg string, status int) {
		writeError(w, status, msg)
	})
}
