package metadata

import (
	"errors"

	"go.opentelemetry.io/otel/metric"

	"go.opentelemetry.io/collector/component"
)

// Metric names, following the collector's otelcol_processor_<type>_<what> convention.
const (
	MetricEvents           = "otelcol_processor_ocsf_events"
	MetricClassifiedEvents = "otelcol_processor_ocsf_classified_events"
	MetricUnknownEvents    = "otelcol_processor_ocsf_unknown_events"
	MetricMismatchedEvents = "otelcol_processor_ocsf_mismatched_events"
	MetricDroppedEvents    = "otelcol_processor_ocsf_dropped_events"
)

// Metric attributes.
const (
	// AttrClassUID is the class_uid written (a class the tables do not know counts as
	// AttrValueOther), on MetricEvents.
	AttrClassUID = "class_uid"
	// AttrEventName is the unknown event name (beyond a bounded number of names,
	// AttrValueOther), on MetricUnknownEvents.
	AttrEventName = "event_name"
	// AttrValueOther stands for the values the bounded attributes do not spell out.
	AttrValueOther = "other"
)

// Meter returns the processor's meter.
func Meter(settings component.TelemetrySettings) metric.Meter {
	return settings.MeterProvider.Meter(ScopeName)
}

// TelemetryBuilder holds the processor's instruments.
type TelemetryBuilder struct {
	// Events counts records passed on, by the class_uid written.
	Events metric.Int64Counter
	// ClassifiedEvents counts records classified from the built-in tables, an `events` entry or
	// a rule.
	ClassifiedEvents metric.Int64Counter
	// UnknownEvents counts records whose event name is in no table, passed on or dropped, by name.
	UnknownEvents metric.Int64Counter
	// MismatchedEvents counts records whose source gave a category/class other than the table's;
	// the source's values are kept.
	MismatchedEvents metric.Int64Counter
	// DroppedEvents counts unknown records dropped by `unknown: drop`.
	DroppedEvents metric.Int64Counter
}

// NewTelemetryBuilder creates the processor's instruments.
func NewTelemetryBuilder(settings component.TelemetrySettings) (*TelemetryBuilder, error) {
	meter := Meter(settings)
	var b TelemetryBuilder
	var err, errs error
	b.Events, err = meter.Int64Counter(MetricEvents,
		metric.WithDescription("Number of log records passed on, by the OCSF class_uid written."),
		metric.WithUnit("{record}"))
	errs = errors.Join(errs, err)
	b.ClassifiedEvents, err = meter.Int64Counter(MetricClassifiedEvents,
		metric.WithDescription("Number of log records classified from the built-in OCSF tables, the events configuration or a rule."),
		metric.WithUnit("{record}"))
	errs = errors.Join(errs, err)
	b.UnknownEvents, err = meter.Int64Counter(MetricUnknownEvents,
		metric.WithDescription("Number of log records whose event name is in no OCSF table, by event name; passed on as Base Event, activity Other, or dropped."),
		metric.WithUnit("{record}"))
	errs = errors.Join(errs, err)
	b.MismatchedEvents, err = meter.Int64Counter(MetricMismatchedEvents,
		metric.WithDescription("Number of log records whose source category/class differs from the table's; the source's values were kept."),
		metric.WithUnit("{record}"))
	errs = errors.Join(errs, err)
	b.DroppedEvents, err = meter.Int64Counter(MetricDroppedEvents,
		metric.WithDescription("Number of log records dropped because their event name is in no OCSF table (unknown: drop)."),
		metric.WithUnit("{record}"))
	errs = errors.Join(errs, err)
	return &b, errs
}
