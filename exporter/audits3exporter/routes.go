package audits3exporter

import (
	"context"
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
	"github.com/auditship/auditship/internal/filepoll"
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
	// file polls the routes file (only the goroutine that loads and watches it uses it).
	file *filepoll.Poller[map[string]RouteConfig]

	mu       sync.Mutex
	compiled map[string]*objectkey.Template
}

func newRouteTable(cfg *Config, pool *destination.Pool, logger *zap.Logger, onChange func(changed func(org string) bool)) *routeTable {
	t := &routeTable{cfg: cfg, pool: pool, logger: logger, onChange: onChange, compiled: map[string]*objectkey.Template{}}
	t.file = filepoll.New(cfg.RoutesFile, parseRoutesFile, func(a, b map[string]RouteConfig) bool {
		return len(t.changedOrgs(a, b)) == 0
	})
	return t
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
	routes, err := parseRoutesFile(data)
	if err != nil {
		return fmt.Errorf("routes_file %s: %w", path, err)
	}
	t.file.Applied(data)
	t.fileRoutes.Store(&routes)
	return nil
}

// parseRoutesFile reads a YAML (or JSON) map of org id to route, validated as the config's
// routes are. A file with no map at all (empty, or only comments) is refused: that is what a
// control plane rewriting the file in place leaves for a moment, and taking it for "no routes"
// would send every tenant of the file elsewhere. No routes is written {}.
func parseRoutesFile(data []byte) (map[string]RouteConfig, error) {
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("not YAML or JSON: %w", err)
	}
	if raw == nil {
		return nil, errors.New("holds no map of routes (empty, or a write in progress); write {} for no routes")
	}
	var routes map[string]RouteConfig
	if err := confmap.NewFromStringMap(map[string]any{"routes": raw}).Unmarshal(&struct {
		Routes *map[string]RouteConfig `mapstructure:"routes"`
	}{&routes}); err != nil {
		return nil, err
	}
	if err := validateRoutes("routes_file", routes); err != nil {
		return nil, err
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
// them (see filepoll). A file that cannot be read, or does not validate twice in a row, is
// refused and logged, once per distinct content; the routes in use stay.
func (t *routeTable) poll() {
	routes, changedFile, err := t.file.Poll()
	if err != nil {
		t.logger.Error("Routes file refused; the routes in use stay.", zap.Error(fmt.Errorf("routes_file %s: %w", t.cfg.RoutesFile, err)))
		return
	}
	if !changedFile {
		return
	}
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
