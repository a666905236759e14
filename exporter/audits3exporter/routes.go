package audits3exporter

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/confmap"
	"go.uber.org/zap"
	"go.yaml.in/yaml/v3"

	"github.com/auditship/auditship/exporter/audits3exporter/internal/destination"
	"github.com/auditship/auditship/internal/objectkey"
)

// route is where one tenant's objects go.
type route struct {
	dest   *destination.Destination
	key    *objectkey.Template
	bucket string
}

var errNoRoute = errors.New("no route for this tenant and no default bucket: its batches are held")

// routeTable resolves tenants to destinations: the routes of the config, then those of the
// routes file (which win), then the default destination when a bucket is configured. The file
// is polled, and a new content is put in use once two polls in a row have read it; a file that
// does not load or validate is refused and the routes in use stay.
type routeTable struct {
	cfg    *Config
	pool   *destination.Pool
	logger *zap.Logger
	// onChange is called after the routes file changed, with a test of which org ids' routes
	// changed, so that their tenants are tried again at once.
	onChange func(changed func(org string) bool)

	fileRoutes atomic.Pointer[map[string]RouteConfig]
	// The watch's memory of the file's contents, by hash (only the goroutine that loads and
	// polls the file touches them): appliedSum is the content whose routes are in use,
	// candidateSum a new content seen on the last poll and waiting to be read again, and
	// refusedSum the last refused content (or read error), so that each is logged once.
	appliedSum   contentSum
	candidateSum contentSum
	refusedSum   contentSum
	// candidate are the routes read at the last poll, when they validated, waiting to be read
	// again (in whatever spelling).
	candidate *map[string]RouteConfig

	mu       sync.Mutex
	compiled map[string]*objectkey.Template
}

// contentSum identifies a content of the routes file; the zero value is no content.
type contentSum [sha256.Size]byte

func newRouteTable(cfg *Config, pool *destination.Pool, logger *zap.Logger, onChange func(changed func(org string) bool)) *routeTable {
	return &routeTable{cfg: cfg, pool: pool, logger: logger, onChange: onChange, compiled: map[string]*objectkey.Template{}}
}

// lookup returns the tenant's route.
func (t *routeTable) lookup(ctx context.Context, org string) (*route, error) {
	rc, ok := t.routeConfig(org)
	if !ok {
		return nil, errNoRoute
	}
	dest, err := t.pool.Get(ctx, org, rc.destination())
	if err != nil {
		return nil, err
	}
	key, err := t.template(rc.Key)
	if err != nil {
		return nil, err
	}
	return &route{dest: dest, key: key, bucket: rc.Bucket}, nil
}

func (t *routeTable) routeConfig(org string) (RouteConfig, bool) {
	if !objectkey.ValidOrgID(org) {
		return RouteConfig{}, false
	}
	if fr := t.fileRoutes.Load(); fr != nil {
		if rc, ok := (*fr)[org]; ok {
			return t.withDefaults(rc), true
		}
	}
	if rc, ok := t.cfg.Routes[org]; ok {
		return t.withDefaults(rc), true
	}
	if t.cfg.Bucket != "" {
		return RouteConfig{DestinationConfig: t.cfg.DestinationConfig}, true
	}
	return RouteConfig{}, false
}

// withDefaults fills what a route leaves out from the exporter's key template.
func (t *routeTable) withDefaults(rc RouteConfig) RouteConfig {
	if rc.Key == "" {
		rc.Key = t.cfg.Key
	}
	return rc
}

func (t *routeTable) template(text string) (*objectkey.Template, error) {
	if text == "" {
		text = t.cfg.Key
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if tpl, ok := t.compiled[text]; ok {
		return tpl, nil
	}
	tpl, err := objectkey.Compile(text)
	if err != nil {
		return nil, err
	}
	t.compiled[text] = tpl
	return tpl, nil
}

// destinations lists the distinct configured destinations, for verify.
func (t *routeTable) destinations() map[string]RouteConfig {
	out := map[string]RouteConfig{}
	if t.cfg.Bucket != "" {
		out[""] = RouteConfig{DestinationConfig: t.cfg.DestinationConfig}
	}
	for org, rc := range t.cfg.Routes {
		out[org] = t.withDefaults(rc)
	}
	if fr := t.fileRoutes.Load(); fr != nil {
		for org, rc := range *fr {
			out[org] = t.withDefaults(rc)
		}
	}
	return out
}

// loadFile reads the routes file once and puts its routes in use, for start-up: a file that
// cannot be read or does not validate is an error, and start-up fails.
func (t *routeTable) loadFile() error {
	path := t.cfg.RoutesFile
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("routes_file: %w", err)
	}
	routes, err := parseRoutesFile(path, data)
	if err != nil {
		return err
	}
	t.appliedSum = sha256.Sum256(data)
	t.fileRoutes.Store(&routes)
	return nil
}

// parseRoutesFile reads a YAML (or JSON) map of org id to route, validated as the config's
// routes are. A file with no map at all (empty, or only comments) is refused: that is what a
// control plane rewriting the file in place leaves for a moment, and taking it for "no routes"
// would send every tenant of the file elsewhere. No routes is written {}.
func parseRoutesFile(path string, data []byte) (map[string]RouteConfig, error) {
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("routes_file %s: not YAML or JSON: %w", path, err)
	}
	if raw == nil {
		return nil, fmt.Errorf("routes_file %s: holds no map of routes (empty, or a write in progress); write {} for no routes", path)
	}
	var routes map[string]RouteConfig
	if err := confmap.NewFromStringMap(map[string]any{"routes": raw}).Unmarshal(&struct {
		Routes *map[string]RouteConfig `mapstructure:"routes"`
	}{&routes}); err != nil {
		return nil, fmt.Errorf("routes_file %s: %w", path, err)
	}
	if err := validateRoutes("routes_file", routes); err != nil {
		return nil, fmt.Errorf("routes_file %s: %w", path, err)
	}
	return routes, nil
}

// watch polls the routes file every interval until ctx ends.
func (t *routeTable) watch(ctx context.Context, interval time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		t.poll()
	}
}

// poll reads the routes file and puts new routes in use once two polls in a row have read
// them. A control plane that rewrites the file in place (truncate, then write) can be caught
// half-way, and a file cut inside a value may still validate (a bucket name cut short is
// another tenant's bucket): routes read twice, a poll interval apart, are ones the writer has
// finished. The routes are compared, not the bytes, so that a file rewritten at every poll
// with another comment or order still takes effect; the bytes are hashed to skip the content
// in use and a refused one, since a rewrite of the same size within one modification-time
// tick changes neither. A file that cannot be read, or does not validate twice in a row, is
// refused and logged, once per distinct content; the routes in use stay.
func (t *routeTable) poll() {
	path := t.cfg.RoutesFile
	data, err := os.ReadFile(path)
	if err != nil {
		t.refuse(sha256.Sum256([]byte(err.Error())), fmt.Errorf("routes_file %s: %w", path, err))
		return
	}
	sum := contentSum(sha256.Sum256(data))
	switch sum {
	case t.appliedSum:
		t.candidateSum, t.candidate, t.refusedSum = contentSum{}, nil, contentSum{}
		return
	case t.refusedSum:
		t.candidateSum, t.candidate = contentSum{}, nil
		return
	}
	routes, err := parseRoutesFile(path, data)
	switch {
	case err != nil && sum == t.candidateSum:
		t.refuse(sum, err)
		return
	case err != nil:
		// Perhaps a write in progress: refused if it reads the same at the next poll.
		t.candidateSum, t.candidate = sum, nil
		return
	case t.candidate == nil || len(t.changedOrgs(*t.candidate, routes)) > 0:
		t.candidateSum, t.candidate = sum, &routes
		return
	}
	t.appliedSum, t.candidateSum, t.candidate, t.refusedSum = sum, contentSum{}, nil, contentSum{}
	var inUse map[string]RouteConfig
	if fr := t.fileRoutes.Load(); fr != nil {
		inUse = *fr
	}
	changed := t.changedOrgs(inUse, routes)
	if len(changed) == 0 {
		// Another spelling of the routes in use (comments, order): nothing to wake.
		return
	}
	t.fileRoutes.Store(&routes)
	t.logger.Info("Routes file reloaded.", zap.Int("routes", len(routes)), zap.Int("changed", len(changed)))
	t.onChange(func(org string) bool { return changed[org] })
}

// refuse logs a refused routes file, unless it is the one refused last.
func (t *routeTable) refuse(sum contentSum, err error) {
	t.candidateSum, t.candidate = contentSum{}, nil
	if sum == t.refusedSum {
		return
	}
	t.refusedSum = sum
	t.logger.Error("Routes file refused; the routes in use stay.", zap.Error(err))
}

// changedOrgs is the set of org ids whose route was added, removed or changed between two
// versions of the routes file. Routes are compared as they take effect (a key template left
// out is the exporter's), so that a route spelled differently but going to the same place
// does not count.
func (t *routeTable) changedOrgs(before, after map[string]RouteConfig) map[string]bool {
	changed := map[string]bool{}
	for org, old := range before {
		if rc, ok := after[org]; !ok || !t.sameRoute(old, rc) {
			changed[org] = true
		}
	}
	for org := range after {
		if _, ok := before[org]; !ok {
			changed[org] = true
		}
	}
	return changed
}

// sameRoute tells whether two routes send a tenant's objects to the same place, the same way.
func (t *routeTable) sameRoute(a, b RouteConfig) bool {
	a, b = t.withDefaults(a), t.withDefaults(b)
	return a.Key == b.Key && a.destination().Equal(b.destination())
}
