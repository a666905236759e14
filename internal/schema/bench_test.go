package schema

import (
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditship/auditship/internal/auditevent"
	"github.com/auditship/auditship/internal/compression"
)

// benchRecords is the batch every benchmark encodes.
const benchRecords = 100_000

var benchEvents = []struct {
	name            string
	category, class int64
	description     string
}{
	{"user_login", 3, 3002, "User logged in"},
	{"datasource_create", 99, 99002, "New data source created"},
	{"data_export_initiate", 6, 6005, "User started a data export"},
	{"permission_user_add", 3, 3005, "Permission added to user"},
	{"dashboard_update", 99, 99007, "Dashboard updated"},
}

// benchLogs builds n GoodData-shaped records as they reach the exporter: every field of the
// seed's entry set, the ocsf processor's attributes added, and details with nested entries.
func benchLogs(n int) plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	lrs.EnsureCapacity(n)
	start := time.Date(2026, 11, 22, 2, 30, 0, 0, time.UTC)
	for i := range n {
		ev := benchEvents[i%len(benchEvents)]
		lr := lrs.AppendEmpty()
		at := start.Add(time.Duration(i) * 7 * time.Millisecond)
		lr.SetTimestamp(pcommon.NewTimestampFromTime(at))
		lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(at.Add(40 * time.Millisecond)))
		lr.SetEventName(ev.name)
		id := strconv.Itoa(i)
		a := lr.Attributes()
		a.EnsureCapacity(24)
		a.PutStr(auditevent.AttrSourceFormat, auditevent.FormatGoodData)
		a.PutInt(auditevent.AttrOCSFCategoryUID, ev.category)
		a.PutInt(auditevent.AttrOCSFClassUID, ev.class)
		a.PutStr(auditevent.AttrDescription, ev.description)
		a.PutStr(auditevent.AttrOrgID, "org_abc"+strconv.Itoa(i%20))
		a.PutStr(auditevent.AttrWorkspaceID, "workspace_xyz"+strconv.Itoa(i%50))
		a.PutStr(auditevent.AttrUserID, "user_"+strconv.Itoa(i%1000))
		a.PutStr(auditevent.AttrTarget, "dashboard_"+strconv.Itoa(i%300))
		a.PutStr(auditevent.AttrClientAddress, "10.1."+strconv.Itoa(i%256)+"."+strconv.Itoa(i%7))
		if i%10 == 0 {
			a.PutStr(auditevent.AttrErrorCode, "ACCESS_DENIED")
		}
		a.PutStr(auditevent.AttrSessionContextType, "OIDC")
		a.PutStr(auditevent.AttrSessionContextIdentifier, "token_"+strconv.Itoa(i%5000))
		a.PutBool(auditevent.AttrSuccess, i%10 != 0)
		a.PutStr(auditevent.AttrType, auditevent.DefaultGoodDataType)
		a.PutStr(auditevent.AttrEventID, "0190a1b2-c3d4-7e5f-8a9b-"+strconv.FormatInt(100000000000+int64(i), 16))
		a.PutStr(auditevent.AttrOCSFCategoryName, "Identity & Access Management")
		a.PutStr(auditevent.AttrOCSFClassName, "Authentication")
		a.PutInt(auditevent.AttrOCSFActivityID, 1)
		a.PutStr(auditevent.AttrOCSFActivityName, "Logon")
		a.PutInt(auditevent.AttrOCSFTypeUID, ev.class*100+1)
		a.PutStr(auditevent.AttrOCSFTypeName, "Authentication: Logon")
		a.PutInt(auditevent.AttrOCSFSeverityID, 1)
		a.PutInt(auditevent.AttrOCSFStatusID, 1)

		body := lr.Body().SetEmptyMap()
		params := body.PutEmptyMap("parameters")
		params.PutStr("dataSourceId", "ds-"+id)
		params.PutStr("type", "POSTGRESQL")
		params.PutStr("password", "***")
		opts := params.PutEmptyMap("options")
		opts.PutBool("ssl", true)
		opts.PutInt("port", 5432)
		body.PutStr("exportFormat", "csv")
		groups := body.PutEmptySlice("userGroups")
		groups.AppendEmpty().SetStr("admins")
		groups.AppendEmpty().SetStr("analysts-" + strconv.Itoa(i%10))
	}
	return ld
}

// runOurs encodes every record on its own into a reused arena, as the exporter stages them,
// assembles the file and compresses it. Buffers are kept across iterations, as a running
// exporter keeps them, so the allocations left are those of the per-record path.
func runOurs(ld plog.Logs, cfg Config, typ compression.Type) func(*testing.B) {
	return func(b *testing.B) {
		enc, err := New(cfg)
		require.NoError(b, err)
		comp, err := compression.New(typ)
		require.NoError(b, err)
		lrs := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
		var arena, file, out []byte
		records := make([][]byte, 0, lrs.Len())
		once := func() {
			arena, records = arena[:0], records[:0]
			for i := 0; i < lrs.Len(); i++ {
				start := len(arena)
				arena = enc.AppendRecord(arena, lrs.At(i))
				records = append(records, arena[start:])
			}
			file = AppendFile(file[:0], enc, records)
			if out, err = comp.Compress(out[:0], file); err != nil {
				b.Fatal(err)
			}
		}
		once() // size the buffers
		measure(b, lrs.Len(), once, func() int { return len(out) })
	}
}

// runStock is what the contrib S3 exporter does with the otlp_json marshaler: the pdata JSON
// marshaler over the whole batch, then the same compressor.
func runStock(ld plog.Logs, typ compression.Type) func(*testing.B) {
	return func(b *testing.B) {
		comp, err := compression.New(typ)
		require.NoError(b, err)
		marshaler := &plog.JSONMarshaler{}
		var out []byte
		once := func() {
			file, err := marshaler.MarshalLogs(ld)
			if err != nil {
				b.Fatal(err)
			}
			if out, err = comp.Compress(out[:0], file); err != nil {
				b.Fatal(err)
			}
		}
		once()
		measure(b, ld.LogRecordCount(), once, func() int { return len(out) })
	}
}

// measure runs once b.N times and reports, besides ns/op, the cost per record and the size of
// the stored object per record.
func measure(b *testing.B, records int, once func(), outLen func() int) {
	var before, after runtime.MemStats
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	runtime.ReadMemStats(&before)
	for i := 0; i < b.N; i++ {
		once()
	}
	runtime.ReadMemStats(&after)
	b.StopTimer()
	total := float64(b.N) * float64(records)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/total, "ns/record")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/total, "allocs/record")
	b.ReportMetric(float64(outLen())/float64(records), "stored-B/record")
}

// BenchmarkEncodeCompress compares, on the same 100k records, our encoders with the stock
// exporter's pdata JSON, each compressed with the same library and level.
func BenchmarkEncodeCompress(b *testing.B) {
	ld := benchLogs(benchRecords)
	gooddata := Config{}
	csv := Config{Schema: Airkit, Format: CSV, OCSFColumns: true}
	ocsf := Config{Schema: OCSF}
	b.Run("gzip/ours-gooddata-ndjson", runOurs(ld, gooddata, compression.Gzip))
	b.Run("gzip/stock-otlp-json", runStock(ld, compression.Gzip))
	b.Run("gzip/ours-airkit-csv", runOurs(ld, csv, compression.Gzip))
	b.Run("gzip/ours-ocsf-ndjson", runOurs(ld, ocsf, compression.Gzip))
	b.Run("zstd/ours-gooddata-ndjson", runOurs(ld, gooddata, compression.Zstd))
	b.Run("zstd/stock-otlp-json", runStock(ld, compression.Zstd))
	b.Run("zstd/ours-airkit-csv", runOurs(ld, csv, compression.Zstd))
	b.Run("zstd/ours-ocsf-ndjson", runOurs(ld, ocsf, compression.Zstd))
	b.Run("none/ours-gooddata-ndjson", runOurs(ld, gooddata, compression.None))
	b.Run("none/stock-otlp-json", runStock(ld, compression.None))
	b.Run("none/ours-airkit-csv", runOurs(ld, csv, compression.None))
	b.Run("none/ours-ocsf-ndjson", runOurs(ld, ocsf, compression.None))
}

// The per-record path allocates nothing once the buffer is large enough: the target is at most
// one allocation per record, amortised.
func TestEncodersAllocateNothingPerRecord(t *testing.T) {
	ld := benchLogs(100)
	lrs := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	airkit := recordFrom(t, airkitFull)
	for _, cfg := range []Config{{}, {Format: JSON}, {Schema: Airkit}, {Schema: Airkit, Format: CSV, OCSFColumns: true}, {Schema: OCSF}} {
		enc, err := New(cfg)
		require.NoError(t, err)
		buf := make([]byte, 0, 1<<20)
		allocs := testing.AllocsPerRun(10, func() {
			buf = buf[:0]
			for i := 0; i < lrs.Len(); i++ {
				buf = enc.AppendRecord(buf, lrs.At(i))
			}
			buf = enc.AppendRecord(buf, airkit)
		})
		assert.Zero(t, allocs, "%s/%s", cfg.Schema, cfg.Format)
	}
}

// BenchmarkAppendRecord is the per-record cost alone, on 1,000 records that stay in cache.
func BenchmarkAppendRecord(b *testing.B) {
	ld := benchLogs(1000)
	lrs := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	for _, tt := range []struct {
		name string
		cfg  Config
	}{
		{"gooddata-ndjson", Config{}},
		{"airkit-ndjson", Config{Schema: Airkit, OCSFColumns: true}},
		{"airkit-csv", Config{Schema: Airkit, Format: CSV, OCSFColumns: true}},
		{"ocsf-ndjson", Config{Schema: OCSF}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			enc, err := New(tt.cfg)
			require.NoError(b, err)
			buf := make([]byte, 0, 1<<16)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				buf = enc.AppendRecord(buf[:0], lrs.At(i%lrs.Len()))
				i++
			}
		})
	}
}
