package audits3exporter

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/auditship/auditship/exporter/audits3exporter/internal/destination"
	"github.com/auditship/auditship/internal/compression"
	"github.com/auditship/auditship/internal/configenum"
	"github.com/auditship/auditship/internal/objectkey"
	"github.com/auditship/auditship/internal/schema"
)

// VerifyFailure is what start-up does when verify fails.
type VerifyFailure string

const (
	// VerifyFailureError fails start-up.
	VerifyFailureError VerifyFailure = "error"
	// VerifyFailureWarn logs a warning and starts; batches wait in the spool until the
	// destination accepts them.
	VerifyFailureWarn VerifyFailure = "warn"
)

// UnmarshalText refuses anything but error and warn.
func (v *VerifyFailure) UnmarshalText(text []byte) error {
	f, err := configenum.Parse("on_verify_failure", text, VerifyFailureError, VerifyFailureWarn)
	if err != nil {
		return err
	}
	*v = f
	return nil
}

// DestinationConfig is destination.Config as it sits in this exporter's config: a type of its
// own, without methods, so that the collector's config check does not validate the default
// destination on its own (its bucket may be empty, when every tenant has a route) and does
// not validate each route twice.
type DestinationConfig destination.Config

func (d DestinationConfig) destination() destination.Config { return destination.Config(d) }

// RouteConfig is one tenant's destination. Key, when set, replaces the exporter's key template
// for this tenant.
type RouteConfig struct {
	DestinationConfig `mapstructure:",squash"`
	// Key is the object key template for this tenant. Default: the exporter's key.
	Key string `mapstructure:"key"`
}

// Validate checks the route's destination and key template.
func (rc *RouteConfig) Validate() error {
	dest := rc.destination()
	errs := []error{dest.Validate()}
	if rc.Key != "" {
		if _, err := objectkey.Compile(rc.Key); err != nil {
			errs = append(errs, fmt.Errorf("key: %w", err))
		}
	}
	return errors.Join(errs...)
}

// SpoolConfig is the local staging area: where batches are assembled and where they wait
// until S3 takes them.
type SpoolConfig struct {
	// Directory holds the spool. Required; give it a persistent volume so that a restart or a
	// crash loses nothing.
	Directory string `mapstructure:"directory"`
	// MaxBytes bounds the spool on disk. When it is full, pushes are refused (the pipeline
	// pushes back on its senders) and nothing is dropped. Default: 10 GiB.
	MaxBytes int64 `mapstructure:"max_bytes"`
	// RetryInterval is how often a destination that refuses us for good (access denied, no
	// such bucket) is tried again, and how often held tenants are looked at. Default: 5m.
	RetryInterval time.Duration `mapstructure:"retry_interval"`
}

// Config is the audits3 exporter's configuration.
type Config struct {
	// DestinationConfig is the default destination, for every tenant without a route. With no
	// bucket, tenants without a route are held in the spool (counted) until a route names them.
	DestinationConfig `mapstructure:",squash"`

	// Schema of the objects: gooddata (one JSON entry per event), airkit (the 29 columns) or
	// ocsf (one OCSF 1.3.0 event per event; needs the ocsf processor, with id_mode: strict).
	// Default: gooddata.
	Schema schema.Name `mapstructure:"schema"`
	// Format: ndjson (default) or json for gooddata; ndjson (default) or csv for airkit;
	// ndjson only for ocsf.
	Format schema.Format `mapstructure:"format"`
	// OCSFColumns appends OCSF_* columns to airkit rows. Default: false.
	OCSFColumns bool `mapstructure:"ocsf_columns"`
	// Compression of the objects: none, gzip or zstd. Default: none.
	Compression compression.Type `mapstructure:"compression"`
	// Key is the object key template (see the README for placeholders); the extension is
	// appended. Default: auditlog/default/{org_id}/{upload_ts14} for gooddata,
	// airkit/{org_id}/{upload_date}/{upload_ts14}-{unique} for airkit,
	// auditlog/ocsf/{org_id}/{upload_date}/{upload_ts14}-{unique} for ocsf.
	Key string `mapstructure:"key"`

	// FlushInterval is the longest a tenant's batch stays open. Default: 10m for gooddata,
	// 5m for airkit, as each vendor delivers; 5m for ocsf, which SIEMs read as it arrives.
	FlushInterval time.Duration `mapstructure:"flush_interval"`
	// MaxEvents closes a batch at this many events. Default: 100000.
	MaxEvents int `mapstructure:"max_events"`
	// MaxFileBytes closes a batch at this many bytes (before compression). Default: 8 MiB,
	// which keeps the memory a batch needs while it is closed small.
	MaxFileBytes int64 `mapstructure:"max_file_bytes"`

	// Routes maps org ids to their own destination.
	Routes map[string]RouteConfig `mapstructure:"routes"`
	// RoutesFile is a YAML or JSON file of more routes (org id -> route), polled, a new
	// content taking effect once two polls in a row read it; its routes win over Routes. A
	// file that does not validate is refused and the routes in use stay. Default: none.
	RoutesFile string `mapstructure:"routes_file"`
	// RoutesReloadInterval is how often RoutesFile is checked for changes. Default: 10s.
	RoutesReloadInterval time.Duration `mapstructure:"routes_reload_interval"`

	// Spool is the local staging area.
	Spool SpoolConfig `mapstructure:"spool"`

	// Verify writes a test object to every configured destination at start. Default: false.
	Verify bool `mapstructure:"verify"`
	// VerifyKey names the test object. Default: airkit-verify-test-{timestamp}.
	VerifyKey string `mapstructure:"verify_key"`
	// OnVerifyFailure: error (default) fails start-up; warn logs and starts.
	OnVerifyFailure VerifyFailure `mapstructure:"on_verify_failure"`

	// UploadConcurrency bounds uploads in flight across tenants. Default: 16.
	UploadConcurrency int `mapstructure:"upload_concurrency"`

	// TimeoutConfig bounds one upload attempt and the delivery at shutdown. Default: 30s.
	TimeoutConfig exporterhelper.TimeoutConfig `mapstructure:",squash"`
	// QueueConfig is exporterhelper's queue in front of the spool. Default: disabled, so that
	// a sender's 2xx means its events are on disk; a persistent queue (storage) also works.
	QueueConfig configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	// RetryConfig is the backoff of uploads that fail for a while (throttling, outages):
	// initial_interval, max_interval, multiplier, randomization_factor. Batches are never
	// dropped: max_elapsed_time (default 168h, GoodData's seven days) only marks when a
	// tenant's failure is logged as overdue. Default: enabled.
	RetryConfig configretry.BackOffConfig `mapstructure:"retry_on_failure"`
}

var _ component.Config = (*Config)(nil)

const (
	defaultMaxEvents       = 100_000
	defaultMaxFileBytes    = 8 << 20
	defaultSpoolBytes      = 10 << 30
	defaultRetryInterval   = 5 * time.Minute
	defaultReloadInterval  = 10 * time.Second
	defaultUploads         = 16
	defaultTimeout         = 30 * time.Second
	defaultMaxElapsed      = 7 * 24 * time.Hour
	goodDataFlushInterval  = 10 * time.Minute
	airkitFlushInterval    = 5 * time.Minute
	ocsfFlushInterval      = 5 * time.Minute
	defaultSpoolRetryFloor = time.Second
	// minFlushInterval keeps batches from closing at nearly every push (and the seal loop's
	// tick, a quarter of it, from spinning).
	minFlushInterval = 100 * time.Millisecond
)

func createDefaultConfig() component.Config {
	retry := configretry.NewDefaultBackOffConfig()
	retry.MaxElapsedTime = defaultMaxElapsed
	timeout := exporterhelper.NewDefaultTimeoutConfig()
	timeout.Timeout = defaultTimeout
	return &Config{
		DestinationConfig:    DestinationConfig(destination.NewDefaultConfig()),
		Schema:               schema.GoodData,
		Compression:          compression.None,
		MaxEvents:            defaultMaxEvents,
		MaxFileBytes:         defaultMaxFileBytes,
		RoutesReloadInterval: defaultReloadInterval,
		Spool:                SpoolConfig{MaxBytes: defaultSpoolBytes, RetryInterval: defaultRetryInterval},
		VerifyKey:            objectkey.AirkitVerifyKey,
		OnVerifyFailure:      VerifyFailureError,
		UploadConcurrency:    defaultUploads,
		TimeoutConfig:        timeout,
		QueueConfig:          configoptional.Default(exporterhelper.NewDefaultQueueConfig()),
		RetryConfig:          retry,
	}
}

// withSchemaDefaults returns a copy of cfg with the defaults that depend on the schema filled
// in: the key template and the flush interval.
func (cfg *Config) withSchemaDefaults() *Config {
	c := *cfg
	c.fillSchemaDefaults()
	return &c
}

func (cfg *Config) fillSchemaDefaults() {
	if cfg.Key == "" {
		switch cfg.Schema {
		case schema.Airkit:
			cfg.Key = objectkey.AirkitKey
		case schema.OCSF:
			cfg.Key = objectkey.OCSFKey
		default:
			cfg.Key = objectkey.GoodDataKey
		}
	}
	if cfg.FlushInterval == 0 {
		switch cfg.Schema {
		case schema.Airkit:
			cfg.FlushInterval = airkitFlushInterval
		case schema.OCSF:
			cfg.FlushInterval = ocsfFlushInterval
		default:
			cfg.FlushInterval = goodDataFlushInterval
		}
	}
}

func (cfg *Config) schemaConfig() schema.Config {
	return schema.Config{Schema: cfg.Schema, Format: cfg.Format, OCSFColumns: cfg.OCSFColumns}
}

// Validate reports every problem at once, each naming its key.
func (cfg *Config) Validate() error {
	cfg = cfg.withSchemaDefaults()
	var errs []error
	add := func(key string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", key, err))
		}
	}
	if cfg.Bucket != "" {
		dest := cfg.destination()
		errs = append(errs, dest.Validate())
	} else if len(cfg.Routes) == 0 && cfg.RoutesFile == "" {
		add("bucket", errors.New("must be set, or routes / routes_file must name the tenants' destinations"))
	}
	// Each route validates itself (RouteConfig.Validate, under routes::<org id>); only the
	// org ids are checked here.
	for org := range cfg.Routes {
		if !objectkey.ValidOrgID(org) {
			add("routes", fmt.Errorf("%q is not an org id ([A-Za-z0-9._-], at most %d characters)", org, objectkey.MaxOrgIDLen))
		}
	}
	if _, err := schema.New(cfg.schemaConfig()); err != nil {
		// Its errors already name their keys (schema, format).
		errs = append(errs, err)
	}
	if _, err := objectkey.Compile(cfg.Key); err != nil {
		add("key", err)
	}
	if _, err := objectkey.CompileVerify(cfg.VerifyKey); err != nil {
		add("verify_key", err)
	}
	if cfg.FlushInterval < minFlushInterval {
		add("flush_interval", fmt.Errorf("must be at least %s, got %s (a bare number is nanoseconds: write 5m)", minFlushInterval, cfg.FlushInterval))
	}
	if cfg.TimeoutConfig.Timeout <= 0 {
		add("timeout", fmt.Errorf("must be positive, got %s: it bounds every upload and the delivery at shutdown", cfg.TimeoutConfig.Timeout))
	}
	if r := cfg.RetryConfig; r.Enabled {
		// Zero intervals would retry a failing bucket in a tight loop.
		if r.InitialInterval <= 0 {
			add("retry_on_failure::initial_interval", fmt.Errorf("must be positive, got %s", r.InitialInterval))
		}
		if r.MaxInterval < r.InitialInterval {
			add("retry_on_failure::max_interval", fmt.Errorf("(%s) must be at least initial_interval (%s)", r.MaxInterval, r.InitialInterval))
		}
	}
	if cfg.MaxEvents <= 0 {
		add("max_events", fmt.Errorf("must be positive, got %d", cfg.MaxEvents))
	}
	if cfg.MaxFileBytes <= 0 {
		add("max_file_bytes", fmt.Errorf("must be positive, got %d", cfg.MaxFileBytes))
	}
	if cfg.Spool.Directory == "" {
		add("spool::directory", errors.New("must be set to a directory on a persistent volume"))
	}
	if cfg.Spool.MaxBytes < cfg.MaxFileBytes {
		add("spool::max_bytes", fmt.Errorf("(%d) must be at least max_file_bytes (%d)", cfg.Spool.MaxBytes, cfg.MaxFileBytes))
	}
	if cfg.Spool.RetryInterval < defaultSpoolRetryFloor {
		add("spool::retry_interval", fmt.Errorf("must be at least %s", defaultSpoolRetryFloor))
	}
	if cfg.RoutesFile != "" && cfg.RoutesReloadInterval < time.Second {
		add("routes_reload_interval", errors.New("must be at least 1s"))
	}
	if cfg.UploadConcurrency <= 0 {
		add("upload_concurrency", fmt.Errorf("must be positive, got %d", cfg.UploadConcurrency))
	}
	if q := cfg.QueueConfig.Get(); q != nil && q.Batch.HasValue() {
		add("sending_queue::batch", errors.New("is not used: batches are assembled per tenant in the spool (flush_interval, max_events, max_file_bytes)"))
	}
	return errors.Join(errs...)
}

// validateRoutes checks every route, naming it as section::org_id::key.
func validateRoutes(section string, routes map[string]RouteConfig) error {
	orgs := make([]string, 0, len(routes))
	for org := range routes {
		orgs = append(orgs, org)
	}
	sort.Strings(orgs)
	var errs []error
	for _, org := range orgs {
		rc := routes[org]
		prefix := section + "::" + org
		if !objectkey.ValidOrgID(org) {
			errs = append(errs, fmt.Errorf("%s: %q is not an org id ([A-Za-z0-9._-], at most %d)", section, org, objectkey.MaxOrgIDLen))
			continue
		}
		if err := rc.Validate(); err != nil {
			for _, e := range splitJoined(err) {
				errs = append(errs, fmt.Errorf("%s::%w", prefix, e))
			}
		}
	}
	return errors.Join(errs...)
}

// splitJoined returns the errors an errors.Join holds, or err alone.
func splitJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
