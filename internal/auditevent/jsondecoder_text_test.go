package auditevent

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// chunkSpan is the memory of one chunk a textArena started.
type chunkSpan struct{ start, end uintptr }

// spanOf returns the memory of a's current chunk.
func spanOf(a *textArena) chunkSpan {
	start := uintptr(unsafe.Pointer(unsafe.SliceData(a.chunk)))
	return chunkSpan{start, start + uintptr(len(a.chunk))}
}

// holds tells whether s lies wholly in the chunk.
func (c chunkSpan) holds(s string) bool {
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	return p >= c.start && p+uintptr(len(s)) <= c.end
}

// Strings cut one after another fill a chunk to its edge and go on in the next one, each
// whole in one chunk of at most maxStringChunk bytes, and each keeps its text while later ones
// are cut and the text they were cut from is overwritten.
func TestTextArenaChunkEdges(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var a textArena
	var texts, cut []string
	var spans []chunkSpan // the chunk each string was cut from, if shared
	buf := make([]byte, 0, maxSharedString+1)
	for total := 0; total < 5*maxStringChunk; {
		n := 1 + rng.IntN(300)
		if rng.IntN(50) == 0 {
			n = maxSharedString + rng.IntN(2) // at the limit of sharing, and one past
		}
		buf = buf[:0]
		for range n {
			buf = append(buf, byte('a'+rng.IntN(26)))
		}
		want := string(buf)
		got := a.cut(buf, 1<<30)
		clear(buf) // the input may be reused at once
		texts, cut = append(texts, want), append(cut, got)
		if n <= maxSharedString {
			spans = append(spans, spanOf(&a))
		} else {
			spans = append(spans, chunkSpan{})
		}
		total += n
	}
	require.Equal(t, texts, cut, "every string keeps its text")

	chunks := map[chunkSpan]int{}
	for i, s := range cut {
		span := spans[i]
		if span == (chunkSpan{}) {
			continue // a long string, allocated on its own
		}
		assert.True(t, span.holds(s), "string %d lies in its chunk", i)
		assert.LessOrEqual(t, span.end-span.start, uintptr(maxStringChunk))
		chunks[span] += len(s)
	}
	assert.Equal(t, a.chunks, len(chunks))
	var shared int
	for _, used := range chunks {
		shared += used
	}
	assert.GreaterOrEqual(t, len(chunks), max(2, shared/maxStringChunk), "the strings are spread over chunks of 64 KiB")
	for span, used := range chunks {
		if span == spanOf(&a) {
			continue // the last chunk, still being filled
		}
		// A chunk is left when the next string does not fit: what it leaves is shorter than
		// the longest string shared.
		assert.Greater(t, used, int(span.end-span.start)-maxSharedString)
	}
}

// A chunk is no larger than the input left to decode, so that a small request does not
// allocate 64 KiB; a string longer than that rest (invalid UTF-8 grows when it is replaced)
// still gets room.
func TestTextArenaChunkSize(t *testing.T) {
	var a textArena
	assert.Equal(t, "", a.cut(nil, 10))
	assert.Equal(t, 0, a.chunks, "the empty string needs no chunk")

	assert.Equal(t, "abc", a.cut([]byte("abc"), 40))
	assert.Equal(t, 40, len(a.chunk))
	assert.Equal(t, "de", a.cut([]byte("de"), 20))
	assert.Equal(t, 1, a.chunks, "room was left in the chunk")

	grown := strings.Repeat("\uFFFD", 20)
	assert.Equal(t, grown, a.cut([]byte(grown), 22))
	assert.Equal(t, len(grown), len(a.chunk))

	a.cut([]byte("x"), 10*maxStringChunk)
	assert.Equal(t, maxStringChunk, len(a.chunk))

	a.reset()
	assert.Nil(t, a.chunk)
}

// manyEvents returns n events of one shape, each with a few strings that change, and the
// strings in order.
func manyEvents(n int) (body []byte, values []string) {
	for i := range n {
		vals := []string{
			fmt.Sprintf("user-%06d", i),
			strings.Repeat(string(rune('a'+i%26)), 1+i%97),
			fmt.Sprintf("esc\"%d", i), // decoded from an escape
		}
		body = fmt.Appendf(body, `{"id":%q,"pad":%q,"n":%d,"e":%q,"nil":null}`+"\n", vals[0], vals[1], i, vals[2])
		values = append(values, vals...)
	}
	return body, values
}

// The strings of a big request are cut from chunks of at most 64 KiB, not from one string as
// big as the request, so a record that outlives the others keeps at most 64 KiB alive; and
// they are right across the chunks' edges.
func TestJSONDecoderStringsShareBoundedChunks(t *testing.T) {
	body, want := manyEvents(5000)
	d := NewJSONDecoder(body)
	var e Event
	var got []string
	var spans []chunkSpan
	for {
		_, err := d.NextEvent(&e)
		if err != nil {
			require.ErrorIs(t, err, io.EOF)
			break
		}
		span := spanOf(&d.texts)
		for _, k := range []string{"id", "pad", "e"} {
			f := e.field(k)
			require.NotNil(t, f)
			require.Equal(t, pcommon.ValueTypeStr, f.typ)
			got = append(got, f.str)
			spans = append(spans, span)
		}
	}
	clear(body) // the strings are copies
	require.Equal(t, want, got)

	var shared int
	for i, s := range got {
		// A string is in the chunk that was current after its event, unless its event
		// started the next chunk after it.
		if spans[i].holds(s) {
			shared++
		}
		assert.LessOrEqual(t, spans[i].end-spans[i].start, uintptr(maxStringChunk))
	}
	assert.Greater(t, shared, len(got)*9/10)
	var text int
	for _, s := range want {
		text += len(s)
	}
	assert.GreaterOrEqual(t, d.texts.chunks, text/maxStringChunk, "about one chunk per 64 KiB of strings")
	assert.LessOrEqual(t, d.texts.chunks, 2*text/maxStringChunk+1)
}

// Strings of two requests never share a chunk: a record of the first does not keep text of the
// second alive, nor the other way round.
func TestJSONDecoderResetStartsAChunk(t *testing.T) {
	body, _ := manyEvents(3)
	d := NewJSONDecoder(body)
	var e Event
	_, err := d.NextEvent(&e)
	require.NoError(t, err)
	first := spanOf(&d.texts)
	require.True(t, first.holds(e.field("id").str))

	d.Reset(body)
	_, err = d.NextEvent(&e)
	require.NoError(t, err)
	assert.False(t, first.holds(e.field("id").str))
	assert.Equal(t, 2, d.texts.chunks)
}

// The keys of events are strings of their own, never cut from a chunk (the decoder keeps them
// with the shapes, from one request to the next): the built-in shapes' constants, others
// copied once, up to the table's bounds.
func TestJSONDecoderKeysOwnTheirStrings(t *testing.T) {
	body := []byte(`{"eventName":"x","custom":"y","cust\u006fm2":"z"}`)
	d := NewJSONDecoder(body)
	var e Event
	_, err := d.NextEvent(&e)
	require.NoError(t, err)
	span := spanOf(&d.texts)
	for _, m := range e.members {
		assert.False(t, span.holds(m.key), "key %q", m.key)
	}
	assert.Equal(t, unsafe.StringData(goodDataEventName), unsafe.StringData(e.members[0].key), "a known key is its constant")
	assert.Equal(t, `"custom":`, e.members[1].written)
	assert.Equal(t, "", e.members[2].written, "a key with escapes is read the long way")

	var table keyTable
	for i := range maxTableKeys + 10 {
		table.key(fmt.Appendf(nil, "k%d", i), true)
	}
	assert.Len(t, table.seen, maxTableKeys)
	table.key([]byte(strings.Repeat("k", maxTableKeyLen+1)), true)
	assert.Len(t, table.seen, maxTableKeys)
}

// What a decoder and an Event keep from one request to the next (the shapes, to compare the
// next events' keys with) keeps no string of the last request, nor the chunk it was cut from.
func TestKeptShapesForgetStrings(t *testing.T) {
	body := []byte(benchGoodData + "\n" + benchAirkit + "\n" + `{"other":"shape"}` + "\n")
	d := NewJSONDecoder(body)
	var e Event
	for range 3 {
		_, err := d.NextEvent(&e)
		require.NoError(t, err)
	}
	span := spanOf(&d.texts)
	e.ForgetStrings()
	d.Reset(nil)
	for _, members := range append(d.shapes[:], e.members) {
		require.NotEmpty(t, members)
		for _, m := range members[:cap(members)] {
			assert.Empty(t, m.val.str, "value of %q", m.key)
			assert.False(t, span.holds(m.key))
		}
	}

	// The shapes are still known: the next request's events are compared with them.
	d.Reset(body)
	_, err := d.NextEvent(&e)
	require.NoError(t, err)
	assert.Equal(t, "DATA_SOURCE_UPDATED", e.field("eventName").str)
}
