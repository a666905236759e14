package audits3exporter

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/auditship/auditship/exporter/audits3exporter/internal/metadata"
	"github.com/auditship/auditship/internal/compression"
	"github.com/auditship/auditship/internal/schema"
)

func loadConfig(t *testing.T, name string) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	if err := sub.Unmarshal(cfg); err != nil {
		return cfg, err
	}
	return cfg, confmap.Validate(cfg)
}

func TestConfigValid(t *testing.T) {
	tests := []struct {
		name  string
		check func(t *testing.T, cfg *Config)
	}{
		{"minimal", func(t *testing.T, cfg *Config) {
			eff := cfg.withSchemaDefaults()
			assert.Equal(t, "audit-logs", cfg.Bucket)
			assert.Equal(t, schema.GoodData, cfg.Schema)
			assert.Equal(t, "auditlog/default/{org_id}/{upload_ts14}", eff.Key, "GoodData's layout")
			assert.Equal(t, 10*time.Minute, eff.FlushInterval, "GoodData batches every 10 minutes")
			assert.Equal(t, 7*24*time.Hour, cfg.RetryConfig.MaxElapsedTime)
			assert.False(t, cfg.QueueConfig.HasValue(), "no queue in front of the durable spool by default")
			assert.Equal(t, "us-east-1", cfg.Region)
		}},
		{"gooddata_full", func(t *testing.T, cfg *Config) {
			assert.Equal(t, compression.Gzip, cfg.Compression)
			assert.Equal(t, schema.JSON, cfg.Format)
			assert.Equal(t, 2*time.Minute, cfg.FlushInterval)
			assert.Equal(t, VerifyFailureWarn, cfg.OnVerifyFailure)
			assert.Equal(t, "alias/audit", cfg.KMSKeyID)
			assert.Equal(t, int64(104857600), cfg.Spool.MaxBytes)
		}},
		{"no_quick_retries", func(t *testing.T, cfg *Config) {
			assert.False(t, cfg.RetryConfig.Enabled, "without quick retries their intervals are not used, zero or not")
		}},
		{"airkit_routes_only", func(t *testing.T, cfg *Config) {
			eff := cfg.withSchemaDefaults()
			assert.Equal(t, 5*time.Minute, eff.FlushInterval, "Airkit delivers every five minutes")
			assert.Equal(t, "airkit/{org_id}/{upload_date}/{upload_ts14}-{unique}", eff.Key)
			require.Contains(t, cfg.Routes, "acme")
			assert.Equal(t, "acme-audit", cfg.Routes["acme"].Bucket)
			assert.Equal(t, "auto", cfg.Routes["acme"].Region)
			assert.Empty(t, cfg.Bucket, "tenants without a route are held")
		}},
		{"ocsf", func(t *testing.T, cfg *Config) {
			eff := cfg.withSchemaDefaults()
			assert.Equal(t, schema.OCSF, cfg.Schema)
			assert.Equal(t, "auditlog/ocsf/{org_id}/{upload_date}/{upload_ts14}-{unique}", eff.Key)
			assert.Equal(t, 5*time.Minute, eff.FlushInterval)
		}},
		{"routes_file", func(t *testing.T, cfg *Config) {
			assert.Equal(t, 30*time.Second, cfg.RoutesReloadInterval)
		}},
		{"persistent_queue", func(t *testing.T, cfg *Config) {
			require.True(t, cfg.QueueConfig.HasValue())
			assert.Equal(t, "file_storage", cfg.QueueConfig.Get().StorageID.String())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := loadConfig(t, tt.name)
			require.NoError(t, err)
			tt.check(t, cfg)
		})
	}
}

func TestConfigInvalid(t *testing.T) {
	tests := []struct {
		name string
		want []string
	}{
		{"no_destination", []string{"bucket: must be set, or routes / routes_file"}},
		{"no_spool", []string{"spool::directory: must be set"}},
		{"bad_bucket_and_key", []string{`bucket: "Audit_Logs" is not a valid S3 bucket name`, "key: unknown placeholder {orgid}"}},
		{"csv_for_gooddata", []string{`format: "csv" is not available for schema "gooddata"`}},
		{"json_for_ocsf", []string{`format: "json" is not available for schema "ocsf": OCSF events are written one per line, use "ndjson"`}},
		{"bad_route", []string{`routes: "../x" is not an org id`}},
		{"queue_batch", []string{"sending_queue::batch: is not used"}},
		{"bad_limits", []string{"max_events: must be positive", "max_file_bytes: must be positive", "upload_concurrency: must be positive", "spool::retry_interval: must be at least"}},
		{"bad_intervals", []string{"flush_interval: must be at least 100ms, got 300ns (a bare number is nanoseconds: write 5m)",
			"timeout: must be positive, got 0s", "retry_on_failure::initial_interval: must be positive, got 0s"}},
		{"bad_max_interval", []string{"retry_on_failure::max_interval: (1s) must be at least initial_interval (10s)"}},
		{"bad_compression", []string{`compression "brotli": must be "none", "gzip", "zstd" or empty`}},
		{"bad_sse", []string{`routes[acme].sse`, `sse "aws:kms-typo": must be "AES256", "aws:kms" or empty`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig(t, tt.name)
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestConfigRouteErrorsNameTheRoute(t *testing.T) {
	_, err := loadConfig(t, "bad_route")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "routes::acme")
	assert.Contains(t, err.Error(), "routes::acme: bucket:")
}
