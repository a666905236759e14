package audits3exporter

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/auditship/auditship/exporter/audits3exporter/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	withBucket := func(edit func(*Config)) *Config {
		cfg := createDefaultConfig().(*Config)
		cfg.Bucket = "audit-logs"
		if edit != nil {
			edit(cfg)
		}
		return cfg
	}
	full := withBucket(func(cfg *Config) {
		cfg.Bucket = "audit-logs.eu"
		cfg.Region = "eu-west-1"
		cfg.Endpoint = "http://127.0.0.1:7070"
		cfg.PathStyle = true
		cfg.Credentials = configoptional.Some(CredentialsConfig{
			AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "example-secret", SessionToken: "example-token",
		})
		cfg.Prefix = "tenants/audit"
		cfg.Compression = CompressionGzip
		cfg.FlushInterval = 5 * time.Minute
		cfg.MaxEvents = 5000
		cfg.TimeoutConfig.Timeout = time.Minute
		q := cfg.QueueConfig.Get()
		q.QueueSize = 50_000
		q.NumConsumers = 4
		cfg.RetryConfig.InitialInterval = 10 * time.Second
		cfg.RetryConfig.MaxElapsedTime = 24 * time.Hour
	})

	tests := []struct {
		name string
		want *Config
		// errs are fragments the error must contain; each names the key.
		errs []string
	}{
		{name: "minimal", want: withBucket(nil)},
		{name: "full", want: full},
		{name: "no_prefix", want: withBucket(func(c *Config) { c.Prefix = "" })},
		{name: "queue_in_requests", want: withBucket(func(c *Config) {
			c.QueueConfig.Get().Sizer = exporterhelper.RequestSizerTypeRequests
			c.QueueConfig.Get().QueueSize = 1000
		})},
		{name: "queue_disabled", want: withBucket(func(c *Config) { c.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]() })},
		{name: "no_bucket", errs: []string{"bucket: must be set"}},
		{name: "bad_bucket", errs: []string{`bucket: "Audit_Logs" is not a valid S3 bucket name: may contain only lower-case letters`}},
		{name: "ip_bucket", errs: []string{"bucket: \"192.168.1.10\" is not a valid S3 bucket name: must not look like an IP address"}},
		{name: "bad_region", errs: []string{`region: "EU West 1" is not a region name`}},
		{name: "bad_endpoint", errs: []string{"endpoint: must start with http:// or https://"}},
		{name: "endpoint_with_password", errs: []string{"endpoint: must not carry user information"}},
		{name: "bad_prefix", errs: []string{"prefix: must not begin or end with '/'"}},
		{name: "bad_compression", errs: []string{"compression", `unknown compression "zstd": use "none" or "gzip"`}},
		{name: "half_credentials", errs: []string{"credentials::secret_access_key: must be set when credentials is given"}},
		{name: "empty_credentials", errs: []string{
			"credentials::access_key_id: must be set",
			"credentials::secret_access_key: must be set",
		}},
		{name: "negative_durations", errs: []string{
			"flush_interval: must be positive, got -1s",
			"max_events: must be positive, got -5",
			"timeout value must be greater than or equal to 0",
			"retry_on_failure: initial_interval value must be greater than or equal to 0",
		}},
		{name: "batch_given", errs: []string{"sending_queue::batch: is set by this exporter: use flush_interval and max_events instead"}},
		{name: "batch_disabled", errs: []string{"sending_queue::batch: is set by this exporter"}},
		{name: "queue_smaller_than_batch", errs: []string{"max_events: (2000) must not exceed sending_queue::queue_size (1000) when sending_queue::sizer is items"}},
		{name: "many_problems", errs: []string{
			"bucket: must be set",
			"region: must be set",
			"prefix: must not begin or end with '/' or contain '//'",
			"flush_interval: must be positive, got 0s",
			"max_events: must be positive, got 0",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub, err := cm.Sub(component.NewIDWithName(metadata.Type, tt.name).String())
			require.NoError(t, err)
			cfg := createDefaultConfig()
			err = sub.Unmarshal(cfg)
			if err == nil {
				err = confmap.Validate(cfg)
			}
			if tt.errs == nil {
				require.NoError(t, err)
				assert.Equal(t, tt.want, cfg)
				return
			}
			require.Error(t, err)
			for _, frag := range tt.errs {
				assert.Contains(t, err.Error(), frag)
			}
			assert.NotContains(t, err.Error(), "hunter2", "an endpoint's password is never echoed")
		})
	}
}

func TestDefaultConfig(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	assert.Equal(t, "us-east-1", cfg.Region)
	assert.Equal(t, "auditlog/default", cfg.Prefix)
	assert.Equal(t, CompressionNone, cfg.Compression)
	assert.Equal(t, 10*time.Minute, cfg.FlushInterval)
	assert.Equal(t, 10_000, cfg.MaxEvents)
	assert.Equal(t, 30*time.Second, cfg.TimeoutConfig.Timeout)
	assert.False(t, cfg.Credentials.HasValue(), "the AWS default credential chain")
	require.True(t, cfg.QueueConfig.HasValue(), "the sending queue is on")
	assert.Equal(t, exporterhelper.RequestSizerTypeItems, cfg.QueueConfig.Get().Sizer)
	assert.Equal(t, int64(100_000), cfg.QueueConfig.Get().QueueSize)
	assert.False(t, cfg.QueueConfig.Get().Batch.HasValue(), "set from flush_interval and max_events")
	assert.True(t, cfg.RetryConfig.Enabled)
	assert.Equal(t, 168*time.Hour, cfg.RetryConfig.MaxElapsedTime)
	err := confmap.Validate(cfg)
	require.Error(t, err, "bucket has no default")
	assert.Equal(t, "bucket: must be set to the name of the S3 bucket to write to", err.Error())
}

func TestQueueBatchConfigComesFromFlushIntervalAndMaxEvents(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.FlushInterval = 3 * time.Minute
	cfg.MaxEvents = 1234

	q := cfg.queueBatchConfig()

	require.True(t, q.HasValue())
	batch := q.Get().Batch.Get()
	require.NotNil(t, batch)
	assert.Equal(t, 3*time.Minute, batch.FlushTimeout)
	assert.Equal(t, exporterhelper.RequestSizerTypeItems, batch.Sizer)
	assert.Equal(t, int64(1234), batch.MinSize)
	assert.Equal(t, int64(1234), batch.MaxSize)
	assert.False(t, cfg.QueueConfig.Get().Batch.HasValue(), "the user's config is left as it was")
	require.NoError(t, q.Get().Validate())
	require.NoError(t, batch.Validate())

	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	assert.False(t, cfg.queueBatchConfig().HasValue(), "no queue, no batcher")
}

func TestCompressionUnmarshalText(t *testing.T) {
	for _, tt := range []struct {
		text string
		want Compression
		ok   bool
	}{
		{"none", CompressionNone, true},
		{"gzip", CompressionGzip, true},
		{"", "", false},
		{"GZIP", "", false},
		{"zstd", "", false},
	} {
		var c Compression
		err := c.UnmarshalText([]byte(tt.text))
		if tt.ok {
			require.NoError(t, err)
			assert.Equal(t, tt.want, c)
		} else {
			assert.Error(t, err, tt.text)
		}
	}
}

func TestCredentialsAreOpaque(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Bucket = "audit-logs"
	cfg.Credentials = configoptional.Some(CredentialsConfig{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "example-secret", SessionToken: "example-token"})
	conf := confmap.New()
	require.NoError(t, conf.Marshal(cfg))
	out := conf.ToStringMap()
	creds, ok := out["credentials"].(map[string]any)
	require.True(t, ok, "%v", out)
	for _, k := range []string{"access_key_id", "secret_access_key", "session_token"} {
		assert.Equal(t, "[REDACTED]", creds[k], k)
	}
}
