package audits3exporter

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/auditship/auditship/exporter/audits3exporter/internal/metadata"
	"github.com/auditship/auditship/internal/metrictest"
	"github.com/auditship/auditship/internal/s3test"
)

// TestExporterMetrics delivers one batch whose first names are taken by other objects, after a
// redelivery of every event, and reads the counters.
func TestExporterMetrics(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "audit")
	// Another writer holds the names of the next ten seconds.
	const taken = 10
	first := time.Now().UTC().Truncate(time.Second)
	nameAt := func(i int) string {
		return "logs/acme/" + first.Add(time.Duration(i)*time.Second).Format("20060102150405") + ".json"
	}
	for i := range taken {
		_, err := srv.Client().PutObject(context.Background(), &s3.PutObjectInput{
			Bucket: aws.String("audit"), Key: aws.String(nameAt(i)), Body: bytes.NewReader([]byte("another writer's object\n")),
		})
		require.NoError(t, err)
	}

	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := exportertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	cfg := testConfig(t, srv, "audit")
	cfg.Key = "logs/{org_id}/{upload_ts14}"
	exp := startExporterWith(t, cfg, set)

	want := ids("m", 20)
	require.NoError(t, exp.ConsumeLogs(context.Background(), auditLogs("acme", want...)))
	require.NoError(t, exp.ConsumeLogs(context.Background(), auditLogs("acme", want...)), "a redelivery is accepted")
	counts, keys := waitForIDs(t, srv, "audit", "logs/acme/", want, 30*time.Second)
	requireExactlyOnce(t, counts, want)
	assert.Contains(t, keys, nameAt(taken), "the first free name")

	assert.Equal(t, int64(len(want)), metrictest.CounterTotal(t, tel, "otelcol_exporter_audits3_events_spooled"))
	assert.Equal(t, int64(len(want)), metrictest.CounterTotal(t, tel, "otelcol_exporter_audits3_events_duplicate"))
	assert.Equal(t, int64(len(want)), metrictest.CounterTotal(t, tel, "otelcol_exporter_audits3_events_delivered"))
	assert.Equal(t, int64(1), metrictest.CounterTotal(t, tel, "otelcol_exporter_audits3_objects_written"))
	// The batch was closed within the taken seconds, and went under the first free one: every
	// name between was passed over.
	names := metrictest.CounterTotal(t, tel, "otelcol_exporter_audits3_names_taken")
	assert.True(t, names >= 1 && names <= taken, "names_taken %d", names)
}
