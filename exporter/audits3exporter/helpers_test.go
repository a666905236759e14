package audits3exporter

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/goleak"

	"github.com/auditship/auditship/exporter/audits3exporter/internal/destination"
	"github.com/auditship/auditship/exporter/audits3exporter/internal/metadata"
	"github.com/auditship/auditship/internal/auditevent"
	"github.com/auditship/auditship/internal/compression"
	"github.com/auditship/auditship/internal/s3test"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testConfig is a config writing to srv as root, with a fast schedule.
func testConfig(t *testing.T, srv *s3test.Server, bucket string) *Config {
	t.Helper()
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.DestinationConfig = DestinationConfig(destOf(srv, bucket, srv.AccessKey, srv.SecretKey))
	cfg.FlushInterval = 300 * time.Millisecond
	cfg.Spool.Directory = t.TempDir()
	cfg.Spool.RetryInterval = time.Second
	cfg.RetryConfig.InitialInterval = 100 * time.Millisecond
	cfg.RetryConfig.MaxInterval = time.Second
	return cfg
}

func destOf(srv *s3test.Server, bucket, accessKey, secretKey string) destination.Config {
	d := destination.NewDefaultConfig()
	d.Bucket = bucket
	d.Endpoint = srv.Endpoint
	d.PathStyle = true
	d.Credentials = configoptional.Some(destination.CredentialsConfig{
		AccessKeyID: configopaque.String(accessKey), SecretAccessKey: configopaque.String(secretKey),
	})
	return d
}

// startExporter creates and starts the exporter; it is shut down when the test ends.
func startExporter(t *testing.T, cfg *Config) exporter.Logs {
	t.Helper()
	return startExporterWith(t, cfg, exportertest.NewNopSettings(metadata.Type))
}

// startExporterWith is startExporter with the given settings (for its telemetry).
func startExporterWith(t *testing.T, cfg *Config, set exporter.Settings) exporter.Logs {
	t.Helper()
	require.NoError(t, cfg.Validate())
	exp, err := NewFactory().CreateLogs(context.Background(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, exp.Shutdown(ctx))
	})
	return exp
}

// auditLogs makes one record per id for org, GoodData-shaped.
func auditLogs(org string, ids ...string) plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for _, id := range ids {
		lr := lrs.AppendEmpty()
		lr.SetEventName("USER_LOGIN")
		lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Date(2026, 11, 22, 2, 30, 0, 0, time.UTC)))
		lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(time.Now()))
		lr.Attributes().PutStr(auditevent.AttrOrgID, org)
		lr.Attributes().PutStr(auditevent.AttrEventID, id)
		lr.Attributes().PutStr(auditevent.AttrUserID, "user-"+id)
		lr.Attributes().PutInt(auditevent.AttrOCSFCategoryUID, 3)
		lr.Attributes().PutInt(auditevent.AttrOCSFClassUID, 3002)
	}
	return ld
}

func ids(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

// eventIDsIn reads every object under prefix and counts the event ids of its GoodData lines;
// it also returns the keys.
func eventIDsIn(t *testing.T, srv *s3test.Server, bucket, prefix string) (map[string]int, []string) {
	t.Helper()
	counts := map[string]int{}
	keys := srv.ListKeys(t, bucket, prefix)
	for _, k := range keys {
		body := srv.GetObject(t, bucket, k)
		if strings.HasSuffix(k, ".gz") || strings.HasSuffix(k, ".zst") {
			typ := compression.Gzip
			if strings.HasSuffix(k, ".zst") {
				typ = compression.Zstd
			}
			c, err := compression.New(typ)
			require.NoError(t, err)
			body, err = c.Decompress(nil, body)
			require.NoError(t, err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
			if strings.HasPrefix(k, "auditlog/ocsf/") {
				// An OCSF event carries its id as metadata.uid.
				var ev struct {
					Metadata struct {
						UID string `json:"uid"`
					} `json:"metadata"`
				}
				require.NoError(t, json.Unmarshal([]byte(line), &ev), "object %s", k)
				counts[ev.Metadata.UID]++
				continue
			}
			if i := strings.Index(line, `"eventId":"`); i >= 0 {
				rest := line[i+len(`"eventId":"`):]
				counts[rest[:strings.IndexByte(rest, '"')]]++
			}
		}
	}
	return counts, keys
}

// waitForIDs waits until every id is in bucket under prefix, and returns the counts and keys.
func waitForIDs(t *testing.T, srv *s3test.Server, bucket, prefix string, want []string, within time.Duration) (map[string]int, []string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		counts, keys := eventIDsIn(t, srv, bucket, prefix)
		missing := 0
		for _, id := range want {
			if counts[id] == 0 {
				missing++
			}
		}
		if missing == 0 {
			return counts, keys
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d events not in s3://%s/%s after %s", missing, len(want), bucket, prefix, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func requireExactlyOnce(t *testing.T, counts map[string]int, want []string) {
	t.Helper()
	for _, id := range want {
		require.Equal(t, 1, counts[id], "event %s", id)
	}
	require.Len(t, counts, len(want), "unexpected events")
}

func exportertestSettings() exporter.Settings { return exportertest.NewNopSettings(metadata.Type) }

func nopHost() component.Host { return componenttest.NewNopHost() }
