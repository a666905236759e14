package auditevent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// This file holds the oracle the scanner is checked against: encoding/json, whose Token API
// gives keys in order (this was the decoder before the scanner, and is the benchmarks'
// baseline), and whose Unmarshal tells valid from invalid and where.

// tokenDecodeValue reads the next JSON value from dec (which has UseNumber set) into v: integers
// that fit an int64 as Int, longer integers as Str, other numbers as Double, null as an empty
// value.
func tokenDecodeValue(dec *json.Decoder, v pcommon.Value) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := v.SetEmptyMap()
			for dec.More() {
				keyTok, err := dec.Token()
				if err != nil {
					return err
				}
				key, ok := keyTok.(string)
				if !ok {
					return errors.New("object key is not a string")
				}
				if err := tokenDecodeValue(dec, m.PutEmpty(key)); err != nil {
					return err
				}
			}
		case '[':
			s := v.SetEmptySlice()
			for dec.More() {
				if err := tokenDecodeValue(dec, s.AppendEmpty()); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("unexpected %q", rune(t))
		}
		_, err := dec.Token() // the closing delimiter
		return err
	case string:
		v.SetStr(t)
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			v.SetInt(i)
			return nil
		}
		// Where this oracle departs from encoding/json on purpose: an integer beyond int64
		// keeps its digits as written, as a string (JSONDecoder), not rounded to a float64.
		if !strings.ContainsAny(string(t), ".eE") {
			v.SetStr(string(t))
			return nil
		}
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil {
			return errOracleRange
		}
		v.SetDouble(f)
	case bool:
		v.SetBool(t)
	case nil:
	}
	return nil
}

var errOracleRange = errors.New("number out of range")

// oracleDecode decodes data, one JSON value, the encoding/json way. A syntax error is a
// *json.SyntaxError from Unmarshal; errOracleRange means valid JSON with a number beyond
// float64.
func oracleDecode(data []byte) (pcommon.Value, error) {
	if err := json.Unmarshal(data, new(json.RawMessage)); err != nil {
		return pcommon.Value{}, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v := pcommon.NewValueEmpty()
	if err := tokenDecodeValue(dec, v); err != nil {
		return pcommon.Value{}, err
	}
	return v, nil
}

// jsonReasons are all the reasons a JSONError may give: fixed texts, never input.
var jsonReasons = func() map[string]bool {
	r := map[string]bool{
		"unexpected end of JSON input": true,
		"number out of range":          true,
		"exceeded max depth of 64":     true,
	}
	for _, ctx := range []string{
		"looking for beginning of value", "looking for beginning of object key string",
		"looking for beginning of array",
		"after object key", "after object key:value pair", "after array element",
		"after top-level value", "in string literal", "in string escape code",
		`in \u hexadecimal character escape`, "in numeric literal",
		"after decimal point in numeric literal", "in exponent of numeric literal",
		"in literal true (expecting 'r')", "in literal true (expecting 'u')",
		"in literal true (expecting 'e')", "in literal false (expecting 'a')",
		"in literal false (expecting 'l')", "in literal false (expecting 's')",
		"in literal false (expecting 'e')", "in literal null (expecting 'u')",
		"in literal null (expecting 'l')",
	} {
		r["invalid character "+ctx] = true
	}
	return r
}()

// checkDecodeJSON decodes data with DecodeJSON and with encoding/json and reports where they
// disagree: on validity, on the error's offset and reason, or on the value, keys in order.
func checkDecodeJSON(t *testing.T, data []byte) {
	t.Helper()
	got := pcommon.NewValueEmpty()
	err := DecodeJSON(data, got)
	want, wantErr := oracleDecode(data)
	var je *JSONError
	if err != nil {
		if !errors.As(err, &je) {
			t.Fatalf("error %v is not a *JSONError", err)
		}
		if !jsonReasons[je.Reason] {
			t.Fatalf("unknown reason %q", je.Reason)
		}
		if je.Offset < 0 || je.Offset > len(data) {
			t.Fatalf("offset %d outside the input (%d bytes)", je.Offset, len(data))
		}
	}
	var se *json.SyntaxError
	switch {
	case err == nil && wantErr == nil:
		if !sameValue(got, want) {
			t.Fatalf("decoded %s, encoding/json gives %s", describe(got), describe(want))
		}
	case err == nil:
		t.Fatalf("decoded %s, encoding/json fails: %v", describe(got), wantErr)
	case je.Kind == JSONNumberOutOfRange || je.Kind == JSONTooDeep:
		// Found before anything encoding/json would complain about, which it may not.
		if errors.As(wantErr, &se) && se.Offset-1 < int64(je.Offset) && se.Error() != "unexpected end of JSON input" {
			t.Fatalf("%v, but encoding/json finds a syntax error before: %v at %d", err, wantErr, se.Offset)
		}
		if je.Kind == JSONNumberOutOfRange {
			num := numberBefore(data, je.Offset)
			if _, perr := strconv.ParseFloat(string(num), 64); !errors.Is(perr, strconv.ErrRange) {
				t.Fatalf("%v, but %q before the offset is a fine number", err, num)
			}
		} else if c := data[je.Offset]; (c != '{' && c != '[') || nestingAt(data, je.Offset) != MaxJSONDepth {
			t.Fatalf("%v, but the nesting there is %d", err, nestingAt(data, je.Offset))
		}
	case wantErr == nil:
		t.Fatalf("%v, encoding/json gives %s", err, describe(want))
	case errors.As(wantErr, &se):
		if je.Kind == JSONTruncated {
			// encoding/json ends a truncated literal, number or escape with an imagined
			// space, and says so.
			msg := se.Error()
			if msg != je.Reason && !strings.HasPrefix(msg, "invalid character ' ' ") || int(se.Offset) != je.Offset {
				t.Fatalf("%v, encoding/json: %v at %d", err, wantErr, se.Offset)
			}
			break
		}
		// encoding/json counts the bad byte as read, and quotes it: we do neither.
		context := strings.TrimPrefix(je.Reason, "invalid character ")
		if je.Kind != JSONSyntax || int(se.Offset) != je.Offset+1 ||
			!strings.HasPrefix(se.Error(), "invalid character '") || !strings.HasSuffix(se.Error(), "' "+context) {
			t.Fatalf("%v, encoding/json: %v at %d", err, wantErr, se.Offset)
		}
	default:
		// Only ranges fail after Unmarshal's check, and those we report as such.
		t.Fatalf("%v, encoding/json: %v", err, wantErr)
	}
}

// checkStream decodes data as a stream with Next and compares the values, and where each
// starts, with encoding/json's Decoder reading the same stream.
func checkStream(t *testing.T, data []byte) {
	t.Helper()
	d := NewJSONDecoder(data)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	got := pcommon.NewValueEmpty()                    // reused, as the receiver does
	events, event := NewJSONDecoder(data), new(Event) // the same stream read as events
	for n := 0; ; n++ {
		start, err := d.Next(got)
		checkEvent(t, n, start, err, event, events.NextEvent, got)
		wantStart := skipJSONSpace(data, int(dec.InputOffset()))
		if err == io.EOF || wantStart == len(data) {
			if err != io.EOF || wantStart != len(data) {
				t.Fatalf("value %d: got %v at %d, encoding/json ends at %d", n, err, start, wantStart)
			}
			return
		}
		want := pcommon.NewValueEmpty()
		wantErr := tokenDecodeValue(dec, want) // io.EOF here is a truncated value
		if err != nil || wantErr != nil {
			var je *JSONError
			if !errors.As(err, &je) || (wantErr == nil && je.Kind != JSONTooDeep) {
				t.Fatalf("value %d: got %v, encoding/json %v", n, err, wantErr)
			}
			if _, again := d.Next(got); again != err {
				t.Fatalf("value %d: the error did not stick: %v", n, again)
			}
			return
		}
		if start != wantStart || !sameValue(got, want) {
			t.Fatalf("value %d: got %s at %d, encoding/json %s at %d", n, describe(got), start, describe(want), wantStart)
		}
	}
}

// checkElements decodes data with NextElement when it is a valid array and compares the
// elements with DecodeJSON's.
func checkElements(t *testing.T, data []byte) {
	t.Helper()
	whole := pcommon.NewValueEmpty()
	if DecodeJSON(data, whole) != nil || whole.Type() != pcommon.ValueTypeSlice {
		return
	}
	d := NewJSONDecoder(data)
	got := pcommon.NewValueEmpty()
	events, event := NewJSONDecoder(data), new(Event)
	for i := 0; ; i++ {
		start, err := d.NextElement(got)
		checkEvent(t, i, start, err, event, events.NextElementEvent, got)
		if err == io.EOF {
			if i != whole.Slice().Len() {
				t.Fatalf("%d elements, want %d", i, whole.Slice().Len())
			}
			if skipJSONSpace(data, d.Offset()) != len(data) || data[d.Offset()-1] != ']' {
				t.Fatalf("ends at %d", d.Offset())
			}
			return
		}
		if err != nil {
			t.Fatalf("element %d: %v", i, err)
		}
		if i >= whole.Slice().Len() || !sameValue(got, whole.Slice().At(i)) {
			t.Fatalf("element %d at %d: %s", i, start, describe(got))
		}
		// The element is what a decoder reading from its start finds.
		one := pcommon.NewValueEmpty()
		if _, err := NewJSONDecoder(data[start:]).Next(one); err != nil || !sameValue(one, got) {
			t.Fatalf("element %d does not start at %d", i, start)
		}
	}
}

// checkEvent reads the n-th value with next, a decoder's NextEvent or NextElementEvent, into e,
// and checks that it gives what the same decoder's Next or NextElement gave: the value (start,
// err, want).
func checkEvent(t *testing.T, n, start int, err error, e *Event, next func(*Event) (int, error), want pcommon.Value) {
	t.Helper()
	gotStart, gotErr := next(e)
	if gotStart != start || fmt.Sprint(gotErr) != fmt.Sprint(err) {
		t.Fatalf("event %d: %v at %d, as a value %v at %d", n, gotErr, gotStart, err, start)
	}
	if err != nil {
		return
	}
	if got := eventValue(e); !sameValue(got, want) {
		t.Fatalf("event %d: %s, as a value %s", n, describe(got), describe(want))
	}
}

// eventValue copies e into a new value, leaving e as it is.
func eventValue(e *Event) pcommon.Value {
	v := pcommon.NewValueEmpty()
	if !e.IsObject() {
		e.other.CopyTo(v)
		return v
	}
	m := v.SetEmptyMap()
	for _, mem := range e.members {
		dest := m.PutEmpty(mem.key)
		switch {
		case mem.val.v != (pcommon.Value{}):
			mem.val.v.CopyTo(dest)
		case mem.val.typ != pcommon.ValueTypeEmpty:
			mem.val.set(dest)
		}
	}
	return v
}

// checkAfter decodes the stream prev, then data with the same decoder into the same value (and
// as events into the same Event), and compares each value of data with what a new decoder and
// value give.
func checkAfter(t *testing.T, prev, data []byte) {
	t.Helper()
	d := NewJSONDecoder(prev)
	got := pcommon.NewValueEmpty()
	for {
		if _, err := d.Next(got); err != nil {
			break
		}
	}
	d.Reset(data)
	events, event := NewJSONDecoder(prev), new(Event)
	for {
		if _, err := events.NextEvent(event); err != nil {
			break
		}
	}
	events.Reset(data)
	fresh := NewJSONDecoder(data)
	for n := 0; ; n++ {
		want := pcommon.NewValueEmpty()
		start, err := d.Next(got)
		wantStart, wantErr := fresh.Next(want)
		checkEvent(t, n, wantStart, wantErr, event, events.NextEvent, want)
		if start != wantStart || !errors.Is(err, wantErr) && fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Fatalf("value %d: %v at %d after other input, %v at %d without", n, err, start, wantErr, wantStart)
		}
		if err != nil {
			return
		}
		if !sameValue(got, want) {
			t.Fatalf("value %d: %s after other input, %s without", n, describe(got), describe(want))
		}
	}
}

// sameValue compares a and b exactly: types, key order, doubles to the bit.
func sameValue(a, b pcommon.Value) bool {
	if a.Type() != b.Type() {
		return false
	}
	switch a.Type() {
	case pcommon.ValueTypeStr:
		return a.Str() == b.Str()
	case pcommon.ValueTypeInt:
		return a.Int() == b.Int()
	case pcommon.ValueTypeDouble:
		return math.Float64bits(a.Double()) == math.Float64bits(b.Double())
	case pcommon.ValueTypeBool:
		return a.Bool() == b.Bool()
	case pcommon.ValueTypeMap:
		am, bm := a.Map(), b.Map()
		if am.Len() != bm.Len() {
			return false
		}
		var keys []string
		var vals []pcommon.Value
		for k, v := range bm.All() {
			keys = append(keys, k)
			vals = append(vals, v)
		}
		i := 0
		for k, v := range am.All() {
			if k != keys[i] || !sameValue(v, vals[i]) {
				return false
			}
			i++
		}
		return true
	case pcommon.ValueTypeSlice:
		as, bs := a.Slice(), b.Slice()
		if as.Len() != bs.Len() {
			return false
		}
		for i := range as.Len() {
			if !sameValue(as.At(i), bs.At(i)) {
				return false
			}
		}
		return true
	default:
		return true
	}
}

// describe shows v with its types, for failure messages.
func describe(v pcommon.Value) string {
	switch v.Type() {
	case pcommon.ValueTypeMap:
		var b strings.Builder
		b.WriteString("{")
		for k, e := range v.Map().All() {
			fmt.Fprintf(&b, "%q:%s,", k, describe(e))
		}
		return b.String() + "}"
	case pcommon.ValueTypeSlice:
		var b strings.Builder
		b.WriteString("[")
		for _, e := range v.Slice().All() {
			b.WriteString(describe(e) + ",")
		}
		return b.String() + "]"
	case pcommon.ValueTypeStr:
		return strconv.Quote(v.Str())
	case pcommon.ValueTypeDouble:
		return "Double(" + strconv.FormatFloat(v.Double(), 'g', -1, 64) + ")"
	default:
		return v.Type().String() + "(" + v.AsString() + ")"
	}
}

func skipJSONSpace(data []byte, off int) int {
	for off < len(data) && isSpace(data[off]) {
		off++
	}
	return off
}

// numberBefore returns the number that ends at end.
func numberBefore(data []byte, end int) []byte {
	start := end
	for start > 0 && strings.IndexByte("0123456789+-.eE", data[start-1]) >= 0 {
		start--
	}
	return data[start:end]
}

// nestingAt counts the objects and arrays open at off.
func nestingAt(data []byte, off int) int {
	depth, inString := 0, false
	for i := 0; i < off; i++ {
		switch c := data[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		}
	}
	return depth
}
