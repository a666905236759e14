package benchcompare

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/redactionprocessor"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/auditship/auditship/processor/maskprocessor"
)

// The processors compared.
const (
	variantMask      = "mask"
	variantRedaction = "redaction"
	// variantRedactionOne is the same redaction configuration with its patterns folded into one
	// key regex and one value regex: the best case for the redaction processor.
	variantRedactionOne = "redaction_one_regex"
)

var variants = []string{variantMask, variantRedaction, variantRedactionOne}

// newProcessor builds a variant through its factory, as the collector would, passing to next.
func newProcessor(tb testing.TB, variant string, next consumer.Logs) processor.Logs {
	tb.Helper()
	var f processor.Factory
	var cfg any
	switch variant {
	case variantMask:
		f = maskprocessor.NewFactory()
		cfg = f.CreateDefaultConfig()
	default:
		f = redactionprocessor.NewFactory()
		cfg = f.CreateDefaultConfig()
		require.NoError(tb, confmap.NewFromStringMap(redactionConfig(variant == variantRedactionOne)).Unmarshal(cfg))
	}
	require.NoError(tb, cfg.(interface{ Validate() error }).Validate())
	p, err := f.CreateLogs(context.Background(), processortest.NewNopSettings(f.Type()), cfg, next)
	require.NoError(tb, err)
	require.NoError(tb, p.Start(context.Background(), componenttest.NewNopHost()))
	tb.Cleanup(func() { require.NoError(tb, p.Shutdown(context.Background())) })
	return p
}

func batch(tb testing.TB, mix string) plog.Logs {
	tb.Helper()
	ld, err := recordBatch(mix)
	require.NoError(tb, err)
	require.Equal(tb, batchRecords, ld.LogRecordCount())
	return ld
}

// TestRecordShape reports the shape of the benchmark's records: attributes, body values and
// string values per record, which is what a regex-based processor pays for.
func TestRecordShape(t *testing.T) {
	for _, mix := range mixes {
		ld := batch(t, mix)
		var attrs, keys, strs int
		var walk func(v pcommon.Value)
		walk = func(v pcommon.Value) {
			switch v.Type() {
			case pcommon.ValueTypeMap:
				for _, e := range v.Map().All() {
					keys++
					walk(e)
				}
			case pcommon.ValueTypeSlice:
				for _, e := range v.Slice().All() {
					walk(e)
				}
			case pcommon.ValueTypeStr:
				strs++
			}
		}
		for _, lr := range ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().All() {
			attrs += lr.Attributes().Len()
			v := pcommon.NewValueMap()
			lr.Attributes().CopyTo(v.Map())
			walk(v)
			walk(lr.Body())
		}
		n := float64(ld.LogRecordCount())
		t.Logf("%s records: %.1f attributes, %.1f keys and %.1f string values per record (attributes and body)",
			mix, float64(attrs)/n, float64(keys)/n, float64(strs)/n)
	}
}

// result is the last (largest) run of one variant's benchmark over one mix of records.
type result struct {
	nsPerRecord, allocsPerRecord float64
	// marginalAllocs is, for clean records, the allocations one more record costs: the
	// allocations of a batch of 1000 less those of a batch of 1, over 999. What the batch itself
	// costs (processorhelper, the walker pool) is left out.
	marginalAllocs float64
}

var (
	resultsMu sync.Mutex
	results   = map[string]result{}
)

// mallocsPerBatch is the mean number of allocations p makes for one fresh copy of src.
func mallocsPerBatch(tb testing.TB, p processor.Logs, src plog.Logs, runs int) float64 {
	tb.Helper()
	var ms runtime.MemStats
	var total uint64
	ld := plog.NewLogs()
	for range runs {
		src.CopyTo(ld)
		runtime.ReadMemStats(&ms)
		before := ms.Mallocs
		require.NoError(tb, p.ConsumeLogs(context.Background(), ld))
		runtime.ReadMemStats(&ms)
		total += ms.Mallocs - before
	}
	return float64(total) / float64(runs)
}

// BenchmarkMask feeds the same batch of 1000 records to each variant, for each mix of records.
// Each batch is a fresh copy: the copy, and a GC collecting the previous batch's garbage, happen
// with the timer stopped, so ns/record is the processor alone (through processorhelper, as in a
// pipeline) and allocs/record counts only the processor's allocations.
func BenchmarkMask(b *testing.B) {
	for _, mix := range mixes {
		for _, variant := range variants {
			b.Run(mix+"/"+variant, func(b *testing.B) {
				p := newProcessor(b, variant, consumertest.NewNop())
				src := batch(b, mix)
				ld := plog.NewLogs()
				ctx := context.Background()
				var ms runtime.MemStats
				var mallocs uint64
				b.ReportAllocs()
				for b.Loop() {
					b.StopTimer()
					runtime.GC()
					src.CopyTo(ld)
					runtime.ReadMemStats(&ms)
					before := ms.Mallocs
					b.StartTimer()
					if err := p.ConsumeLogs(ctx, ld); err != nil {
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
				if mix == mixClean {
					b.StopTimer()
					one := plog.NewLogs()
					rl := src.ResourceLogs().At(0)
					nrl := one.ResourceLogs().AppendEmpty()
					rl.Resource().CopyTo(nrl.Resource())
					rl.ScopeLogs().At(0).LogRecords().At(0).CopyTo(nrl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty())
					const runs = 50
					r.marginalAllocs = (mallocsPerBatch(b, p, src, runs) - mallocsPerBatch(b, p, one, runs)) / (batchRecords - 1)
					b.ReportMetric(r.marginalAllocs, "marginal-allocs/record")
				}
				resultsMu.Lock()
				results[mix+"/"+variant] = r
				resultsMu.Unlock()
			})
		}
	}
}

// Targets of issue 5.
const (
	targetRatio = 10 // at least 10x the redaction processor's records/s on typical records
	// targetMarginalAllocs: zero allocations per record that holds no secret. Measured as the
	// allocations of 999 more records in a batch, so anything under 1 in 100 records is zero
	// allocations per record with some noise of the runtime.
	targetMarginalAllocs = 0.01
	// referenceRedactionNs is issue 5's figure for the redaction configuration, per record, on
	// a machine of this kind. The benchmark measures its own; the ratio to this one is printed
	// too, as the stricter of the two when the measured figure is higher.
	referenceRedactionNs = 4400
)

// TestMain prints, after the benchmarks, how the mask processor compares with the targets.
func TestMain(m *testing.M) {
	code := m.Run()
	resultsMu.Lock()
	defer resultsMu.Unlock()
	get := func(mix, variant string) (result, bool) {
		r, ok := results[mix+"/"+variant]
		return r, ok
	}
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT met"
	}
	for _, mix := range mixes {
		var line string
		for _, v := range variants {
			if r, ok := get(mix, v); ok {
				line += fmt.Sprintf("; %s %.0f ns/record %.2f allocs/record", v, r.nsPerRecord, r.allocsPerRecord)
			}
		}
		if line != "" {
			fmt.Printf("benchcompare: %s records%s\n", mix, line)
		}
	}
	ours, okOurs := get(mixTypical, variantMask)
	red, okRed := get(mixTypical, variantRedaction)
	one, okOne := get(mixTypical, variantRedactionOne)
	clean, okClean := get(mixClean, variantMask)
	if okOurs && okRed {
		ratio := red.nsPerRecord / ours.nsPerRecord
		s := fmt.Sprintf("benchcompare: mask, typical record (a fifth with secrets): %.0f ns/record, %.0f records/s, %.1fx the records/s of redaction (%.0f ns/record; target >= %dx: %s)",
			ours.nsPerRecord, 1e9/ours.nsPerRecord, ratio, red.nsPerRecord, targetRatio, verdict(ratio >= targetRatio))
		if okOne {
			s += fmt.Sprintf(", %.1fx of redaction with one regex (%.0f ns/record)", one.nsPerRecord/ours.nsPerRecord, one.nsPerRecord)
		}
		refRatio := referenceRedactionNs / ours.nsPerRecord
		s += fmt.Sprintf(", %.1fx issue 5's reference of %d ns/record (>= %dx: %s)", refRatio, referenceRedactionNs, targetRatio, verdict(refRatio >= targetRatio))
		if okClean {
			s += fmt.Sprintf("; clean records %.0f ns/record, %.3f allocs/record, %.3f marginal allocs/record (target 0: %s)",
				clean.nsPerRecord, clean.allocsPerRecord, clean.marginalAllocs, verdict(clean.marginalAllocs < targetMarginalAllocs))
		}
		fmt.Println(s)
	}
	os.Exit(code)
}
