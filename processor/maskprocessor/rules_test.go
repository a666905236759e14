package maskprocessor

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/auditship/auditship/internal/auditevent"
	"github.com/auditship/auditship/internal/metrictest"
	"github.com/auditship/auditship/processor/maskprocessor/internal/metadata"
)

func TestRuleNamesAreKnownAndDistinct(t *testing.T) {
	seen := map[string]bool{}
	for r := range numRules {
		name := r.String()
		require.NotEmpty(t, name, "rule %d has a name", r)
		assert.False(t, seen[name], "%s is named once", name)
		seen[name] = true
		got, ok := ruleByName(name)
		assert.True(t, ok)
		assert.Equal(t, r, got)
	}
	_, ok := ruleByName("nope")
	assert.False(t, ok)
}

func TestMaskRulesMergeWithAnEarlierPass(t *testing.T) {
	p := newTestProcessor(t, &Config{Replacement: DefaultReplacement})
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	require.NoError(t, lr.Attributes().FromRaw(map[string]any{
		auditevent.AttrMaskRules: []any{"url_password", "jwt"},
		"password":               "p",
		"note":                   "see " + jwt,
	}))
	_, err := p.processLogs(context.Background(), ld)
	require.NoError(t, err)
	got, _ := lr.Attributes().Get(auditevent.AttrMaskRules)
	assert.Equal(t, []any{"jwt", "key", "url_password"}, got.Slice().AsRaw())
}

func TestMetricsCountPerRule(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := processortest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	p, err := NewFactory().CreateLogs(context.Background(), set, createDefaultConfig(), consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, p.Shutdown(context.Background())) })

	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for range 2 {
		a := lrs.AppendEmpty().Attributes()
		a.PutStr("token", "t")
		a.PutStr("dsn", "postgres://u:pw@db/app and mysql://u:pw@db/app")
		a.PutStr("note", "Authorization: Bearer abc123def456")
	}
	require.NoError(t, p.ConsumeLogs(context.Background(), ld))

	got, err := tel.GetMetric(metadata.MetricMaskedValues)
	require.NoError(t, err)
	perRule := map[string]int64{}
	for _, dp := range got.Data.(metricdata.Sum[int64]).DataPoints {
		rule, ok := dp.Attributes.Value(metadata.AttributeRule)
		require.True(t, ok)
		perRule[rule.AsString()] += dp.Value
	}
	assert.Equal(t, map[string]int64{"key": 2, "connection_string": 4, "bearer": 2}, perRule)
	assert.Equal(t, int64(2), metrictest.CounterTotal(t, tel, metadata.MetricMaskedRecords))
}
