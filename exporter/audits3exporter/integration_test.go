package audits3exporter

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/auditship/auditship/internal/s3test"
)

// These tests write to a real S3 server (versitygw) through the exporter.

func startVersity(t *testing.T) (*s3test.Server, *Config) {
	t.Helper()
	srv := s3test.Start(t)
	srv.CreateBucket(t, "audit")
	cfg := testConfig(srv.Endpoint, "audit")
	cfg.Credentials = configoptional.Some(CredentialsConfig{
		AccessKeyID:     configopaque.String(srv.AccessKey),
		SecretAccessKey: configopaque.String(srv.SecretKey),
	})
	return srv, cfg
}

func TestVersityTwoTenantsTwoObjects(t *testing.T) {
	srv, cfg := startVersity(t)
	e := startExporter(t, cfg, zap.NewNop())

	require.NoError(t, e.pushLogs(context.Background(), twoTenants()))

	assert.Equal(t, []string{keyOrgA, keyOrgB}, srv.ListKeys(t, "audit", "auditlog/default/"))
	for key, want := range map[string][]string{keyOrgA: {"a1", "a2"}, keyOrgB: {"b1"}} {
		entries := parseEntries(t, srv.GetObject(t, "audit", key))
		assert.Equal(t, want, eventIDsOf(t, entries), key)
		for _, entry := range entries {
			// A GoodData entry: its fixed fields, the tenant, the time in RFC 3339 milliseconds.
			assert.Equal(t, "USER_LOGIN", entry["eventName"])
			assert.Equal(t, "audit", entry["type"])
			assert.Contains(t, key, "/"+entry["orgId"].(string)+"/")
			assert.Equal(t, "2026-11-22T02:29:59.123Z", entry["ts"])
			assert.Equal(t, "user-"+entry["eventId"].(string), entry["userId"])
		}
	}
	// The posix backend stores objects as files under the bucket's directory.
	onDisk, err := os.ReadFile(filepath.Join(srv.DataDir, "audit", filepath.FromSlash(keyOrgB)))
	require.NoError(t, err)
	assert.Equal(t, srv.GetObject(t, "audit", keyOrgB), onDisk)
}

func TestVersityGzipObjectDecompresses(t *testing.T) {
	srv, cfg := startVersity(t)
	cfg.Compression = CompressionGzip
	e := startExporter(t, cfg, zap.NewNop())
	ld := twoTenants()

	require.NoError(t, e.pushLogs(context.Background(), ld))

	assert.Equal(t, []string{keyOrgA + ".gz", keyOrgB + ".gz"}, srv.ListKeys(t, "audit", ""))
	zr, err := gzip.NewReader(bytes.NewReader(srv.GetObject(t, "audit", keyOrgA+".gz")))
	require.NoError(t, err)
	plain, err := io.ReadAll(zr)
	require.NoError(t, err)
	assert.Equal(t, []string{"a1", "a2"}, eventIDsOf(t, parseEntries(t, plain)))

	out, err := srv.Client().HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("audit"), Key: aws.String(keyOrgA + ".gz")})
	require.NoError(t, err)
	assert.Equal(t, "application/gzip", aws.ToString(out.ContentType))
	assert.Empty(t, aws.ToString(out.ContentEncoding), "stored as gzip, not decoded by clients on download")
}

func TestVersitySamePushTwiceLeavesOneObject(t *testing.T) {
	for _, c := range []Compression{CompressionNone, CompressionGzip} {
		t.Run(string(c), func(t *testing.T) {
			srv, cfg := startVersity(t)
			cfg.Compression = c
			e := startExporter(t, cfg, zap.NewNop())
			ld := twoTenants()

			require.NoError(t, e.pushLogs(context.Background(), ld))
			require.NoError(t, e.pushLogs(context.Background(), ld), "a retry of a write that succeeded")

			assert.Len(t, srv.ListKeys(t, "audit", ""), 2, "one object per tenant, no copy")
		})
	}
}

func TestVersityDifferentContentSameSecondTwoObjects(t *testing.T) {
	srv, cfg := startVersity(t)
	e := startExporter(t, cfg, zap.NewNop())
	first := newTestLogs(testEvent{org: "org-a", id: "a1"})
	second := newTestLogs(testEvent{org: "org-a", id: "a2", observed: t0.Add(300 * time.Millisecond)})

	require.NoError(t, e.pushLogs(context.Background(), first))
	require.NoError(t, e.pushLogs(context.Background(), second))

	next := "auditlog/default/org-a/20261122023001.json"
	assert.Equal(t, []string{keyOrgA, next}, srv.ListKeys(t, "audit", ""))
	assert.Equal(t, []string{"a1"}, eventIDsOf(t, parseEntries(t, srv.GetObject(t, "audit", keyOrgA))))
	assert.Equal(t, []string{"a2"}, eventIDsOf(t, parseEntries(t, srv.GetObject(t, "audit", next))))
}

// TestVersityLeastPrivilege writes as a user that has only the four actions GoodData's bucket
// policy grants, through the dedupe path that needs s3:ListBucket.
func TestVersityLeastPrivilege(t *testing.T) {
	srv, cfg := startVersity(t)
	srv.CreateUser(t, "WRITER", "WRITERSECRET")
	srv.PutBucketPolicy(t, "audit", s3test.WriterPolicy("audit", "WRITER"))
	cfg.Credentials = configoptional.Some(CredentialsConfig{AccessKeyID: "WRITER", SecretAccessKey: "WRITERSECRET"})
	e := startExporter(t, cfg, zap.NewNop())
	ld := twoTenants()

	require.NoError(t, e.pushLogs(context.Background(), ld))
	require.NoError(t, e.pushLogs(context.Background(), ld), "412, then ListObjectsV2 to compare the ETag")
	require.NoError(t, e.pushLogs(context.Background(), newTestLogs(testEvent{org: "org-a", id: "a3"})))

	assert.Equal(t, []string{keyOrgA, "auditlog/default/org-a/20261122023001.json", keyOrgB}, srv.ListKeys(t, "audit", ""))
}

// TestVersityOutageThenDelivery runs the exporter as the collector would (queue, batcher,
// retry) while the server is down, and checks the events arrive, once, when it is back.
func TestVersityOutageThenDelivery(t *testing.T) {
	srv, cfg := startVersity(t)
	cfg.FlushInterval = 50 * time.Millisecond
	cfg.RetryConfig.InitialInterval = 50 * time.Millisecond
	cfg.RetryConfig.MaxInterval = 200 * time.Millisecond
	cfg.TimeoutConfig.Timeout = 2 * time.Second
	core, logs := observer.New(zap.InfoLevel)
	exp := startFactoryExporter(t, cfg, zap.New(core))
	defer func() { require.NoError(t, exp.Shutdown(context.Background())) }()

	srv.Stop()
	require.NoError(t, exp.ConsumeLogs(context.Background(), twoTenants()), "accepted into the queue")
	time.Sleep(500 * time.Millisecond) // several failed attempts
	require.NotZero(t, logs.FilterMessageSnippet("Will retry").Len(), "exporterhelper retried while the server was down")
	srv.Restart()

	require.Eventually(t, func() bool { return len(srv.ListKeys(t, "audit", "")) == 2 }, 10*time.Second, 50*time.Millisecond)
	time.Sleep(300 * time.Millisecond)
	assert.Equal(t, []string{keyOrgA, keyOrgB}, srv.ListKeys(t, "audit", ""), "and nothing more")
	var ids []string
	for _, key := range []string{keyOrgA, keyOrgB} {
		ids = append(ids, eventIDsOf(t, parseEntries(t, srv.GetObject(t, "audit", key)))...)
	}
	assert.ElementsMatch(t, []string{"a1", "a2", "b1"}, ids)
}

// TestVersityLargeObject writes a body above the SDK's 2 MB threshold for Expect: 100-continue.
func TestVersityLargeObject(t *testing.T) {
	srv, cfg := startVersity(t)
	e := startExporter(t, cfg, zap.NewNop())
	ld := newTestLogs()
	lrs := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	detail := strings.Repeat("x", 1024)
	for i := range 3000 {
		lr := appendEvent(lrs, testEvent{org: "org-a", id: strconv.Itoa(i)})
		lr.Body().SetEmptyMap().PutStr("detail", detail)
	}

	start := time.Now()
	require.NoError(t, e.pushLogs(context.Background(), ld))

	body := srv.GetObject(t, "audit", keyOrgA)
	assert.Greater(t, len(body), 3<<20)
	assert.Len(t, parseEntries(t, body), 3000)
	assert.Less(t, time.Since(start), 5*time.Second)
	t.Logf("%d bytes in %s", len(body), time.Since(start))
}
