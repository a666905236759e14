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
// is re-read when it changes; a file that does not load or validate is refused and the routes
// in use stay.
type routeTable struct {
	cfg    *Config
	pool   *destination.Pool
	logger *zap.Logger
	// onChange is called after the routes file changed, with a test of which org ids' routes
	// changed, so that their tenants are tried again at once.
	onChange func(changed func(org string) bool)

	fileRoutes atomic.Pointer[map[string]RouteConfig]
	fileStamp  fileStamp

	mu       sync.Mutex
	compiled map[string]*objectkey.Template
}

type fileStamp struct {
	modTime time.Time
	size    int64
}

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

// loadFile reads the routes file if it changed since the last load. A file that cannot be
// read or does not validate is refused: the routes in use stay, and the error says why.
func (t *routeTable) loadFile() error {
	path := t.cfg.RoutesFile
	if path == "" {
		return nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("routes_file: %w", err)
	}
	stamp := fileStamp{modTime: st.ModTime(), size: st.Size()}
	if stamp == t.fileStamp && t.fileRoutes.Load() != nil {
		return nil
	}
	routes, err := readRoutesFile(path)
	if err != nil {
		t.fileStamp = stamp // do not report the same bad file every poll
		return err
	}
	t.fileStamp = stamp
	t.fileRoutes.Store(&routes)
	return nil
}

// readRoutesFile reads a YAML (or JSON) map of org id to route, validated as the config's
// routes are.
func readRoutesFile(path string) (map[string]RouteConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("routes_file: %w", err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("routes_file %s: not YAML or JSON: %w", path, err)
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

// watch re-reads the routes file every interval until ctx ends.
func (t *routeTable) watch(ctx context.Context, interval time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		before := t.fileRoutes.Load()
		if err := t.loadFile(); err != nil {
			t.logger.Error("Routes file refused; the routes in use stay.", zap.Error(err))
			continue
		}
		if t.fileRoutes.Load() != before {
			t.logger.Info("Routes file reloaded.", zap.Int("routes", len(*t.fileRoutes.Load())))
			t.onChange(func(string) bool { return true })
		}
	}
}
