package auditevent

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestParseEventTime(t *testing.T) {
	at := func(s string) time.Time {
		parsed, err := time.Parse(time.RFC3339Nano, s)
		require.NoError(t, err)
		return parsed
	}
	str := pcommon.NewValueStr
	num := pcommon.NewValueInt
	tests := []struct {
		name string
		in   pcommon.Value
		unit TimeUnit
		want time.Time
	}{
		{"rfc3339 Z with millis", str("2023-01-20T18:55:32.466Z"), TimeUnitAuto, at("2023-01-20T18:55:32.466Z")},
		{"rfc3339 without fraction", str("2023-01-20T18:55:32Z"), TimeUnitAuto, at("2023-01-20T18:55:32Z")},
		{"rfc3339 nanoseconds", str("2023-01-20T18:55:32.123456789Z"), TimeUnitAuto, at("2023-01-20T18:55:32.123456789Z")},
		{"rfc3339 positive offset", str("2023-01-20T20:55:32.5+02:00"), TimeUnitAuto, at("2023-01-20T18:55:32.5Z")},
		{"rfc3339 negative offset", str("2023-01-20T13:55:32-05:00"), TimeUnitAuto, at("2023-01-20T18:55:32Z")},
		{"timestamp ntz", str("2026-11-22 02:30:00.123"), TimeUnitAuto, at("2026-11-22T02:30:00.123Z")},
		{"timestamp ntz without fraction", str("2026-11-22 02:30:00"), TimeUnitAuto, at("2026-11-22T02:30:00Z")},
		{"timestamp ntz microseconds", str("2026-11-22 02:30:00.123456"), TimeUnitAuto, at("2026-11-22T02:30:00.123456Z")},
		{"timestamp ntz with T", str("2026-11-22T02:30:00.1"), TimeUnitAuto, at("2026-11-22T02:30:00.1Z")},
		{"epoch seconds", num(1733212345), TimeUnitAuto, at("2024-12-03T07:52:25Z")},
		{"epoch milliseconds", num(1733212345678), TimeUnitAuto, at("2024-12-03T07:52:25.678Z")},
		{"epoch microseconds", num(1733212345678901), TimeUnitAuto, at("2024-12-03T07:52:25.678901Z")},
		{"epoch nanoseconds", num(1733212345678901234), TimeUnitAuto, at("2024-12-03T07:52:25.678901234Z")},
		{"epoch seconds with fraction", pcommon.NewValueDouble(1733212345.5), TimeUnitAuto, at("2024-12-03T07:52:25.5Z")},
		{"epoch milliseconds as a double", pcommon.NewValueDouble(1733212345678), TimeUnitAuto, at("2024-12-03T07:52:25.678Z")},
		{"epoch seconds as digits", str("1733212345"), TimeUnitAuto, at("2024-12-03T07:52:25Z")},
		{"epoch milliseconds as digits", str("1733212345678"), TimeUnitAuto, at("2024-12-03T07:52:25.678Z")},
		{"declared unit beats magnitude", num(86400), TimeUnitMilliseconds, at("1970-01-01T00:01:26.4Z")},
		{"declared seconds", num(86400), TimeUnitSeconds, at("1970-01-02T00:00:00Z")},
		{"declared microseconds", num(1733212345678901), TimeUnitMicroseconds, at("2024-12-03T07:52:25.678901Z")},
		{"declared nanoseconds", num(1733212345678901234), TimeUnitNanoseconds, at("2024-12-03T07:52:25.678901234Z")},
		{"last second a timestamp holds", num(9223372035), TimeUnitSeconds, at("2262-04-11T23:47:15Z")},
		{"first millisecond read as such", num(1e11), TimeUnitAuto, at("1973-03-03T09:46:40Z")},
		{"last second read as such", num(1e11 - 1), TimeUnitAuto, at("5138-11-16T09:46:39Z")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want.Year() > 2262 {
				// Read as seconds, but beyond what a timestamp holds.
				in := valueOf(tt.in)
				_, err := parseEventTime("at", &in, tt.unit, "x")
				assertFieldError(t, err, "at", reasonTimeRange)
				return
			}
			in := valueOf(tt.in)
			got, err := parseEventTime("at", &in, tt.unit, "x")
			require.NoError(t, err)
			assert.Equal(t, tt.want.UTC(), got.AsTime())
		})
	}
}

func TestParseEventTimeRefuses(t *testing.T) {
	const hint = "a time such as 1"
	tests := []struct {
		name   string
		in     pcommon.Value
		unit   TimeUnit
		reason string
	}{
		{"words", pcommon.NewValueStr("yesterday"), TimeUnitAuto, "must be " + hint},
		{"date only", pcommon.NewValueStr("2026-11-22"), TimeUnitAuto, "must be " + hint},
		{"bad month", pcommon.NewValueStr("2026-13-22 02:30:00"), TimeUnitAuto, "must be " + hint},
		{"boolean", pcommon.NewValueBool(true), TimeUnitAuto, "must be " + hint + ", got a boolean"},
		{"object", pcommon.NewValueMap(), TimeUnitAuto, "must be " + hint + ", got an object"},
		{"zero", pcommon.NewValueInt(0), TimeUnitAuto, reasonTimeRange},
		{"negative", pcommon.NewValueInt(-5), TimeUnitAuto, reasonTimeRange},
		{"negative double", pcommon.NewValueDouble(-5.5), TimeUnitAuto, reasonTimeRange},
		{"seconds beyond 2262", pcommon.NewValueInt(9223372037), TimeUnitSeconds, reasonTimeRange},
		{"milliseconds beyond 2262", pcommon.NewValueInt(9223372036855), TimeUnitMilliseconds, reasonTimeRange},
		{"double beyond 2262", pcommon.NewValueDouble(1e19), TimeUnitAuto, reasonTimeRange},
		{"digits beyond int64", pcommon.NewValueStr("99999999999999999999"), TimeUnitAuto, reasonTimeRange},
		{"before 1970", pcommon.NewValueStr("1969-12-31T23:59:59Z"), TimeUnitAuto, reasonTimeRange},
		{"Go's zero time", pcommon.NewValueStr("0001-01-01T00:00:00Z"), TimeUnitAuto, reasonTimeRange},
		{"year 9999", pcommon.NewValueStr("9999-12-31 23:59:59"), TimeUnitAuto, reasonTimeRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := valueOf(tt.in)
			_, err := parseEventTime("at", &in, tt.unit, hint)
			assertFieldError(t, err, "at", tt.reason)
		})
	}
}

func TestParseTimeUnit(t *testing.T) {
	for _, name := range []string{"auto", "s", "ms", "us", "ns"} {
		u, ok := ParseTimeUnit(name)
		require.True(t, ok, name)
		assert.Equal(t, name, u.String())
	}
	for _, name := range []string{"", "sec", "MS", "µs"} {
		_, ok := ParseTimeUnit(name)
		assert.False(t, ok, name)
	}
}

func assertFieldError(t *testing.T, err error, field, reason string) {
	t.Helper()
	var fe *FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, FieldError{Field: field, Reason: reason}, *fe)
}
