package auditlogreceiver

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/auditship/auditship/internal/auditevent"
)

// FuzzDecode feeds any request body to the decoder (one object, an array, NDJSON, or anything
// else) and checks what the receiver promises:
//   - nothing panics;
//   - either the request is refused with problems that each have a reason and locate the
//     event or the bad byte, or every event became exactly one record with an id, a tenant and
//     the observed time; never more records than events;
//   - problems never echo the body: any four bytes of a problem found in the body must come
//     from the code's own text (a string literal of this package or of internal/auditevent);
//   - the events counted and the verdict on the JSON agree with encoding/json;
//   - decoding the same body again, after the decoding state served another body, gives the
//     same records and problems.
//
// Decompression happens before: confighttp undoes Content-Encoding, with our zstd decoder (see
// FuzzDecompressAndDecode) and its own for gzip, deflate, zlib and snappy, which are not fuzzed
// here. Seeds: testdata/fuzz/FuzzDecode.
//
//	go test -run '^$' -fuzz '^FuzzDecode$' -fuzztime 60s ./receiver/auditlogreceiver/
func FuzzDecode(f *testing.F) {
	vocabulary := codeText(f)
	d := newTestDecoder(f, nil)
	observed := pcommon.NewTimestampFromTime(time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC))
	f.Fuzz(func(t *testing.T, body []byte) {
		first := d.decode(body, observed)
		checkBatch(t, body, first, observed, vocabulary)
		checkAgainstEncodingJSON(t, body, first)
		again := d.decode(body, observed)
		checkSameBatch(t, first, again)
	})
}

// FuzzDecompressAndDecode takes the input as a zstd body, the one encoding whose decoder is
// ours (newZstdBody, with its bounded window and its pooled decoders), read as the handler
// reads it under a size limit and then decoded: whatever the bytes, nothing panics, the body
// read never exceeds the limit, and a body that comes out decodes as FuzzDecode checks. The
// input is also compressed as a sender would: it must come back byte for byte, and decode as it
// does uncompressed. Seeds: testdata/fuzz/FuzzDecompressAndDecode.
//
//	go test -run '^$' -fuzz '^FuzzDecompressAndDecode$' -fuzztime 60s ./receiver/auditlogreceiver/
func FuzzDecompressAndDecode(f *testing.F) {
	vocabulary := codeText(f)
	d := newTestDecoder(f, nil)
	observed := pcommon.NewTimestampFromTime(time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC))
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, data []byte) {
		if body, err := readZstdBody(data, fuzzBodyLimit); err == nil {
			require.LessOrEqual(t, len(body), fuzzBodyLimit)
			checkBatch(t, body, d.decode(body, observed), observed, vocabulary)
		}
		if len(data) > fuzzBodyLimit {
			return
		}
		body, err := readZstdBody(enc.EncodeAll(data, nil), fuzzBodyLimit)
		require.NoError(t, err)
		require.True(t, bytes.Equal(data, body), "the body does not come back whole")
		checkSameBatch(t, d.decode(data, observed), d.decode(body, observed))
	})
}

// fuzzBodyLimit is max_request_body_size for FuzzDecompressAndDecode: small, so that a stream
// that expands without end is cut off soon.
const fuzzBodyLimit = 1 << 20

// readZstdBody reads compressed as the handler reads a zstd request body: through our decoder,
// under confighttp's limit on the decompressed size.
func readZstdBody(compressed []byte, limit int) ([]byte, error) {
	zr, err := newZstdBody(io.NopCloser(bytes.NewReader(compressed)))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	req := &http.Request{Body: http.MaxBytesReader(nil, zr, int64(limit)), ContentLength: -1}
	var buf bodyBuffer
	return buf.read(req, limit)
}

// checkBatch checks the invariants of one decoded body.
func checkBatch(t *testing.T, body []byte, b *batch, observed pcommon.Timestamp, vocabulary *codeVocabulary) {
	t.Helper()
	require.LessOrEqual(t, b.records.Len(), b.events, "more records than events")
	require.Equal(t, b.records.Len(), b.logs.LogRecordCount())
	if !b.refused() {
		require.Empty(t, b.problems)
		require.Equal(t, b.events, b.records.Len(), "every event becomes one record")
		for i, lr := range b.records.All() {
			require.NotEmpty(t, auditevent.EventID(lr), "record %d has no event id", i)
			require.NotEmpty(t, auditevent.OrgID(lr), "record %d has no tenant", i)
			require.Equal(t, observed, lr.ObservedTimestamp(), "record %d", i)
		}
		return
	}
	require.NotEmpty(t, b.problems, "refused without a problem")
	require.LessOrEqual(t, len(b.problems), maxProblems+1)
	require.LessOrEqual(t, b.invalid, b.events)
	eventProblems := b.problems
	if b.malformed {
		last := b.problems[len(b.problems)-1]
		require.NotNil(t, last.Offset, "invalid JSON is located by offset")
		require.True(t, *last.Offset >= 0 && *last.Offset <= len(body), "offset %d of %d bytes", *last.Offset, len(body))
		require.Nil(t, last.Index)
		require.GreaterOrEqual(t, last.Line, 1)
		require.GreaterOrEqual(t, last.Column, 1)
		eventProblems = b.problems[:len(b.problems)-1]
	} else {
		require.Equal(t, min(b.invalid, maxProblems), len(b.problems))
	}
	for _, p := range eventProblems {
		require.Nil(t, p.Offset, "%+v", p)
		if p.Index != nil {
			require.True(t, *p.Index >= 0 && *p.Index < b.events && p.Line == 0, "%+v", p)
		} else {
			require.GreaterOrEqual(t, p.Line, 1, "%+v", p)
		}
	}
	for _, p := range b.problems {
		require.NotEmpty(t, p.Reason, "%+v", p)
		vocabulary.requireNoEcho(t, body, p.Reason)
		vocabulary.requireNoEcho(t, body, p.Field)
	}
}

// checkAgainstEncodingJSON checks that encoding/json reads as many events from body, and finds
// it invalid exactly when the decoder does, but for the limits encoding/json does not have
// (nesting, numbers beyond float64).
func checkAgainstEncodingJSON(t *testing.T, body []byte, b *batch) {
	t.Helper()
	events, err := countJSONEvents(body)
	if b.malformed {
		reason := b.problems[len(b.problems)-1].Reason
		if strings.Contains(reason, "nested too deeply") || strings.Contains(reason, "out of range") {
			return
		}
		require.Error(t, err, "encoding/json accepts a body refused as invalid JSON (%s)", reason)
		return
	}
	require.NoError(t, err, "encoding/json refuses a body read as valid JSON")
	require.Equal(t, events, b.events)
}

// countJSONEvents counts the events of body as encoding/json reads them: the elements of an
// array, or else the values of a stream.
func countJSONEvents(body []byte) (int, error) {
	if start := skipSpace(body, 0); start < len(body) && body[start] == '[' {
		var elements []json.RawMessage
		err := json.Unmarshal(body, &elements)
		return len(elements), err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	for n := 0; ; n++ {
		var v json.RawMessage
		if err := dec.Decode(&v); err == io.EOF {
			return n, nil
		} else if err != nil {
			return n, err
		}
	}
}

// checkSameBatch checks that two decodings of one body agree, but for the ids generated for
// events without one.
func checkSameBatch(t *testing.T, a, b *batch) {
	t.Helper()
	require.Equal(t, a.events, b.events)
	require.Equal(t, a.invalid, b.invalid)
	require.Equal(t, a.malformed, b.malformed)
	require.Equal(t, a.problems, b.problems)
	require.Equal(t, a.records.Len(), b.records.Len())
	for i := range a.records.Len() {
		ra, rb := a.records.At(i), b.records.At(i)
		attrsA, attrsB := ra.Attributes().AsRaw(), rb.Attributes().AsRaw()
		if idA, idB := attrsA[auditevent.AttrEventID], attrsB[auditevent.AttrEventID]; idA != idB {
			for _, id := range []any{idA, idB} {
				_, err := uuid.Parse(id.(string))
				require.NoError(t, err, "record %d: ids differ and are not both generated", i)
			}
			delete(attrsA, auditevent.AttrEventID)
			delete(attrsB, auditevent.AttrEventID)
		}
		assert.Equal(t, attrsA, attrsB, "record %d", i)
		assert.Equal(t, ra.Body().AsRaw(), rb.Body().AsRaw(), "record %d", i)
		assert.Equal(t, ra.EventName(), rb.EventName(), "record %d", i)
		assert.Equal(t, ra.Timestamp(), rb.Timestamp(), "record %d", i)
		assert.Equal(t, ra.ObservedTimestamp(), rb.ObservedTimestamp(), "record %d", i)
	}
}

// echoRun is the fewest bytes of a body that a problem may not repeat, unless the code wrote
// them.
const echoRun = 4

// codeVocabulary is the text that problems may share with a body because the code wrote it:
// the string literals of this package and of internal/auditevent.
type codeVocabulary struct {
	literals []string
	mu       sync.Mutex
	covered  map[string][]bool // per text, which of its bytes lie in a literal found in it
}

// codeText collects the string literals of the non-test files of this package and of
// internal/auditevent, which make every problem's field and reason.
func codeText(tb testing.TB) *codeVocabulary {
	tb.Helper()
	v := &codeVocabulary{covered: map[string][]bool{}}
	seen := map[string]bool{}
	fset := token.NewFileSet()
	for _, dir := range []string{".", filepath.Join("..", "..", "internal", "auditevent")} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		require.NoError(tb, err)
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
			require.NoError(tb, err)
			ast.Inspect(file, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				if s, err := strconv.Unquote(lit.Value); err == nil && len(s) >= echoRun && !seen[s] {
					seen[s] = true
					v.literals = append(v.literals, s)
				}
				return true
			})
		}
	}
	require.NotEmpty(tb, v.literals)
	return v
}

// requireNoEcho fails when text repeats echoRun bytes or more of body that no literal of the
// code accounts for at that place in text.
func (v *codeVocabulary) requireNoEcho(t *testing.T, body []byte, text string) {
	t.Helper()
	if len(text) < echoRun {
		return
	}
	covered := v.coverage(text)
	for i := 0; i+echoRun <= len(text); i++ {
		if !bytes.Contains(body, []byte(text[i:i+echoRun])) {
			continue
		}
		for j := i; j < i+echoRun; j++ {
			if !covered[j] {
				t.Fatalf("problem text %q repeats %q of the body, which is not the code's own text", text, text[i:i+echoRun])
			}
		}
	}
}

// coverage marks the bytes of text that lie in an occurrence of a literal.
func (v *codeVocabulary) coverage(text string) []bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if c, ok := v.covered[text]; ok {
		return c
	}
	c := make([]bool, len(text))
	for _, lit := range v.literals {
		for from := 0; ; {
			i := strings.Index(text[from:], lit)
			if i < 0 {
				break
			}
			for j := from + i; j < from+i+len(lit); j++ {
				c[j] = true
			}
			from += i + 1
		}
	}
	v.covered[text] = c
	return c
}
