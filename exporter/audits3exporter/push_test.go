package audits3exporter

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/auditship/auditship/exporter/audits3exporter/internal/destination"
	"github.com/auditship/auditship/exporter/audits3exporter/internal/metadata"
	"github.com/auditship/auditship/exporter/audits3exporter/internal/spool"
	"github.com/auditship/auditship/internal/metrictest"
)

// startUnreachable starts an exporter whose bucket cannot be reached, so that what is pushed
// stays in the spool to be looked at, with its telemetry in tel; configure, if given, changes
// the config first.
func startUnreachable(t *testing.T, configure ...func(*Config)) (*logsExporter, *componenttest.Telemetry) {
	t.Helper()
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	d := destination.NewDefaultConfig()
	d.Bucket = "unreachable"
	d.Endpoint = "http://127.0.0.1:1" // nothing listens
	d.PathStyle = true
	d.Credentials = configoptional.Some(destination.CredentialsConfig{AccessKeyID: configopaque.String("k"), SecretAccessKey: configopaque.String("s")})
	cfg.DestinationConfig = DestinationConfig(d)
	cfg.FlushInterval = time.Hour
	cfg.Spool.Directory = t.TempDir()
	cfg.TimeoutConfig.Timeout = 200 * time.Millisecond
	for _, c := range configure {
		c(cfg)
	}
	require.NoError(t, cfg.Validate())
	tel := componenttest.NewTelemetry()
	set := exportertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	exp, err := newLogsExporter(cfg.withSchemaDefaults(), set)
	require.NoError(t, err)
	require.NoError(t, exp.start(context.Background(), nopHost()))
	t.Cleanup(func() {
		require.NoError(t, exp.shutdown(context.Background()))
		require.NoError(t, tel.Shutdown(context.Background()))
	})
	return exp, tel
}

func openRecords(exp *logsExporter, part string) int {
	b, _ := exp.spool.OpenBatch(part)
	return b.Records
}

// TestTooLargeRecordLeavesTheRestOfItsPush: a record more than the spool can frame is refused
// for good, alone: the other records of its push are spooled, so that a queue dropping the
// failed push loses nothing else.
func TestTooLargeRecordLeavesTheRestOfItsPush(t *testing.T) {
	exp, tel := startUnreachable(t)
	ld := auditLogs("acme", "small-1", "huge", "small-2")
	huge := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(1)
	huge.Body().SetStr(strings.Repeat("x", spool.MaxRecordBytes))

	err := exp.pushLogs(context.Background(), ld)
	require.Error(t, err)
	assert.True(t, consumererror.IsPermanent(err), "no retry can store it")
	assert.Contains(t, err.Error(), "event ids huge;")
	assert.Contains(t, err.Error(), "the other events were taken")
	assert.Equal(t, 2, openRecords(exp, "acme"))
	assert.Equal(t, int64(2), metrictest.CounterTotal(t, tel, "otelcol_exporter_audits3_events_spooled"))
	assert.Equal(t, int64(1), metrictest.CounterTotal(t, tel, "otelcol_exporter_audits3_events_refused"))

	require.NoError(t, exp.pushLogs(context.Background(), auditLogs("acme", "small-1", "small-2")), "a resend of the rest")
	assert.Equal(t, 2, openRecords(exp, "acme"), "recognised by their ids")
}

// TestHeldEventsOfInvalidOrgs: events of different invalid org ids share the held partition
// but not their ids: two orgs' events with one event id are both kept, each once, and counted
// as held once.
func TestHeldEventsOfInvalidOrgs(t *testing.T) {
	exp, tel := startUnreachable(t)
	push := func(org string) {
		t.Helper()
		require.NoError(t, exp.pushLogs(context.Background(), auditLogs(org, "e-1", "e-2")))
	}
	push("acme corp")
	push("globex corp")
	push("acme corp") // a redelivery
	assert.Equal(t, 4, openRecords(exp, invalidOrgPartition))
	assert.Equal(t, int64(4), metrictest.CounterTotal(t, tel, "otelcol_exporter_audits3_events_held"), "the redelivery is not held again")
	assert.Equal(t, int64(2), metrictest.CounterTotal(t, tel, "otelcol_exporter_audits3_events_duplicate"))
}

// TestHeldEventIDs: a held event's id names its org by digest only, and ids stay apart by org.
func TestHeldEventIDs(t *testing.T) {
	for _, tc := range []struct {
		name             string
		orgA, orgB       string
		idA, idB         string
		wantSame, wantID bool
	}{
		{"same org, same id", "acme corp", "acme corp", "e-1", "e-1", true, true},
		{"other org, same id", "acme corp", "globex corp", "e-1", "e-1", false, true},
		{"same org, other id", "acme corp", "acme corp", "e-1", "e-2", false, true},
		{"no id stays without one", "acme corp", "globex corp", "", "", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := heldEventID(tc.orgA, tc.idA), heldEventID(tc.orgB, tc.idB)
			assert.Equal(t, tc.wantSame, a == b)
			assert.Equal(t, tc.wantID, a != "")
			assert.NotContains(t, a, tc.orgA)
		})
	}
}

// TestTooSoon: a tenant whose key has no {unique} closes at most one batch a second.
func TestTooSoon(t *testing.T) {
	exp, _ := startUnreachable(t) // GoodData's layout: a name a second
	t0 := time.Date(2026, 12, 3, 15, 0, 0, 300_000_000, time.UTC)
	for _, tc := range []struct {
		name    string
		last    time.Time
		hasLast bool
		now     time.Time
		want    bool
	}{
		{"first batch", time.Time{}, false, t0, false},
		{"same second", t0, true, t0.Add(600 * time.Millisecond), true},
		{"next second", t0, true, t0.Add(700 * time.Millisecond), false},
		{"clock went back a second", t0, true, t0.Add(-time.Second), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			delete(exp.lastSealed, "acme")
			if tc.hasLast {
				exp.lastSealed["acme"] = tc.last
			}
			assert.Equal(t, tc.want, exp.tooSoon("acme", tc.now))
		})
	}
	exp.routes.cfg.Key = "logs/{org_id}/{upload_ts14}-{unique}"
	exp.lastSealed["acme"] = t0
	assert.False(t, exp.tooSoon("acme", t0), "{unique} tells batches of one second apart")
}

// TestCountersExportedFromTheStart: before anything is pushed, the counters an alert compares
// are exported at 0, rather than missing until their first event.
func TestCountersExportedFromTheStart(t *testing.T) {
	_, tel := startUnreachable(t)
	for _, name := range []string{"events_spooled", "events_duplicate", "events_delivered", "events_held", "events_refused",
		"objects_written", "objects_unverified", "names_taken", "spool_refusals"} {
		_, err := tel.GetMetric("otelcol_exporter_audits3_" + name)
		assert.NoError(t, err, name)
	}
}
