package audits3exporter

import (
	"context"
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/auditship/auditship/exporter/audits3exporter/internal/metadata"
	"github.com/auditship/auditship/exporter/audits3exporter/internal/spool"
	"github.com/auditship/auditship/internal/instruments"
)

// telemetry holds the exporter's own metrics, named in the collector's
// otelcol_exporter_<type>_... pattern.
type telemetry struct {
	eventsSpooled     metric.Int64Counter
	eventsDuplicate   metric.Int64Counter
	eventsHeld        metric.Int64Counter
	eventsRefused     metric.Int64Counter
	eventsDelivered   metric.Int64Counter
	objectsWritten    metric.Int64Counter
	objectsUnverified metric.Int64Counter
	namesTaken        metric.Int64Counter
	uploadFailures    metric.Int64Counter
	spoolRefusals     metric.Int64Counter
	registration      metric.Registration
}

func newTelemetry(set component.TelemetrySettings, sp *spool.Spool, pending func() (batches, held int64)) (*telemetry, error) {
	m := set.MeterProvider.Meter(metadata.ScopeName)
	t := &telemetry{}
	counters := instruments.NewCounters(m, "otelcol_exporter_audits3_")
	t.eventsSpooled = counters.Int64("events_spooled", "{event}", "Events written to the local spool, ready to be batched.")
	t.eventsDuplicate = counters.Int64("events_duplicate", "{event}", "Events skipped because the spool already held their event id (a redelivery).")
	t.eventsHeld = counters.Int64("events_held", "{event}", "Events held in the spool that cannot be delivered as they are, by reason (invalid_org_id).")
	t.eventsRefused = counters.Int64("events_refused", "{event}", "Events refused for good, by reason (too_large: more than the spool can frame); the other events of their push are taken.")
	t.eventsDelivered = counters.Int64("events_delivered", "{event}", "Events in objects stored in S3.")
	t.objectsWritten = counters.Int64("objects_written", "{object}", "Objects stored in S3 (already_present: a retry found its own earlier upload).")
	t.objectsUnverified = counters.Int64("objects_unverified", "{object}", "Objects written under a later name because an earlier one was taken by an object that could not be compared (no s3:ListBucket, SSE-KMS, or before a write to the destination showed its ETags are MD5s): possibly a second copy of a batch whose first answer was lost.")
	t.namesTaken = counters.Int64("names_taken", "{name}", "Object names passed over because an object held them (412 on a conditional write) that was not this batch, or could not be compared with it: the batch went under a later name.")
	t.uploadFailures = counters.Int64("upload_failures", "{attempt}", "Failed uploads, by kind (transient, throttled, permanent) and S3 error code.")
	t.spoolRefusals = counters.Int64("spool_refusals", "{request}", "Pushes refused because the spool was full (backpressure to the pipeline).")
	spoolBytes, err1 := m.Int64ObservableGauge("otelcol_exporter_audits3_spool_bytes", metric.WithUnit("By"),
		metric.WithDescription("Bytes held in the local spool: open batches and batches waiting for delivery."))
	pendingBatches, err2 := m.Int64ObservableGauge("otelcol_exporter_audits3_pending_batches", metric.WithUnit("{batch}"),
		metric.WithDescription("Closed batches waiting for delivery; held: those of tenants without a destination or with an invalid org id."))
	if err := errors.Join(counters.Err(), err1, err2); err != nil {
		return nil, err
	}
	// Counters are exported from the start, at 0: an alert comparing two of them (events
	// spooled but none delivered) must not find one missing after a restart.
	ctx := context.Background()
	for _, c := range []metric.Int64Counter{t.eventsSpooled, t.eventsDuplicate, t.eventsDelivered, t.objectsUnverified, t.namesTaken, t.spoolRefusals} {
		c.Add(ctx, 0)
	}
	t.eventsHeld.Add(ctx, 0, metric.WithAttributes(attribute.String("reason", "invalid_org_id")))
	t.eventsRefused.Add(ctx, 0, metric.WithAttributes(attribute.String("reason", "too_large")))
	t.objectsWritten.Add(ctx, 0, metric.WithAttributes(attribute.Bool("already_present", false)))
	reg, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(spoolBytes, sp.Bytes())
		batches, held := pending()
		o.ObserveInt64(pendingBatches, batches-held, metric.WithAttributes(attribute.String("state", "deliverable")))
		o.ObserveInt64(pendingBatches, held, metric.WithAttributes(attribute.String("state", "held")))
		return nil
	}, spoolBytes, pendingBatches)
	if err != nil {
		return nil, err
	}
	t.registration = reg
	return t, nil
}

func (t *telemetry) shutdown() error {
	if t == nil || t.registration == nil {
		return nil
	}
	return t.registration.Unregister()
}
