package auditevent

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// jsonCorpus holds valid and invalid JSON; each is checked against encoding/json, and seeds
// FuzzDecodeJSON.
var jsonCorpus = []string{
	// Scalars.
	`""`, `"a"`, `0`, `-0`, `1`, `-1`, `12345`, `0.0`, `-0.0`, `1.5`, `-1.5e10`, `1E+2`, `1e-2`,
	`2e308`, `-2e308`, `1e-400`, `1e999`, `-1e999`, `1.7976931348623157e308`,
	`123456789012345678`, `-123456789012345678`, `1234567890123456789`,
	`9223372036854775807`, `-9223372036854775808`, `9223372036854775808`,
	`-9223372036854775809`, `99999999999999999999999`, `100000000000000000000000000000000000000000`,
	`true`, `false`, `null`, " \t\r\n null \n",
	// Containers.
	`{}`, `[]`, `{ }`, `[ ]`, `[[]]`, `[{}]`, `{"":""}`, `{"a":{}}`,
	` {"a" : [1, 2.5, "x", null, true, false, {}, []] , "b":{"c":{"d":[[-0]]}}} `,
	`{"a":1,"a":2}`, `{"a":1,"b":2,"a":{"c":3}}`, `{"b":1,"a":2,"c":3}`, `[1,"1",1.0,true,null]`,
	// Strings.
	`"\"\\\/\b\f\n\r\t"`, `"\u0041\u00e9\u4e2d\u00E9"`, `"\u0000"`, `"\u001f"`, `"a\u2028b"`,
	`"\ud83d\ude00"`, `"\uD83D\uDE00"`, `"\udbff\udfff"`, `"\ud800\udc00"`,
	`"\ud83d"`, `"\ude00"`, `"\ud83d\u0041"`, `"\ud83dx"`, `"\ud83d\ud83d\ude00"`,
	`"\ude00\ud83d"`, `"\ud83d\\"`, `"\ud83d\u"`, `"\ud83d\u12"`, `"\ud83d\uzzzz"`,
	"\"é中😀\"", "\"\xff\"", "\"a\xffb\"", "\"\xed\xa0\x80\"", "\"\xc3\"", "\"\xc3(\"",
	"\"\xef\xbf\xbd\"", "\"\xf4\x90\x80\x80\"", "\"\x7f\"", "\"\xe2\x82\"", `"\"\u00e9\xff"`,
	"\"tab\\tthen\xffbad\"", `{"\u0061":1,"a\n":2}`, `{"k\u00e9y":"v\u00e9"}`,
	// Invalid.
	``, ` `, `{`, `}`, `[`, `]`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{,}`, `{"a":1,,"b":2}`, `[1,]`,
	`[,1]`, `[1 2]`, `[1,,2]`, `{"a":1 "b":2}`, `{"a" 1}`, `{a:1}`, `{'a':1}`, `{1:1}`,
	`{"a":1]`, `[1}`, `"abc`, `"\x"`, `"\'"`, `"\u12"`, `"\u12g4"`, `"\uG000"`, `"\`, `"\u`,
	"\"\x01\"", "\"a\nb\"", "\"\x00\"", `tru`, `trux`, `t`, `nul`, `nulx`, `nx`, `fals`, `falsy`,
	`-`, `-a`, `--1`, `01`, `-01`, `1.`, `1.e5`, `.5`, `1e`, `1e+`, `1ea`, `1e+a`, `+1`, `NaN`,
	`Infinity`, `0x10`, `1 2`, `{} x`, `{}}`, `[]]`, `1x`, `truex`, `"a"b`, `"a""b"`, `{}{}`,
	`[1e999, x]`, `[1e999`, `{"a":1e999}`, "\xef\xbb\xbf{}", "\x00", "[\x00]", `/* c */ 1`,
	`{"a":"b"`, `{"a":"b",`, `{"a":"b"  `, `[1,`, `[1`, `{"a":tru}`, `{"a":-}`, `[1.]`,
	`{"eventName":s3cr3t}`, `{"eventName":"x" "token":"s3cr3t"}`,
	// Nesting at and beyond the limit.
	strings.Repeat("[", MaxJSONDepth) + strings.Repeat("]", MaxJSONDepth),
	strings.Repeat("[", MaxJSONDepth+1) + strings.Repeat("]", MaxJSONDepth+1),
	strings.Repeat(`{"a":`, MaxJSONDepth) + "1" + strings.Repeat("}", MaxJSONDepth),
	strings.Repeat(`{"a":`, MaxJSONDepth+1) + "1" + strings.Repeat("}", MaxJSONDepth+1),
	strings.Repeat("[", MaxJSONDepth+1) + "x",
	// Realistic events, and events with strings around the shared copies' limits.
	goodDataFull, airkitFull, benchGoodData, benchAirkit,
	"[" + strings.Repeat(goodDataFull+",", 40) + airkitFull + "]",
	`{"long":"` + strings.Repeat("x", maxStringChunk+10) + `","after":"y"}`,
	`["` + strings.Repeat("é", maxStringChunk/2-2) + `","tail","` + strings.Repeat("z", 100) + `"]`,
	`{"a":"` + strings.Repeat("\\u00e9", 3000) + `"}`,
}

func TestDecodeJSONAgainstEncodingJSON(t *testing.T) {
	for _, in := range jsonCorpus {
		name := in
		if len(name) > 60 {
			name = name[:60]
		}
		t.Run(name, func(t *testing.T) {
			checkDecodeJSON(t, []byte(in))
			checkStream(t, []byte(in))
			checkElements(t, []byte(in))
		})
	}
}

// The NDJSON of the corpus' valid values, and their concatenation without separators where
// that is unambiguous, decode like encoding/json's Decoder.
func TestJSONDecoderStreamAgainstEncodingJSON(t *testing.T) {
	var lines []string
	for _, in := range jsonCorpus {
		if DecodeJSON([]byte(in), pcommon.NewValueEmpty()) == nil {
			lines = append(lines, in)
		}
	}
	checkStream(t, []byte(strings.Join(lines, "\n")))
	checkStream(t, []byte(strings.Join(lines, "\n")+"\n{\"broken\":"))
	checkStream(t, []byte(`{}{}[]"a""b"[1]{"a":1}1 2 3true false null"x"`))
}

func TestDecodeJSONValues(t *testing.T) {
	tests := []struct {
		in   string
		want any // as pcommon.Value.FromRaw takes it
	}{
		{`{"z":1,"a":2.5,"m":"s","n":null,"t":true}`, map[string]any{"z": int64(1), "a": 2.5, "m": "s", "n": nil, "t": true}},
		{`9223372036854775807`, int64(9223372036854775807)},
		// Integers beyond int64 keep their digits, as written, in a string.
		{`9223372036854775808`, "9223372036854775808"},
		{`-9223372036854775809`, "-9223372036854775809"},
		{`123456789012345678901234567890`, "123456789012345678901234567890"},
		// Beyond float64 too: 1e320 would be refused as out of range.
		{`{"id":[1` + strings.Repeat("0", 320) + `]}`, map[string]any{"id": []any{"1" + strings.Repeat("0", 320)}}},
		{`9223372036854775808.0`, float64(9223372036854775808)},
		{`1.0`, 1.0},
		{`1e2`, 100.0},
		{`-0`, int64(0)},
		{`"\ud83d\ude00"`, "😀"},
		{`"\ud83d"`, "\uFFFD"},
		{`"\ude00\ud83d\ude00"`, "\uFFFD😀"},
		{`"\ud83d\u0041"`, "\uFFFDA"},
		{"\"a\xffb\xed\xa0\x80\"", "a\uFFFDb\uFFFD\uFFFD\uFFFD"},
		{`"\u00e9\n"`, "é\n"},
		{`[1,[2,{"a":[]}]]`, []any{int64(1), []any{int64(2), map[string]any{"a": []any{}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := pcommon.NewValueEmpty()
			require.NoError(t, DecodeJSON([]byte(tt.in), got))
			want := pcommon.NewValueEmpty()
			require.NoError(t, want.FromRaw(tt.want))
			assert.True(t, got.Equal(want), "got %s", describe(got))
		})
	}
}

func TestDecodeJSONKeepsKeyOrder(t *testing.T) {
	got := pcommon.NewValueEmpty()
	require.NoError(t, DecodeJSON([]byte(`{"z":1,"a":2,"z":3,"m":{"y":1,"b":2}}`), got))
	assert.Equal(t, `{"z":3,"a":2,"m":{"y":1,"b":2}}`, string(AppendJSONValue(nil, got)),
		"a repeated key keeps its first place and its last value")
}

func TestDecodeJSONErrors(t *testing.T) {
	const secret = "s3cr3t"
	tests := []struct {
		in     string
		offset int
		kind   JSONErrorKind
		reason string
	}{
		{`{"eventName":` + secret + `}`, 13, JSONSyntax, "invalid character looking for beginning of value"},
		{`{"a":"` + secret + `" "b":1}`, 14, JSONSyntax, "invalid character after object key:value pair"},
		{`{"a":"` + secret, 12, JSONTruncated, "unexpected end of JSON input"},
		{`["` + secret + "\x01\"]", 8, JSONSyntax, "invalid character in string literal"},
		{`["` + secret + `\q"]`, 9, JSONSyntax, "invalid character in string escape code"},
		{`["` + secret + `\u12x4"]`, 12, JSONSyntax, `invalid character in \u hexadecimal character escape`},
		{`{"n":1e999}`, 10, JSONNumberOutOfRange, "number out of range"},
		{`[-` + secret + `]`, 2, JSONSyntax, "invalid character in numeric literal"},
		{`{"x":t` + secret + `}`, 6, JSONSyntax, "invalid character in literal true (expecting 'r')"},
		{`{} ` + secret, 3, JSONSyntax, "invalid character after top-level value"},
		{``, 0, JSONTruncated, "unexpected end of JSON input"},
		{"  \n", 3, JSONTruncated, "unexpected end of JSON input"},
		{strings.Repeat("[", MaxJSONDepth+1), MaxJSONDepth, JSONTooDeep, "exceeded max depth of 64"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			err := DecodeJSON([]byte(tt.in), pcommon.NewValueEmpty())
			var je *JSONError
			require.ErrorAs(t, err, &je)
			assert.Equal(t, JSONError{Offset: tt.offset, Kind: tt.kind, Reason: tt.reason}, *je)
			assert.NotContains(t, err.Error(), secret, "input is never quoted")
		})
	}
}

func TestJSONDecoderNext(t *testing.T) {
	body := []byte(`{"a":1,"b":{"c":2}}` + "\n\n" + `{"d":"e"}` + "\n" + `null 5 [true]`)
	d := NewJSONDecoder(body)
	v := pcommon.NewValueEmpty() // reused throughout, as the receiver does
	var starts []int
	var got []string
	for {
		start, err := d.Next(v)
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		starts = append(starts, start)
		got = append(got, describe(v))
	}
	assert.Equal(t, []int{0, 21, 31, 36, 38}, starts)
	assert.Equal(t, []string{`{"a":Int(1),"b":{"c":Int(2),},}`, `{"d":"e",}`, `Empty()`, `Int(5)`, `[Bool(true),]`}, got,
		"a reused map holds only the new keys; null empties the value")
	assert.Equal(t, len(body), d.Offset())

	_, err := NewJSONDecoder([]byte(" \n\t")).Next(v)
	assert.Equal(t, io.EOF, err)
}

func TestJSONDecoderNextElement(t *testing.T) {
	body := []byte(" [ {\"a\":1} ,\n\"x\", [] ] \n")
	d := NewJSONDecoder(body)
	v := pcommon.NewValueEmpty()
	var starts []int
	for {
		start, err := d.NextElement(v)
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		starts = append(starts, start)
	}
	assert.Equal(t, []int{3, 13, 18}, starts)
	assert.Equal(t, 22, d.Offset(), "just after the closing bracket")
	_, err := d.NextElement(v)
	assert.Equal(t, io.EOF, err, "stays at the end")

	for in, want := range map[string]JSONError{
		`{}`:    {Offset: 0, Kind: JSONSyntax, Reason: "invalid character looking for beginning of array"},
		`[1 2]`: {Offset: 3, Kind: JSONSyntax, Reason: "invalid character after array element"},
		`[1,]`:  {Offset: 3, Kind: JSONSyntax, Reason: "invalid character looking for beginning of value"},
		`[1,`:   {Offset: 3, Kind: JSONTruncated, Reason: "unexpected end of JSON input"},
		``:      {Offset: 0, Kind: JSONTruncated, Reason: "unexpected end of JSON input"},
		"[" + strings.Repeat("[", MaxJSONDepth) + strings.Repeat("]", MaxJSONDepth+1): {Offset: MaxJSONDepth, Kind: JSONTooDeep, Reason: "exceeded max depth of 64"},
	} {
		d := NewJSONDecoder([]byte(in))
		var err error
		for err == nil {
			_, err = d.NextElement(v)
		}
		var je *JSONError
		require.ErrorAs(t, err, &je, in)
		assert.Equal(t, want, *je, in)
		_, again := d.NextElement(v)
		assert.Equal(t, err, again, "errors stick")
	}
}

// Decoded strings are copies: the caller may reuse the input.
func TestDecodeJSONDoesNotKeepTheInput(t *testing.T) {
	in := []byte(`{"key":"value","esc\u00e9":"v\u00e9"}`)
	v := pcommon.NewValueEmpty()
	require.NoError(t, DecodeJSON(in, v))
	for i := range in {
		in[i] = 'X'
	}
	assert.Equal(t, map[string]any{"key": "value", "escé": "vé"}, v.Map().AsRaw())
}

func TestParseJSONObject(t *testing.T) {
	m := pcommon.NewMap()
	m.PutStr("old", "x")
	require.NoError(t, ParseJSONObject([]byte(`{"b":1,"a":[2]}`), m))
	assert.Equal(t, `{"b":1,"a":[2]}`, string(AppendJSONMap(nil, m)), "replaced, in order")

	for _, in := range []string{`[1]`, `"s"`, `null`, `{"a":1} {}`, `{"a":`, ``, `{"a":1e999}`} {
		err := ParseJSONObject([]byte(in), m)
		assert.Error(t, err, in)
		assert.Equal(t, `{"b":1,"a":[2]}`, string(AppendJSONMap(nil, m)), "unchanged on error: %s", in)
	}
}

// A decoder compares an event's keys with the last one's without scanning them; anything that
// differs, even by an escape or whitespace, is read the long way.
func TestJSONDecoderKnownKeys(t *testing.T) {
	checkStream(t, []byte(strings.Join([]string{
		`{"ab":1,"c":{"d":1},"e":[1,2]}`,
		`{"ab":2,"c":{"d":2},"e":[3]}`,
		`{"abc":3,"c":null}`,
		`{"ab":4,"c":{"x":1,"d":2}}`,
		`{"a\u0062":5,"c":"s"}`,
		`{"ab" :6, "c" : {"d" : 3}}`,
		`{ "ab"` + "\n:\n" + `7}`,
		`{"a\"b":8}`,
		`{"a\"b":9,"ab":10}`,
		`{"ab":11,"ab":12,"c":13}`,
		`{"ab":14,"c":15,"ab":16}`,
		`{"":17,"ab":18}`,
		`{"":19,"ab":20}`,
		"{\"\xff\":21}",
		"{\"\xff\":22}",
		`{}`,
		`{"ab":23}`,
		`[{"ab":24}]`,
		`{"ab":25}`,
		`{"ab":"x"}`,
		`{"ab":"x"}`,
		`{"ab":true}`,
		`{"ab":false}`,
		`{"ab":1.5}`,
		`{"ab":-0.0}`,
		`{"ab":0.0}`,
		`{"ab":0}`,
		`{"ab":null}`,
		`{"ab":""}`,
		`{"ab":0}`,
		`{"ab":""}`,
		`{"ab":false}`,
		`{"ab":[]}`,
		`{"ab":""}`,
		`{"ab":{}}`,
		`{"ab":[1]}`,
		`{"ab":{"c":1}}`,
		`{"ab":[{"c":1}]}`,
		`{"ab":{"c":[{"d":1}]}}`,
		`{"ab":{"c":[{"d":1},{"e":2}]}}`,
		`{"ab":{"c":[{"e":2}]}}`,
		`{"ab":{"c":[]}}`,
		`{"ab":{"c":[[]]}}`,
		`{"ab":`,
	}, "\n")))
}

// The keys a decoder remembers are only a guess: the value decoded into may hold other keys.
func TestJSONDecoderKnownKeysOfAnotherValue(t *testing.T) {
	d := NewJSONDecoder([]byte(`{"x":1,"y":2} {"y":3,"x":4} {"y":5,"x":6} {"x":7,"y":8} {"x":9,"y":10}`))
	v1, v2 := pcommon.NewValueEmpty(), pcommon.NewValueEmpty()
	for _, v := range []pcommon.Value{v1, v2, v1} {
		_, err := d.Next(v)
		require.NoError(t, err)
	}
	assert.Equal(t, `{"y":5,"x":6}`, string(AppendJSONValue(nil, v1)))

	_, err := d.Next(v1)
	require.NoError(t, err)
	v1.Map().Remove("x")
	_, err = d.Next(v1)
	require.NoError(t, err)
	assert.Equal(t, `{"x":9,"y":10}`, string(AppendJSONValue(nil, v1)))
}

// A stream that mixes shapes, told apart by their first key, more of them than the decoder
// keeps, decodes as encoding/json reads it, in a stream and as an array's elements.
func TestJSONDecoderShapes(t *testing.T) {
	events := []string{
		`{"a":1,"b":{"c":[1,2]},"d":"x"}`,
		`{"p":"q","r":null}`,
		`{"a":2,"b":{"c":[3]},"d":"y"}`,
		`{"p":"s","r":[true]}`,
		`{"m":{"n":1}}`,
		`{"z":0}`,
		`{"a":3,"d":"z","b":7}`,
		`{"a\u0062":4}`,
		`{"p":"t"}`,
		`{}`,
		`{"m":{"n":2},"o":"o"}`,
		`{"a":5,"b":{"c":[]},"d":"w"}`,
		`["not","an","object"]`,
		`{"p":"u","r":{"deep":{"er":1}}}`,
		`{"a":6,"a":7}`,
		`{"a" : 8}`,
		`{"z":1,"p":2}`,
		`{"p":3}`,
		`{"a":`,
	}
	checkStream(t, []byte(strings.Join(events, "\n")))
	checkElements(t, []byte("["+strings.Join(events[:len(events)-1], ",")+"]"))
}

// Decoding events of two shapes in turn into one Event costs what decoding events of one
// shape does: each is decoded into the members of the last event of its shape, whose nested
// values are refilled. Only the copy of each event's text is allocated, and the string with
// escapes of the GoodData entry.
func TestJSONDecoderShapesAreKept(t *testing.T) {
	body := []byte(benchGoodData + "\n" + benchAirkit + "\n")
	d := NewJSONDecoder(body)
	var e Event
	allocs := testing.AllocsPerRun(20, func() {
		d.Reset(body)
		for range 2 {
			if _, err := d.NextEvent(&e); err != nil {
				t.Fatal(err)
			}
		}
	})
	assert.LessOrEqual(t, allocs, 3.0)
}

func TestJSONDecoderReset(t *testing.T) {
	d := NewJSONDecoder([]byte(`{"key":"aaaa","n":1}`))
	v := pcommon.NewValueEmpty()
	_, err := d.Next(v)
	require.NoError(t, err)
	d.Reset([]byte(`{"key":"bbbb","n":2}`))
	_, err = d.Next(v)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"key": "bbbb", "n": int64(2)}, v.Map().AsRaw(), "nothing of the old input")
	_, err = d.Next(v)
	assert.Equal(t, io.EOF, err)

	d.Reset([]byte(`[{"key":"c"}]`))
	_, err = d.NextElement(v)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"key": "c"}, v.Map().AsRaw())
}

// notPlain finds the first byte that is not plain, whatever the bytes around it.
func TestNotPlain(t *testing.T) {
	special := []byte{0, 1, 0x1f, '"', '\\', 0x80, 0xc3, 0xff}
	ordinary := []byte{' ', '!', '#', '[', ']', 'a', '~', 0x7f}
	for _, fill := range ordinary {
		for pos := range 8 {
			for _, c := range special {
				for _, after := range append(special, fill) {
					var word [8]byte
					for i := range word {
						word[i] = fill
					}
					word[pos] = c
					for i := pos + 1; i < 8; i++ {
						word[i] = after
					}
					m := notPlain(binary.LittleEndian.Uint64(word[:]))
					require.Equal(t, pos, bits.TrailingZeros64(m)/8, "%q", word)
				}
			}
		}
		var word [8]byte
		for i := range word {
			word[i] = fill
		}
		require.Zero(t, notPlain(binary.LittleEndian.Uint64(word[:])), "%q", word)
	}
}

// TestJSONObjectKeyLimit: an object, nested or an event's own, may hold MaxJSONObjectKeys keys
// and no more; a repeated key does not count twice.
func TestJSONObjectKeyLimit(t *testing.T) {
	object := func(keys int, repeat bool) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range keys {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"k%d":%d`, i, i)
		}
		if repeat {
			b.WriteString(`,"k0":0`)
		}
		b.WriteString("}")
		return b.String()
	}
	for _, tc := range []struct {
		name    string
		keys    int
		repeat  bool
		wantErr bool
	}{
		{"at the limit", MaxJSONObjectKeys, false, false},
		{"at the limit, a key repeated", MaxJSONObjectKeys, true, false},
		{"one more", MaxJSONObjectKeys + 1, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, in := range []string{`{"details":` + object(tc.keys, tc.repeat) + `}`, object(tc.keys, tc.repeat)} {
				nested := DecodeJSON([]byte(in), pcommon.NewValueEmpty())
				var e Event
				_, top := NewJSONDecoder([]byte(in)).NextEvent(&e)
				for _, err := range []error{nested, top} {
					if !tc.wantErr {
						assert.NoError(t, err)
						continue
					}
					var je *JSONError
					require.ErrorAs(t, err, &je)
					assert.Equal(t, JSONTooManyKeys, je.Kind)
					assert.Equal(t, "object with more than 1000 keys", je.Reason)
				}
			}
		})
	}
}
