package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/auditship/auditship/internal/s3test"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	writerKey    = "VERIFY-WRITER"
	writerSecret = "verify-writer-secret-value"
)

// startS3 starts versitygw with a writer user and three buckets: one with the four-permission
// bucket policy of deploy/aws, one with its PutObject-only policy, and one that lets the writer
// do nothing.
func startS3(t *testing.T) *s3test.Server {
	srv := s3test.Start(t)
	srv.CreateUser(t, writerKey, writerSecret)
	for _, b := range []string{"four-permissions", "put-object-only", "denied"} {
		srv.CreateBucket(t, b)
	}
	srv.PutBucketPolicy(t, "four-permissions", s3test.WriterPolicy("four-permissions", writerKey))
	srv.PutBucketPolicy(t, "put-object-only", s3test.PutObjectOnlyPolicy("put-object-only", writerKey))
	t.Setenv("VERIFY_TEST_ENDPOINT", srv.Endpoint)
	t.Setenv("VERIFY_TEST_ACCESS_KEY", writerKey)
	t.Setenv("VERIFY_TEST_SECRET_KEY", writerSecret)
	return srv
}

// destination is the YAML of one destination on the test server, credentials from the
// environment as a real config would take them.
func destination(indent, bucket string) string {
	return strings.ReplaceAll(`bucket: `+bucket+`
endpoint: ${env:VERIFY_TEST_ENDPOINT}
path_style: true
credentials:
  access_key_id: ${env:VERIFY_TEST_ACCESS_KEY}
  secret_access_key: ${VERIFY_TEST_SECRET_KEY}
`, "\n", "\n"+indent)
}

// writeConfig writes a collector configuration whose audits3 exporter has the default
// destination on defaultBucket and a route per org id -> bucket.
func writeConfig(t *testing.T, spool, defaultBucket string, routes map[string]string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("receivers:\n  auditlog:\nexporters:\n  audits3:\n    ")
	b.WriteString(destination("    ", defaultBucket))
	b.WriteString("spool:\n      directory: " + spool + "\n")
	if len(routes) > 0 {
		b.WriteString("    routes:\n")
		for org, bucket := range routes {
			b.WriteString("      " + org + ":\n        " + destination("        ", bucket) + "\n")
		}
	}
	b.WriteString("service:\n  pipelines:\n    logs:\n      receivers: [auditlog]\n      exporters: [audits3]\n")
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	return path
}

func runVerify(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	t.Logf("exit %d\nstdout:\n%sstderr:\n%s", code, stdout.String(), stderr.String())
	assert.NotContains(t, stdout.String()+stderr.String(), writerSecret, "a secret in the report")
	return code, stdout.String(), stderr.String()
}

func TestOneDeniedRouteFailsWithALinePerDestination(t *testing.T) {
	srv := startS3(t)
	spool := filepath.Join(t.TempDir(), "spool")
	config := writeConfig(t, spool, "four-permissions", map[string]string{"airkit-org": "put-object-only", "denied-org": "denied"})

	code, out, _ := runVerify(t, "--config", config)
	assert.Equal(t, exitVerifyFailed, code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 4, "one line per destination and a summary")
	assert.Regexp(t, `^OK    audits3 default destination: s3://four-permissions/airkit-verify-test-\d+ \(region us-east-1\)$`, lines[0])
	assert.Regexp(t, `^OK    audits3 route airkit-org: s3://put-object-only/airkit-verify-test-\d+ \(region us-east-1\)$`, lines[1])
	assert.Regexp(t, `^FAIL  audits3 route denied-org: verify s3://denied/airkit-verify-test-\d+ \(region us-east-1\): `, lines[2])
	for _, want := range []string{"AccessDenied", "403", "PutObject", "most likely missing: s3:PutObject"} {
		assert.Contains(t, lines[2], want)
	}
	assert.Equal(t, "1 of 3 destinations failed verify.", lines[3])
	assert.NotContains(t, out, writerKey, "the access key id stays out of the report")

	assert.Len(t, srv.ListKeys(t, "four-permissions", "airkit-verify-test-"), 1)
	assert.Len(t, srv.ListKeys(t, "put-object-only", "airkit-verify-test-"), 1)
	assert.Empty(t, srv.ListKeys(t, "denied", ""))
	assert.NoDirExists(t, spool, "verify opens no spool")
}

func TestAllGoodExitsZero(t *testing.T) {
	srv := startS3(t)
	config := writeConfig(t, filepath.Join(t.TempDir(), "spool"), "four-permissions", map[string]string{"airkit-org": "put-object-only"})
	// A second location merges over the first, as with the collector: here a verify_key of
	// our own, given inline.
	code, out, _ := runVerify(t, "--config", config, "--config", "yaml:exporters::audits3::verify_key: checks/{org_id}/{timestamp}")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "OK    audits3 default destination: s3://four-permissions/checks/default/")
	assert.Contains(t, out, "OK    audits3 route airkit-org: s3://put-object-only/checks/airkit-org/")
	assert.Contains(t, out, "All 2 destinations verified.")
	assert.Len(t, srv.ListKeys(t, "four-permissions", "checks/default/"), 1)
	assert.Len(t, srv.ListKeys(t, "put-object-only", "checks/airkit-org/"), 1)
}

func TestRoutesFileAndExporterSelection(t *testing.T) {
	srv := startS3(t)
	dir := t.TempDir()
	routes := filepath.Join(dir, "routes.yaml")
	// The routes file is the exporter's own, read without the collector's ${env:...} expansion.
	require.NoError(t, os.WriteFile(routes, []byte("file-org:\n  bucket: denied\n  endpoint: "+srv.Endpoint+
		"\n  path_style: true\n  credentials: {access_key_id: "+writerKey+", secret_access_key: "+writerSecret+"}\n"), 0o600))
	config := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(config, []byte("exporters:\n"+
		"  audits3/eu:\n    "+destination("    ", "four-permissions")+"spool: {directory: "+dir+"/eu}\n"+
		"    routes_file: "+routes+"\n"+
		"  audits3/us:\n    "+destination("    ", "put-object-only")+"spool: {directory: "+dir+"/us}\n"+
		"  debug:\n"), 0o600))

	code, out, _ := runVerify(t, "--config", config)
	assert.Equal(t, exitVerifyFailed, code)
	assert.Regexp(t, regexp.MustCompile(`(?m)^OK    audits3/eu default destination: `), out)
	assert.Regexp(t, regexp.MustCompile(`(?m)^FAIL  audits3/eu route file-org: verify s3://denied/`), out, "routes_file routes are verified")
	assert.Regexp(t, regexp.MustCompile(`(?m)^OK    audits3/us default destination: `), out)

	code, out, _ = runVerify(t, "--config", config, "--exporter", "audits3/us")
	assert.Equal(t, exitOK, code)
	assert.NotContains(t, out, "audits3/eu")

	code, _, errOut := runVerify(t, "--config", config, "--exporter", "audits3/asia")
	assert.Equal(t, exitCannotCheck, code)
	assert.Contains(t, errOut, "audits3/asia")
}

func TestCannotCheck(t *testing.T) {
	dir := t.TempDir()
	n := 0
	write := func(body string) string {
		n++
		p := filepath.Join(dir, strconv.Itoa(n)+".yaml")
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no config":        {nil, "--config is required"},
		"missing file":     {[]string{"--config", filepath.Join(dir, "absent.yaml")}, "absent.yaml"},
		"no audits3":       {[]string{"--config", write("exporters:\n  debug:\n")}, "no audits3 exporter"},
		"invalid config":   {[]string{"--config", write("exporters:\n  audits3:\n    bucket: Not_A_Bucket\n")}, "exporters::audits3"},
		"unknown key":      {[]string{"--config", write("exporters:\n  audits3:\n    bucket: b\n    bukcet: c\n    spool: {directory: " + dir + "}\n")}, "bukcet"},
		"bad log level":    {[]string{"--config", "x.yaml", "--log-level", "loud"}, "--log-level"},
		"stray argument":   {[]string{"--config", "x.yaml", "extra"}, "unexpected arguments"},
		"invalid spooling": {[]string{"--config", write("exporters:\n  audits3:\n    bucket: b\n")}, "spool::directory"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, errOut := runVerify(t, tc.args...)
			assert.Equal(t, exitCannotCheck, code)
			assert.Contains(t, errOut, tc.want)
		})
	}
}

func TestRoutesFileProblems(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		routes   string
		wantCode int
		wantLine string
	}{
		// "{}" is how a control plane writes "no customers yet": nothing was verified, so a
		// pre-deploy gate must not pass.
		"no destination":        {"{}\n", exitVerifyFailed, "FAIL  audits3: no destination configured"},
		"routes file not valid": {"acme: [not, a, route]\n", exitCannotCheck, "CANNOT CHECK  audits3: "},
	} {
		t.Run(name, func(t *testing.T) {
			routes := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".yaml")
			require.NoError(t, os.WriteFile(routes, []byte(tc.routes), 0o600))
			config := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+"-config.yaml")
			require.NoError(t, os.WriteFile(config, []byte("exporters:\n  audits3:\n    routes_file: "+routes+
				"\n    spool: {directory: "+dir+"}\n"), 0o600))
			code, out, _ := runVerify(t, "--config", config)
			assert.Equal(t, tc.wantCode, code, out)
			assert.Contains(t, out, tc.wantLine)
		})
	}
}
