package audits3exporter

import (
	"context"
	"io/fs"
	"path/filepath"
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

// TestSpoolBytesPerEvent measures what an event costs on disk while S3 cannot be reached:
// in an open batch, and once its batch is closed (the object body, compressed or not, plus its
// event id). docs/operations.md sizes spool::max_bytes for an outage from these figures. The
// events have the fields of `make bench-e2e`'s (a GoodData entry of about 450 bytes).
func TestSpoolBytesPerEvent(t *testing.T) {
	const events = 10000
	for _, comp := range []compression.Type{compression.None, compression.Gzip, compression.Zstd} {
		t.Run(string(comp), func(t *testing.T) {
			exp, _ := startUnreachable(t, func(cfg *Config) { cfg.Compression = comp })

			var payload int
			for i := 0; i < events; i += 500 {
				ld := benchShapedLogs(i, 500)
				payload += encodedBytes(t, exp, ld)
				require.NoError(t, exp.pushLogs(context.Background(), ld))
			}
			open := dirBytes(t, filepath.Join(exp.cfg.Spool.Directory, "open"))
			exp.sealAll(time.Now(), true)
			sealed := dirBytes(t, filepath.Join(exp.cfg.Spool.Directory, "sealed"))

			per := func(n int64) float64 { return float64(n) / events }
			t.Logf("%s: encoded entry %.0f B; open batch %.0f B/event; closed batch %.0f B/event",
				comp, float64(payload)/events, per(open), per(sealed))
			assert.Less(t, per(open), float64(payload)/events+80, "frame overhead and id")
			if comp == compression.None {
				assert.Less(t, per(sealed), float64(payload)/events+60, "body and id")
			} else {
				assert.Less(t, per(sealed), float64(payload)/events/2, "compressed")
			}
		})
	}
}

// benchShapedLogs makes n events like internal/cmd/benche2e's, from number first on, for 20
// tenants.
func benchShapedLogs(first, n int) plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	names := []string{"USER_LOGIN", "DATA_ACCESS", "DASHBOARD_UPDATE", "USER_LOGOUT", "DATASOURCE_UPDATE", "PERMISSION_USER_ADD"}
	for i := first; i < first+n; i++ {
		lr := lrs.AppendEmpty()
		lr.SetEventName(names[i%len(names)])
		lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Millisecond)))
		lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(time.Now()))
		a := lr.Attributes()
		a.PutStr(auditevent.AttrOrgID, "org-"+strconv.Itoa(i%20))
		a.PutStr(auditevent.AttrEventID, "0193f1a0-0000-7000-8000-"+strconv.FormatInt(int64(100000000000+i), 10))
		a.PutStr(auditevent.AttrDescription, "benchmark event")
		a.PutStr(auditevent.AttrWorkspaceID, "ws-"+strconv.Itoa(i%97))
		a.PutStr(auditevent.AttrUserID, "user-"+strconv.Itoa(i%5003))
		a.PutStr(auditevent.AttrTarget, "dashboard-"+strconv.Itoa(i%211))
		a.PutStr(auditevent.AttrClientAddress, "203.0.113."+strconv.Itoa(i%250))
		a.PutStr(auditevent.AttrSessionContextType, "OIDC")
		a.PutStr(auditevent.AttrSessionContextIdentifier, "session-"+strconv.Itoa(i%1000))
		a.PutBool(auditevent.AttrSuccess, true)
		a.PutStr(auditevent.AttrType, "audit")
		a.PutInt(auditevent.AttrOCSFCategoryUID, 3)
		a.PutInt(auditevent.AttrOCSFClassUID, 3002)
		body := lr.Body().SetEmptyMap()
		body.PutStr("requestId", "req-"+strconv.Itoa(i))
		changed := body.PutEmptySlice("changed")
		changed.AppendEmpty().SetStr("title")
		changed.AppendEmpty().SetStr("layout")
	}
	return ld
}

// encodedBytes is the size of ld's records in the exporter's schema, before framing.
func encodedBytes(t *testing.T, exp *logsExporter, ld plog.Logs) int {
	t.Helper()
	lrs := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	var buf []byte
	for i := 0; i < lrs.Len(); i++ {
		buf = exp.encoder.AppendRecord(buf, lrs.At(i))
	}
	return len(buf)
}

func dirBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var total int64
	require.NoError(t, filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			total += info.Size()
		}
		return err
	}))
	return total
}
