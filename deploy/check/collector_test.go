package check

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// collectorConfig is a collector configuration as the deployment files carry it.
type collectorConfig struct {
	text string
	tree map[string]any
}

func parseCollectorConfig(text string) (*collectorConfig, error) {
	var tree map[string]any
	if err := yaml.Unmarshal([]byte(text), &tree); err != nil {
		return nil, err
	}
	if tree == nil {
		return nil, fmt.Errorf("empty collector configuration")
	}
	return &collectorConfig{text: text, tree: tree}, nil
}

// lookup walks a path of map keys.
func lookup(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func lookupString(v any, keys ...string) string {
	s, _ := lookup(v, keys...).(string)
	return s
}

// components returns the configured components of a section ("extensions", "exporters", ...)
// whose type is typ (`typ` or `typ/name`), sorted by id.
func (c *collectorConfig) components(section, typ string) map[string]any {
	out := map[string]any{}
	m, _ := c.tree[section].(map[string]any)
	for id, v := range m {
		if id == typ || strings.HasPrefix(id, typ+"/") {
			out[id] = v
		}
	}
	return out
}

// stateDirs lists every directory the collector writes: the file_storage directories (and
// their compaction directories) and the audits3 spools.
func (c *collectorConfig) stateDirs() []string {
	var dirs []string
	for _, v := range c.components("extensions", "file_storage") {
		if d := lookupString(v, "directory"); d != "" {
			dirs = append(dirs, d)
		}
		if d := lookupString(v, "compaction", "directory"); d != "" {
			dirs = append(dirs, d)
		}
	}
	for _, v := range c.components("exporters", "audits3") {
		dirs = append(dirs, lookupString(v, "spool", "directory"))
	}
	sort.Strings(dirs)
	return slices.Compact(dirs)
}

// keysWithoutUnique lists the audits3 exporters whose key template has no {unique}. Several
// collectors (the replicas of a gateway, a sidecar per application replica) write the same
// tenants: without {unique}, two of them closing a batch in the same second choose the same key
// (the conditional write then moves one to the next name, but the key was still chosen twice).
func (c *collectorConfig) keysWithoutUnique() []string {
	var ids []string
	for id, v := range c.components("exporters", "audits3") {
		if !strings.Contains(lookupString(v, "key"), "{unique}") {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// keysFiles lists the auditlog receivers' tenants::keys_file settings.
func (c *collectorConfig) keysFiles() []string {
	var files []string
	for _, v := range c.components("receivers", "auditlog") {
		if f := lookupString(v, "tenants", "keys_file"); f != "" {
			files = append(files, f)
		}
	}
	sort.Strings(files)
	return files
}

// unboundReceivers lists the receivers that take events from beyond the pod without binding
// each caller to the org ids it may write: an auditlog receiver without `tenants`, and any otlp
// receiver, which has no such binding. Through them, any sender could write any tenant's log.
func (c *collectorConfig) unboundReceivers(t *testing.T) []string {
	t.Helper()
	var ids []string
	for id, v := range c.components("receivers", "auditlog") {
		host, _ := splitEndpoint(t, orDefault(lookupString(v, "endpoint"), "localhost:8088"), "8088")
		if !loopback(host) && lookup(v, "tenants") == nil {
			ids = append(ids, id)
		}
	}
	for id, v := range c.components("receivers", "otlp") {
		for proto, port := range map[string]string{"http": "4318", "grpc": "4317"} {
			if lookup(v, "protocols", proto) == nil && !hasKey(lookup(v, "protocols"), proto) {
				continue
			}
			host, _ := splitEndpoint(t, orDefault(lookupString(v, "protocols", proto, "endpoint"), "localhost:"+port), port)
			if !loopback(host) {
				ids = append(ids, id+" ("+proto+")")
			}
		}
	}
	sort.Strings(ids)
	return ids
}

// loopback tells whether a server bound to host is reachable from inside the pod only.
func loopback(host string) bool {
	return host == "localhost" || host == "::1" || strings.HasPrefix(host, "127.")
}

// routesFiles lists the audits3 exporters' routes_file settings.
func (c *collectorConfig) routesFiles() []string {
	var files []string
	for _, v := range c.components("exporters", "audits3") {
		if f := lookupString(v, "routes_file"); f != "" {
			files = append(files, f)
		}
	}
	return files
}

// shutdownBudget is how long the audits3 exporters may keep uploading at shutdown: the sum of
// their `timeout`s, since the collector shuts its components down one after another.
func (c *collectorConfig) shutdownBudget(t *testing.T) time.Duration {
	t.Helper()
	budget := time.Duration(0)
	for id, v := range c.components("exporters", "audits3") {
		d := defaultExporterTimeout
		if s := lookupString(v, "timeout"); s != "" {
			var err error
			if d, err = time.ParseDuration(s); err != nil {
				t.Fatalf("exporters::%s::timeout: %v", id, err)
			}
		}
		budget += d
	}
	return budget
}

// defaultExporterTimeout is the audits3 exporter's `timeout` when not set (defaultTimeout in
// exporter/audits3exporter/config.go; this module cannot import it).
const defaultExporterTimeout = 30 * time.Second

// healthCheck returns the health_check extension's port and path.
func (c *collectorConfig) healthCheck(t *testing.T) (port, urlPath string) {
	t.Helper()
	hc := c.components("extensions", "health_check")
	if len(hc) != 1 {
		t.Fatalf("want exactly one health_check extension (the probes' target), have %d", len(hc))
	}
	for id, v := range hc {
		if !c.serviceExtension(id) {
			t.Errorf("extension %s is configured but not in service::extensions: nothing answers the probes", id)
		}
		_, port = splitEndpoint(t, lookupString(v, "endpoint"), "13133")
		urlPath = lookupString(v, "path")
	}
	if urlPath == "" {
		urlPath = "/"
	}
	return port, urlPath
}

func (c *collectorConfig) serviceExtension(id string) bool {
	list, _ := lookup(c.tree, "service", "extensions").([]any)
	for _, e := range list {
		if e == id {
			return true
		}
	}
	return false
}

// listeners returns the ports of every server the configuration opens on the pod's network,
// with the host they bind to.
func (c *collectorConfig) listeners(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	add := func(endpoint, defaultPort string) {
		if endpoint == "" {
			return
		}
		host, port := splitEndpoint(t, endpoint, defaultPort)
		out[port] = host
	}
	for _, v := range c.components("receivers", "auditlog") {
		add(orDefault(lookupString(v, "endpoint"), "localhost:8088"), "8088")
	}
	for _, v := range c.components("receivers", "otlp") {
		if lookup(v, "protocols", "http") != nil || hasKey(lookup(v, "protocols"), "http") {
			add(orDefault(lookupString(v, "protocols", "http", "endpoint"), "localhost:4318"), "4318")
		}
		if lookup(v, "protocols", "grpc") != nil || hasKey(lookup(v, "protocols"), "grpc") {
			add(orDefault(lookupString(v, "protocols", "grpc", "endpoint"), "localhost:4317"), "4317")
		}
	}
	for _, v := range c.components("extensions", "health_check") {
		add(orDefault(lookupString(v, "endpoint"), "localhost:13133"), "13133")
	}
	readers, _ := lookup(c.tree, "service", "telemetry", "metrics", "readers").([]any)
	for _, r := range readers {
		if p := lookup(r, "pull", "exporter", "prometheus"); p != nil {
			host := lookupString(p, "host")
			port := fmt.Sprint(lookup(p, "port"))
			out[port] = host
		}
	}
	return out
}

func hasKey(v any, key string) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	_, ok = m[key]
	return ok
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// splitEndpoint splits host:port at the last colon, so that a host written as ${env:...}
// stays whole.
func splitEndpoint(t *testing.T, endpoint, defaultPort string) (host, port string) {
	t.Helper()
	if endpoint == "" {
		return "localhost", defaultPort
	}
	i := strings.LastIndex(endpoint, ":")
	if i < 0 {
		t.Fatalf("endpoint %q has no port", endpoint)
	}
	return strings.Trim(endpoint[:i], "[]"), endpoint[i+1:]
}

// envRef matches ${env:NAME} and ${env:NAME:-default}.
var envRef = regexp.MustCompile(`\$\{env:([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}`)

// requiredEnv lists the variables the configuration reads without a default.
func requiredEnv(text string) []string {
	seen := map[string]bool{}
	var names []string
	for _, m := range envRef.FindAllStringSubmatch(text, -1) {
		if m[2] == "" && !seen[m[1]] {
			seen[m[1]] = true
			names = append(names, m[1])
		}
	}
	sort.Strings(names)
	return names
}

// under reports whether p is dir or inside it.
func under(p, dir string) bool {
	p, dir = path.Clean(p), path.Clean(dir)
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

// collectorBinary is the otelcol-audit `make build` built. Under make (which sets
// AUDITSHIP_COLLECTOR) a missing binary fails; run by hand without it, the validation is
// skipped.
func collectorBinary(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("AUDITSHIP_COLLECTOR")
	if bin == "" {
		if os.Getenv("MAKELEVEL") != "" {
			t.Fatal("AUDITSHIP_COLLECTOR is not set, but the Makefile sets it: run these tests through `make test`")
		}
		t.Skip("AUDITSHIP_COLLECTOR is not set: skipping the validation of the collector configurations " +
			"by the built binary. Run `make build` and AUDITSHIP_COLLECTOR=$PWD/bin/otelcol-audit go test ./... " +
			"in deploy/check (make test does both).")
	}
	if info, err := os.Stat(bin); err != nil || info.IsDir() {
		t.Fatalf("AUDITSHIP_COLLECTOR=%s is not the built collector (run `make build`): %v", bin, err)
	}
	return bin
}

// validate runs `otelcol-audit validate` on a configuration, with env added to the
// environment, and returns its complaint, or nil.
func validate(t *testing.T, bin, name, text string, env map[string]string) error {
	t.Helper()
	file := filepath.Join(t.TempDir(), strings.NewReplacer("/", "_", " ", "_").Replace(name)+".yaml")
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "validate", "--config="+file)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("otelcol-audit validate: %v\n%s", err, out)
	}
	return nil
}

// withRoutes returns the configuration with the routes file's routes inlined as `routes` (the
// same map) and `routes_file` removed, so that `validate` checks the routes as well: the file
// itself is only read when the collector starts.
func withRoutes(t *testing.T, cfg *collectorConfig, routesYAML string) string {
	t.Helper()
	var routes map[string]any
	if err := yaml.Unmarshal([]byte(routesYAML), &routes); err != nil {
		t.Fatalf("routes file: %v", err)
	}
	var tree map[string]any
	if err := yaml.Unmarshal([]byte(cfg.text), &tree); err != nil {
		t.Fatal(err)
	}
	for _, v := range tree["exporters"].(map[string]any) {
		m, ok := v.(map[string]any)
		if !ok || m["routes_file"] == nil {
			continue
		}
		delete(m, "routes_file")
		m["routes"] = routes
	}
	out, err := yaml.Marshal(tree)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestValidateCatchesBadConfigurations(t *testing.T) {
	bin := collectorBinary(t)
	good := `
extensions:
  health_check:
    endpoint: 0.0.0.0:13133
receivers:
  auditlog:
    endpoint: ${env:AUDITSHIP_TEST_HOST}:8088
exporters:
  audits3:
    bucket: example-audit-logs
    spool:
      directory: /var/lib/otelcol-audit/spool
service:
  extensions: [health_check]
  pipelines:
    logs:
      receivers: [auditlog]
      exporters: [audits3]
`
	if err := validate(t, bin, "good", good, map[string]string{"AUDITSHIP_TEST_HOST": "127.0.0.1"}); err != nil {
		t.Fatalf("a valid configuration was refused: %v", err)
	}
	for name, bad := range map[string]string{
		"misspelt key":     strings.Replace(good, "spool:", "spoool:", 1),
		"bad bucket":       strings.Replace(good, "example-audit-logs", "Example_Bucket", 1),
		"unknown exporter": strings.Replace(good, "exporters: [audits3]", "exporters: [debug]", 1),
	} {
		if err := validate(t, bin, name, bad, map[string]string{"AUDITSHIP_TEST_HOST": "127.0.0.1"}); err == nil {
			t.Errorf("%s: validate accepted it", name)
		}
	}
	cfg, err := parseCollectorConfig(good)
	if err != nil {
		t.Fatal(err)
	}
	if got := requiredEnv(cfg.text); len(got) != 1 || got[0] != "AUDITSHIP_TEST_HOST" {
		t.Errorf("requiredEnv = %v", got)
	}
	badRoutes := "acme:\n  bucket: Not_A_Bucket\n"
	cfgWithFile, err := parseCollectorConfig(strings.Replace(good, "bucket: example-audit-logs", "routes_file: /etc/routes.yaml", 1))
	if err != nil {
		t.Fatal(err)
	}
	if err := validate(t, bin, "bad routes", withRoutes(t, cfgWithFile, badRoutes), map[string]string{"AUDITSHIP_TEST_HOST": "127.0.0.1"}); err == nil {
		t.Error("a routes file with an invalid bucket was accepted")
	}
}
