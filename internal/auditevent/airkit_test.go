package auditevent

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

func TestAppendAirkitText(t *testing.T) {
	lr := decodeInto(t, airkitFull, AirkitToRecord)
	lr.Attributes().PutInt(AttrSavepointRevision, 7)
	lr.Attributes().PutEmpty(AttrRoleID)
	want := map[string]string{
		"EVENT_YEAR": "2026", "EVENT_MONTH": "2026-11-01", "EVENT_DATE": "2026-11-22",
		"EVENT_TIME": "2026-11-22 02:30:00.123", "EVENT_TYPE": "user_login", "SAVEPOINT_REVISION": "7",
		"USER_ID": "u-1",
	}
	for i, c := range AirkitColumns {
		text, ok := AppendAirkitText([]byte("x"), lr, i)
		s, sok := AirkitText(lr, i)
		assert.Equal(t, ok, sok, c.Name)
		assert.Equal(t, "x"+s, string(text), "%s: both forms agree", c.Name)
		if w, found := want[c.Name]; found {
			assert.Equal(t, w, s, c.Name)
		}
		if c.Name == "ROLE_ID" {
			assert.False(t, ok, "an empty value is NULL")
		}
	}
}

func TestAirkitDatesAtTheEdges(t *testing.T) {
	for _, ts := range []time.Time{
		time.Date(2024, 2, 29, 23, 59, 59, 999_000_000, time.UTC),
		time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(2262, 4, 11, 0, 0, 0, 0, time.UTC), // near the last time a record can hold
		time.Unix(0, 1).UTC(),
		time.Date(2026, 1, 1, 1, 0, 0, 0, time.FixedZone("+02", 7200)), // Dec 31 in UTC
	} {
		lr := plog.NewLogRecord()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
		for i, c := range AirkitColumns {
			if want, ok := appendExpectedDerived(nil, c, ts.UTC()); ok {
				got, _ := AirkitText(lr, i)
				assert.Equal(t, string(want), got, "%s of %s", c.Name, ts)
			}
		}
	}
}

func TestAppendAirkitAllocatesNothing(t *testing.T) {
	lr := decodeInto(t, airkitFull, AirkitToRecord)
	buf := make([]byte, 0, 4096)
	assert.Zero(t, testing.AllocsPerRun(100, func() { buf = AppendAirkitJSON(buf[:0], lr) }))
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		buf = buf[:0]
		for i := range AirkitColumns {
			buf, _ = AppendAirkitText(buf, lr, i)
		}
	}))
	require.NotEmpty(t, buf)
}

func TestAirkitColumnOf(t *testing.T) {
	for i, c := range AirkitColumns {
		assert.Equal(t, i, airkitColumnOf(c.Name), c.Name)
	}
	for _, name := range []string{"", "event_type", "EVENT", "eventName", AttrOrgID} {
		assert.Equal(t, -1, airkitColumnOf(name), name)
	}
}
