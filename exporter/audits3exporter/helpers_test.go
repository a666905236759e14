package audits3exporter

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/auditship/auditship/internal/auditevent"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// t0 is the observed time of the test events; its object name is 20261122023000.
var t0 = time.Date(2026, 11, 22, 2, 30, 0, 123_000_000, time.UTC)

type testEvent struct {
	org      string
	id       string
	name     string
	observed time.Time
}

// newTestLogs puts the events in one resource and scope, in order.
func newTestLogs(events ...testEvent) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "auditship-test")
	sl := rl.ScopeLogs().AppendEmpty()
	for _, ev := range events {
		appendEvent(sl.LogRecords(), ev)
	}
	return ld
}

func appendEvent(lrs plog.LogRecordSlice, ev testEvent) plog.LogRecord {
	lr := lrs.AppendEmpty()
	name := ev.name
	if name == "" {
		name = "USER_LOGIN"
	}
	lr.SetEventName(name)
	observed := ev.observed
	if observed.IsZero() {
		observed = t0
	}
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(observed))
	lr.SetTimestamp(pcommon.NewTimestampFromTime(observed.Add(-time.Second)))
	if ev.org != "" {
		lr.Attributes().PutStr(auditevent.AttrOrgID, ev.org)
	}
	lr.Attributes().PutStr(auditevent.AttrEventID, ev.id)
	lr.Attributes().PutStr(auditevent.AttrUserID, "user-"+ev.id)
	return lr
}

// testConfig points the exporter at endpoint with path-style addressing and static keys.
func testConfig(endpoint, bucket string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Bucket = bucket
	cfg.Endpoint = endpoint
	cfg.PathStyle = true
	cfg.Credentials = configoptional.Some(CredentialsConfig{
		AccessKeyID:     "AKIDTESTEXAMPLE",
		SecretAccessKey: "s3cr3t-never-printed",
	})
	return cfg
}

// startExporter starts the core exporter (no exporterhelper around it), so a test sees what
// one push returns.
func startExporter(t *testing.T, cfg *Config, logger *zap.Logger) *logsExporter {
	t.Helper()
	require.NoError(t, confmap.Validate(cfg))
	e := newLogsExporter(cfg, logger)
	require.NoError(t, e.start(context.Background(), nil))
	t.Cleanup(func() { require.NoError(t, e.shutdown(context.Background())) })
	return e
}

// parseEntries decodes an NDJSON body into its entries, failing on any line that is not one
// JSON object.
func parseEntries(t *testing.T, body []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var entry map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &entry), "line %q", sc.Text())
		out = append(out, entry)
	}
	require.NoError(t, sc.Err())
	require.True(t, len(body) == 0 || body[len(body)-1] == '\n', "body must end with a newline")
	return out
}

func eventIDsOf(t *testing.T, entries []map[string]any) []string {
	t.Helper()
	ids := make([]string, 0, len(entries))
	for _, e := range entries {
		id, ok := e["eventId"].(string)
		require.True(t, ok, "entry without eventId: %v", e)
		ids = append(ids, id)
	}
	return ids
}
