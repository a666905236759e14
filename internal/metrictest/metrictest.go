// Package metrictest reads the components' own metrics in tests, from the in-memory telemetry of
// componenttest. It knows nothing of the components.
package metrictest

import (
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// CounterTotal sums every point of the int64 counter name; a counter never added to is not
// exported, and counts 0.
func CounterTotal(t testing.TB, tel *componenttest.Telemetry, name string) int64 {
	t.Helper()
	m, err := tel.GetMetric(name)
	if err != nil {
		return 0
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	if !ok {
		t.Fatalf("%s is a %T, not an int64 sum", name, m.Data)
	}
	var total int64
	for _, p := range sum.DataPoints {
		total += p.Value
	}
	return total
}
