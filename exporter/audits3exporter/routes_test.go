package audits3exporter

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/auditship/auditship/exporter/audits3exporter/internal/destination"
)

// routeYAML is one routes-file entry. Every route has a loopback endpoint: these tests never
// connect, but a route without one would mean AWS.
func routeYAML(org, bucket string) string {
	return fmt.Sprintf("%s:\n  bucket: %s\n  endpoint: http://127.0.0.1:9\n  path_style: true\n", org, bucket)
}

// watchedRoutes is a route table over a routes file, loaded as at start-up, that records the
// wake-ups it asks for and the refusals it logs.
type watchedRoutes struct {
	table *routeTable
	path  string
	// wakes holds, for each onChange call, the org ids among wakeCandidates it reported changed.
	wakes   [][]string
	refused func() int
}

// wakeCandidates are the org ids the tests ask onChange about: some in the files, one never.
var wakeCandidates = []string{"acme", "globex", "initech", "umbrella"}

func newWatchedRoutes(t *testing.T, content string) *watchedRoutes {
	t.Helper()
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.Bucket = "default-bucket"
	cfg.Endpoint = "http://127.0.0.1:9"
	cfg.RoutesFile = filepath.Join(t.TempDir(), "routes.yaml")
	require.NoError(t, os.WriteFile(cfg.RoutesFile, []byte(content), 0o600))
	core, logs := observer.New(zap.ErrorLevel)
	w := &watchedRoutes{path: cfg.RoutesFile, refused: func() int {
		return logs.FilterMessage("Routes file refused; the routes in use stay.").Len()
	}}
	pool := destination.NewPool(nil)
	t.Cleanup(pool.Close)
	w.table = newRouteTable(cfg, pool, zap.New(core), func(changed func(org string) bool) {
		var orgs []string
		for _, org := range wakeCandidates {
			if changed(org) {
				orgs = append(orgs, org)
			}
		}
		w.wakes = append(w.wakes, orgs)
	})
	require.NoError(t, w.table.loadFile())
	return w
}

// rewrite replaces the file's content in place; with sameModTime it keeps the modification
// time, as a rewrite within one tick of the file system's clock does.
func (w *watchedRoutes) rewrite(t *testing.T, content string, sameModTime bool) {
	t.Helper()
	st, err := os.Stat(w.path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(w.path, []byte(content), 0o600))
	if sameModTime {
		require.NoError(t, os.Chtimes(w.path, st.ModTime(), st.ModTime()))
	} else {
		later := st.ModTime().Add(time.Second)
		require.NoError(t, os.Chtimes(w.path, later, later))
	}
}

func (w *watchedRoutes) bucketOf(org string) string {
	rc, ok := w.table.routeConfig(org)
	if !ok {
		return ""
	}
	return rc.Bucket
}

// TestRoutesFileIgnoresTornReads: a file caught while the control plane rewrites it in place
// is never put in use; a content is applied once two polls in a row have read it.
func TestRoutesFileIgnoresTornReads(t *testing.T) {
	type step struct {
		content     string
		sameModTime bool
		polls       int
		// wantBucket is acme's bucket after the polls.
		wantBucket string
	}
	initial := routeYAML("acme", "audit-logs-aa")
	complete := routeYAML("acme", "audit-logs-ab")
	tests := []struct {
		name        string
		steps       []step
		wantRefused int
	}{
		{
			name: "an empty file is refused",
			steps: []step{
				{content: "", polls: 3, wantBucket: "audit-logs-aa"},
			},
			wantRefused: 1,
		},
		{
			name: "a file of comments only is refused",
			steps: []step{
				{content: "# routes, written by the control plane\n", polls: 3, wantBucket: "audit-logs-aa"},
			},
			wantRefused: 1,
		},
		{
			name: "an explicit {} is no routes",
			steps: []step{
				{content: "{}\n", polls: 2, wantBucket: "default-bucket"},
			},
		},
		{
			name: "a file cut inside a bucket name is not applied",
			steps: []step{
				{content: strings.Replace(complete, "audit-logs-ab", "audit-logs-a", 1), polls: 1, wantBucket: "audit-logs-aa"},
				{content: complete, polls: 1, wantBucket: "audit-logs-aa"},
				{content: complete, polls: 1, wantBucket: "audit-logs-ab"},
			},
		},
		{
			name: "a new content is applied on the second poll that reads it",
			steps: []step{
				{content: complete, polls: 1, wantBucket: "audit-logs-aa"},
				{content: complete, polls: 1, wantBucket: "audit-logs-ab"},
			},
		},
		{
			name: "a same-size rewrite within one modification-time tick is seen",
			steps: []step{
				{content: complete, sameModTime: true, polls: 2, wantBucket: "audit-logs-ab"},
			},
		},
		{
			name: "a file rewritten at every poll with another comment is applied",
			steps: []step{
				{content: "# generated 1\n" + complete, polls: 1, wantBucket: "audit-logs-aa"},
				{content: "# generated 2\n" + complete, polls: 1, wantBucket: "audit-logs-ab"},
			},
		},
		{
			name: "routes that differ at every poll are not applied",
			steps: []step{
				{content: routeYAML("acme", "audit-logs-ab"), polls: 1, wantBucket: "audit-logs-aa"},
				{content: routeYAML("acme", "audit-logs-ac"), polls: 1, wantBucket: "audit-logs-aa"},
				{content: routeYAML("acme", "audit-logs-ad"), polls: 1, wantBucket: "audit-logs-aa"},
			},
		},
		{
			name: "a bad file is logged once per distinct content, and the routes stay",
			steps: []step{
				{content: routeYAML("acme", "Not_A_Bucket"), polls: 4, wantBucket: "audit-logs-aa"},
				{content: routeYAML("acme", "Still_Not_A_Bucket"), polls: 3, wantBucket: "audit-logs-aa"},
				{content: complete, polls: 2, wantBucket: "audit-logs-ab"},
			},
			wantRefused: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWatchedRoutes(t, initial)
			require.Equal(t, "audit-logs-aa", w.bucketOf("acme"))
			for i, s := range tt.steps {
				w.rewrite(t, s.content, s.sameModTime)
				for range s.polls {
					w.table.poll()
				}
				assert.Equal(t, s.wantBucket, w.bucketOf("acme"), "after step %d", i)
			}
			assert.Equal(t, tt.wantRefused, w.refused(), "refusals logged")
		})
	}
}

func TestRoutesFileAtStartUp(t *testing.T) {
	tests := []struct {
		name    string
		content string
		wantErr string
	}{
		{name: "no routes", content: "{}\n"},
		{name: "one route", content: routeYAML("acme", "audit-logs-aa")},
		{name: "empty", content: "", wantErr: "holds no map of routes"},
		{name: "comments only", content: "# nothing yet\n", wantErr: "holds no map of routes"},
		{name: "invalid route", content: routeYAML("acme", "Not_A_Bucket"), wantErr: "routes_file::acme::bucket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig().(*Config)
			cfg.RoutesFile = filepath.Join(t.TempDir(), "routes.yaml")
			require.NoError(t, os.WriteFile(cfg.RoutesFile, []byte(tt.content), 0o600))
			table := newRouteTable(cfg, nil, zap.NewNop(), func(func(string) bool) {})
			err := table.loadFile()
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
			assert.Nil(t, table.fileRoutes.Load(), "a refused file puts no routes in use")
		})
	}
}

// TestRoutesFileWakesOnlyChangedTenants: a new routes file wakes the tenants whose route was
// added, removed or changed, and nothing at all when the routes in use are the same.
func TestRoutesFileWakesOnlyChangedTenants(t *testing.T) {
	before := routeYAML("acme", "audit-logs-aa") + routeYAML("globex", "globex-audit")
	tests := []struct {
		name  string
		after string
		// wantWakes is the org ids of each onChange call (nil: no call at all).
		wantWakes [][]string
	}{
		{
			name:      "a route changed",
			after:     routeYAML("acme", "audit-logs-ab") + routeYAML("globex", "globex-audit"),
			wantWakes: [][]string{{"acme"}},
		},
		{
			name:      "a route added",
			after:     before + routeYAML("initech", "initech-audit"),
			wantWakes: [][]string{{"initech"}},
		},
		{
			name:      "a route removed",
			after:     routeYAML("acme", "audit-logs-aa"),
			wantWakes: [][]string{{"globex"}},
		},
		{
			name:      "a route's credentials changed",
			after:     before + "  credentials:\n    access_key_id: AKIAFAKEFAKEFAKEFAKE\n    secret_access_key: s3cr3t\n",
			wantWakes: [][]string{{"globex"}},
		},
		{
			name:      "every route replaced",
			after:     routeYAML("initech", "initech-audit"),
			wantWakes: [][]string{{"acme", "globex", "initech"}},
		},
		{name: "the same content, a new modification time", after: before},
		{name: "the same routes, reordered and commented", after: "# rewritten\n" + routeYAML("globex", "globex-audit") + routeYAML("acme", "audit-logs-aa")},
		{name: "defaults spelled out", after: before + "  region: us-east-1\n  key: " + NewFactory().CreateDefaultConfig().(*Config).Key + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWatchedRoutes(t, before)
			w.rewrite(t, tt.after, false)
			for range 3 {
				w.table.poll()
			}
			assert.Equal(t, tt.wantWakes, w.wakes)
		})
	}
}
