package maskprocessor

import (
	"context"
	"math/bits"
	"slices"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/auditship/auditship/internal/auditevent"
	"github.com/auditship/auditship/processor/maskprocessor/internal/metadata"
)

type maskProcessor struct {
	telemetry *metadata.TelemetryBuilder
	// ruleAttrs are the metric attributes of each rule, built once.
	ruleAttrs [numRules]metric.AddOption
	logger    *zap.Logger
	// walkers keeps scratch buffers across batches; a walker serves one batch at a time.
	walkers sync.Pool
}

func newMaskProcessor(m *matcher, mk *masker, tb *metadata.TelemetryBuilder, logger *zap.Logger) *maskProcessor {
	p := &maskProcessor{telemetry: tb, logger: logger}
	for r := range numRules {
		p.ruleAttrs[r] = metric.WithAttributeSet(attribute.NewSet(attribute.String(metadata.AttributeRule, ruleNames[r])))
	}
	p.walkers.New = func() any { return &walker{m: m, mk: mk} }
	return p
}

// processLogs masks every record in place and marks it with mask.count and mask.rules. It never
// fails and never drops a record.
func (p *maskProcessor) processLogs(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
	w := p.walkers.Get().(*walker)
	defer p.walkers.Put(w)
	defer w.forgetBatch()
	// Checked per batch, not at creation, because the log level can change at run time.
	debug := p.logger.Core().Enabled(zap.DebugLevel)
	w.trackPaths = debug
	w.perRule = [numRules]int64{}
	var records int64
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				w.paths = w.paths[:0]
				n := w.walkRecord(lr)
				if n == 0 {
					continue
				}
				records++
				addMaskCount(lr.Attributes(), n)
				addMaskRules(lr.Attributes(), w.fired)
				if debug {
					// Paths, rules and the event name only: never a value.
					p.logger.Debug("masked credential values",
						zap.String("event_name", lr.EventName()),
						zap.Int("count", n),
						zap.Strings("rules", w.fired.names(nil)),
						zap.Strings("paths", slices.Clone(w.paths)))
				}
			}
		}
	}
	if records > 0 {
		for r, n := range w.perRule {
			if n > 0 {
				p.telemetry.MaskedValues.Add(ctx, n, p.ruleAttrs[r])
			}
		}
		p.telemetry.MaskedRecords.Add(ctx, records)
	}
	return ld, nil
}

// addMaskCount adds n to the record's mask.count, so that a record passing two mask processors
// counts both; a non-integer mask.count is replaced.
func addMaskCount(attrs pcommon.Map, n int) {
	// One scan of the attributes where Get then PutInt took two.
	v, ok := attrs.GetOrPutEmpty(auditevent.AttrMaskCount)
	count := int64(n)
	if ok && v.Type() == pcommon.ValueTypeInt {
		count += v.Int()
	}
	v.SetInt(count)
}

// addMaskRules merges the names of the fired rules into the record's mask.rules, a sorted slice
// of distinct names, keeping those of an earlier pass; a mask.rules of another type is replaced.
func addMaskRules(attrs pcommon.Map, fired ruleSet) {
	v, ok := attrs.GetOrPutEmpty(auditevent.AttrMaskRules)
	if !ok || v.Type() != pcommon.ValueTypeSlice || v.Slice().Len() == 0 {
		// The usual case, a record masked for the first time: the names are written in sorted
		// order straight from the set, with no list to build, sort and compact.
		s := v.SetEmptySlice()
		s.EnsureCapacity(bits.OnesCount32(uint32(fired)))
		for _, r := range rulesByName {
			if fired.has(r) {
				s.AppendEmpty().SetStr(ruleNames[r])
			}
		}
		return
	}
	var names []string
	for _, e := range v.Slice().All() {
		names = append(names, e.AsString())
	}
	names = fired.names(names)
	slices.Sort(names)
	names = slices.Compact(names)
	s := v.SetEmptySlice()
	s.EnsureCapacity(len(names))
	for _, name := range names {
		s.AppendEmpty().SetStr(name)
	}
}

// rulesByName lists the rules in the order of their names, so that the names of a set of rules
// come out sorted by walking it.
var rulesByName = func() [numRules]rule {
	var order [numRules]rule
	for r := range numRules {
		order[r] = r
	}
	slices.SortFunc(order[:], func(a, b rule) int { return strings.Compare(ruleNames[a], ruleNames[b]) })
	return order
}()

// names appends the names of the rules in s to dst.
func (s ruleSet) names(dst []string) []string {
	for r := range numRules {
		if s.has(r) {
			dst = append(dst, ruleNames[r])
		}
	}
	return dst
}
