package maskprocessor

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

// TestBatchMasksEachRecordAsAlone masks the whole corpus in one batch, forwards then backwards,
// and checks that every record comes out as it does alone in its batch: what the walk remembers
// from the earlier records of a batch (the memo of each event name) must change nothing. Records
// of one kind share their shape and often their keys and values, secrets and look-alikes at the
// same places, so each record meets the memo of records that had something else there. The
// event names are the kinds, more than a walker keeps memos for, or one name for every record.
func TestBatchMasksEachRecordAsAlone(t *testing.T) {
	cases := append(loadCorpus(t, "secrets.jsonl"), loadCorpus(t, "nonsecrets.jsonl")...)
	r := newCorpusRunner(t)
	alone := make([]rawRecord, len(cases))
	for i, c := range cases {
		alone[i] = rawOf(r.mask(t, c.Record.logs(t)))
	}
	kinds := map[string]bool{}
	for _, c := range cases {
		kinds[c.Kind] = true
	}
	require.Greater(t, len(kinds), memoEvents, "the kinds must outnumber the memos, so that memos are reused")

	order := make([]int, 0, 2*len(cases))
	for i := range cases {
		order = append(order, i)
	}
	for i := range slices.Backward(cases) {
		order = append(order, i)
	}
	for _, byKind := range []bool{true, false} {
		ld := plog.NewLogs()
		lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
		for _, i := range order {
			one := cases[i].Record.logs(t).ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
			lr := lrs.AppendEmpty()
			one.MoveTo(lr)
			if byKind {
				lr.SetEventName(cases[i].Kind)
			}
		}
		r.sink.Reset()
		require.NoError(t, r.p.ConsumeLogs(t.Context(), ld))
		out := r.sink.AllLogs()[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
		require.Equal(t, len(order), out.Len())
		for j, i := range order {
			got := rawOf(out.At(j))
			d := append(diff("attributes", alone[i].attrs, got.attrs), diff("body", alone[i].body, got.body)...)
			require.Empty(t, d, "case %s (record %d of the batch, event names by kind: %t)", cases[i].ID, j, byKind)
		}
	}
}

// TestSameString checks the comparison the memo makes of keys and strings, which tells the same
// bytes apart from equal ones only to spare comparing them.
func TestSameString(t *testing.T) {
	shared := "audit.org.id"
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{"the same bytes", shared, shared, true},
		{"equal bytes apart", shared, strings.Clone(shared), true},
		{"a prefix sharing the bytes", shared, shared[:5], false},
		{"same length, other bytes", shared, "audit.org.ID", false},
		{"both empty", "", "", true},
		{"one empty", "", shared, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, sameString(tt.a, tt.b))
			assert.Equal(t, tt.want, sameString(tt.b, tt.a))
		})
	}
}
