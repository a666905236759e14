package auditevent

import (
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// readAll reads every top-level value of data (or element of its array) with d's limits, and
// returns each as JSON, or its error, until the end or an error that stops reading.
func readAll(d *JSONDecoder, elements bool) []string {
	var got []string
	for {
		v := pcommon.NewValueEmpty()
		var err error
		if elements {
			_, err = d.NextElement(v)
		} else {
			_, err = d.Next(v)
		}
		switch {
		case err == io.EOF:
			return got
		case errors.Is(err, ErrValueTooLarge):
			got = append(got, "too large")
		case err != nil:
			return append(got, err.Error())
		default:
			got = append(got, string(AppendJSONValue(nil, v)))
		}
	}
}

func TestJSONDecoderLimits(t *testing.T) {
	long := strings.Repeat("x", 100)
	tests := []struct {
		name               string
		in                 string
		elements           bool
		valueBytes, values int
		want               []string
	}{
		{"values at the byte limit and over it", `{"a":1}` + "\n" + `{"a":12}` + "\n" + `[1]`, false, 7, 0,
			[]string{`{"a":1}`, "too large", `[1]`}},
		{"values on a line longer than the limit", `{"a":1} {"b":2} {"c":345} [1]`, false, 7, 0,
			[]string{`{"a":1}`, `{"b":2}`, "too large", `[1]`}},
		{"a value on many lines", "{\n\"a\":\n[1,\n2]}\n[1]", false, 8, 0, []string{"too large", `[1]`}},
		{"elements", `[{"a":1},{"a":[1,2,3]},[1]]`, true, 7, 0, []string{`{"a":1}`, "too large", `[1]`}},
		{"a long string", `["` + long + `",["` + long + `"],1]`, true, 50, 0, []string{"too large", "too large", "1"}},
		{"a long escaped string", `["\n` + long + `",1]`, true, 50, 0, []string{"too large", "1"}},
		{"a long number", `[1` + strings.Repeat("0", 100) + `,1]`, true, 50, 0, []string{"too large", "1"}},
		{"a long key", `[{"` + long + `":1},1]`, true, 50, 0, []string{"too large", "1"}},
		{"a long integer within the limit", `1` + strings.Repeat("0", 30), false, 31, 0,
			[]string{`"1` + strings.Repeat("0", 30) + `"`}},
		// A value too large is still read whole: its syntax errors are reported as without
		// the limit, and reading stops there.
		{"invalid JSON in a value too large, on its line", `{"a":[1,2,x]}` + "\n[1]", false, 5, 0,
			[]string{"invalid JSON at offset 10: invalid character looking for beginning of value"}},
		{"invalid JSON in a value too large, on many lines", "{\"a\":[1,2,\nx]}\n[1]", false, 8, 0,
			[]string{"invalid JSON at offset 11: invalid character looking for beginning of value"}},
		{"invalid JSON in an element too large", `[{"a":[1,2,x]},1]`, true, 5, 0,
			[]string{"invalid JSON at offset 11: invalid character looking for beginning of value"}},
		{"a trailing comma in an element too large", `[[1,2,],1]`, true, 3, 0,
			[]string{"invalid JSON at offset 6: invalid character looking for beginning of value"}},
		{"too deep in a value too large", strings.Repeat("[", 65) + strings.Repeat("]", 65), false, 5, 0,
			[]string{"invalid JSON at offset 64: exceeded max depth of 64"}},
		// Objects and arrays count as ContainerCost values each.
		{"values at the count limit", `{"a":[1,2]}` + "\n" + `[3]`, false, 0, 15, []string{`{"a":[1,2]}`, `[3]`}},
		{"one value too many", `{"a":[1,2]}` + "\n" + `[3]`, false, 0, 14, []string{`{"a":[1,2]}`, ErrTooManyValues.Error()}},
		{"one value too many in an element", `[[1,2],[3,4]]`, true, 0, 11, []string{`[1,2]`, ErrTooManyValues.Error()}},
		{"no limits", `{"a":[1,2]}` + "\n" + `"` + long + `"`, false, 0, 0, []string{`{"a":[1,2]}`, `"` + long + `"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewJSONDecoder([]byte(tt.in))
			d.SetLimits(tt.valueBytes, tt.values)
			assert.Equal(t, tt.want, readAll(d, tt.elements))
		})
	}
}

// A value too large that starts a line longer than the limit is refused before any of it is
// decoded; one that spans many lines, or an element, costs at most the limit's bytes of
// decoding.
func TestJSONDecoderLimitsBoundDecoding(t *testing.T) {
	const limit = 4 << 10
	zeros := "[" + strings.Repeat("0,", 64<<10) + "0]"
	tests := []struct {
		name     string
		in       string
		elements bool
		// mostValues is the most values decoding may make: each of the limit's bytes or
		// fewer can start one.
		mostValues float64
	}{
		{"on its line", zeros + "\n", false, 0},
		{"sharing its line", "1 " + zeros, false, 1},
		{"on many lines", strings.ReplaceAll(zeros, ",", ",\n"), false, limit},
		{"an element", "[" + zeros + "]", true, limit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d JSONDecoder
			allocs := testing.AllocsPerRun(1, func() {
				d.Reset([]byte(tt.in))
				d.SetLimits(limit, 0)
				readAll(&d, tt.elements)
			})
			// A value costs pdata at most one allocation; the whole array, some 64 Ki.
			assert.LessOrEqual(t, allocs, tt.mostValues+16)
		})
	}
}

// checkReadThrough checks that values read through for being too large (a limit of 1 byte makes
// nearly all of them so) get the errors that decoding them gets, at the same offsets: a stream,
// and an array's elements, read with and without the limit differ only where a value is too
// large.
func checkReadThrough(t *testing.T, data []byte) {
	t.Helper()
	for _, elements := range []bool{false, true} {
		limited := NewJSONDecoder(data)
		limited.SetLimits(1, 0)
		got, want := readAll(limited, elements), readAll(NewJSONDecoder(data), elements)
		if len(got) != len(want) {
			t.Fatalf("elements %v: read %d values with the limit, %d without: %q, %q", elements, len(got), len(want), got, want)
		}
		for i := range got {
			decoded := !strings.HasPrefix(want[i], "invalid JSON")
			if got[i] != want[i] && (got[i] != "too large" || !decoded) {
				t.Fatalf("elements %v: value %d is %q with the limit, %q without", elements, i, got[i], want[i])
			}
		}
	}
}

func TestReadThroughAgainstDecoding(t *testing.T) {
	for _, in := range jsonCorpus {
		checkReadThrough(t, []byte(in))
	}
}

// TestJSONDecoderLimitEdges: an array element too large to decode is refused as too large even
// when it uses up the values first (and gives them back for the next element), and a limit of
// bytes larger than any input does not overflow.
func TestJSONDecoderLimitEdges(t *testing.T) {
	zeros := func(n int) string { return "[" + strings.Repeat("0,", n-1) + "0]" }
	t.Run("too large before too many", func(t *testing.T) {
		in := "[" + zeros(3000) + `,{"a":1}]`
		d := NewJSONDecoder([]byte(in))
		d.SetLimits(1000, 100)
		v := pcommon.NewValueEmpty()
		_, err := d.NextElement(v)
		require.ErrorIs(t, err, ErrValueTooLarge, "the first element uses up 100 values before it passes 1000 bytes")
		_, err = d.NextElement(v)
		require.NoError(t, err, "the values of the refused element are given back")
		assert.Equal(t, map[string]any{"a": int64(1)}, v.Map().AsRaw())
	})
	t.Run("too many within the bytes", func(t *testing.T) {
		d := NewJSONDecoder([]byte("[" + zeros(30) + "]"))
		d.SetLimits(1000, 20)
		_, err := d.NextElement(pcommon.NewValueEmpty())
		require.ErrorIs(t, err, ErrTooManyValues)
	})
	t.Run("a limit larger than the input", func(t *testing.T) {
		d := NewJSONDecoder([]byte("{\"a\":1}\n{\"b\":2}\n"))
		d.SetLimits(math.MaxInt, 0)
		v := pcommon.NewValueEmpty()
		for range 2 {
			_, err := d.Next(v)
			require.NoError(t, err)
		}
	})
}

// Events count their scalars against the limits as values do, also those of an event whose
// members come in the order of the last event's: the second event of each input has the
// first one's shape and crosses a limit at a scalar.
func TestJSONDecoderEventLimits(t *testing.T) {
	tests := []struct {
		name               string
		in                 string
		elements           bool
		valueBytes, values int
		want               []string
	}{
		{"too many values", `{"a":1,"b":2}` + "\n" + `{"a":1,"b":2}` + "\n" + `{"a":3}`, false, 0, 3,
			[]string{`{"a":1,"b":2}`, ErrTooManyValues.Error()}},
		{"too many values, elements", `[{"a":1,"b":2},{"a":1,"b":2},{"a":3}]`, true, 0, 3,
			[]string{`{"a":1,"b":2}`, ErrTooManyValues.Error()}},
		{"a scalar past the bytes", `[{"a":1,"b":2},{"a":1,"b":        2},{"a":3,"b":4}]`, true, 13, 0,
			[]string{`{"a":1,"b":2}`, "too large", `{"a":3,"b":4}`}},
		{"within the limits", `{"a":1,"b":2}` + "\n" + `{"a":"x","b":true}`, false, 18, 4,
			[]string{`{"a":1,"b":2}`, `{"a":"x","b":true}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewJSONDecoder([]byte(tt.in))
			d.SetLimits(tt.valueBytes, tt.values)
			var e Event
			var got []string
			for {
				var err error
				if tt.elements {
					_, err = d.NextElementEvent(&e)
				} else {
					_, err = d.NextEvent(&e)
				}
				if err == io.EOF {
					break
				}
				if errors.Is(err, ErrValueTooLarge) {
					got = append(got, "too large")
					continue
				}
				if err != nil {
					got = append(got, err.Error())
					break
				}
				got = append(got, string(AppendJSONValue(nil, eventValue(&e))))
			}
			assert.Equal(t, tt.want, got)
		})
	}
}
