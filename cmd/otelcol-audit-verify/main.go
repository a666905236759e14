// Command otelcol-audit-verify checks every S3 destination of an otelcol-audit configuration
// without starting the collector. It reads the configuration the way the collector does (the
// same --config locations, ${env:...} and ${file:...} expansion), builds each audits3
// exporter's configuration through the exporter's factory (so defaults and validation are the
// collector's), and writes the verify test object (verify_key, Airkit's
// airkit-verify-test-{timestamp} by default) to the default destination and to every route of
// routes and routes_file, as the exporter's verify: true does at start-up. It prints one line
// per destination and exits 0 when every destination took its object, 1 when any did not, and
// 2 when it could not check (bad flags, a configuration or routes file that does not load or
// validate, no audits3 exporter). An exporter with no destination at all counts as failed.
//
// It opens no spool and starts no pipeline, so it can run beside a running collector, as a
// pre-deploy step or a periodic job.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/auditship/auditship/exporter/audits3exporter"
)

// Exit codes.
const (
	exitOK           = 0
	exitVerifyFailed = 1
	exitCannotCheck  = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// stringsFlag is a flag that may be given more than once.
type stringsFlag []string

func (s *stringsFlag) String() string     { return strings.Join(*s, ",") }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("otelcol-audit-verify", flag.ContinueOnError)
	flags.SetOutput(stderr)
	var configs, only stringsFlag
	flags.Var(&configs, "config", "configuration location, as otelcol-audit takes it: a file path, file:PATH, env:VAR or yaml:INLINE (repeatable; later ones merge over earlier ones)")
	flags.Var(&only, "exporter", "verify only this audits3 exporter id, e.g. audits3 or audits3/eu (repeatable; default: every audits3 exporter)")
	timeout := flags.Duration("timeout", 5*time.Minute, "limit for the whole check (each destination also stops after the exporter's timeout)")
	logLevel := flags.String("log-level", "warn", "level of the exporter's own log lines, on stderr: debug, info, warn or error")
	flags.Usage = func() {
		fmt.Fprintln(stderr, "usage: otelcol-audit-verify --config FILE [--config ...] [--exporter ID ...] [--timeout 5m]")
		fmt.Fprintln(stderr, "Writes the verify test object to every destination of every audits3 exporter and prints one line per destination.")
		fmt.Fprintln(stderr, "Exit status: 0 all OK, 1 some destination failed, 2 could not check.")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		return exitCannotCheck
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected arguments: %s\n", strings.Join(flags.Args(), " "))
		return exitCannotCheck
	}
	if len(configs) == 0 {
		fmt.Fprintln(stderr, "--config is required")
		flags.Usage()
		return exitCannotCheck
	}
	logger, err := newLogger(*logLevel, stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitCannotCheck
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	exporters, err := loadExporters(ctx, configs, only)
	if err != nil {
		fmt.Fprintf(stderr, "cannot check: %v\n", err)
		return exitCannotCheck
	}
	checked, failed, cannotCheck := 0, 0, false
	for _, exp := range exporters {
		results, err := audits3exporter.Verify(ctx, exp.cfg, logger.With(zap.String("exporter", exp.id.String())))
		if err != nil {
			// A routes file that does not load is the configuration's fault, not a destination's.
			fmt.Fprintf(stdout, "CANNOT CHECK  %s: %v\n", exp.id, err)
			cannotCheck = true
			continue
		}
		if len(results) == 0 {
			// An exporter with nowhere to write (no bucket, empty routes) has verified nothing:
			// a pre-deploy gate must not pass on it.
			fmt.Fprintf(stdout, "FAIL  %s: no destination configured (no bucket, no routes)\n", exp.id)
			failed++
			continue
		}
		for _, r := range results {
			checked++
			if r.Err != nil {
				failed++
				fmt.Fprintf(stdout, "FAIL  %s %s: %v\n", exp.id, r.Name(), r.Err)
				continue
			}
			fmt.Fprintf(stdout, "OK    %s %s: s3://%s/%s (region %s)\n", exp.id, r.Name(), r.Bucket, r.Key, r.Region)
		}
	}
	if cannotCheck {
		fmt.Fprintf(stdout, "Some exporters could not be checked; %d of %d destinations checked failed verify.\n", failed, checked)
		return exitCannotCheck
	}
	if failed > 0 {
		fmt.Fprintf(stdout, "%d of %d destinations failed verify.\n", failed, checked)
		return exitVerifyFailed
	}
	fmt.Fprintf(stdout, "All %d destinations verified.\n", checked)
	return exitOK
}

// exporterConfig is one audits3 exporter of the configuration.
type exporterConfig struct {
	id  component.ID
	cfg component.Config
}

// loadExporters resolves the configuration as the collector does and returns the audits3
// exporters (those of only, when given), each configured through the factory and validated.
func loadExporters(ctx context.Context, uris, only []string) ([]exporterConfig, error) {
	resolver, err := confmap.NewResolver(confmap.ResolverSettings{
		URIs: uris,
		ProviderFactories: []confmap.ProviderFactory{
			fileprovider.NewFactory(), envprovider.NewFactory(), yamlprovider.NewFactory(),
		},
		// As the collector: ${VAR} means ${env:VAR}.
		DefaultScheme: "env",
	})
	if err != nil {
		return nil, err
	}
	conf, err := resolver.Resolve(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resolver.Shutdown(context.WithoutCancel(ctx)) }()

	factory := audits3exporter.NewFactory()
	section, err := conf.Sub("exporters")
	if err != nil {
		return nil, fmt.Errorf("exporters: %w", err)
	}
	var ids []component.ID
	for key := range section.ToStringMap() {
		var id component.ID
		if err := id.UnmarshalText([]byte(key)); err != nil {
			return nil, fmt.Errorf("exporters: %q: %w", key, err)
		}
		if id.Type() == factory.Type() {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].String() < ids[j].String() })
	wanted := map[string]bool{}
	for _, o := range only {
		wanted[o] = false
	}
	var out []exporterConfig
	var errs []error
	for _, id := range ids {
		if len(only) > 0 {
			if _, ok := wanted[id.String()]; !ok {
				continue
			}
			wanted[id.String()] = true
		}
		sub, err := section.Sub(id.String())
		if err != nil {
			errs = append(errs, fmt.Errorf("exporters::%s: %w", id, err))
			continue
		}
		cfg := factory.CreateDefaultConfig()
		if err := sub.Unmarshal(cfg); err != nil {
			errs = append(errs, fmt.Errorf("exporters::%s: %w", id, err))
			continue
		}
		if err := confmap.Validate(cfg); err != nil {
			errs = append(errs, fmt.Errorf("exporters::%s: %w", id, err))
			continue
		}
		out = append(out, exporterConfig{id: id, cfg: cfg})
	}
	for _, o := range only {
		if !wanted[o] {
			errs = append(errs, fmt.Errorf("--exporter %s: no such audits3 exporter in the configuration", o))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no %s exporter in the configuration", factory.Type())
	}
	return out, nil
}

func newLogger(level string, w io.Writer) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	enc := zap.NewDevelopmentEncoderConfig()
	core := zapcore.NewCore(zapcore.NewConsoleEncoder(enc), zapcore.AddSync(w), lvl)
	return zap.New(core), nil
}
