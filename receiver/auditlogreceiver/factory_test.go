package auditlogreceiver

import (
	"context"
	"net"
	"net/http"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/auditship/auditship/receiver/auditlogreceiver/internal/metadata"
)

func TestFactory(t *testing.T) {
	factory := NewFactory()
	assert.Equal(t, component.MustNewType("auditlog"), factory.Type())
	assert.Equal(t, component.StabilityLevelAlpha, factory.LogsStability())
	cfg := factory.CreateDefaultConfig()
	require.NoError(t, componenttest.CheckConfigStruct(cfg))
	assert.NoError(t, cfg.(*Config).Validate())

	_, err := factory.CreateTraces(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
	assert.Error(t, err, "logs only")
}

func TestLifecycle(t *testing.T) {
	factory := NewFactory()
	cfg := factory.CreateDefaultConfig().(*Config)
	cfg.NetAddr.Endpoint = "127.0.0.1:0"
	sink := new(consumertest.LogsSink)
	rcv, err := factory.CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, sink)
	require.NoError(t, err)

	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	url := "http://" + rcv.(*auditLogReceiver).addr.String() + cfg.Path
	transport := &http.Transport{}
	a := post(t, &http.Client{Transport: transport}, url, "application/x-ndjson", goodDataLogin+"\n"+airkitLogin)
	transport.CloseIdleConnections()
	assert.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, 2, sink.LogRecordCount())

	require.NoError(t, rcv.Shutdown(context.Background()))
	_, err = http.Post(url, "application/json", nil)
	assert.Error(t, err, "no longer listening")
}

func TestShutdownWithoutStart(t *testing.T) {
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), createDefaultConfig(), consumertest.NewNop())
	require.NoError(t, err)
	assert.NoError(t, rcv.Shutdown(context.Background()))
}

func TestStartFailsWhenThePortIsTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()

	cfg := createDefaultConfig().(*Config)
	cfg.NetAddr.Endpoint = taken.Addr().String()
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
	require.NoError(t, err)
	err = rcv.Start(context.Background(), componenttest.NewNopHost())
	require.Error(t, err)
	assert.Contains(t, err.Error(), taken.Addr().String())
	assert.NoError(t, rcv.Shutdown(context.Background()))
}

// The receiver's standard telemetry counts accepted events, and refused ones for both bad input
// and a failing pipeline.
func TestTelemetry(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := receivertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()

	url, client := startReceiverWith(t, set, new(consumertest.LogsSink), nil)
	require.Equal(t, http.StatusOK, post(t, client, url, "application/x-ndjson", goodDataLogin+"\n"+airkitLogin).status)
	require.Equal(t, http.StatusBadRequest, post(t, client, url, "application/x-ndjson", goodDataLogin+"\n{}").status)

	assert.Equal(t, int64(2), sumOf(t, tel, "otelcol_receiver_accepted_log_records"))
	refused := sumOf(t, tel, "otelcol_receiver_refused_log_records") + sumOf(t, tel, "otelcol_receiver_failed_log_records")
	assert.Equal(t, int64(2), refused, "both events of the refused request")
}

func sumOf(t *testing.T, tel *componenttest.Telemetry, name string) int64 {
	t.Helper()
	m, err := tel.GetMetric(name)
	if err != nil {
		return 0
	}
	// Read the sum's data points by reflection rather than import the SDK's metricdata, which
	// this module does not depend on directly.
	points := reflect.ValueOf(m.Data).FieldByName("DataPoints")
	require.True(t, points.IsValid(), "%s is a sum", name)
	var total int64
	for i := range points.Len() {
		total += points.Index(i).FieldByName("Value").Int()
	}
	return total
}
