package maskprocessor

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/auditship/auditship/internal/auditevent"
	"github.com/auditship/auditship/processor/maskprocessor/internal/metadata"
)

// fuzzSeedsPerKind is how many cases of each kind of the corpus seed the fuzzer, so that the
// seeds stay few enough for `go test` to run them in a blink.
const fuzzSeedsPerKind = 2

// FuzzMask masks a record built from the input in every place a secret can hide (an attribute,
// an array element, a map in an array, the body as a string, or the body as a map when the input
// is a JSON object) and checks that no input panics, that a record comes out unchanged exactly
// when mask.count says nothing was masked, and that masking is idempotent: masking the output
// again changes nothing.
func FuzzMask(f *testing.F) {
	for _, name := range []string{"secrets.jsonl", "nonsecrets.jsonl"} {
		seen := map[string]int{}
		for _, c := range loadCorpus(f, name) {
			if seen[c.Kind] >= fuzzSeedsPerKind {
				continue
			}
			seen[c.Kind]++
			rec, err := json.Marshal(map[string]any{"attributes": c.Record.Attributes, "body": c.Record.Body})
			require.NoError(f, err)
			f.Add(string(rec))
			if s, ok := c.Record.Body.(string); ok {
				f.Add(s)
			}
			for _, k := range slices.Sorted(maps.Keys(c.Record.Attributes)) {
				if s, ok := c.Record.Attributes[k].(string); ok && c.Secret != "" && strings.Contains(s, c.Secret) {
					f.Add(s)
				}
			}
		}
	}

	factory := NewFactory()
	sink := new(consumertest.LogsSink)
	p, err := factory.CreateLogs(context.Background(), processortest.NewNopSettings(metadata.Type), factory.CreateDefaultConfig(), sink)
	require.NoError(f, err)
	require.NoError(f, p.Start(context.Background(), componenttest.NewNopHost()))
	f.Cleanup(func() { require.NoError(f, p.Shutdown(context.Background())) })

	// mask runs ld through the processor, which masks it in place, and returns its one record.
	mask := func(t *testing.T, ld plog.Logs) plog.LogRecord {
		sink.Reset()
		require.NoError(t, p.ConsumeLogs(context.Background(), ld))
		require.Len(t, sink.AllLogs(), 1)
		return sink.AllLogs()[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	}

	f.Fuzz(func(t *testing.T, in string) {
		ld := plog.NewLogs()
		lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
		attrs := lr.Attributes()
		attrs.PutStr("input", in)
		list := attrs.PutEmptySlice("list")
		list.AppendEmpty().SetStr("first")
		list.AppendEmpty().SetStr(in)
		list.AppendEmpty().SetEmptyMap().PutStr("value", in)
		var obj map[string]any
		if json.Unmarshal([]byte(in), &obj) == nil && obj != nil {
			require.NoError(t, lr.Body().SetEmptyMap().FromRaw(obj))
		} else {
			lr.Body().SetStr(in)
		}
		before := rawOf(lr)

		first := rawOf(mask(t, ld))
		changed := len(diff("attributes", before.attrs, first.attrs))+len(diff("body", before.body, first.body)) > 0
		n, counted := first.attrs[auditevent.AttrMaskCount].(int64)
		if changed {
			require.True(t, counted && n >= 1, "the record changed but %s = %v", auditevent.AttrMaskCount, first.attrs[auditevent.AttrMaskCount])
		} else {
			require.False(t, counted, "nothing changed but %s = %d", auditevent.AttrMaskCount, n)
		}

		second := rawOf(mask(t, ld))
		if d := append(diff("attributes", first.attrs, second.attrs), diff("body", first.body, second.body)...); len(d) > 0 {
			t.Fatalf("masking twice changed %v\ninput:  %q\nonce:   %v %v\ntwice:  %v %v", d, in, first.attrs, first.body, second.attrs, second.body)
		}
	})
}
