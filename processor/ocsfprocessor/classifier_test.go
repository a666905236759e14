package ocsfprocessor

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditship/auditship/internal/auditevent"
	"github.com/auditship/auditship/processor/ocsfprocessor/internal/ocsftable"
)

func newTestClassifier(t *testing.T) *classifier {
	t.Helper()
	tables, err := ocsftable.Load()
	require.NoError(t, err)
	c, err := newClassifier(tables, createDefaultConfig().(*Config))
	require.NoError(t, err)
	return c
}

// The uids are written through the values found, some after other attributes were appended: with
// the attributes filling their array (as FromRaw leaves them), an append must not leave the found
// values behind. Given as strings, the uids must come out as Int.
func TestClassifyWritesFoundUIDsAfterAppending(t *testing.T) {
	c := newTestClassifier(t)
	for _, tt := range []struct {
		name  string
		attrs map[string]any
		want  map[string]any
	}{
		{
			name:  "user_login",
			attrs: map[string]any{auditevent.AttrOCSFClassUID: "3002"},
			want:  logon,
		},
		{
			name:  "role_rename",
			attrs: map[string]any{auditevent.AttrOCSFClassUID: "3002", auditevent.AttrOCSFCategoryUID: "3"},
			want:  with(authOther, auditevent.AttrOCSFActivityName, "role_rename"),
		},
	} {
		lr := plog.NewLogRecord()
		lr.SetEventName(tt.name)
		require.NoError(t, lr.Attributes().FromRaw(tt.attrs))
		c.classify(lr)
		assert.Equal(t, withOutcome(tt.want, 0), ocsfAttrs(lr), tt.name)
	}
}

// GoodData entries carry their own uids; writing them back unchanged would allocate two values
// per record for nothing.
func TestClassifyKeepsTheUIDsARecordCarries(t *testing.T) {
	c := newTestClassifier(t)
	allocsPerRecord := func(attrs map[string]any) float64 {
		const runs = 20
		records := make([]plog.LogRecord, runs+1) // AllocsPerRun runs once more to warm up
		for i := range records {
			records[i] = plog.NewLogRecord()
			records[i].SetEventName("user_login")
			require.NoError(t, records[i].Attributes().FromRaw(attrs))
			records[i].Attributes().EnsureCapacity(20)
		}
		next := 0
		return testing.AllocsPerRun(runs, func() {
			c.classify(records[next])
			next++
		})
	}
	gd := map[string]any{auditevent.AttrSourceFormat: auditevent.FormatGoodData}
	withUIDs := with(gd, auditevent.AttrOCSFCategoryUID, int64(3), auditevent.AttrOCSFClassUID, int64(3002))
	withStrUIDs := with(gd, auditevent.AttrOCSFCategoryUID, "3", auditevent.AttrOCSFClassUID, "3002")
	assert.Equal(t, float64(10), allocsPerRecord(gd), "one value wrapper per attribute written, the ten ocsf.* attributes, and nothing else")
	assert.Equal(t, allocsPerRecord(gd)-2, allocsPerRecord(withUIDs))
	assert.Equal(t, allocsPerRecord(gd), allocsPerRecord(withStrUIDs), "digits in a string are rewritten as Int")
}
