package maskprocessor

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/auditship/auditship/internal/auditevent"
	"github.com/auditship/auditship/processor/maskprocessor/internal/metadata"
)

// The corpus (testdata/corpus) holds fake but format-valid secrets planted in records of every
// shape, and look-alike values that are not secrets. Every case goes through the processor with
// the default configuration, alone in its batch.
//
// secrets.jsonl, one case a line:
//
//	{"id", "kind", "shape", "record": {"attributes": {...}, "body": ...},
//	 "secret": "substring that must disappear", "also_secret": ["more such substrings"],
//	 "keep": ["substrings that must remain, such as the user and host of a URL"]}
//
// nonsecrets.jsonl has the same fields without the secrets: the whole record must come out
// unchanged, without mask.count, and "keep" lists the look-alike values it is about.
const (
	corpusDir         = "testdata/corpus"
	minCorpusSecrets  = 300
	minCorpusKinds    = 15
	minCorpusNonSecrt = 300
)

// corpusShapes are the places a secret must be found in, each of which the corpus must cover.
var corpusShapes = []string{"plain_attribute", "nested_body_map", "array", "map_in_array", "json_string", "url", "free_text"}

type corpusRecord struct {
	Attributes map[string]any `json:"attributes"`
	Body       any            `json:"body"`
}

type corpusCase struct {
	ID         string       `json:"id"`
	Kind       string       `json:"kind"`
	Shape      string       `json:"shape"`
	Record     corpusRecord `json:"record"`
	Secret     string       `json:"secret"`
	AlsoSecret []string     `json:"also_secret"`
	Keep       []string     `json:"keep"`
}

// secrets lists every substring of the case that must disappear.
func (c corpusCase) secrets() []string {
	if c.Secret == "" {
		return nil
	}
	return append([]string{c.Secret}, c.AlsoSecret...)
}

func loadCorpus(tb testing.TB, name string) []corpusCase {
	tb.Helper()
	f, err := os.Open(filepath.Join(corpusDir, name))
	require.NoError(tb, err)
	defer f.Close()
	var cases []corpusCase
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<22)
	for line := 1; sc.Scan(); line++ {
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		var c corpusCase
		require.NoError(tb, json.Unmarshal(sc.Bytes(), &c), "%s:%d", name, line)
		cases = append(cases, c)
	}
	require.NoError(tb, sc.Err())
	return cases
}

// logs builds a batch holding the record alone.
func (r corpusRecord) logs(tb testing.TB) plog.Logs {
	tb.Helper()
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	require.NoError(tb, lr.Attributes().FromRaw(r.Attributes))
	if r.Body != nil {
		require.NoError(tb, lr.Body().FromRaw(r.Body))
	}
	return ld
}

// corpusRunner is a mask processor with the default configuration, built through the factory.
type corpusRunner struct {
	p    processor.Logs
	sink *consumertest.LogsSink
}

func newCorpusRunner(tb testing.TB) *corpusRunner {
	tb.Helper()
	f := NewFactory()
	sink := new(consumertest.LogsSink)
	p, err := f.CreateLogs(context.Background(), processortest.NewNopSettings(metadata.Type), f.CreateDefaultConfig(), sink)
	require.NoError(tb, err)
	require.NoError(tb, p.Start(context.Background(), componenttest.NewNopHost()))
	tb.Cleanup(func() { require.NoError(tb, p.Shutdown(context.Background())) })
	return &corpusRunner{p: p, sink: sink}
}

// mask sends ld through the processor and returns the one record that comes out.
func (r *corpusRunner) mask(tb testing.TB, ld plog.Logs) plog.LogRecord {
	tb.Helper()
	r.sink.Reset()
	require.NoError(tb, r.p.ConsumeLogs(context.Background(), ld))
	out := r.sink.AllLogs()
	require.Len(tb, out, 1)
	require.Equal(tb, 1, out[0].LogRecordCount())
	return out[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
}

// rawRecord is a record's attributes and body as plain Go values.
type rawRecord struct {
	attrs map[string]any
	body  any
}

func rawOf(lr plog.LogRecord) rawRecord {
	return rawRecord{attrs: lr.Attributes().AsRaw(), body: lr.Body().AsRaw()}
}

// leaves calls visit with the path and text of every scalar of v (map keys included), so that a
// substring is looked for in the values as they are, not in an escaped serialisation of them.
func leaves(path string, v any, visit func(path, text string)) {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			visit(path+"{key}", k)
			leaves(path+"."+k, x[k], visit)
		}
	case []any:
		for i, e := range x {
			leaves(fmt.Sprintf("%s[%d]", path, i), e, visit)
		}
	case nil:
	case string:
		visit(path, x)
	case []byte:
		visit(path, string(x))
	default:
		visit(path, fmt.Sprint(x))
	}
}

// where returns the paths of the scalars of the record that contain s.
func (r rawRecord) where(s string) []string {
	var paths []string
	visit := func(path, text string) {
		if strings.Contains(text, s) {
			paths = append(paths, path)
		}
	}
	leaves("attributes", r.attrs, visit)
	leaves("body", r.body, visit)
	return paths
}

// diff returns the paths at which a and b differ.
func diff(path string, a, b any) []string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return []string{path}
		}
		var out []string
		for k, av := range x {
			bv, ok := y[k]
			if !ok {
				out = append(out, path+"."+k+" (removed)")
				continue
			}
			out = append(out, diff(path+"."+k, av, bv)...)
		}
		for k := range y {
			if _, ok := x[k]; !ok {
				out = append(out, path+"."+k+" (added)")
			}
		}
		slices.Sort(out)
		return out
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return []string{path}
		}
		var out []string
		for i := range x {
			out = append(out, diff(fmt.Sprintf("%s[%d]", path, i), x[i], y[i])...)
		}
		return out
	case []byte:
		if y, ok := b.([]byte); !ok || string(x) != string(y) {
			return []string{path}
		}
		return nil
	default:
		if a != b {
			return []string{path}
		}
		return nil
	}
}

// short names a secret in a failure message without flooding it (the secrets are fake).
func short(s string) string {
	s = strings.ReplaceAll(s, "\n", `\n`)
	if len(s) > 24 {
		return s[:24] + "..."
	}
	return s
}

func groupByKind(cases []corpusCase) ([]string, map[string][]corpusCase) {
	by := map[string][]corpusCase{}
	for _, c := range cases {
		by[c.Kind] = append(by[c.Kind], c)
	}
	kinds := make([]string, 0, len(by))
	for k := range by {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	return kinds, by
}

// TestCorpusIsComplete keeps the corpus from shrinking silently and checks that every case is
// meaningful: the secrets are in the record, the values to keep too, and no value to keep
// holds a secret.
func TestCorpusIsComplete(t *testing.T) {
	secrets := loadCorpus(t, "secrets.jsonl")
	nonSecrets := loadCorpus(t, "nonsecrets.jsonl")
	kinds, _ := groupByKind(secrets)
	nonKinds, _ := groupByKind(nonSecrets)
	t.Logf("corpus: %d secrets of %d kinds, %d non-secrets of %d kinds", len(secrets), len(kinds), len(nonSecrets), len(nonKinds))
	require.GreaterOrEqual(t, len(secrets), minCorpusSecrets, "planted secrets")
	require.GreaterOrEqual(t, len(kinds), minCorpusKinds, "kinds of secrets")
	require.GreaterOrEqual(t, len(nonSecrets), minCorpusNonSecrt, "non-secrets")

	shapes := map[string]int{}
	ids := map[string]bool{}
	for _, c := range secrets {
		shapes[c.Shape]++
		require.False(t, ids[c.ID], "duplicate id %s", c.ID)
		ids[c.ID] = true
		require.NotEmpty(t, c.Secret, c.ID)
		in := rawOf(recordOf(t, c.Record))
		for _, s := range c.secrets() {
			require.GreaterOrEqual(t, len(s), 8, "%s: a secret this short could match by chance", c.ID)
			require.NotContains(t, DefaultReplacement, s, c.ID)
			require.NotEmpty(t, in.where(s), "%s: secret %q is not in the record", c.ID, short(s))
			for _, k := range c.Keep {
				require.NotContains(t, k, s, "%s: value to keep %q holds the secret", c.ID, k)
			}
		}
		for _, k := range c.Keep {
			require.NotEmpty(t, in.where(k), "%s: value to keep %q is not in the record", c.ID, k)
		}
	}
	for _, s := range corpusShapes {
		require.Positive(t, shapes[s], "no secret of shape %s", s)
	}
	for _, c := range nonSecrets {
		require.False(t, ids[c.ID], "duplicate id %s", c.ID)
		ids[c.ID] = true
		require.Empty(t, c.Secret, c.ID)
		in := rawOf(recordOf(t, c.Record))
		for _, k := range c.Keep {
			require.NotEmpty(t, in.where(k), "%s: value to keep %q is not in the record", c.ID, k)
		}
	}
}

func recordOf(tb testing.TB, r corpusRecord) plog.LogRecord {
	return r.logs(tb).ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
}

type corpusTally struct{ ok, total int }

func (c corpusTally) String() string {
	if c.total == 0 {
		return "0/0"
	}
	return fmt.Sprintf("%d/%d (%.1f%%)", c.ok, c.total, 100*float64(c.ok)/float64(c.total))
}

// TestCorpusSecrets asserts recall 100%: every planted secret disappears from the whole record,
// every value to keep stays, and mask.count says something was masked. Failures are listed per
// kind (one subtest each) with the case id, its shape and the paths still holding the secret.
func TestCorpusSecrets(t *testing.T) {
	cases := loadCorpus(t, "secrets.jsonl")
	r := newCorpusRunner(t)
	kinds, byKind := groupByKind(cases)
	recallByKind, recallByShape := map[string]*corpusTally{}, map[string]*corpusTally{}
	var recall, intact corpusTally
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			kt := &corpusTally{}
			recallByKind[kind] = kt
			for _, c := range byKind[kind] {
				st := recallByShape[c.Shape]
				if st == nil {
					st = &corpusTally{}
					recallByShape[c.Shape] = st
				}
				out := rawOf(r.mask(t, c.Record.logs(t)))
				var problems []string
				caught := true
				for _, s := range c.secrets() {
					if paths := out.where(s); len(paths) > 0 {
						caught = false
						problems = append(problems, fmt.Sprintf("secret %q still at %v", short(s), paths))
					}
				}
				kept := true
				for _, k := range c.Keep {
					if len(out.where(k)) == 0 {
						kept = false
						problems = append(problems, fmt.Sprintf("%q should have stayed", k))
					}
				}
				if n, ok := out.attrs[auditevent.AttrMaskCount].(int64); !ok || n < 1 {
					problems = append(problems, fmt.Sprintf("%s = %v, want >= 1", auditevent.AttrMaskCount, out.attrs[auditevent.AttrMaskCount]))
				}
				for _, tl := range []*corpusTally{kt, st, &recall} {
					tl.total++
					if caught {
						tl.ok++
					}
				}
				intact.total++
				if kept {
					intact.ok++
				}
				if len(problems) > 0 {
					t.Errorf("%s [%s]: %s", c.ID, c.Shape, strings.Join(problems, "; "))
				}
			}
			t.Logf("recall %s: %s", kind, kt)
		})
	}
	t.Logf("recall: %s secrets caught; values to keep intact in %s cases", recall, intact)
	for _, kind := range kinds {
		t.Logf("  kind  %-24s %s", kind, recallByKind[kind])
	}
	for _, shape := range slices.Sorted(maps.Keys(recallByShape)) {
		t.Logf("  shape %-24s %s", shape, recallByShape[shape])
	}
	if recall.ok != recall.total {
		t.Errorf("recall %s, want 100%%", recall)
	}
	if intact.ok != intact.total {
		t.Errorf("values to keep intact in %s cases, want all", intact)
	}
}

// TestCorpusNonSecrets asserts zero false positives: a record holding only look-alikes comes
// out exactly as it went in, without mask.count.
func TestCorpusNonSecrets(t *testing.T) {
	cases := loadCorpus(t, "nonsecrets.jsonl")
	r := newCorpusRunner(t)
	kinds, byKind := groupByKind(cases)
	fpByKind := map[string]*corpusTally{}
	var changed corpusTally
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			kt := &corpusTally{}
			fpByKind[kind] = kt
			for _, c := range byKind[kind] {
				ld := c.Record.logs(t)
				// AsRaw copies, so in survives the processor masking ld in place.
				in := rawOf(ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0))
				out := rawOf(r.mask(t, ld))
				paths := append(diff("attributes", in.attrs, out.attrs), diff("body", in.body, out.body)...)
				var lost []string
				for _, k := range c.Keep {
					if len(out.where(k)) == 0 {
						lost = append(lost, short(k))
					}
				}
				kt.total++
				changed.total++
				if len(paths) > 0 || len(lost) > 0 {
					kt.ok++
					changed.ok++
					t.Errorf("%s [%s]: changed at %v; values no longer there: %q", c.ID, c.Shape, paths, lost)
				}
			}
			t.Logf("false positives %s: %s", kind, kt)
		})
	}
	t.Logf("false positives: %s non-secret records changed", changed)
	for _, kind := range kinds {
		t.Logf("  kind  %-34s %s", kind, fpByKind[kind])
	}
	if changed.ok != 0 {
		t.Errorf("false positives %s, want 0", changed)
	}
}
