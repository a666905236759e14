package maskprocessor

import (
	"context"
	"slices"
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/auditship/auditship/internal/auditevent"
	"github.com/auditship/auditship/processor/maskprocessor/internal/metadata"
)

type maskProcessor struct {
	matcher     *matcher
	replacement string
	telemetry   *metadata.TelemetryBuilder
	logger      *zap.Logger
	// walkers keeps scratch buffers across batches; a walker serves one batch at a time.
	walkers sync.Pool
}

func newMaskProcessor(m *matcher, replacement string, tb *metadata.TelemetryBuilder, logger *zap.Logger) *maskProcessor {
	p := &maskProcessor{matcher: m, replacement: replacement, telemetry: tb, logger: logger}
	p.walkers.New = func() any { return &walker{m: m, replacement: replacement} }
	return p
}

// processLogs masks every record in place and marks it with mask.count. It never fails and never
// drops a record.
func (p *maskProcessor) processLogs(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
	w := p.walkers.Get().(*walker)
	defer p.walkers.Put(w)
	// Checked per batch, not at creation, because the log level can change at run time.
	debug := p.logger.Core().Enabled(zap.DebugLevel)
	w.trackPaths = debug
	var values, records int64
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				w.paths = w.paths[:0]
				n := w.walkRecord(lr.Attributes(), lr.Body())
				if n == 0 {
					continue
				}
				records++
				values += int64(n)
				addMaskCount(lr.Attributes(), n)
				if debug {
					// Paths and the event name only: never a value.
					p.logger.Debug("masked credential values",
						zap.String("event_name", lr.EventName()),
						zap.Int("count", n),
						zap.Strings("paths", slices.Clone(w.paths)))
				}
			}
		}
	}
	if values > 0 {
		p.telemetry.MaskedValues.Add(ctx, values)
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
