package metadata

import (
	"errors"

	"go.opentelemetry.io/otel/metric"

	"go.opentelemetry.io/collector/component"
)

// Metric names, following the collector's otelcol_processor_<type>_<what> convention.
const (
	MetricClassifiedEvents = "otelcol_processor_ocsf_classified_events"
	MetricUnknownEvents    = "otelcol_processor_ocsf_unknown_events"
	MetricMismatchedEvents = "otelcol_processor_ocsf_mismatched_events"
)

// Meter returns the processor's meter.
func Meter(settings component.TelemetrySettings) metric.Meter {
	return settings.MeterProvider.Meter(ScopeName)
}

// TelemetryBuilder holds the processor's instruments.
type TelemetryBuilder struct {
	// ClassifiedEvents counts records classified from the built-in tables or an `events` entry.
	ClassifiedEvents metric.Int64Counter
	// UnknownEvents counts records whose event name is in no table; they pass on as Base Event.
	UnknownEvents metric.Int64Counter
	// MismatchedEvents counts records whose source gave a category/class other than the table's;
	// the source's values are kept.
	MismatchedEvents metric.Int64Counter
}

// NewTelemetryBuilder creates the processor's instruments.
func NewTelemetryBuilder(settings component.TelemetrySettings) (*TelemetryBuilder, error) {
	meter := Meter(settings)
	var b TelemetryBuilder
	var err, errs error
	b.ClassifiedEvents, err = meter.Int64Counter(MetricClassifiedEvents,
		metric.WithDescription("Number of log records classified from the built-in OCSF tables or the events configuration."),
		metric.WithUnit("{record}"))
	errs = errors.Join(errs, err)
	b.UnknownEvents, err = meter.Int64Counter(MetricUnknownEvents,
		metric.WithDescription("Number of log records whose event name is in no OCSF table; passed on as Base Event, activity Other."),
		metric.WithUnit("{record}"))
	errs = errors.Join(errs, err)
	b.MismatchedEvents, err = meter.Int64Counter(MetricMismatchedEvents,
		metric.WithDescription("Number of log records whose source category/class differs from the table's; the source's values were kept."),
		metric.WithUnit("{record}"))
	errs = errors.Join(errs, err)
	return &b, errs
}
