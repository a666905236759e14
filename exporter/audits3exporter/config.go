package audits3exporter

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// Compression is how an object's body is compressed.
type Compression string

const (
	// CompressionNone writes plain NDJSON, `.json` objects.
	CompressionNone Compression = "none"
	// CompressionGzip writes gzip-compressed NDJSON, `.json.gz` objects.
	CompressionGzip Compression = "gzip"
)

// UnmarshalText refuses any value but "none" and "gzip".
func (c *Compression) UnmarshalText(text []byte) error {
	switch v := Compression(text); v {
	case CompressionNone, CompressionGzip:
		*c = v
		return nil
	default:
		return fmt.Errorf("unknown compression %q: use %q or %q", text, CompressionNone, CompressionGzip)
	}
}

// CredentialsConfig is a static AWS access key. All three values are opaque: they are never
// printed, logged or put in an error.
type CredentialsConfig struct {
	// AccessKeyID is the access key id. Required when credentials is given.
	AccessKeyID configopaque.String `mapstructure:"access_key_id"`
	// SecretAccessKey is the secret access key. Required when credentials is given.
	SecretAccessKey configopaque.String `mapstructure:"secret_access_key"`
	// SessionToken is the session token of temporary credentials. Default: empty (none).
	SessionToken configopaque.String `mapstructure:"session_token"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// Config is the audits3 exporter's configuration.
type Config struct {
	// Bucket is the S3 bucket the objects are written to. Required.
	Bucket string `mapstructure:"bucket"`
	// Region is the bucket's AWS region. Default: us-east-1.
	Region string `mapstructure:"region"`
	// Endpoint is the base URL of an S3-compatible server (http or https). Default: empty, AWS
	// S3's own endpoint for Region.
	Endpoint string `mapstructure:"endpoint"`
	// PathStyle addresses the bucket in the path (http://host/bucket/key) instead of the host
	// name, as most S3-compatible servers need. Default: false.
	PathStyle bool `mapstructure:"path_style"`
	// Credentials is a static access key. Default: absent, the AWS default credential chain
	// (environment, shared config files, web identity, ECS or EC2 instance role).
	Credentials configoptional.Optional[CredentialsConfig] `mapstructure:"credentials"`
	// Prefix is the start of every object key, before /<orgId>/. Default: auditlog/default.
	Prefix string `mapstructure:"prefix"`
	// Compression of the objects' bodies: none or gzip. Default: none.
	Compression Compression `mapstructure:"compression"`
	// FlushInterval is the longest an event waits in the batcher before its batch is written.
	// Default: 10m.
	FlushInterval time.Duration `mapstructure:"flush_interval"`
	// MaxEvents is the number of events at which a batch is written without waiting for
	// FlushInterval, and the most one batch (so one object per tenant) holds. Default: 10000.
	MaxEvents int `mapstructure:"max_events"`

	// TimeoutConfig is the time one attempt to write a batch (all its tenants' objects) may
	// take. Default: 30s.
	TimeoutConfig exporterhelper.TimeoutConfig `mapstructure:",squash"`
	// QueueConfig is the sending queue; its batch section is set from FlushInterval and MaxEvents
	// and must not be given. Default: enabled, in memory, sizer items, queue_size 100000 (events
	// held in the batcher count too), num_consumers 10, block_on_overflow false.
	QueueConfig configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	// RetryConfig is how failed writes are retried. Default: enabled, max_elapsed_time 168h
	// (seven days, as GoodData keeps undeliverable events).
	RetryConfig configretry.BackOffConfig `mapstructure:"retry_on_failure"`

	// batchGiven records that the user wrote sending_queue::batch, which this exporter sets itself.
	batchGiven bool
}

var (
	_ component.Config    = (*Config)(nil)
	_ confmap.Unmarshaler = (*Config)(nil)
)

const (
	defaultRegion        = "us-east-1"
	defaultPrefix        = "auditlog/default"
	defaultFlushInterval = 10 * time.Minute
	defaultMaxEvents     = 10_000
	defaultQueueEvents   = 10 * defaultMaxEvents
	defaultTimeout       = 30 * time.Second
	defaultMaxElapsed    = 7 * 24 * time.Hour

	// maxPrefixLen leaves room in S3's 1024-byte key limit for /<orgId>/ (at most 130 bytes)
	// and the object name (at most 22 bytes).
	maxPrefixLen = 512
)

func createDefaultConfig() component.Config {
	queue := exporterhelper.NewDefaultQueueConfig()
	// Events wait in the batcher for up to flush_interval and still count against the queue's
	// capacity until their batch is written. Counted in requests (exporterhelper's default),
	// 1000 small requests would fill the queue long before a batch of max_events does; counted
	// in events, the queue holds ten full batches.
	queue.Sizer = exporterhelper.RequestSizerTypeItems
	queue.QueueSize = defaultQueueEvents
	// Batching is configured through flush_interval and max_events (see queueBatchConfig).
	queue.Batch = configoptional.None[exporterhelper.BatchConfig]()
	retry := configretry.NewDefaultBackOffConfig()
	retry.MaxElapsedTime = defaultMaxElapsed
	timeout := exporterhelper.NewDefaultTimeoutConfig()
	timeout.Timeout = defaultTimeout
	return &Config{
		Region:        defaultRegion,
		Prefix:        defaultPrefix,
		Compression:   CompressionNone,
		FlushInterval: defaultFlushInterval,
		MaxEvents:     defaultMaxEvents,
		TimeoutConfig: timeout,
		QueueConfig:   configoptional.Some(queue),
		RetryConfig:   retry,
	}
}

// Unmarshal notes whether sending_queue::batch was written, even as `enabled: false`, so that
// Validate can point the user to flush_interval and max_events.
func (cfg *Config) Unmarshal(conf *confmap.Conf) error {
	if err := conf.Unmarshal(cfg); err != nil {
		return err
	}
	cfg.batchGiven = conf.IsSet("sending_queue::batch")
	return nil
}

// Validate reports every problem of the exporter's own keys and of credentials. The nested
// sections of exporterhelper (timeout, sending_queue, retry_on_failure) validate themselves
// through confmap.Validate.
func (cfg *Config) Validate() error {
	var errs []error
	add := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{key}, args...)...))
	}
	if cfg.Bucket == "" {
		add("bucket", "must be set to the name of the S3 bucket to write to")
	} else if reason := bucketNameProblem(cfg.Bucket); reason != "" {
		add("bucket", "%q is not a valid S3 bucket name: %s", cfg.Bucket, reason)
	}
	if cfg.Region == "" {
		add("region", "must be set (for example us-east-1)")
	} else if !isRegion(cfg.Region) {
		add("region", "%q is not a region name: use lower-case letters, digits and '-'", cfg.Region)
	}
	if creds := cfg.Credentials.Get(); creds != nil {
		const hint = "must be set when credentials is given (remove the credentials section to use the AWS default credential chain)"
		if creds.AccessKeyID == "" {
			add("credentials::access_key_id", hint)
		}
		if creds.SecretAccessKey == "" {
			add("credentials::secret_access_key", hint)
		}
	}
	if cfg.Endpoint != "" {
		if reason := endpointProblem(cfg.Endpoint); reason != "" {
			add("endpoint", "%s", reason)
		}
	}
	if reason := prefixProblem(cfg.Prefix); reason != "" {
		add("prefix", "%s", reason)
	}
	if cfg.Compression != CompressionNone && cfg.Compression != CompressionGzip {
		add("compression", "%q is not one of %q, %q", cfg.Compression, CompressionNone, CompressionGzip)
	}
	if cfg.FlushInterval <= 0 {
		add("flush_interval", "must be positive, got %s", cfg.FlushInterval)
	}
	if cfg.MaxEvents <= 0 {
		add("max_events", "must be positive, got %d", cfg.MaxEvents)
	}
	if q := cfg.QueueConfig.Get(); q != nil {
		if cfg.batchGiven || q.Batch.HasValue() {
			add("sending_queue::batch", "is set by this exporter: use flush_interval and max_events instead")
		}
		if q.Sizer == exporterhelper.RequestSizerTypeItems && cfg.MaxEvents > 0 && int64(cfg.MaxEvents) > q.QueueSize {
			add("max_events", "(%d) must not exceed sending_queue::queue_size (%d) when sending_queue::sizer is items, or no batch could ever fill", cfg.MaxEvents, q.QueueSize)
		}
	}
	return errors.Join(errs...)
}

// queueBatchConfig is the sending queue as exporterhelper gets it: the user's queue with a
// batcher that writes a batch every FlushInterval or at MaxEvents events, whichever comes first.
func (cfg *Config) queueBatchConfig() configoptional.Optional[exporterhelper.QueueBatchConfig] {
	q := cfg.QueueConfig.Get()
	if q == nil {
		return cfg.QueueConfig
	}
	queue := *q
	batch := exporterhelper.NewDefaultBatchConfig()
	batch.FlushTimeout = cfg.FlushInterval
	batch.Sizer = exporterhelper.RequestSizerTypeItems
	batch.MinSize = int64(cfg.MaxEvents)
	batch.MaxSize = int64(cfg.MaxEvents)
	queue.Batch = configoptional.Some(batch)
	return configoptional.Some(queue)
}

// bucketNameProblem checks S3's general purpose bucket naming rules; it returns "" for a valid
// name.
func bucketNameProblem(name string) string {
	if len(name) < 3 || len(name) > 63 {
		return "must be 3 to 63 characters long"
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return "may contain only lower-case letters, digits, '.' and '-'"
		}
	}
	if !isLowerAlnum(name[0]) || !isLowerAlnum(name[len(name)-1]) {
		return "must begin and end with a letter or digit"
	}
	if strings.Contains(name, "..") || strings.Contains(name, ".-") || strings.Contains(name, "-.") {
		return "must not contain '..', '.-' or '-.'"
	}
	if looksLikeIPv4(name) {
		return "must not look like an IP address"
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return "must not begin with " + p
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, s) {
			return "must not end with " + s
		}
	}
	return ""
}

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

func looksLikeIPv4(name string) bool {
	parts := strings.Split(name, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 3 {
			return false
		}
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return false
			}
		}
	}
	return true
}

func isRegion(r string) bool {
	for i := 0; i < len(r); i++ {
		c := r[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// endpointProblem never quotes the endpoint back: a URL may carry a password.
func endpointProblem(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "must be a URL such as https://s3.example.com or http://127.0.0.1:7070"
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "must start with http:// or https://"
	case u.User != nil:
		return "must not carry user information: use the credentials section"
	case u.Host == "":
		return "must name a host, as in https://s3.example.com"
	case u.RawQuery != "" || u.Fragment != "":
		return "must not have a query or fragment"
	}
	return ""
}

// prefixProblem keeps the prefix to characters S3 documents as safe in keys, with no empty,
// "." or ".." segments, so the keys we build are the same on every S3 implementation and on a
// posix-backed one map to the paths they look like.
func prefixProblem(prefix string) string {
	if prefix == "" {
		return ""
	}
	if len(prefix) > maxPrefixLen {
		return fmt.Sprintf("must be at most %d characters long", maxPrefixLen)
	}
	for i := 0; i < len(prefix); i++ {
		c := prefix[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!-_.*'()=/", c) >= 0) {
			return fmt.Sprintf("may contain only letters, digits and !-_.*'()=/, found %q", c)
		}
	}
	for seg := range strings.SplitSeq(prefix, "/") {
		switch seg {
		case "":
			return "must not begin or end with '/' or contain '//'"
		case ".", "..":
			return "must not contain '.' or '..' segments"
		}
	}
	return ""
}
