package audits3exporter

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

func TestObjectKey(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 999_999_999, time.FixedZone("CET", 3600))
	tests := []struct {
		name        string
		prefix      string
		compression Compression
		want        string
	}{
		{name: "default", prefix: "auditlog/default", compression: CompressionNone, want: "auditlog/default/org-1/20260102020405.json"},
		{name: "gzip", prefix: "auditlog/default", compression: CompressionGzip, want: "auditlog/default/org-1/20260102020405.json.gz"},
		{name: "no prefix", prefix: "", compression: CompressionNone, want: "org-1/20260102020405.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, newObjectFormat(tt.prefix, tt.compression).key("org-1", at))
		})
	}
}

func TestGzipBodyIsDeterministic(t *testing.T) {
	f := newObjectFormat("p", CompressionGzip)
	ndjson := []byte(strings.Repeat(`{"eventName":"USER_LOGIN"}`+"\n", 100))
	first, err := f.body(ndjson)
	require.NoError(t, err)
	first = bytes.Clone(first)
	second, err := f.body(ndjson)
	require.NoError(t, err)
	assert.Equal(t, first, second)

	zr, err := gzip.NewReader(bytes.NewReader(first))
	require.NoError(t, err)
	assert.Empty(t, zr.Name)
	assert.True(t, zr.ModTime.IsZero())
	plain, err := io.ReadAll(zr)
	require.NoError(t, err)
	assert.Equal(t, ndjson, plain)
}

func TestValidOrgID(t *testing.T) {
	tests := []struct {
		org   string
		valid bool
	}{
		{"org-1", true},
		{"Org_1.eu", true},
		{strings.Repeat("a", 128), true},
		{"...", true},
		{"", false},
		{".", false},
		{"..", false},
		{strings.Repeat("a", 129), false},
		{"a/b", false},
		{"a\\b", false},
		{"a b", false},
		{"a%2Fb", false},
		{"é", false},
		{"a\x00", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.valid, validOrgID(tt.org), "%q", tt.org)
	}
}

func TestSplitByTenantNamesByEarliestObservedTime(t *testing.T) {
	ld := newTestLogs(
		testEvent{org: "a", id: "1", observed: t0.Add(5 * time.Second)},
		testEvent{org: "a", id: "2", observed: t0},
		testEvent{org: "b", id: "3", observed: t0.Add(time.Minute)},
	)
	// A record without an observed time counts with its own time.
	lr := appendEvent(ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords(), testEvent{org: "b", id: "4"})
	lr.SetObservedTimestamp(0)
	lr.SetTimestamp(pcommon.NewTimestampFromTime(t0.Add(-time.Hour)))

	batches, rejected := splitByTenant(ld)

	assert.Zero(t, rejected)
	require.Len(t, batches, 2)
	assert.Equal(t, "a", batches[0].orgID)
	assert.Equal(t, t0, batches[0].earliest.AsTime())
	assert.Equal(t, 2, batches[0].records)
	assert.Equal(t, "b", batches[1].orgID)
	assert.Equal(t, t0.Add(-time.Hour), batches[1].earliest.AsTime())
	assert.Equal(t, []string{"1", "2"}, eventIDsOf(t, parseEntries(t, batches[0].body)))
}

func TestLogsOfTenantsKeepsStructureAndOrder(t *testing.T) {
	ld := plog.NewLogs()
	for r := range 2 {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutInt("r", int64(r))
		sl := rl.ScopeLogs().AppendEmpty()
		sl.Scope().SetName("scope")
		appendEvent(sl.LogRecords(), testEvent{org: "a", id: "a" + string(rune('0'+r))})
		appendEvent(sl.LogRecords(), testEvent{org: "b", id: "b" + string(rune('0'+r))})
	}

	out := logsOfTenants(ld, map[string]struct{}{"b": {}})

	require.Equal(t, 2, out.ResourceLogs().Len())
	require.Equal(t, 2, out.LogRecordCount())
	before, _ := splitByTenant(ld)
	after, _ := splitByTenant(out)
	require.Len(t, after, 1)
	assert.Equal(t, before[1].body, after[0].body, "a retry encodes the same bytes, so it finds its own object")
	assert.Equal(t, "scope", out.ResourceLogs().At(1).ScopeLogs().At(0).Scope().Name())
}
