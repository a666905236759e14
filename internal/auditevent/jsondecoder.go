package auditevent

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// MaxJSONDepth is how deeply objects and arrays may nest in decoded JSON. Audit events are
// shallow; the limit keeps a hostile body from costing stack and time.
const MaxJSONDepth = 64

// MaxJSONObjectKeys is how many keys an object may hold in decoded JSON. A key is looked for
// among the object's keys before it (pdata's Map has no other way to keep the last of repeated
// keys), so decoding an object costs the square of its keys: 100,000 keys in one event took 49
// CPU-seconds. Audit events hold tens.
const MaxJSONObjectKeys = 1000

// keptShapes is how many shapes of events, besides the last one's, a decoder keeps to refill:
// a stream that mixes GoodData entries and Airkit rows switches between two.
const keptShapes = 2

// JSONErrorKind tells apart the reasons JSON could not be decoded.
type JSONErrorKind uint8

const (
	// JSONSyntax: the input is not JSON.
	JSONSyntax JSONErrorKind = iota + 1
	// JSONTruncated: the input ended inside a value.
	JSONTruncated
	// JSONNumberOutOfRange: a number with a fraction or an exponent is valid JSON but too large
	// for a float64 (an integer is kept as its digits instead).
	JSONNumberOutOfRange
	// JSONTooDeep: objects and arrays nest deeper than MaxJSONDepth.
	JSONTooDeep
	// JSONTooManyKeys: an object holds more than MaxJSONObjectKeys keys.
	JSONTooManyKeys
)

// JSONError says where and why the input could not be decoded. Like FieldError, it never
// quotes the input, which may hold secrets.
type JSONError struct {
	// Offset is the 0-based byte offset of the problem: the byte that is wrong, the end of the
	// input when it is truncated, the byte just after a number out of range, or the bracket
	// that nests too deeply.
	Offset int
	Kind   JSONErrorKind
	// Reason is in encoding/json's words, without the character it quotes, such as "invalid
	// character after object key:value pair" or "unexpected end of JSON input".
	Reason string
}

func (e *JSONError) Error() string {
	return "invalid JSON at offset " + strconv.Itoa(e.Offset) + ": " + e.Reason
}

// The errors of the limits a decoder may be given (SetLimits). Like JSONError, they quote
// nothing of the input.
var (
	// ErrValueTooLarge: a top-level value (or element of the top-level array) spans more bytes
	// than the limit. It was read to its end without being decoded: the next one can be.
	ErrValueTooLarge = errors.New("JSON value larger than the limit")
	// ErrTooManyValues: the input holds more values than the limit. Nothing more is read, as
	// after a JSONError.
	ErrTooManyValues = errors.New("JSON input holds more values than the limit")
)

// errPastValueEnd stops decoding a top-level value once it reaches beyond the limit of its
// bytes; it is read again without decoding (skipUnlimited) to find its end, and
// ErrValueTooLarge returned.
var errPastValueEnd = errors.New("JSON value reaches beyond its limit")

// JSONDecoder decodes JSON from a byte slice straight into pcommon values, keeping the order
// of object keys. Integers that fit an int64 become Int; longer integers become Str, their
// digits as written, since a Double would keep only 17 of them; other numbers become Double;
// null leaves the value empty. When an object repeats a key, the last value wins at the first
// one's place. It accepts what encoding/json accepts (strings with invalid UTF-8 or lone
// surrogates get U+FFFD, as encoding/json does), except nesting deeper than MaxJSONDepth and
// numbers with a fraction or an exponent beyond float64.
//
// Decoded strings are cut from chunks of at most 64 KiB that the strings of one input share
// (see textArena), which saves an allocation per string. A decoded value keeps its chunk alive,
// so a record holds the strings of its neighbours in the request too, up to 64 KiB. The keys of
// events are copies of their own (or constants), since the decoder keeps them for the next
// input. The input itself is never referenced: the caller may reuse it.
//
// Decoding into a value that holds a map or a slice refills it in place, reusing entries
// while the keys come in the same order and keeping scalars that do not change: decoding a
// stream of similar values into one value spares most of pdata's work (each pdata setter
// allocates). The map's keys must be unique, as when a decoder filled it. A decoded value
// shares nothing with the input or with other values, apart from immutable strings.
//
// Events (NextEvent, NextElementEvent) are read into an Event instead, which holds scalars
// without pdata. An event's keys are compared with those of the last event that started with
// the same key, rather than scanned: the decoder keeps the members of the last few shapes of
// events, and an event that starts with the key of a kept shape trades places with it.
//
// The decoder reads either a stream of top-level values (Next, NextEvent) or the elements of
// one top-level array (NextElement, NextElementEvent), not both.
//
// The memory a decoded input takes is bounded by SetLimits: pdata spends tens of bytes on each
// value, so a few bytes of JSON (an array of zeros) take many times their size once decoded.
type JSONDecoder struct {
	data     []byte
	off      int
	depth    int
	err      error
	elements arrayState

	// The limits (SetLimits). maxValueBytes bounds each top-level value's bytes (0: no bound);
	// valueEnd is the offset the one being read may not reach beyond; values is how many more
	// values may be decoded.
	maxValueBytes, valueEnd, values int
	// valuesBefore is values when the top-level value being read began.
	valuesBefore int
	// lineEnd is the offset of the end of the line where the last top-level value of a stream
	// started (see nextValue).
	lineEnd int

	plain bool // whether the last string read was plain (taken from the input as it is)
	// shapes are the members of events that started with other keys than the last one, the
	// most recently decoded first.
	shapes [keptShapes][]member

	texts textArena     // what decoded strings are cut from
	keys  keyTable      // what the keys of events are taken from
	buf   []byte        // where escaped strings are decoded
	empty pcommon.Value // to set values to null, made when first needed
}

type arrayState uint8

const (
	arrayBefore arrayState = iota // before the opening bracket
	arrayInside                   // after an element
	arrayDone                     // after the closing bracket
)

// NewJSONDecoder returns a decoder reading data.
func NewJSONDecoder(data []byte) *JSONDecoder {
	d := new(JSONDecoder)
	d.Reset(data)
	return d
}

// Reset makes d read data from its start, as a new decoder would, but keeping the shapes of
// events it decoded (see JSONDecoder), which the next events probably have too, without their
// values' strings.
func (d *JSONDecoder) Reset(data []byte) {
	d.data, d.off, d.err, d.elements = data, 0, nil, arrayBefore
	d.SetLimits(0, 0)
	d.lineEnd = 0
	d.texts.reset() // strings of one input share no chunk with those of the next
	// Nor do the kept shapes keep the last input's strings alive (see Event.ForgetStrings).
	for _, members := range d.shapes {
		forgetStrings(members)
	}
}

// SetLimits bounds what d decodes of its input until the next Reset: each top-level value
// (or element of the top-level array) may span at most valueBytes bytes, and all of them
// together may hold at most values values (strings, numbers, booleans and nulls at any depth,
// and objects and arrays, which count as ContainerCost values each; an event's own object is
// not counted). 0 means no bound.
//
// A value too large is refused with ErrValueTooLarge, having cost at most valueBytes bytes of
// decoding: its decoding stops there and the rest is only read through. In a stream, a value
// that starts a line longer than valueBytes is read through first, so that one too large and
// alone on its line (as in NDJSON) is refused without any of it decoded. An input with more
// values is refused with ErrTooManyValues, in the value where the count is exceeded.
func (d *JSONDecoder) SetLimits(valueBytes, values int) {
	d.maxValueBytes = valueBytes
	d.valueEnd = math.MaxInt
	d.values = math.MaxInt
	if values > 0 {
		d.values = values
	}
}

// Offset returns the offset of the first byte not yet read.
func (d *JSONDecoder) Offset() int { return d.off }

// Next decodes the next top-level value into v and returns the offset where it starts. Values
// may be separated by whitespace (NDJSON) or by nothing where that is unambiguous, as with
// encoding/json's Decoder. It returns io.EOF when only whitespace remains; a *JSONError when
// the input is not valid JSON, and from then on. What v holds is replaced; the maps and slices
// in it are refilled (see JSONDecoder).
func (d *JSONDecoder) Next(v pcommon.Value) (int, error) {
	start, err := d.nextValue()
	if err != nil {
		return start, err
	}
	return start, d.finish(start, d.value(v))
}

// NextEvent is Next for events: it decodes the next top-level value into e.
func (d *JSONDecoder) NextEvent(e *Event) (int, error) {
	start, err := d.nextValue()
	if err != nil {
		return start, err
	}
	return start, d.finish(start, d.event(e))
}

// nextValue goes to the next top-level value of a stream and returns where it starts. When the
// value's line is longer than the limit of a value's bytes, the value is read through first
// (see SetLimits): ErrValueTooLarge means it was too large, and was passed.
func (d *JSONDecoder) nextValue() (int, error) {
	if d.err != nil {
		return d.off, d.err
	}
	d.skipSpace()
	start := d.off
	if start == len(d.data) {
		return start, io.EOF
	}
	d.depth = 0
	d.limitValueAt(start)
	if d.maxValueBytes == 0 {
		return start, nil
	}
	// Each line is searched once, however many values it holds.
	if d.lineEnd <= start {
		d.lineEnd = len(d.data)
		if i := bytes.IndexByte(d.data[start:], '\n'); i >= 0 {
			d.lineEnd = start + i
		}
	}
	if d.lineEnd <= d.valueEnd {
		return start, nil
	}
	if err := d.skipUnlimited(); err != nil {
		return start, d.fail(err)
	}
	if d.off > d.valueEnd {
		return start, ErrValueTooLarge
	}
	d.off = start // one of several values on a long line, decoded after all
	return start, nil
}

// limitValueAt sets the limit of the bytes of the top-level value that starts at start.
func (d *JSONDecoder) limitValueAt(start int) {
	d.valuesBefore = d.values
	if d.maxValueBytes > 0 {
		// Never past the input, so that no limit, however large, overflows.
		d.valueEnd = start + min(d.maxValueBytes, len(d.data)-start)
	}
}

// finish ends the reading of the top-level value (or element) that starts at start, err being
// what decoding it returned.
func (d *JSONDecoder) finish(start int, err error) error {
	switch {
	case err == nil:
		if d.off > d.valueEnd {
			// Beyond the limit by its last few bytes only: what was decoded is small.
			return ErrValueTooLarge
		}
		return nil
	case err == errPastValueEnd, err == ErrTooManyValues && d.maxValueBytes > 0:
		// What was decoded is dropped. A value too large may use up the limit of values before
		// it passes the limit of its bytes: read through, its end tells which it is.
		d.off, d.depth = start, 0
		if d.elements == arrayInside {
			d.depth = 1
		}
		if skipErr := d.skipUnlimited(); skipErr != nil {
			return d.fail(skipErr)
		}
		if err == ErrTooManyValues && d.off <= d.valueEnd {
			return d.fail(err)
		}
		d.values = d.valuesBefore // the refused value keeps none of its values
		return ErrValueTooLarge
	}
	return d.fail(err)
}

// ContainerCost is what an object or an array counts against the limit of values (SetLimits):
// with the room for four entries that value makes in each, an empty one costs pdata about as
// much as four scalars.
const ContainerCost = 4

// spend counts the value at d.off, as cost values, against the limit of values and tells
// whether it may be decoded: whether the limit allows it and the value starts within the
// limit of its top-level value's bytes. Either limit is then reported by limitError.
func (d *JSONDecoder) spend(cost int) bool {
	d.values -= cost
	return d.values >= 0 && d.off <= d.valueEnd
}

// limitError returns the error of the limit that spend found crossed.
func (d *JSONDecoder) limitError() error {
	if d.values < 0 {
		return ErrTooManyValues
	}
	return errPastValueEnd
}

// NextElement decodes the next element of the array that the input holds into v and returns
// the offset where the element starts. The first call reads the opening bracket. It returns
// io.EOF after the closing bracket, leaving Offset just after it; a *JSONError when the input
// is not valid JSON, and from then on. What v holds is replaced; the maps and slices in it are
// refilled (see JSONDecoder).
func (d *JSONDecoder) NextElement(v pcommon.Value) (int, error) {
	start, err := d.nextElement()
	if err != nil {
		return start, err
	}
	return start, d.finish(start, d.value(v))
}

// NextElementEvent is NextElement for events: it decodes the next element into e.
func (d *JSONDecoder) NextElementEvent(e *Event) (int, error) {
	start, err := d.nextElement()
	if err != nil {
		return start, err
	}
	return start, d.finish(start, d.event(e))
}

// nextElement goes to the next element of the top-level array and returns where it starts.
func (d *JSONDecoder) nextElement() (int, error) {
	if d.err != nil {
		return d.off, d.err
	}
	if d.elements == arrayDone {
		return d.off, io.EOF
	}
	c, err := d.nextNonSpace()
	if err != nil {
		return d.off, d.fail(err)
	}
	switch d.elements {
	case arrayBefore:
		if c != '[' {
			return d.off, d.fail(d.syntaxError(d.off, "invalid character looking for beginning of array"))
		}
		d.off++
		if c, err = d.nextNonSpace(); err != nil {
			return d.off, d.fail(err)
		}
		if c == ']' {
			d.off++
			d.elements = arrayDone
			return d.off, io.EOF
		}
	case arrayInside:
		switch c {
		case ',':
			d.off++
			if _, err = d.nextNonSpace(); err != nil {
				return d.off, d.fail(err)
			}
		case ']':
			d.off++
			d.elements = arrayDone
			return d.off, io.EOF
		default:
			return d.off, d.fail(d.syntaxError(d.off, "invalid character after array element"))
		}
	}
	d.elements = arrayInside
	d.depth = 1
	d.limitValueAt(d.off)
	return d.off, nil
}

// DecodeJSON decodes data, which must hold exactly one JSON value and whitespace, into v.
func DecodeJSON(data []byte, v pcommon.Value) error {
	var d JSONDecoder
	d.Reset(data)
	if _, err := d.Next(v); err != nil {
		if err == io.EOF {
			return d.truncated()
		}
		return err
	}
	if d.skipSpace(); d.off < len(data) {
		return d.syntaxError(d.off, "invalid character after top-level value")
	}
	return nil
}

func (d *JSONDecoder) fail(err error) error {
	d.err = err
	return err
}

// value decodes the value at d.off, which is not whitespace, into v, replacing what v holds.
// A map or slice that v holds is refilled rather than replaced (see object and array).
func (d *JSONDecoder) value(v pcommon.Value) error {
	c := d.data[d.off]
	cost := 1
	if c == '{' || c == '[' {
		cost = ContainerCost
	}
	if !d.spend(cost) {
		return d.limitError()
	}
	switch c {
	case '{':
		if d.depth >= MaxJSONDepth {
			return d.tooDeep()
		}
		if v.Type() == pcommon.ValueTypeMap {
			return d.object(v.Map())
		}
		m := v.SetEmptyMap()
		m.EnsureCapacity(4) // fewer allocations for small maps; growing from 4 for big ones
		return d.object(m)
	case '[':
		if d.depth >= MaxJSONDepth {
			return d.tooDeep()
		}
		if v.Type() == pcommon.ValueTypeSlice {
			return d.array(v.Slice())
		}
		s := v.SetEmptySlice()
		s.EnsureCapacity(4)
		return d.array(s)
	case '"':
		// Strings, the most common values, are set here rather than through a fieldValue. A
		// string refilled with the same text, as in a stream of similar values, is compared
		// before it is copied: it is kept, and costs no room in a chunk.
		start := d.off + 1
		text, err := d.strText()
		if err != nil {
			return err
		}
		if v.Type() != pcommon.ValueTypeStr || string(text) != v.Str() {
			v.SetStr(d.texts.cut(text, len(d.data)-start))
		}
		return nil
	}
	var f fieldValue
	if err := d.readScalar(&f); err != nil {
		return err
	}
	if f.typ != pcommon.ValueTypeEmpty {
		f.set(v)
	} else if v.Type() != pcommon.ValueTypeEmpty {
		d.setNull(v)
	}
	return nil
}

// scalar reads the value at d.off, which is not whitespace, into f, if it is neither an
// object nor an array, counting it against the limit of values.
func (d *JSONDecoder) scalar(f *fieldValue) error {
	if !d.spend(1) {
		return d.limitError()
	}
	return d.readScalar(f)
}

// readScalar is scalar without the count. It sets f's fields one by one rather than f as a
// whole: f is usually an Event's member, and a whole struct is copied with the garbage
// collector's write barriers for each event. On error, f holds nothing of use.
func (d *JSONDecoder) readScalar(f *fieldValue) error {
	// Only when set: most members never hold a pcommon value, and each pointer stored while
	// the garbage collector marks goes through its write barrier.
	if f.v != (pcommon.Value{}) {
		f.v = pcommon.Value{}
	}
	switch c := d.data[d.off]; c {
	case '"':
		start := d.off + 1
		text, err := d.strText()
		if err != nil {
			return err
		}
		f.typ, f.str = pcommon.ValueTypeStr, d.texts.cut(text, len(d.data)-start)
		return nil
	case 't':
		f.typ, f.b = pcommon.ValueTypeBool, true
		if d.isWord("true") {
			return nil
		}
		return d.literal("true")
	case 'f':
		f.typ, f.b = pcommon.ValueTypeBool, false
		if d.isWord("false") {
			return nil
		}
		return d.literal("false")
	case 'n':
		f.typ = pcommon.ValueTypeEmpty
		// Airkit rows hold a dozen nulls each.
		if d.isWord("null") {
			return nil
		}
		return d.literal("null")
	default:
		if c == '-' || isDigit(c) {
			return d.number(f)
		}
		return d.syntaxError(d.off, "invalid character looking for beginning of value")
	}
}

// setNull empties v, for which pdata has no setter.
func (d *JSONDecoder) setNull(v pcommon.Value) {
	if d.empty == (pcommon.Value{}) {
		d.empty = pcommon.NewValueEmpty()
	}
	d.empty.MoveTo(v) // and d.empty stays empty
}

// object reads the object at d.off into m, replacing what m holds. While the keys come in the
// order m has them (as when m holds the previous event of a stream), m's entries are reused:
// that spares pdata's search of the whole map for each new key, and the allocations of nested
// maps and slices. m's keys must be unique, as when a decoder filled it.
func (d *JSONDecoder) object(m pcommon.Map) error {
	d.depth++
	d.off++ // the opening brace
	c, err := d.nextNonSpace()
	if err != nil {
		return err
	}
	if c == '}' {
		d.off++
		d.depth--
		truncateMap(m, 0)
		return nil
	}
	var key []byte
	kept, pending := 0, false
	for k, v := range m.All() {
		if key, err = d.key(); err != nil {
			return err
		}
		if string(key) != k {
			pending = true
			break
		}
		if err = d.value(v); err != nil {
			return err
		}
		kept++
		if end, err := d.memberEnd(); err != nil || end {
			truncateMap(m, kept)
			return err
		}
	}
	truncateMap(m, kept)
	for {
		if !pending {
			if key, err = d.key(); err != nil {
				return err
			}
		}
		pending = false
		// PutEmpty finds a key seen before in this object: the last value wins, in its place.
		// The key travels with the value, in the same record: it is cut from the same chunks.
		v := m.PutEmpty(d.texts.cut(key, len(d.data)-d.off))
		if m.Len() > MaxJSONObjectKeys {
			return d.tooManyKeys()
		}
		if err = d.value(v); err != nil {
			return err
		}
		if end, err := d.memberEnd(); err != nil || end {
			return err
		}
	}
}

// event reads the top-level value at d.off, which is not whitespace, into e. An object's
// members are compared, while they come in the same order, with those of the last event that
// started with the same key (see recallShape): the key is checked byte for byte instead of
// scanned, and cannot repeat an earlier one. From the first key that differs on, each key is
// read and looked for among the members before it: a repeated key's last value wins, in the
// first one's place, as in object.
func (d *JSONDecoder) event(e *Event) error {
	if d.data[d.off] != '{' {
		// No members either, so that a converter handed this event by mistake finds nothing of
		// the previous one.
		e.object = false
		e.members = e.members[:0]
		if e.other == (pcommon.Value{}) {
			e.other = pcommon.NewValueEmpty()
		}
		return d.value(e.other)
	}
	e.object = true
	d.depth++
	d.off++ // the opening brace
	c, err := d.nextNonSpace()
	if err != nil {
		return err
	}
	if c == '}' {
		d.off++
		d.depth--
		e.members = e.members[:0]
		return nil
	}
	d.recallShape(e)
	// While the keys come in the recalled shape's order, its members are only counted, and
	// e.members is set once: a slice stored for each member would go through the garbage
	// collector's write barrier whenever it marks, which is often while a request is decoded.
	shape := e.members
	n := 0
	for n < len(shape) {
		m := &shape[n]
		if m.written == "" || (!d.atWritten(m.written) && !d.keyIs(m)) {
			break
		}
		n++
		// memberValue's test and scalar's count, here: two calls less for each scalar.
		var err error
		switch c := d.data[d.off]; {
		case c == '{' || c == '[':
			err = d.memberValue(m)
		case d.spend(1):
			err = d.readScalar(&m.val)
		default:
			err = d.limitError()
		}
		if err != nil {
			e.members = shape[:n]
			return err
		}
		// A comma right after the value is the common case, looked for first.
		if d.off < len(d.data) && d.data[d.off] == ',' {
			d.off++
			continue
		}
		if end, err := d.memberEnd(); err != nil || end {
			e.members = shape[:n]
			return err
		}
	}
	e.members = shape[:n]
	for {
		key, err := d.key()
		if err != nil {
			return err
		}
		m := e.memberFor(key, d.plain, &d.keys)
		if len(e.members) > MaxJSONObjectKeys {
			return d.tooManyKeys()
		}
		if err := d.memberValue(m); err != nil {
			return err
		}
		if end, err := d.memberEnd(); err != nil || end {
			return err
		}
	}
}

// memberFor returns the member of e with key, adding it if there is none; plain is whether the
// key is written plain. key is the decoded text of the key, made a string (from keys) only for a
// new member.
func (e *Event) memberFor(key []byte, plain bool, keys *keyTable) *member {
	for i := range e.members {
		if e.members[i].key == string(key) {
			return &e.members[i]
		}
	}
	// The storage beyond the members is reused, with the slot it may hold.
	if n := len(e.members); n < cap(e.members) {
		e.members = e.members[:n+1]
	} else {
		e.members = append(e.members, member{})
	}
	m := &e.members[len(e.members)-1]
	m.key, m.written = keys.key(key, plain)
	m.roles = keyRoles{}
	return m
}

// memberValue reads the value at d.off into m: a scalar as it is, an object or an array into
// m's slot.
func (d *JSONDecoder) memberValue(m *member) error {
	if c := d.data[d.off]; c != '{' && c != '[' {
		return d.scalar(&m.val)
	}
	if m.slot == (pcommon.Value{}) {
		m.slot = pcommon.NewValueEmpty()
	}
	if err := d.value(m.slot); err != nil {
		return err
	}
	m.val = fieldValue{typ: m.slot.Type(), v: m.slot}
	return nil
}

// recallShape makes e, into which the object at d.off is about to be decoded, hold the kept
// members whose first key is the object's, if e does not. What e held is kept instead, as the
// most recent shape. On a miss, e takes the members of the least recent shape, reusing their
// storage.
func (d *JSONDecoder) recallShape(e *Event) {
	if d.startsWith(e.members) {
		return
	}
	// i is the kept shape that starts with the object's first key, or else the least recent.
	i := 0
	for i < keptShapes-1 && !d.startsWith(d.shapes[i]) {
		i++
	}
	recalled := d.shapes[i]
	copy(d.shapes[1:i+1], d.shapes[:i])
	d.shapes[0] = e.members
	e.members = recalled
}

// startsWith tells whether the object member at d.off has the key of the first of members.
func (d *JSONDecoder) startsWith(members []member) bool {
	return len(members) > 0 && members[0].written != "" && d.keyAt(members[0].key) >= 0
}

// atWritten goes to the value of the object member at d.off if the member starts with w, a key
// as written with its quotes and colon (see member), with the value right after it, which is
// how most events write their members; else it reads nothing. It is small enough to inline.
func (d *JSONDecoder) atWritten(w string) bool {
	if end := d.off + len(w); end < len(d.data) && string(d.data[d.off:end]) == w && d.data[end] > ' ' {
		d.off = end
		return true
	}
	return false
}

// keyIs reads the object member's key at d.off and the colon after it, and goes to its value,
// if the key is m's, which is written plain; else it reads nothing. Whitespace may come before
// the key and around the colon.
func (d *JSONDecoder) keyIs(m *member) bool {
	d.skipSpace()
	if d.atWritten(m.written) {
		return true
	}
	i := d.keyAt(m.key)
	if i < 0 {
		return false
	}
	d.off = i
	return true
}

// keyAt returns the offset of the value of the object member at d.off, which is not
// whitespace, if its key is k, which is known to be plain; else -1.
func (d *JSONDecoder) keyAt(k string) int {
	data := d.data
	end := d.off + 1 + len(k)
	if end >= len(data) || data[d.off] != '"' || data[end] != '"' || string(data[d.off+1:end]) != k {
		return -1
	}
	i := end + 1
	// Most events have no whitespace around the colon: that is looked for first.
	if i+1 < len(data) && data[i] == ':' && data[i+1] > ' ' {
		return i + 1
	}
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	if i == len(data) || data[i] != ':' {
		return -1
	}
	i++
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	if i == len(data) {
		return -1
	}
	return i
}

// key reads an object member's key and the colon after it, goes to its value, and returns the
// key's decoded text, valid only until the next string is read (see strText): a key that is
// only compared is never made a string.
func (d *JSONDecoder) key() ([]byte, error) {
	c, err := d.nextNonSpace()
	if err != nil {
		return nil, err
	}
	if c != '"' {
		return nil, d.syntaxError(d.off, "invalid character looking for beginning of object key string")
	}
	k, err := d.strText()
	if err != nil {
		return nil, err
	}
	if c, err = d.nextNonSpace(); err != nil {
		return nil, err
	}
	if c != ':' {
		return nil, d.syntaxError(d.off, "invalid character after object key")
	}
	d.off++
	if _, err = d.nextNonSpace(); err != nil {
		return nil, err
	}
	return k, nil
}

// elementEnd reads what follows an array element, up to the next element or the closing
// bracket, and says whether the array ends (the bracket is left for the caller).
func (d *JSONDecoder) elementEnd() (end bool, err error) {
	c, err := d.nextNonSpace()
	if err != nil {
		return false, err
	}
	switch c {
	case ']':
		return true, nil
	case ',':
		d.off++
		_, err = d.nextNonSpace()
		return false, err
	}
	return false, d.syntaxError(d.off, "invalid character after array element")
}

// memberEnd reads the comma after an object member, or the closing brace, and says which.
func (d *JSONDecoder) memberEnd() (end bool, err error) {
	c, err := d.nextNonSpace()
	if err != nil {
		return false, err
	}
	switch c {
	case ',':
		d.off++
		return false, nil
	case '}':
		d.off++
		d.depth--
		return true, nil
	}
	return false, d.syntaxError(d.off, "invalid character after object key:value pair")
}

// array reads the array at d.off into s, replacing what s holds; s's elements are reused.
func (d *JSONDecoder) array(s pcommon.Slice) error {
	d.depth++
	d.off++ // the opening bracket
	c, err := d.nextNonSpace()
	if err != nil {
		return err
	}
	n := 0
	if c != ']' {
		for {
			var v pcommon.Value
			if n < s.Len() {
				v = s.At(n)
			} else {
				v = s.AppendEmpty()
			}
			n++
			if err = d.value(v); err != nil {
				return err
			}
			end, err := d.elementEnd()
			if err != nil {
				return err
			}
			if end {
				break
			}
		}
	}
	d.off++
	d.depth--
	truncateSlice(s, n)
	return nil
}

func truncateMap(m pcommon.Map, n int) {
	if m.Len() > n {
		i := 0
		m.RemoveIf(func(string, pcommon.Value) bool { i++; return i > n })
	}
}

func truncateSlice(s pcommon.Slice, n int) {
	if s.Len() > n {
		i := 0
		s.RemoveIf(func(pcommon.Value) bool { i++; return i > n })
	}
}

// isWord reads word (true, false or null) at d.off, if it is there whole. Inlined with word a
// constant, the comparison is a load or two rather than a call.
func (d *JSONDecoder) isWord(word string) bool {
	if end := d.off + len(word); end <= len(d.data) && string(d.data[d.off:end]) == word {
		d.off = end
		return true
	}
	return false
}

// literal reads word (true, false or null), whose first letter is at d.off.
func (d *JSONDecoder) literal(word string) error {
	if d.isWord(word) {
		return nil
	}
	for j := 1; j < len(word); j++ {
		i := d.off + j
		if i == len(d.data) {
			return d.truncated()
		}
		if d.data[i] != word[j] {
			return d.syntaxError(i, "invalid character in literal "+word+" (expecting '"+word[j:j+1]+"')")
		}
	}
	d.off += len(word)
	return nil
}

// number reads the number at d.off into f.
func (d *JSONDecoder) number(f *fieldValue) error {
	start := d.off
	end, isInt, err := d.numberEnd()
	if err != nil {
		return err
	}
	d.off = end
	if end > d.valueEnd {
		return errPastValueEnd // before a long number is copied to be parsed
	}
	text := d.data[start:end]
	if isInt {
		if n, ok := parseInt(text); ok {
			f.typ, f.num = pcommon.ValueTypeInt, n
			return nil
		}
		// Beyond int64, an integer (such as an id) keeps its digits as a string: a float64
		// would keep 17 of them.
		f.typ, f.str = pcommon.ValueTypeStr, d.texts.cut(text, len(d.data)-start)
		return nil
	}
	dbl, err := parseFloat(text, end)
	if err != nil {
		return err
	}
	f.typ, f.dbl = pcommon.ValueTypeDouble, dbl
	return nil
}

// parseFloat parses text, a number whose syntax numberEnd checked and that ends at end.
func parseFloat(text []byte, end int) (float64, error) {
	// A view of text rather than a copy: strconv keeps nothing of it.
	dbl, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(text), len(text)), 64)
	if err != nil {
		// The syntax is checked: the number is beyond float64.
		return 0, &JSONError{Offset: end, Kind: JSONNumberOutOfRange, Reason: "number out of range"}
	}
	return dbl, nil
}

// numberEnd checks the syntax of the number at d.off and returns the offset just after it, and
// whether it is an integer (no fraction, no exponent).
func (d *JSONDecoder) numberEnd() (end int, isInt bool, err error) {
	data := d.data
	i := d.off
	if data[i] == '-' {
		i++
		if i == len(data) {
			return 0, false, d.truncated()
		}
	}
	switch c := data[i]; {
	case c == '0':
		i++
	case '1' <= c && c <= '9':
		i++
		for i < len(data) && isDigit(data[i]) {
			i++
		}
	default:
		return 0, false, d.syntaxError(i, "invalid character in numeric literal")
	}
	isInt = true
	if i < len(data) && data[i] == '.' {
		isInt = false
		i++
		if i == len(data) {
			return 0, false, d.truncated()
		}
		if !isDigit(data[i]) {
			return 0, false, d.syntaxError(i, "invalid character after decimal point in numeric literal")
		}
		for i < len(data) && isDigit(data[i]) {
			i++
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		isInt = false
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i == len(data) {
			return 0, false, d.truncated()
		}
		if !isDigit(data[i]) {
			return 0, false, d.syntaxError(i, "invalid character in exponent of numeric literal")
		}
		for i < len(data) && isDigit(data[i]) {
			i++
		}
	}
	return i, isInt, nil
}

// parseInt parses b, an optional minus and digits, if it fits an int64.
func parseInt(b []byte) (int64, bool) {
	digits := b
	if digits[0] == '-' {
		digits = digits[1:]
	}
	// 18 digits always fit; more are rare enough for strconv.
	if len(digits) > 18 {
		n, err := strconv.ParseInt(string(b), 10, 64)
		return n, err == nil
	}
	var n int64
	for _, c := range digits {
		n = n*10 + int64(c-'0')
	}
	if len(digits) < len(b) {
		n = -n
	}
	return n, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// jsonPlain marks the bytes that stand for themselves in a JSON string: printable ASCII but
// the quote and the backslash.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// strText reads the string whose opening quote is at d.off and returns its decoded text: a
// slice of the input when the string is plain (d.plain), else of d.buf. Either is valid only
// until the next string is read; a caller that only compares it makes no string of it.
func (d *JSONDecoder) strText() ([]byte, error) {
	data := d.data
	start := d.off + 1
	i := start
	for {
		// Eight bytes at a time while there are eight, the rest one at a time; either way, i is
		// then the first byte that is not plain. (data[i:i+8] rather than data[i:]: a slice of
		// constant length spares the compiler's checks of the length.)
		if i+8 <= len(data) {
			m := notPlain(binary.LittleEndian.Uint64(data[i : i+8]))
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) / 8
		} else {
			for i < len(data) && jsonPlain[data[i]] {
				i++
			}
			if i == len(data) {
				return nil, d.truncated()
			}
		}
		c := data[i]
		if c == '"' {
			d.off = i + 1
			d.plain = true
			if d.off > d.valueEnd {
				return nil, errPastValueEnd // before a long string is copied
			}
			return data[start:i], nil
		}
		if c >= utf8.RuneSelf {
			if r, size := utf8.DecodeRune(data[i:]); r != utf8.RuneError || size > 1 {
				i += size
				continue
			}
		}
		// An escape, a control character or invalid UTF-8.
		return d.unescape(start, i)
	}
}

// notPlain sets the high bit of the bytes of x (eight bytes of a string, the first in the
// low byte) that jsonPlain does not mark, and maybe of bytes after those: the lowest set bit
// is the first such byte.
func notPlain(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	quote := x ^ (ones * '"')
	backslash := x ^ (ones * '\\')
	control := (x - ones*0x20) &^ x   // bytes below 0x20, when no higher bit is set
	quotes := (quote - ones) &^ quote // zero bytes of quote
	escapes := (backslash - ones) &^ backslash
	return (control | quotes | escapes | x) & highs
}

// unescape finishes reading the string that starts at start, at i the first byte it cannot
// take as is, and returns its text, decoded in d.buf.
func (d *JSONDecoder) unescape(start, i int) ([]byte, error) {
	data := d.data
	buf := append(d.buf[:0], data[start:i]...)
	for i < len(data) {
		if i > d.valueEnd {
			return nil, errPastValueEnd // before d.buf grows with the string
		}
		c := data[i]
		switch {
		case jsonPlain[c]:
			buf = append(buf, c)
			i++
		case c == '"':
			d.off = i + 1
			d.buf = buf // kept for the next string; after an error, nothing is read
			d.plain = false
			return buf, nil
		case c == '\\':
			i++
			if i == len(data) {
				return nil, d.truncated()
			}
			switch e := data[i]; e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, err := d.hex4(i + 1)
				if err != nil {
					return nil, err
				}
				i += 4
				if utf16.IsSurrogate(r) {
					// Only a high surrogate followed by an escaped low one makes a character;
					// anything else is U+FFFD, and an escape that follows is read on its own.
					r2, ok := escapedRune(data[i+1:])
					if r = utf16.DecodeRune(r, r2); ok && r != utf8.RuneError {
						i += 6
					}
				}
				buf = utf8.AppendRune(buf, r)
			default:
				return nil, d.syntaxError(i, "invalid character in string escape code")
			}
			i++
		case c < 0x20:
			return nil, d.syntaxError(i, "invalid character in string literal")
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				buf = utf8.AppendRune(buf, utf8.RuneError)
			} else {
				buf = append(buf, data[i:i+size]...)
			}
			i += size
		}
	}
	return nil, d.truncated()
}

// hex4 reads the four hex digits of a \u escape starting at i.
func (d *JSONDecoder) hex4(i int) (rune, error) {
	var r rune
	for j := i; j < i+4; j++ {
		if j == len(d.data) {
			return 0, d.truncated()
		}
		h, ok := hexValue(d.data[j])
		if !ok {
			return 0, d.syntaxError(j, `invalid character in \u hexadecimal character escape`)
		}
		r = r<<4 | h
	}
	return r, nil
}

// escapedRune reads a complete \uXXXX escape at the start of b.
func escapedRune(b []byte) (rune, bool) {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range b[2:6] {
		h, ok := hexValue(c)
		if !ok {
			return 0, false
		}
		r = r<<4 | h
	}
	return r, true
}

func hexValue(c byte) (rune, bool) {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0'), true
	case 'a' <= c && c <= 'f':
		return rune(c - 'a' + 10), true
	case 'A' <= c && c <= 'F':
		return rune(c - 'A' + 10), true
	}
	return 0, false
}

// skipUnlimited reads the value at d.off, which is not whitespace, through: it checks the
// value as value does, but decodes nothing and counts nothing against the limits (SetLimits).
func (d *JSONDecoder) skipUnlimited() error {
	valueEnd := d.valueEnd
	d.valueEnd = math.MaxInt
	err := d.skip()
	d.valueEnd = valueEnd
	return err
}

// skip is skipUnlimited, once the limit of the value's bytes is lifted.
func (d *JSONDecoder) skip() error {
	switch c := d.data[d.off]; c {
	case '{', '[':
		if d.depth >= MaxJSONDepth {
			return d.tooDeep()
		}
		if c == '{' {
			return d.skipObject()
		}
		return d.skipArray()
	case '"':
		_, err := d.strText()
		return err
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	default:
		if c == '-' || isDigit(c) {
			start := d.off
			end, isInt, err := d.numberEnd()
			if err != nil {
				return err
			}
			d.off = end
			if !isInt {
				_, err = parseFloat(d.data[start:end], end) // a number beyond float64 is an error
			}
			return err
		}
		return d.syntaxError(d.off, "invalid character looking for beginning of value")
	}
}

// skipObject reads the object at d.off through, as object reads it.
func (d *JSONDecoder) skipObject() error {
	d.depth++
	d.off++ // the opening brace
	c, err := d.nextNonSpace()
	if err != nil {
		return err
	}
	if c == '}' {
		d.off++
		d.depth--
		return nil
	}
	for {
		if _, err := d.key(); err != nil {
			return err
		}
		if err := d.skip(); err != nil {
			return err
		}
		if end, err := d.memberEnd(); err != nil || end {
			return err
		}
	}
}

// skipArray reads the array at d.off through, as array reads it.
func (d *JSONDecoder) skipArray() error {
	d.depth++
	d.off++ // the opening bracket
	c, err := d.nextNonSpace()
	if err != nil {
		return err
	}
	if c != ']' {
		for {
			if err = d.skip(); err != nil {
				return err
			}
			end, err := d.elementEnd()
			if err != nil {
				return err
			}
			if end {
				break
			}
		}
	}
	d.off++
	d.depth--
	return nil
}

func (d *JSONDecoder) skipSpace() {
	for d.off < len(d.data) && isSpace(d.data[d.off]) {
		d.off++
	}
}

// nextNonSpace skips whitespace and returns the byte there, or an error at the end.
func (d *JSONDecoder) nextNonSpace() (byte, error) {
	for d.off < len(d.data) {
		c := d.data[d.off]
		if c > ' ' || !isSpace(c) {
			return c, nil
		}
		d.off++
	}
	return 0, d.truncated()
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t'
}

func (d *JSONDecoder) syntaxError(off int, reason string) error {
	return &JSONError{Offset: off, Kind: JSONSyntax, Reason: reason}
}

func (d *JSONDecoder) truncated() error {
	return &JSONError{Offset: len(d.data), Kind: JSONTruncated, Reason: "unexpected end of JSON input"}
}

func (d *JSONDecoder) tooManyKeys() error {
	return &JSONError{Offset: d.off, Kind: JSONTooManyKeys, Reason: "object with more than " + strconv.Itoa(MaxJSONObjectKeys) + " keys"}
}

func (d *JSONDecoder) tooDeep() error {
	return &JSONError{Offset: d.off, Kind: JSONTooDeep, Reason: "exceeded max depth of " + strconv.Itoa(MaxJSONDepth)}
}
