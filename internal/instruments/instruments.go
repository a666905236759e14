// Package instruments creates the counters of a component's own telemetry under one name prefix
// and keeps their errors, so that a telemetry constructor reads as the list of its counters and
// reports every failure at once. It knows nothing of the components.
package instruments

import (
	"errors"

	"go.opentelemetry.io/otel/metric"
)

// Counters makes the Int64 counters of one meter, named prefix + name.
type Counters struct {
	meter  metric.Meter
	prefix string
	errs   []error
}

// NewCounters returns a maker of m's counters named prefix + name (for example
// "otelcol_receiver_auditlog_").
func NewCounters(m metric.Meter, prefix string) *Counters {
	return &Counters{meter: m, prefix: prefix}
}

// Int64 makes the counter prefix+name; an error is kept for Err.
func (c *Counters) Int64(name, unit, description string) metric.Int64Counter {
	counter, err := c.meter.Int64Counter(c.prefix+name, metric.WithUnit(unit), metric.WithDescription(description))
	c.errs = append(c.errs, err)
	return counter
}

// Err joins the errors of every counter made so far.
func (c *Counters) Err() error { return errors.Join(c.errs...) }
