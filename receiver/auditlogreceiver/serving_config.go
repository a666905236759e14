package auditlogreceiver

import (
	"errors"
	"runtime"
	"time"

	"go.opentelemetry.io/collector/config/configoptional"
)

const (
	defaultTenantsHeader  = "Authorization"
	defaultReloadInterval = 10 * time.Second
	// Requests in progress per CPU when max_concurrent_requests is 0: decoding is CPU-bound, so
	// more than a few per CPU only adds memory (each holds its whole body) and latency.
	concurrentRequestsPerCPU = 8
	minConcurrentRequests    = 16
)

// ServingConfig bounds what the receiver works on at once and, optionally, which organisations
// each caller may write. It is squashed into Config: its keys are top-level.
type ServingConfig struct {
	// MaxConcurrentRequests bounds the requests being worked on at once; a request beyond it is
	// answered 503 with Retry-After before its body is read. 0 (the default) means 8 per CPU the
	// process may use (GOMAXPROCS), at least 16.
	MaxConcurrentRequests int `mapstructure:"max_concurrent_requests"`

	// Tenants binds each caller to the org ids it may write. Absent (the default), any caller
	// that gets through `auth` may write any org.
	Tenants configoptional.Optional[TenantsConfig] `mapstructure:"tenants"`
}

// TenantsConfig says where the binding of callers to org ids comes from: a file of hashed API
// keys (keys_file), or an attribute the `auth` extension sets (auth_attribute). Exactly one.
type TenantsConfig struct {
	// KeysFile is a file of API keys, one per line: a name, the SHA-256 of the key in hex, and
	// the org ids it may write (comma-separated, or * for any). It is read at start (a bad file
	// fails start-up) and read again when it changes (a bad file is then refused, and the keys
	// in use stay).
	KeysFile string `mapstructure:"keys_file"`

	// Header is the request header carrying the API key. Default: Authorization, where the key
	// follows "Bearer "; any other header carries the key alone.
	Header string `mapstructure:"header"`

	// ReloadInterval is how often keys_file is checked for changes. Default: 10s.
	ReloadInterval time.Duration `mapstructure:"reload_interval"`

	// AuthAttribute names the attribute of the `auth` extension's authentication data that lists
	// the org ids the caller may write (a string or a list of strings; * for any).
	AuthAttribute string `mapstructure:"auth_attribute"`
}

// validate reports the problems of the serving keys, each naming its key; authConfigured tells
// whether `auth` is set, which tenants::auth_attribute needs, and includeMetadata whether
// include_metadata passes the request's headers down the pipeline.
func (s *ServingConfig) validate(authConfigured, includeMetadata bool) []error {
	var errs []error
	if s.MaxConcurrentRequests < 0 {
		errs = append(errs, errors.New("max_concurrent_requests: must not be negative (0 means 8 per CPU, at least 16)"))
	}
	t := s.Tenants.Get()
	if t == nil {
		return errs
	}
	switch {
	case t.KeysFile == "" && t.AuthAttribute == "":
		errs = append(errs, errors.New("tenants: set keys_file (hashed API keys) or auth_attribute (from the auth extension)"))
	case t.KeysFile != "" && t.AuthAttribute != "":
		errs = append(errs, errors.New("tenants: keys_file and auth_attribute exclude each other; set one"))
	case t.AuthAttribute != "" && !authConfigured:
		errs = append(errs, errors.New("tenants::auth_attribute: needs `auth` (an authenticator extension) to be set"))
	case t.KeysFile != "" && includeMetadata:
		// The key header would travel with the events to every processor and exporter.
		errs = append(errs, errors.New("tenants::keys_file: cannot be used with include_metadata, which would pass the callers' API keys down the pipeline in the request headers"))
	}
	if t.Header != "" && !isHeaderName(t.Header) {
		errs = append(errs, errors.New("tenants::header: must be a plain HTTP header name, such as X-API-Key"))
	}
	if t.ReloadInterval < 0 {
		errs = append(errs, errors.New("tenants::reload_interval: must not be negative (0 means 10s)"))
	}
	return errs
}

// maxConcurrentRequests is the effective bound on requests in progress.
func (s *ServingConfig) maxConcurrentRequests() int {
	if s.MaxConcurrentRequests > 0 {
		return s.MaxConcurrentRequests
	}
	return max(minConcurrentRequests, concurrentRequestsPerCPU*runtime.GOMAXPROCS(0))
}

// isHeaderName accepts printable ASCII without spaces or colons: enough to refuse a value
// pasted where the name belongs, without restating RFC 9110's token grammar.
func isHeaderName(s string) bool {
	for i := range len(s) {
		if s[i] < 0x21 || s[i] > 0x7e || s[i] == ':' {
			return false
		}
	}
	return true
}
