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

	"github.com/auditship/auditship/internal/auditevent"
	"github.com/auditship/auditship/processor/maskprocessor/internal/metadata"
)

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, metadata.Type, f.Type())
	assert.Equal(t, metadata.LogsStability, f.LogsStability())
	require.NoError(t, componenttest.CheckConfigStruct(f.CreateDefaultConfig()))
}

func TestLifecycle(t *testing.T) {
	f := NewFactory()
	cfg := f.CreateDefaultConfig()
	sink := new(consumertest.LogsSink)
	p, err := f.CreateLogs(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, sink)
	require.NoError(t, err)
	assert.True(t, p.Capabilities().MutatesData)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))

	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.Attributes().PutStr("client_secret", "s")
	require.NoError(t, p.ConsumeLogs(context.Background(), ld))
	require.Len(t, sink.AllLogs(), 1)
	got := sink.AllLogs()[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes()
	v, _ := got.Get("client_secret")
	assert.Equal(t, DefaultReplacement, v.Str())
	n, _ := got.Get(auditevent.AttrMaskCount)
	assert.Equal(t, int64(1), n.Int())

	require.NoError(t, p.Shutdown(context.Background()))
	processortest.VerifyShutdown(t, f, cfg)
}

func TestCreateRefusesInvalidConfig(t *testing.T) {
	_, err := NewFactory().CreateLogs(context.Background(), processortest.NewNopSettings(metadata.Type), &Config{}, consumertest.NewNop())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "replacement: must not be empty")
}
