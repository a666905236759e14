package metadata

import (
	"errors"

	"go.opentelemetry.io/otel/metric"

	"go.opentelemetry.io/collector/component"
)

// Metric names, following the collector's otelcol_processor_<type>_<what> convention.
const (
	MetricMaskedValues  = "otelcol_processor_mask_masked_values"
	MetricMaskedRecords = "otelcol_processor_mask_masked_records"
)

// AttributeRule names the rule that found a masked value; its values are the processor's rule
// names, a closed set.
const AttributeRule = "rule"

// Meter returns the processor's meter.
func Meter(settings component.TelemetrySettings) metric.Meter {
	return settings.MeterProvider.Meter(ScopeName)
}

// TelemetryBuilder holds the processor's instruments.
type TelemetryBuilder struct {
	// MaskedValues counts the values replaced, by rule.
	MaskedValues metric.Int64Counter
	// MaskedRecords counts the records in which at least one value was replaced.
	MaskedRecords metric.Int64Counter
}

// NewTelemetryBuilder creates the processor's instruments.
func NewTelemetryBuilder(settings component.TelemetrySettings) (*TelemetryBuilder, error) {
	meter := Meter(settings)
	var b TelemetryBuilder
	var err, errs error
	b.MaskedValues, err = meter.Int64Counter(MetricMaskedValues,
		metric.WithDescription("Number of secrets the mask processor replaced, by the rule that found them."),
		metric.WithUnit("{value}"))
	errs = errors.Join(errs, err)
	b.MaskedRecords, err = meter.Int64Counter(MetricMaskedRecords,
		metric.WithDescription("Number of log records in which the mask processor replaced at least one value."),
		metric.WithUnit("{record}"))
	errs = errors.Join(errs, err)
	return &b, errs
}
