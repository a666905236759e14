package auditlogreceiver

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/auditship/auditship/internal/instruments"
	"github.com/auditship/auditship/receiver/auditlogreceiver/internal/metadata"
)

// outcome is how a request ended: accepted, or the reason it was refused. The set is fixed so
// that the metrics' attributes stay bounded whatever senders do.
type outcome uint8

const (
	// outcomeOther is a request answered before the receiver's handler, by something other than
	// the auth extension or decompression (a CORS preflight, for example).
	outcomeOther outcome = iota
	outcomeAccepted
	outcomeNotFound
	outcomeMethodNotAllowed
	outcomeUnsupportedMediaType
	outcomeUnauthorized
	outcomeForbiddenOrg
	outcomeTooLarge
	outcomeBadBody
	outcomeBodyTimeout
	outcomeBadJSON
	outcomeInvalidEvent
	outcomeBusy
	outcomePipelineRefused
	outcomePipelineFailed
	outcomeCount
)

var outcomeReasons = [outcomeCount]string{
	outcomeOther:                "other",
	outcomeAccepted:             "",
	outcomeNotFound:             "not_found",
	outcomeMethodNotAllowed:     "method_not_allowed",
	outcomeUnsupportedMediaType: "unsupported_media_type",
	outcomeUnauthorized:         "unauthorized",
	outcomeForbiddenOrg:         "forbidden_org",
	outcomeTooLarge:             "too_large",
	outcomeBadBody:              "bad_body",
	outcomeBodyTimeout:          "body_timeout",
	outcomeBadJSON:              "bad_json",
	outcomeInvalidEvent:         "invalid_event",
	outcomeBusy:                 "busy",
	outcomePipelineRefused:      "pipeline_refused",
	outcomePipelineFailed:       "pipeline_failed",
}

// requestState is what the handler learns about a request, for the front to record once the
// answer is written.
type requestState struct {
	outcome outcome
	events  int // events read from the body, valid or not
	// body is the size of the body after decompression, once read whole.
	body int
}

type requestStateKey struct{}

// stateOf returns the state the front attached to the request; a request that did not pass
// through the front (none does in the receiver) gets a throwaway one.
func stateOf(ctx context.Context) *requestState {
	if st, ok := ctx.Value(requestStateKey{}).(*requestState); ok {
		return st
	}
	return &requestState{}
}

// telemetry holds the receiver's own metrics, named in the collector's
// otelcol_receiver_<type>_... pattern, beside the standard receiver metrics of ObsReport.
type telemetry struct {
	requests      metric.Int64Counter
	events        metric.Int64Counter
	receivedBytes metric.Int64Counter
	bodyBytes     metric.Int64Counter
	duration      metric.Float64Histogram
	inFlight      metric.Int64UpDownCounter
	keyReloads    metric.Int64Counter

	// Attribute sets are built once: recording must not allocate per request.
	byOutcome     [outcomeCount]metric.MeasurementOption
	reloadLoaded  metric.MeasurementOption
	reloadRefused metric.MeasurementOption
}

// durationBuckets fit a request that is decoded and handed to the pipeline in milliseconds but
// may wait seconds for a slow sender or a blocked pipeline.
var durationBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

func newTelemetry(set component.TelemetrySettings) (*telemetry, error) {
	m := set.MeterProvider.Meter(metadata.ScopeName)
	t := &telemetry{}
	counters := instruments.NewCounters(m, "otelcol_receiver_auditlog_")
	t.requests = counters.Int64("requests", "{request}", "Requests answered, by outcome (accepted, refused) and, when refused, reason.")
	t.events = counters.Int64("events", "{event}", "Events read from request bodies, by the outcome and reason of their request.")
	t.receivedBytes = counters.Int64("received_bytes", "By", "Request body bytes read from the network, as sent (compressed when the request was).")
	t.bodyBytes = counters.Int64("body_bytes", "By", "Request body bytes after decompression.")
	t.keyReloads = counters.Int64("keys_reloads", "{reload}", "Changes of tenants::keys_file, by outcome (loaded, refused).")
	errs := []error{counters.Err()}
	var err error
	t.duration, err = m.Float64Histogram("otelcol_receiver_auditlog_request_duration", metric.WithUnit("s"),
		metric.WithDescription("Time from a request's arrival to its answer, by outcome and reason."),
		metric.WithExplicitBucketBoundaries(durationBuckets...))
	errs = append(errs, err)
	t.inFlight, err = m.Int64UpDownCounter("otelcol_receiver_auditlog_requests_in_flight", metric.WithUnit("{request}"),
		metric.WithDescription("Requests being worked on; at max_concurrent_requests, new ones are answered 503."))
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for o := range outcomeCount {
		attrs := []attribute.KeyValue{attribute.String("outcome", "refused"), attribute.String("reason", outcomeReasons[o])}
		if o == outcomeAccepted {
			attrs = []attribute.KeyValue{attribute.String("outcome", "accepted")}
		}
		t.byOutcome[o] = metric.WithAttributeSet(attribute.NewSet(attrs...))
	}
	t.reloadLoaded = metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", "loaded")))
	t.reloadRefused = metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", "refused")))
	return t, nil
}

// requestDone records a request once it is answered; received is its body's bytes as sent.
func (t *telemetry) requestDone(ctx context.Context, st *requestState, received int64, elapsed time.Duration) {
	attrs := t.byOutcome[st.outcome]
	t.requests.Add(ctx, 1, attrs)
	if st.events > 0 {
		t.events.Add(ctx, int64(st.events), attrs)
	}
	if received > 0 {
		t.receivedBytes.Add(ctx, received)
	}
	if st.body > 0 {
		t.bodyBytes.Add(ctx, int64(st.body))
	}
	t.duration.Record(ctx, elapsed.Seconds(), attrs)
}

func (t *telemetry) keysReloaded(loaded bool) {
	if loaded {
		t.keyReloads.Add(context.Background(), 1, t.reloadLoaded)
		return
	}
	t.keyReloads.Add(context.Background(), 1, t.reloadRefused)
}
