package ocsfprocessor

import (
	"context"
	"strconv"
	"sync"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processorhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/auditship/auditship/internal/credential"
	"github.com/auditship/auditship/processor/ocsfprocessor/internal/metadata"
)

// maxUnknownNames bounds the unknown event names the processor tracks (each logged once and
// counted under its own name), so that a source inventing names can grow neither memory nor the
// metric's cardinality; beyond it, names count as "other" and are not logged.
const maxUnknownNames = 100

// maxLoggedNameLen keeps an absurdly long event name from flooding the log or a metric label.
const maxLoggedNameLen = 128

type ocsfProcessor struct {
	classifier *classifier
	telemetry  *metadata.TelemetryBuilder
	logger     *zap.Logger

	// byClass are the attribute options of the per-class counter, built once for every class
	// the tables know; otherClass stands for the rest (uids only a record carried).
	byClass    map[int64]metric.AddOption
	otherClass metric.AddOption

	unknownMu sync.Mutex
	// unknownNames maps each tracked unknown name to its counter option. An unknown name that
	// is literally "other" shares the label of the untracked ones; both mean "look at the log".
	unknownNames map[string]metric.AddOption
	// unknownFull is set once a name beyond maxUnknownNames was seen (and said so in the log).
	unknownFull bool
	// withheldSeen is set once an unknown name that may hold a credential was seen (and said
	// so in the log, without the name).
	withheldSeen bool
	otherUnknown metric.AddOption
}

func newOCSFProcessor(c *classifier, tb *metadata.TelemetryBuilder, logger *zap.Logger) *ocsfProcessor {
	p := &ocsfProcessor{
		classifier:   c,
		telemetry:    tb,
		logger:       logger,
		byClass:      map[int64]metric.AddOption{},
		otherClass:   metric.WithAttributeSet(attribute.NewSet(attribute.String(metadata.AttrClassUID, metadata.AttrValueOther))),
		unknownNames: map[string]metric.AddOption{},
		otherUnknown: metric.WithAttributeSet(attribute.NewSet(attribute.String(metadata.AttrEventName, metadata.AttrValueOther))),
	}
	for _, uid := range c.tables.ClassUIDs() {
		p.byClass[uid] = metric.WithAttributeSet(attribute.NewSet(attribute.String(metadata.AttrClassUID, strconv.FormatInt(uid, 10))))
	}
	return p
}

// batchCounts are one batch's counts, added to the counters once per batch rather than per
// record: counters are cheap, but not free.
type batchCounts struct {
	outcomes [outcomeCount]int64
	byClass  map[int64]int64
	// unknown counts by tracked name (or "other"); nil until an unknown name is seen.
	unknown map[string]int64
}

// processLogs classifies every record in place. It never fails. An event no table knows passes
// on as Base Event, or with `unknown: drop` is removed; either way it is counted and its name
// logged once.
func (p *ocsfProcessor) processLogs(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
	counts := batchCounts{byClass: make(map[int64]int64, 16)}
	if p.classifier.dropUnknown {
		p.classifyDropping(ld, &counts)
	} else {
		for _, rl := range ld.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					p.classifyRecord(lr, &counts)
				}
			}
		}
	}
	p.record(ctx, &counts)
	if counts.outcomes[dropped] > 0 && ld.LogRecordCount() == 0 {
		// Nothing is left to pass on; an empty batch would only cost the exporters work.
		return ld, processorhelper.ErrSkipProcessingData
	}
	return ld, nil
}

// classifyDropping is processLogs' loop for `unknown: drop`: it removes the dropped records, and
// the scopes and resources it emptied.
func (p *ocsfProcessor) classifyDropping(ld plog.Logs, counts *batchCounts) {
	ld.ResourceLogs().RemoveIf(func(rl plog.ResourceLogs) bool {
		emptied := false
		rl.ScopeLogs().RemoveIf(func(sl plog.ScopeLogs) bool {
			lrs := sl.LogRecords()
			before := lrs.Len()
			lrs.RemoveIf(func(lr plog.LogRecord) bool {
				return p.classifyRecord(lr, counts) == dropped
			})
			emptied = emptied || (before > 0 && lrs.Len() == 0)
			return before > 0 && lrs.Len() == 0
		})
		return emptied && rl.ScopeLogs().Len() == 0
	})
}

func (p *ocsfProcessor) classifyRecord(lr plog.LogRecord, counts *batchCounts) outcome {
	o, classUID := p.classifier.classify(lr)
	counts.outcomes[o]++
	if o != dropped {
		counts.byClass[classUID]++
	}
	if o == unknown || o == dropped {
		if counts.unknown == nil {
			counts.unknown = map[string]int64{}
		}
		counts.unknown[p.noteUnknown(lr.EventName())]++
	}
	return o
}

func (p *ocsfProcessor) record(ctx context.Context, counts *batchCounts) {
	tb := p.telemetry
	for uid, n := range counts.byClass {
		opt, ok := p.byClass[uid]
		if !ok {
			opt = p.otherClass
		}
		tb.Events.Add(ctx, n, opt)
	}
	for label, n := range counts.unknown {
		tb.UnknownEvents.Add(ctx, n, p.unknownOption(label))
	}
	if n := counts.outcomes[classified]; n > 0 {
		tb.ClassifiedEvents.Add(ctx, n)
	}
	if n := counts.outcomes[mismatched]; n > 0 {
		tb.MismatchedEvents.Add(ctx, n)
	}
	if n := counts.outcomes[dropped]; n > 0 {
		tb.DroppedEvents.Add(ctx, n)
	}
}

// unknownOption is the counter option of a label noteUnknown returned.
func (p *ocsfProcessor) unknownOption(label string) metric.AddOption {
	p.unknownMu.Lock()
	defer p.unknownMu.Unlock()
	if opt, ok := p.unknownNames[label]; ok {
		return opt
	}
	return p.otherUnknown
}

// noteUnknown returns the label an unknown name is counted under: the name itself for the first
// maxUnknownNames distinct names, "other" after. The first time a name is seen it is logged, so
// that an operator learns which names to add under `events` without a log line per record.
// Values never appear, and neither does a name that may hold a credential (credential.InName):
// this processor runs before mask.
func (p *ocsfProcessor) noteUnknown(name string) string {
	if len(name) > maxLoggedNameLen {
		name = name[:maxLoggedNameLen] + "..."
	}
	p.unknownMu.Lock()
	defer p.unknownMu.Unlock()
	if _, ok := p.unknownNames[name]; ok {
		// Checked when first seen: a withheld name is never tracked.
		return name
	}
	// What is checked is what would be logged: a name cut short shows nothing past the cut.
	if credential.InName(name) {
		if !p.withheldSeen {
			p.withheldSeen = true
			p.logger.Warn("an event name in no OCSF table looks as if it holds a credential (a long run of letters mixed with digits, or characters event names do not use); such names are counted as \"other\" and never logged",
				zap.Int("name_length", len(name)))
		}
		return metadata.AttrValueOther
	}
	if len(p.unknownNames) >= maxUnknownNames {
		if !p.unknownFull {
			p.unknownFull = true
			p.logger.Warn("more distinct unknown event names than the processor tracks; further names are counted as \"other\" and not logged",
				zap.Int("tracked_names", maxUnknownNames))
		}
		return metadata.AttrValueOther
	}
	p.unknownNames[name] = metric.WithAttributeSet(attribute.NewSet(attribute.String(metadata.AttrEventName, name)))
	if p.classifier.dropUnknown {
		p.logger.Warn("event name is in no OCSF table; dropping events of this name (unknown: drop). Classify it under `events` in the ocsf processor's configuration to keep them.",
			zap.String("event_name", name))
	} else {
		p.logger.Warn("event name is in no OCSF table; passing it on as Base Event (class 0), activity Other. Classify it under `events` in the ocsf processor's configuration.",
			zap.String("event_name", name))
	}
	return name
}
