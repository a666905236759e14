package auditevent

import "unsafe"

// maxStringChunk bounds the chunks that decoded strings are cut from (see textArena): a value
// keeps its whole chunk alive, so one record that outlives the others of its request holds at
// most 64 KiB. The records of a request travel through the pipeline and are encoded together,
// so a chunk is usually freed with all of them; and 64 KiB spreads one allocation over the
// strings of a few hundred events.
const maxStringChunk = 64 << 10

// maxSharedString is the longest string cut from a chunk; a longer one gets an allocation of
// its own. A string that does not fit in what is left of a chunk starts a new one, so what a
// chunk leaves unused is under this: at most 1/16 of it.
const maxSharedString = maxStringChunk / 16

// textArena hands out the decoded strings of one input as substrings of shared chunks: one
// allocation for many strings instead of one each, and only the strings' text is copied (not
// the keys matched in place, the numbers, the nulls and the punctuation around them).
//
// A chunk is a byte slice that is only ever appended to: the bytes of a string handed out are
// never written again, which is what unsafe.String requires of them (strings.Builder hands out
// its buffer the same way). Its length is fixed and the bytes used are counted apart, so that
// cutting a string stores no pointer (each would go through the garbage collector's write
// barrier while it marks, which is often during a big request).
//
// Chunks never span two inputs (JSONDecoder.Reset drops the current one), so a string pins
// only text of its own request; and a chunk is never larger than the rest of the input when it
// is started (or the string that starts it), so a small request does not allocate 64 KiB.
type textArena struct {
	chunk []byte // len(chunk) is its size; chunk[used:] is free
	used  int
	// chunks counts the chunks started, for tests.
	chunks int
}

// cut returns text as a string; rest is how many bytes of the input remain from text's start,
// a bound on the text still to come (escapes only shorten text; invalid UTF-8, which becomes
// U+FFFD, may lengthen it, which costs one chunk more, not a wrong string).
func (a *textArena) cut(text []byte, rest int) string {
	n := len(text)
	if n == 0 {
		return ""
	}
	if n > maxSharedString {
		return string(text)
	}
	if len(a.chunk)-a.used < n {
		// The old chunk is left to the strings cut from it.
		a.chunk, a.used = make([]byte, min(maxStringChunk, max(rest, n))), 0
		a.chunks++
	}
	start := a.used
	a.used += copy(a.chunk[start:], text)
	return unsafe.String(&a.chunk[start], n)
}

// reset drops the current chunk: what is cut next starts a new one.
func (a *textArena) reset() {
	a.chunk, a.used = nil, 0
}

// tableKey is an event's key as a string of its own, and as written plain (see member).
type tableKey struct {
	key, written string
}

func newTableKey(key string) tableKey {
	return tableKey{key: key, written: `"` + key + `":`}
}

// knownKeys are the keys of the built-in shapes, each with its constant.
var knownKeys = func() map[string]tableKey {
	keys := make(map[string]tableKey)
	add := func(k string) { keys[k] = newTableKey(k) }
	for _, f := range goodDataFields {
		add(f.key)
	}
	add(GoodDataDetailsKey)
	for _, c := range AirkitColumns {
		add(c.Name)
		add(c.camel)
	}
	add(airkitCamelKind)
	return keys
}()

// Bounds of a decoder's keyTable: keys beyond them are copied each time they are met, so
// that hostile input, all new keys, grows no table.
const (
	maxTableKeys   = 256
	maxTableKeyLen = 128
)

// keyTable gives the keys of events strings of their own. An event's keys are kept with its
// shape (see JSONDecoder) from one input to the next: taking them from a chunk would make them
// pin a chunk of an old request. The keys of the built-in shapes are their constants; others
// are copied once and kept, so that a source whose keys change order does not allocate them
// again with every event.
type keyTable struct {
	seen map[string]tableKey
}

// key returns text, an event's key as decoded, as a string of its own, and as written when
// plain tells it was written without escapes (else written is empty).
func (t *keyTable) key(text []byte, plain bool) (key, written string) {
	k, ok := knownKeys[string(text)]
	if !ok {
		if k, ok = t.seen[string(text)]; !ok {
			k = newTableKey(string(text))
			if len(text) <= maxTableKeyLen && len(t.seen) < maxTableKeys {
				if t.seen == nil {
					t.seen = make(map[string]tableKey)
				}
				t.seen[k.key] = k
			}
		}
	}
	if !plain {
		return k.key, ""
	}
	return k.key, k.written
}
