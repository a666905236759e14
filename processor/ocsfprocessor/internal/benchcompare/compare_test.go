package benchcompare

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/transformprocessor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/auditship/auditship/internal/auditevent"
	"github.com/auditship/auditship/processor/ocsfprocessor"
	"github.com/auditship/auditship/processor/ocsfprocessor/internal/ocsftable"
)

// The three ways to classify that are compared.
const (
	variantOCSF         = "ocsf"
	variantPerStatement = "ottl_per_statement"
	variantMapLookup    = "ottl_map_lookup"
)

var variants = []string{variantOCSF, variantPerStatement, variantMapLookup}

// variantFloor is no classifier: it writes the data contract's ten ocsf attributes with fixed
// values and looks nothing up, the least any processor pays through pdata's public API (an
// allocated value and a scan of the attributes for each new key). It shows how much of the
// ocsf processor's time is left to win.
const variantFloor = "pdata_floor"

func writeFloor(_ context.Context, ld plog.Logs) error {
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				a := lr.Attributes()
				a.PutInt(auditevent.AttrOCSFCategoryUID, 3)
				a.PutStr(auditevent.AttrOCSFCategoryName, "Identity & Access Management")
				a.PutInt(auditevent.AttrOCSFClassUID, 3002)
				a.PutStr(auditevent.AttrOCSFClassName, "Authentication")
				a.PutInt(auditevent.AttrOCSFActivityID, 1)
				a.PutStr(auditevent.AttrOCSFActivityName, "Logon")
				a.PutInt(auditevent.AttrOCSFTypeUID, 300201)
				a.PutStr(auditevent.AttrOCSFTypeName, "Authentication: Logon")
				a.PutInt(auditevent.AttrOCSFSeverityID, 1)
				a.PutInt(auditevent.AttrOCSFStatusID, 1)
			}
		}
	}
	return nil
}

// newProcessor builds a variant through its factory, as the collector would, passing to next.
func newProcessor(tb testing.TB, variant string, next consumer.Logs) processor.Logs {
	tb.Helper()
	tables, err := ocsftable.Load()
	require.NoError(tb, err)
	var f processor.Factory
	var cfg any
	switch variant {
	case variantOCSF:
		f = ocsfprocessor.NewFactory()
		cfg = f.CreateDefaultConfig()
	default:
		gen := perStatementOTTL
		if variant == variantMapLookup {
			gen = mapLookupOTTL
		}
		stmts, err := gen(tables)
		require.NoError(tb, err)
		f = transformprocessor.NewFactory()
		cfg = f.CreateDefaultConfig()
		conf := confmap.NewFromStringMap(map[string]any{
			"error_mode":     "ignore",
			"log_statements": []any{map[string]any{"context": "log", "statements": stmts}},
		})
		require.NoError(tb, conf.Unmarshal(cfg))
		require.NoError(tb, cfg.(interface{ Validate() error }).Validate())
	}
	p, err := f.CreateLogs(context.Background(), processortest.NewNopSettings(f.Type()), cfg, next)
	require.NoError(tb, err)
	require.NoError(tb, p.Start(context.Background(), componenttest.NewNopHost()))
	tb.Cleanup(func() { require.NoError(tb, p.Shutdown(context.Background())) })
	return p
}

// batchRecords is the size of a batch; per-record figures divide by it.
const batchRecords = 1000

// event is one input line of a batch, and which of the receiver's converters takes it.
type event struct {
	line   []byte
	airkit bool
}

// batchEvents returns the lines of a batch: five in eight GoodData entries (event names in lower
// case, as GoodData's files write them, half carrying GoodData's own categoryUid and classUid, a
// fifth with credentials under details), three in eight Airkit rows, every one of the 114 names
// many times over, and one record in a hundred named in no table.
func batchEvents(tb testing.TB) []event {
	tb.Helper()
	tables, err := ocsftable.Load()
	require.NoError(tb, err)
	events := make([]event, 0, batchRecords)
	g, a := 0, 0
	for i := range batchRecords {
		var line []byte
		if i%8 < 5 {
			e := tables.GoodData[g%len(tables.GoodData)]
			g++
			name := strings.ToLower(e.EventName)
			if i%100 == 99 {
				name = "custom_retention_change"
			}
			line = append(line, `{"eventName":"`...)
			line = append(line, name...)
			if i%2 == 0 {
				line = fmt.Appendf(line, `","categoryUid":"%d","classUid":"%d`, e.CategoryUID, e.ClassUID)
			}
			line = fmt.Appendf(line, `","description":"benchmark event","ts":"2026-11-22T02:30:00.123Z","orgId":"org-%d","workspaceId":"ws-%d","userId":"user-%d","target":"dashboard-%d","source":"203.0.113.%d","sessionContextType":"OIDC","sessionContextIdentifier":"session-%d","success":%t,"type":"audit","eventId":"bench-%d"`,
				i%7, i%97, i%503, i%211, i%250, i%1000, i%13 != 0, i)
			if i%13 == 0 {
				line = append(line, `,"errorCode":"ACCESS_DENIED"`...)
			}
			if i%5 == 0 {
				line = fmt.Appendf(line, `,"details":{"requestId":"req-%d","parameters":{"clientId":"client-7","clientSecret":"secret-%d","password":"pw-%d"}}}`, i, i, i)
			} else {
				line = fmt.Appendf(line, `,"details":{"requestId":"req-%d","changed":["title","layout"]}}`, i)
			}
			events = append(events, event{line: line})
			continue
		}
		e := tables.Airkit[a%len(tables.Airkit)]
		a++
		name := strings.ToLower(e.EventName)
		if i%100 == 99 {
			name = "portal_theme_changed"
		}
		line = fmt.Appendf(line, `{"ORGANIZATION_ID":"org-%d","EVENT_ID":"airkit-%d","EVENT_TIME":"2026-11-22 02:30:00.123","EVENT_TYPE":"%s","ROOT_SCOPE_USER_ID":"root-%d","USER_ID":"user-%d","EMAIL":"user-%d@example.com","APP_ID":"app-%d","BRANCH_ID":null,"DEPLOY_ID":"deploy-%d","RESOURCE_TYPE":"app","RESOURCE_ID":"res-%d","DOMAIN":"example.com","API_KEY_ID":null,"LOGIN_TYPE":"password"}`,
			i%7, i, name, i%3, i%503, i%503, i%31, i%17, i%211)
		events = append(events, event{line: line, airkit: true})
	}
	return events
}

// newBatch decodes and converts events as the receiver does, through auditevent, into a new
// batch. A copy of a batch would not do: CopyTo sizes each attribute array exactly, while the
// receiver's converters leave room for what the processors add, and whether classify finds that
// room decides whether it copies every record's attributes.
func newBatch(tb testing.TB, events []event) plog.Logs {
	tb.Helper()
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	lrs.EnsureCapacity(len(events))
	for _, ev := range events {
		entry := pcommon.NewMap()
		require.NoError(tb, auditevent.ParseJSONObject(ev.line, entry))
		convert := auditevent.GoodDataToRecord
		if ev.airkit {
			convert = auditevent.AirkitToRecord
		}
		require.NoError(tb, convert(entry, lrs.AppendEmpty()))
	}
	return ld
}

// ocsfKeys are the classification both OTTL configurations write, and the ocsf processor too.
var ocsfKeys = []string{
	auditevent.AttrOCSFCategoryUID, auditevent.AttrOCSFCategoryName,
	auditevent.AttrOCSFClassUID, auditevent.AttrOCSFClassName,
	auditevent.AttrOCSFActivityID, auditevent.AttrOCSFActivityName,
	auditevent.AttrOCSFTypeUID, auditevent.AttrOCSFTypeName,
}

func classifyAll(t *testing.T, variant string) []plog.LogRecord {
	t.Helper()
	sink := new(consumertest.LogsSink)
	p := newProcessor(t, variant, sink)
	require.NoError(t, p.ConsumeLogs(context.Background(), newBatch(t, batchEvents(t))))
	require.Len(t, sink.AllLogs(), 1)
	var out []plog.LogRecord
	for _, rl := range sink.AllLogs()[0].ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				out = append(out, lr)
			}
		}
	}
	require.Len(t, out, batchRecords)
	return out
}

// TestSameClassification checks that the comparison is of the same work: for every record, the
// OTTL configurations write the same OCSF ids, names and status as the ocsf processor.
func TestSameClassification(t *testing.T) {
	ours := classifyAll(t, variantOCSF)
	for _, variant := range []string{variantPerStatement, variantMapLookup} {
		t.Run(variant, func(t *testing.T) {
			theirs := classifyAll(t, variant)
			onlyOurs := map[string]int{}
			statusDiffs := 0
			for i := range ours {
				name := ours[i].EventName()
				require.Equal(t, name, theirs[i].EventName())
				for _, k := range ocsfKeys {
					want, wok := ours[i].Attributes().Get(k)
					got, gok := theirs[i].Attributes().Get(k)
					if !assert.Equal(t, wok, gok, "record %d (%s): %s present", i, name, k) || !wok {
						continue
					}
					assert.Equal(t, want.AsRaw(), got.AsRaw(), "record %d (%s): %s", i, name, k)
				}
				// The status rules of the ocsf processor are its own to change; the OTTL
				// configurations follow them as they were written, and a difference is reported,
				// not failed.
				want, wok := ours[i].Attributes().Get(auditevent.AttrOCSFStatusID)
				got, gok := theirs[i].Attributes().Get(auditevent.AttrOCSFStatusID)
				if wok != gok || (wok && want.AsRaw() != got.AsRaw()) {
					statusDiffs++
				}
				for k := range ours[i].Attributes().All() {
					if _, ok := theirs[i].Attributes().Get(k); !ok {
						onlyOurs[k]++
					}
				}
				// Every record is classified, by both.
				_, ok := theirs[i].Attributes().Get(auditevent.AttrOCSFClassUID)
				assert.True(t, ok, "record %d (%s) has a class", i, name)
			}
			if statusDiffs > 0 {
				t.Logf("%d of %d records have a different %s", statusDiffs, len(ours), auditevent.AttrOCSFStatusID)
			}
			if len(onlyOurs) > 0 {
				t.Logf("attributes the ocsf processor writes and the OTTL configuration does not (records): %v", onlyOurs)
			}
		})
	}
}

// TestConfigurationsParse reports the size of the OTTL configurations.
func TestConfigurationsParse(t *testing.T) {
	tables, err := ocsftable.Load()
	require.NoError(t, err)
	per, err := perStatementOTTL(tables)
	require.NoError(t, err)
	one, err := mapLookupOTTL(tables)
	require.NoError(t, err)
	fb, err := fallbackStatements(tables)
	require.NoError(t, err)
	names := map[string]bool{}
	for _, e := range entries(tables) {
		names[e.format+"/"+e.name] = true
	}
	t.Logf("per-statement: %d classification statements (+%d fallback), %d bytes; map lookup: 1 statement (+%d fallback), %d bytes",
		len(per)-len(fb), len(fb), len(strings.Join(per, "\n")), len(fb), len(strings.Join(one, "\n")))
	assert.Len(t, tables.GoodData, 69)
	assert.Len(t, tables.Airkit, 45)
	for _, v := range variants {
		newProcessor(t, v, new(consumertest.LogsSink))
	}
}

// result is the last (largest) run of one variant's benchmark.
type result struct {
	nsPerRecord, allocsPerRecord float64
}

var (
	resultsMu sync.Mutex
	results   = map[string]result{}
)

// BenchmarkClassify feeds the same 1000 events to each variant. Each iteration's batch is
// decoded and converted anew, as the receiver hands it over; that, and a GC collecting the
// previous batch, happen with the timer stopped, so ns/record is the processor alone (through
// processorhelper, as in a pipeline) and allocs/record counts only the processor's allocations.
func BenchmarkClassify(b *testing.B) {
	events := batchEvents(b)
	for _, variant := range append(variants, variantFloor) {
		b.Run(variant, func(b *testing.B) {
			consume := writeFloor
			if variant != variantFloor {
				consume = newProcessor(b, variant, consumertest.NewNop()).ConsumeLogs
			}
			ctx := context.Background()
			var ms runtime.MemStats
			var mallocs uint64
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				ld := newBatch(b, events)
				runtime.GC()
				runtime.ReadMemStats(&ms)
				before := ms.Mallocs
				b.StartTimer()
				if err := consume(ctx, ld); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				runtime.ReadMemStats(&ms)
				mallocs += ms.Mallocs - before
				b.StartTimer()
			}
			records := float64(b.N) * batchRecords
			r := result{
				nsPerRecord:     float64(b.Elapsed().Nanoseconds()) / records,
				allocsPerRecord: float64(mallocs) / records,
			}
			b.ReportMetric(r.nsPerRecord, "ns/record")
			b.ReportMetric(r.allocsPerRecord, "allocs/record")
			b.ReportMetric(1e9/r.nsPerRecord, "records/s")
			resultsMu.Lock()
			results[variant] = r
			resultsMu.Unlock()
		})
	}
}

// TestMain prints, after the benchmarks, how the ocsf processor compares with the targets:
// at least 20 times the records per second of the per-statement OTTL configuration, and at most
// one allocation per record.
func TestMain(m *testing.M) {
	code := m.Run()
	resultsMu.Lock()
	ours, okOurs := results[variantOCSF]
	per, okPer := results[variantPerStatement]
	one, okOne := results[variantMapLookup]
	floor, okFloor := results[variantFloor]
	resultsMu.Unlock()
	if okOurs && okPer && okOne {
		verdict := func(ok bool) string {
			if ok {
				return "met"
			}
			return "NOT met"
		}
		fmt.Printf("benchcompare: ocsf %.0f ns/record %.2f allocs/record; OTTL per statement %.0f ns/record %.2f allocs/record; OTTL map lookup %.0f ns/record %.2f allocs/record\n",
			ours.nsPerRecord, ours.allocsPerRecord, per.nsPerRecord, per.allocsPerRecord, one.nsPerRecord, one.allocsPerRecord)
		ratio := per.nsPerRecord / ours.nsPerRecord
		fmt.Printf("benchcompare: ocsf is %.1fx the records/s of OTTL per statement (target >= 20x: %s), %.1fx of OTTL map lookup; %.2f allocs/record (target <= 1: %s)\n",
			ratio, verdict(ratio >= 20), one.nsPerRecord/ours.nsPerRecord, ours.allocsPerRecord, verdict(ours.allocsPerRecord <= 1))
		if okFloor {
			fmt.Printf("benchcompare: writing the ten attributes alone (no lookup) costs %.0f ns/record %.2f allocs/record, %.1fx the records/s of OTTL per statement\n",
				floor.nsPerRecord, floor.allocsPerRecord, per.nsPerRecord/floor.nsPerRecord)
		}
	}
	os.Exit(code)
}
