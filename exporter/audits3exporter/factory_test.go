package audits3exporter

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.uber.org/zap"

	"github.com/auditship/auditship/exporter/audits3exporter/internal/metadata"
)

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, "audits3", f.Type().String())
	assert.Equal(t, metadata.LogsStability, f.LogsStability())
	require.NoError(t, componenttest.CheckConfigStruct(f.CreateDefaultConfig()))
	_, err := f.CreateTraces(context.Background(), exportertest.NewNopSettings(metadata.Type), f.CreateDefaultConfig())
	require.Error(t, err, "logs only")
}

func TestLifecycle(t *testing.T) {
	fake := newFakeS3(t)
	f := NewFactory()
	cfg := testConfig(fake.srv.URL, fake.bucket)

	exp, err := f.CreateLogs(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	// exporterhelper's batcher merges requests, so it declares MutatesData whatever we say.
	assert.True(t, exp.Capabilities().MutatesData)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, exp.Shutdown(context.Background()))
	assert.Empty(t, fake.recorded(), "start and shutdown write nothing")
}

// startFactoryExporter runs the exporter as the collector does: queue, batcher and retry around
// it.
func startFactoryExporter(t *testing.T, cfg *Config, logger *zap.Logger) exporter.Logs {
	t.Helper()
	set := exportertest.NewNopSettings(metadata.Type)
	set.Logger = logger
	exp, err := NewFactory().CreateLogs(context.Background(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	return exp
}

func TestBatcherFlushesOnInterval(t *testing.T) {
	fake := newFakeS3(t)
	cfg := testConfig(fake.srv.URL, fake.bucket)
	cfg.FlushInterval = 50 * time.Millisecond
	exp := startFactoryExporter(t, cfg, zap.NewNop())
	defer func() { require.NoError(t, exp.Shutdown(context.Background())) }()

	// Two requests, merged by the batcher into one object per tenant.
	require.NoError(t, exp.ConsumeLogs(context.Background(), newTestLogs(testEvent{org: "org-a", id: "a1"}, testEvent{org: "org-b", id: "b1"})))
	require.NoError(t, exp.ConsumeLogs(context.Background(), newTestLogs(testEvent{org: "org-a", id: "a2"})))

	require.Eventually(t, func() bool { return len(fake.keys()) == 2 }, 5*time.Second, 10*time.Millisecond)
	obj, _ := fake.object(keyOrgA)
	assert.Equal(t, []string{"a1", "a2"}, eventIDsOf(t, parseEntries(t, obj.body)))
}

func TestBatcherFlushesAtMaxEvents(t *testing.T) {
	fake := newFakeS3(t)
	cfg := testConfig(fake.srv.URL, fake.bucket)
	cfg.FlushInterval = time.Hour
	cfg.MaxEvents = 2
	exp := startFactoryExporter(t, cfg, zap.NewNop())
	defer func() { require.NoError(t, exp.Shutdown(context.Background())) }()

	require.NoError(t, exp.ConsumeLogs(context.Background(), newTestLogs(testEvent{org: "org-a", id: "a1"}, testEvent{org: "org-a", id: "a2"})))

	require.Eventually(t, func() bool { return len(fake.keys()) == 1 }, 5*time.Second, 10*time.Millisecond)
}

func TestShutdownFlushesTheBatch(t *testing.T) {
	fake := newFakeS3(t)
	cfg := testConfig(fake.srv.URL, fake.bucket)
	cfg.FlushInterval = time.Hour
	exp := startFactoryExporter(t, cfg, zap.NewNop())

	require.NoError(t, exp.ConsumeLogs(context.Background(), twoTenants()))
	assert.Empty(t, fake.keys(), "held by the batcher")
	require.NoError(t, exp.Shutdown(context.Background()))

	assert.Equal(t, []string{keyOrgA, keyOrgB}, fake.keys())
}

func TestDefaultCredentialChain(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", "ENVKEYEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	fake := newFakeS3(t)
	cfg := testConfig(fake.srv.URL, fake.bucket)
	cfg.Credentials = configoptional.None[CredentialsConfig]()
	e := startExporter(t, cfg, zap.NewNop())

	require.NoError(t, e.pushLogs(context.Background(), twoTenants()))

	reqs := fake.recorded()
	require.NotEmpty(t, reqs)
	assert.True(t, strings.Contains(reqs[0].header.Get("Authorization"), "Credential=ENVKEYEXAMPLE/"),
		"signed with the environment's key")
}
