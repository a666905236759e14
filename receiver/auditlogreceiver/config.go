package auditlogreceiver

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/confmap"
)

const (
	defaultEndpoint   = "localhost:8088"
	defaultPath       = "/v1/audit"
	defaultRetryAfter = 5 * time.Second
	// defaultReadTimeout bounds how long one request may take to send its whole body. confighttp
	// sets no limit, and a sender trickling its body would hold one of max_concurrent_requests'
	// slots for as long as it likes; a minute is enough for the largest default body (20 MiB)
	// over a slow link.
	defaultReadTimeout = time.Minute
	// defaultWriteTimeout must exceed read_timeout: net/http counts it from the end of the
	// headers, so it covers reading the body, the pipeline taking the events and the answer. A
	// shorter one would forward a slow sender's events and then fail to answer, and the sender
	// would resend them. confighttp's default is 30s.
	defaultWriteTimeout = 2 * time.Minute
)

// Config is the auditlog receiver's configuration.
type Config struct {
	// ServerConfig is the HTTP server: endpoint (default localhost:8088), tls, auth, cors,
	// max_request_body_size (default 20 MiB; larger bodies are answered 413), timeouts and the rest
	// of confighttp's server settings.
	confighttp.ServerConfig `mapstructure:",squash"`

	// Path is the URL path events are posted to. Default: /v1/audit.
	Path string `mapstructure:"path"`

	// RetryAfter is how long senders are told to wait (the Retry-After header, in whole seconds)
	// when the pipeline cannot take their events right now, for example under memory pressure.
	// Default: 5s.
	RetryAfter time.Duration `mapstructure:"retry_after"`

	// ServingConfig: max_concurrent_requests and tenants (serving_config.go).
	ServingConfig `mapstructure:",squash"`

	// InputConfig: shape, mapping, time_unit, default_time, required_fields,
	// max_events_per_request and max_event_bytes (input_config.go).
	InputConfig `mapstructure:",squash"`
}

var _ component.Config = (*Config)(nil)

func createDefaultConfig() component.Config {
	server := confighttp.NewDefaultServerConfig()
	server.NetAddr.Endpoint = defaultEndpoint
	server.ReadTimeout = defaultReadTimeout
	server.WriteTimeout = defaultWriteTimeout
	return &Config{
		ServerConfig: server,
		Path:         defaultPath,
		RetryAfter:   defaultRetryAfter,
		InputConfig:  defaultInputConfig(),
	}
}

// Validate reports every problem at once, each naming the key as the user wrote it.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.NetAddr.Endpoint == "" {
		errs = append(errs, errors.New("endpoint: must not be empty (for example localhost:8088)"))
	}
	switch {
	case cfg.Path == "":
		errs = append(errs, errors.New("path: must not be empty (for example /v1/audit)"))
	case !strings.HasPrefix(cfg.Path, "/"):
		errs = append(errs, errors.New("path: must start with /"))
	case strings.ContainsAny(cfg.Path, "?# \t\r\n"):
		errs = append(errs, errors.New("path: must be a plain URL path, without query, fragment or spaces"))
	}
	if cfg.RetryAfter < time.Second {
		errs = append(errs, errors.New("retry_after: must be at least 1s, since Retry-After is sent in whole seconds"))
	}
	if cfg.ReadTimeout > 0 && cfg.WriteTimeout > 0 && cfg.WriteTimeout <= cfg.ReadTimeout {
		errs = append(errs, fmt.Errorf("write_timeout (%s) must be longer than read_timeout (%s): it runs from the end of the headers, so it also covers reading the body, and a sender answered by a closed connection resends events already forwarded", cfg.WriteTimeout, cfg.ReadTimeout))
	}
	if cfg.MaxRequestBodySize < 0 {
		errs = append(errs, errors.New("max_request_body_size: must not be negative (0 means the default, 20 MiB)"))
	}
	errs = append(errs, cfg.ServingConfig.validate(cfg.Auth.HasValue(), cfg.IncludeMetadata)...)
	errs = append(errs, cfg.InputConfig.validate()...)
	return errors.Join(errs...)
}

// Unmarshal exists because embedding confighttp.ServerConfig promotes its Unmarshal method,
// which decodes only the server's keys and ignores the rest: without this one, `path` and
// `retry_after` would be silently dropped. Going through conf.Unmarshal again lets confmap
// decode the embedded server and our own fields separately. confmap then ignores unknown keys
// (ServerConfig needs that to be squashed), so we check the top-level keys ourselves: a
// misspelt key must fail start-up, not be ignored.
func (cfg *Config) Unmarshal(conf *confmap.Conf) error {
	if err := conf.Unmarshal(cfg); err != nil {
		return err
	}
	var unknown []string
	for _, key := range conf.AllKeys() {
		top, _, _ := strings.Cut(key, confmap.KeyDelimiter)
		if !slices.Contains(knownKeys, top) && !slices.Contains(unknown, top) {
			unknown = append(unknown, top)
		}
	}
	slices.Sort(unknown)
	errs := make([]error, 0, len(unknown))
	for _, key := range unknown {
		errs = append(errs, fmt.Errorf("unknown key %q", key))
	}
	return errors.Join(errs...)
}

// knownKeys are the top-level keys Config accepts, read from its mapstructure tags (through
// squashed structs) so that new confighttp settings are accepted without a change here.
var knownKeys = topLevelKeys(reflect.TypeFor[Config]())

func topLevelKeys(t reflect.Type) []string {
	var keys []string
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
		switch {
		case name == "-":
		case slices.Contains(strings.Split(opts, ","), "squash") && f.Type.Kind() == reflect.Struct:
			keys = append(keys, topLevelKeys(f.Type)...)
		case name != "":
			keys = append(keys, name)
		default:
			keys = append(keys, f.Name)
		}
	}
	return keys
}
