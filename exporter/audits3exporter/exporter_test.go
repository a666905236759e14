package audits3exporter

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/auditship/auditship/exporter/audits3exporter/internal/spool"
)

func TestLogRecovery(t *testing.T) {
	for _, tc := range []struct {
		name      string
		recovery  spool.Recovery
		wantLevel zapcore.Level
		wantLogs  int
	}{
		{"first start", spool.Recovery{}, 0, 0},
		{"clean restart", spool.Recovery{OpenBatches: 2, OpenRecords: 30, SealedBatches: 1}, zap.InfoLevel, 1},
		{"crash, log replayed", spool.Recovery{OpenBatches: 1, OpenRecords: 5, LogEntries: 3}, zap.InfoLevel, 1},
		{"unfinished log entry", spool.Recovery{LogEntries: 3, LogBytesSkipped: 10}, zap.WarnLevel, 1},
		{"torn batch record", spool.Recovery{OpenBatches: 1, OpenRecords: 5, TornBytes: 7}, zap.WarnLevel, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			core, observed := observer.New(zap.DebugLevel)
			e := &logsExporter{logger: zap.New(core)}
			e.logRecovery(tc.recovery)
			entries := observed.All()
			assert.Len(t, entries, tc.wantLogs)
			if tc.wantLogs == 0 {
				return
			}
			assert.Equal(t, tc.wantLevel, entries[0].Level)
			fields := entries[0].ContextMap()
			assert.Equal(t, int64(tc.recovery.OpenRecords), fields["open_records"])
			assert.Equal(t, tc.recovery.LogBytesSkipped, fields["log_bytes_dropped"])
			assert.Equal(t, tc.recovery.TornBytes, fields["batch_bytes_dropped"])
		})
	}
}
