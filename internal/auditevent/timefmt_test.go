package auditevent

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// timestampSeeds are the forms both sources send, their neighbours that only the time package's
// layouts take, and what both refuse.
var timestampSeeds = []string{
	"2026-11-22 02:30:00.123",
	"2026-11-22 02:30:00",
	"2026-11-22T02:30:00.123456789",
	"2023-01-20T18:55:32.466Z",
	"2023-01-20T18:55:32Z",
	"2023-01-20T18:55:32.466+05:30",
	"2023-01-20T18:55:32-08:00",
	"2024-02-29T23:59:59.999999999Z",
	"1970-01-01T00:00:00Z",
	"1969-12-31T23:59:59Z",
	"0001-01-01T00:00:00Z",
	"9999-12-31T23:59:59.9Z",
	"2000-03-01 00:00:00",
	"2100-02-28 12:00:00",
	// Only the layouts take these, or refuse them.
	"2026-11-22 02:30:00Z",
	"2026-11-22T02:30:00.Z",
	"2026-11-22T02:30:00.1234567891Z",
	"2026-11-22T02:30:00z",
	"2026-11-22t02:30:00Z",
	"2026-11-22T02:30:00+24:00",
	"2026-11-22T02:30:00+05:60",
	"2023-02-29T00:00:00Z",
	"2026-13-01T00:00:00Z",
	"2026-11-31T00:00:00Z",
	"2026-11-22T24:00:00Z",
	"2026-11-22T23:60:00Z",
	"2026-11-22T23:59:60Z",
	"2026-11-22  02:30:00",
	"2026-11-22 2:30:00",
	"2026-11-22T02:30",
	"+2026-11-22T02:30:00Z",
	"2026-11-22T02:30:00+0530",
	"",
}

func TestParseTimestampNTZTakesTheCommonFormsByPosition(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2026-11-22 02:30:00.123", time.Date(2026, 11, 22, 2, 30, 0, 123_000_000, time.UTC)},
		{"2026-11-22T02:30:00", time.Date(2026, 11, 22, 2, 30, 0, 0, time.UTC)},
		{"2023-01-20T18:55:32.466Z", time.Date(2023, 1, 20, 18, 55, 32, 466_000_000, time.UTC)},
		{"2023-01-20T18:55:32.000000001+05:30", time.Date(2023, 1, 20, 13, 25, 32, 1, time.UTC)},
		{"2024-02-29T23:59:59-08:00", time.Date(2024, 3, 1, 7, 59, 59, 0, time.UTC)},
		{"1969-12-31T23:59:59Z", time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC)},
		{"0000-03-01T00:00:00Z", time.Date(0, 3, 1, 0, 0, 0, 0, time.UTC)},
		{"0000-02-29T00:00:00Z", time.Date(0, 2, 29, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseCommonTimestamp(tt.in)
			require.True(t, ok, "a common form must not need the layouts")
			assert.True(t, tt.want.Equal(got), "got %v, want %v", got, tt.want)
			assert.Equal(t, time.UTC, got.Location())
		})
	}
}

func TestParseTimestampNTZAgreesWithTheLayouts(t *testing.T) {
	for _, s := range timestampSeeds {
		t.Run(s, func(t *testing.T) { checkSameTimestamp(t, s) })
	}
}

// FuzzParseTimestampNTZ checks that the positional parser never takes what the layouts refuse
// nor reads a time differently.
func FuzzParseTimestampNTZ(f *testing.F) {
	for _, s := range timestampSeeds {
		f.Add(s)
	}
	f.Fuzz(checkSameTimestamp)
}

func checkSameTimestamp(t *testing.T, s string) {
	fast, ok := parseCommonTimestamp(s)
	slow, err := parseTimestampLayouts(s)
	if !ok {
		return
	}
	if err != nil {
		t.Fatalf("%q: taken by position as %v, refused by the layouts: %v", s, fast, err)
	}
	if !fast.Equal(slow) || fast.Location() != time.UTC {
		t.Fatalf("%q: by position %v, by the layouts %v", s, fast, slow)
	}
}

// TestAppendDateTimeAgreesWithTheLayouts: the digit-by-digit formatter writes what
// time.AppendFormat writes, at the edges of the years it handles and beyond them.
func TestAppendDateTimeAgreesWithTheLayouts(t *testing.T) {
	times := []time.Time{
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(-1, 6, 15, 12, 30, 45, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 22, 2, 30, 0, 123_000_000, time.UTC),
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		times = append(times, time.Unix(rng.Int64N(253402300800), rng.Int64N(1e9)).UTC())
	}
	for _, tm := range times {
		for sep, layout := range map[byte]string{'T': "2006-01-02T15:04:05", ' ': "2006-01-02 15:04:05"} {
			if got, want := string(appendDateTime(nil, tm, sep)), tm.Format(layout); got != want {
				t.Fatalf("%v with %q: got %s, want %s", tm, sep, got, want)
			}
		}
	}
}
