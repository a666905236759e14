package audits3exporter

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.uber.org/zap"

	"github.com/auditship/auditship/exporter/audits3exporter/internal/destination"
	"github.com/auditship/auditship/internal/objectkey"
)

// VerifyResult is what verify found for one configured destination.
type VerifyResult struct {
	// Tenant is the org id of the route, or "" for the default destination.
	Tenant string
	// Bucket is the destination's bucket.
	Bucket string
	// Region is the bucket's region: as configured, or as found when the config says auto
	// (still "auto" when finding it failed).
	Region string
	// Key is the test object's key.
	Key string
	// Err is nil when the test object was stored (or already there). Otherwise it names the
	// bucket, region, key, S3's error code and the permission most likely missing, and holds
	// no credential.
	Err error
}

// Name is how the result is named in reports: "default destination" or "route <org id>".
func (r VerifyResult) Name() string {
	if r.Tenant == "" {
		return "default destination"
	}
	return "route " + r.Tenant
}

// Verify writes the verify test object (verify_key) to every destination cfg configures: the
// default destination, each route of routes, and each route of routes_file, in that order of
// precedence, as start-up does with verify: true. It opens no spool and starts no pipeline, so
// it can run beside a running collector. cfg must be an audits3 config that passed Validate.
// The error is for what stops verify before any destination is tried (a routes file that does
// not load, a bad verify_key); a destination's failure is in its result. Results come default
// destination first, then by org id.
func Verify(ctx context.Context, cfg component.Config, logger *zap.Logger) ([]VerifyResult, error) {
	c, ok := cfg.(*Config)
	if !ok {
		return nil, fmt.Errorf("not an audits3 exporter config: %T", cfg)
	}
	c = c.withSchemaDefaults()
	if logger == nil {
		logger = zap.NewNop()
	}
	pool := destination.NewPool(logger)
	defer pool.Close()
	routes := newRouteTable(c, pool, logger, func(func(string) bool) {})
	if err := routes.loadFile(); err != nil {
		return nil, err
	}
	return verifyDestinations(ctx, c, pool, routes)
}

// verifyDestinations writes a test object to every destination of routes, at most
// upload_concurrency at once, each within the upload timeout.
func verifyDestinations(ctx context.Context, cfg *Config, pool *destination.Pool, routes *routeTable) ([]VerifyResult, error) {
	tpl, err := objectkey.CompileVerify(cfg.VerifyKey)
	if err != nil {
		return nil, fmt.Errorf("verify_key: %w", err)
	}
	dests := routes.destinations()
	orgs := make([]string, 0, len(dests))
	for org := range dests {
		orgs = append(orgs, org)
	}
	sort.Strings(orgs) // "" (the default destination) first
	results := make([]VerifyResult, len(orgs))
	slots := make(chan struct{}, max(cfg.UploadConcurrency, 1))
	var wg sync.WaitGroup
	for i, org := range orgs {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			results[i] = verifyOne(ctx, cfg, pool, tpl, org, dests[org])
		})
	}
	wg.Wait()
	return results, nil
}

func verifyOne(ctx context.Context, cfg *Config, pool *destination.Pool, tpl *objectkey.VerifyTemplate, org string, rc RouteConfig) VerifyResult {
	res := VerifyResult{Tenant: org, Bucket: rc.Bucket, Region: rc.Region}
	if org == "" {
		// The default destination serves every tenant without a route; its test object is
		// named for none of them.
		org = verifyDefaultOrg
	}
	if cfg.TimeoutConfig.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.TimeoutConfig.Timeout)
		defer cancel()
	}
	res.Key = string(tpl.Append(nil, org, time.Now()))
	dest, err := pool.Get(ctx, org, rc.destination())
	if err != nil {
		res.Err = err
		return res
	}
	res.Err = dest.Verify(ctx, res.Key)
	res.Region = dest.Region()
	return res
}

// verifyError joins the failures of results, each named by its destination.
func verifyError(results []VerifyResult) error {
	var errs []error
	for _, r := range results {
		if r.Err != nil {
			errs = append(errs, fmt.Errorf("verify %s: %w", r.Name(), r.Err))
		}
	}
	return errors.Join(errs...)
}
