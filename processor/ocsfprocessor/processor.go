package ocsfprocessor

import (
	"context"
	"sync"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/auditship/auditship/processor/ocsfprocessor/internal/metadata"
)

// maxWarnedNames bounds the set of unknown event names logged once each, so that a source
// inventing names cannot grow memory; beyond it, only the counter tells.
const maxWarnedNames = 256

// maxLoggedNameLen keeps an absurdly long event name from flooding the log.
const maxLoggedNameLen = 128

type ocsfProcessor struct {
	classifier *classifier
	telemetry  *metadata.TelemetryBuilder
	logger     *zap.Logger

	warnedMu sync.Mutex
	warned   map[string]struct{}
}

func newOCSFProcessor(c *classifier, tb *metadata.TelemetryBuilder, logger *zap.Logger) *ocsfProcessor {
	return &ocsfProcessor{classifier: c, telemetry: tb, logger: logger, warned: map[string]struct{}{}}
}

// processLogs classifies every record in place. It never drops a record and never fails: an
// event no table knows passes on as Base Event and is counted.
func (p *ocsfProcessor) processLogs(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
	var counts [outcomeCount]int64
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				o := p.classifier.classify(lr)
				counts[o]++
				if o == unknown {
					p.warnUnknown(lr.EventName())
				}
			}
		}
	}
	// One Add per batch and outcome, not per record: counters are cheap, but not free.
	if n := counts[classified]; n > 0 {
		p.telemetry.ClassifiedEvents.Add(ctx, n)
	}
	if n := counts[unknown]; n > 0 {
		p.telemetry.UnknownEvents.Add(ctx, n)
	}
	if n := counts[mismatched]; n > 0 {
		p.telemetry.MismatchedEvents.Add(ctx, n)
	}
	return ld, nil
}

// warnUnknown logs each unknown event name once, so that an operator learns which names to add
// under `events` without a log line per record. Event names are not secret; values never appear.
func (p *ocsfProcessor) warnUnknown(name string) {
	p.warnedMu.Lock()
	_, seen := p.warned[name]
	full := len(p.warned) >= maxWarnedNames
	if !seen && !full {
		p.warned[name] = struct{}{}
	}
	p.warnedMu.Unlock()
	if seen || full {
		return
	}
	logged := name
	if len(logged) > maxLoggedNameLen {
		logged = logged[:maxLoggedNameLen] + "..."
	}
	p.logger.Warn("event name is in no OCSF table; passing it on as Base Event (class 0), activity Other. Classify it under `events` in the ocsf processor's configuration.",
		zap.String("event_name", logged))
}
