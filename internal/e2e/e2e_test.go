// Package e2e runs the ocb-built otelcol-audit binary against a real S3 server (versitygw) and
// checks what lands in the bucket: every accepted event exactly once, the right OCSF class,
// the right file layout, and no planted secret.
package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auditship/auditship/internal/harness"
)

const bucket = "customer-audit-logs"

// The sample events of testdata/samples, as the files in S3 must show them.
var expected = map[string]struct{ org, name, category, class string }{
	"0193f1a0-0000-7000-8000-00000000a001": {"acme", "user_login", "3", "3002"},
	"0193f1a0-0000-7000-8000-00000000a002": {"acme", "USER_LOGIN", "3", "3002"},
	"0193f1a0-0000-7000-8000-00000000a003": {"acme", "AUTH_PROVIDER_CREATE", "99", "99001"},
	"0193f1a0-0000-7000-8000-00000000a004": {"acme", "DATASOURCE_CREATE", "99", "99002"},
	"0193f1a0-0000-7000-8000-00000000a006": {"acme", "CUSTOM_RETENTION_CHANGE", "0", "0"},
	"0193f1a0-0000-7000-8000-00000000b001": {"globex", "WORKSPACE_DELETE", "99", "99005"},
	"0193f1a0-0000-7000-8000-00000000b002": {"globex", "API_TOKEN_CREATE", "3", "3002"},
	"ak-0001":                              {"initech", "user_login", "3", "3002"},
	"ak-0002":                              {"initech", "invalid_login", "3", "3002"},
	"ak-0003":                              {"initech", "new_api_key", "3", "3002"},
	"ak-0004":                              {"initech", "new_datastore", "6", "6005"},
}

// Two sample events carry no id; the receiver generates one for each.
const (
	generatedIDs = 2
	totalEvents  = 13
)

var keyPattern = regexp.MustCompile(`^auditlog/default/(acme|globex|initech)/[0-9]{14}\.json$`)

func TestCollectorDeliversSamplesToS3(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()

	root, collectorBin, s3 := setUp(ctx, t, dir)
	require.NoError(t, s3.CreateBucket(ctx, bucket))

	col, err := harness.StartCollector(ctx, collectorBin, filepath.Join(root, "testdata", "demo.yaml"), filepath.Join(dir, "collector.log"), harness.CollectorEnv{
		S3: s3, Bucket: bucket, StateDir: filepath.Join(dir, "queue"),
		Extra: []string{"AUDITSHIP_FLUSH_INTERVAL=1s"},
	})
	require.NoError(t, err)
	collectorStopped := false
	defer func() {
		if !collectorStopped {
			_ = col.Stop(10 * time.Second)
		}
	}()

	accepted := 0
	for _, sample := range []string{"gooddata.ndjson", "airkit.json"} {
		res, err := col.PostFile(ctx, filepath.Join(root, "testdata", "samples", sample))
		require.NoError(t, err)
		require.Equal(t, 200, res.Status, res.Body)
		accepted += res.Accepted
	}
	require.Equal(t, totalEvents, accepted)

	// A request with one bad event is refused whole: its good event must not reach S3.
	res, err := col.Post(ctx, "application/x-ndjson", []byte(
		`{"eventName":"USER_LOGOUT","ts":"2026-11-22T03:00:00.000Z","orgId":"acme","eventId":"must-not-land"}`+"\n"+
			`{"eventName":"USER_LOGOUT","ts":"2026-11-22T03:00:00.000Z"}`+"\n"))
	require.NoError(t, err)
	assert.Equal(t, 400, res.Status)
	assert.Contains(t, res.Body, "orgId")

	objects := waitForLines(ctx, t, s3, totalEvents)

	seen := map[string]int{}
	perOrg := map[string]int{}
	entries := map[string]map[string]any{}
	for _, o := range objects {
		assert.Regexp(t, keyPattern, o.Key)
		assert.NotContains(t, string(o.Body), "PLANTED", "a planted secret reached S3 in %s", o.Key)
		lines, err := o.Lines()
		require.NoError(t, err)
		for _, line := range lines {
			var entry map[string]any
			require.NoError(t, json.Unmarshal([]byte(line), &entry), line)
			id, _ := entry["eventId"].(string)
			require.NotEmpty(t, id, line)
			seen[id]++
			entries[id] = entry
			org := entry["orgId"].(string)
			perOrg[org]++
			assert.Contains(t, o.Key, "/"+org+"/", "event %s filed under another tenant", id)
			assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`, entry["ts"])
			assert.Equal(t, "audit", entry["type"])
			if want, ok := expected[id]; ok {
				assert.Equal(t, want.org, org, id)
				assert.Equal(t, want.name, entry["eventName"], id)
				assert.Equal(t, want.category, entry["categoryUid"], id)
				assert.Equal(t, want.class, entry["classUid"], id)
			}
		}
	}
	for id := range expected {
		assert.Equal(t, 1, seen[id], "event %s delivered %d times", id, seen[id])
	}
	assert.Len(t, seen, len(expected)+generatedIDs, "distinct event ids in S3")
	assert.Zero(t, seen["must-not-land"], "an event of a refused request reached S3")
	assert.Equal(t, map[string]int{"acme": 6, "globex": 2, "initech": 5}, perOrg)
	assertFieldsKept(t, filepath.Join(root, "testdata", "samples", "gooddata.ndjson"), entries)
	ak := entries["ak-0002"]
	assert.Equal(t, "u-milton", ak["userId"], "Airkit USER_ID")
	assert.Equal(t, "2026-11-22T02:41:00.250Z", ak["ts"], "Airkit EVENT_TIME")

	collectorStopped = true
	require.NoError(t, col.Stop(30*time.Second), "graceful shutdown")
	logText, err := os.ReadFile(col.LogPath)
	require.NoError(t, err)
	assert.NotContains(t, string(logText), "PLANTED", "a planted secret reached the collector's log")
}

// assertFieldsKept checks that every field a GoodData sample entry gave comes out unchanged,
// but for details, where the mask processor has been at work.
func assertFieldsKept(t *testing.T, samplePath string, entries map[string]map[string]any) {
	t.Helper()
	data, err := os.ReadFile(samplePath)
	require.NoError(t, err)
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var in map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &in))
		id, ok := in["eventId"].(string)
		if !ok {
			continue
		}
		out := entries[id]
		require.NotNil(t, out, id)
		for field, want := range in {
			if field != "details" {
				assert.Equal(t, want, out[field], "%s: field %s", id, field)
			}
		}
	}
}

func waitForLines(ctx context.Context, t *testing.T, s3 *harness.S3Server, want int) []harness.Object {
	t.Helper()
	_, err := s3.WaitForLines(ctx, bucket, want, 500*time.Millisecond)
	require.NoError(t, err)
	// Give a late duplicate, if there were one, the chance to show up.
	time.Sleep(2 * time.Second)
	objects, err := s3.Objects(ctx, bucket, "")
	require.NoError(t, err)
	return objects
}

// collectorBinary is $AUDITSHIP_COLLECTOR or bin/otelcol-audit; without it the test fails (it is
// part of `make test`, which builds it).
func collectorBinary(t *testing.T, root string) string {
	t.Helper()
	path := os.Getenv("AUDITSHIP_COLLECTOR")
	if path == "" {
		path = filepath.Join(root, "bin", "otelcol-audit")
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s not found (%v): run `make build` or use `make test`", path, err)
	}
	return path
}

// setUp starts what every end-to-end test needs: versitygw with its data under dir, stopped
// when the test ends. It returns the module root, the collector binary (collectorBinary) and
// the S3 server.
func setUp(ctx context.Context, t *testing.T, dir string) (root, collectorBin string, s3 *harness.S3Server) {
	t.Helper()
	root, err := harness.ModuleRoot()
	require.NoError(t, err)
	collectorBin = collectorBinary(t, root)
	versitygwBin, err := harness.FindVersitygw()
	require.NoError(t, err)
	s3, err = harness.StartS3(ctx, versitygwBin, filepath.Join(dir, "s3"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s3.Stop(10 * time.Second) })
	return root, collectorBin, s3
}
