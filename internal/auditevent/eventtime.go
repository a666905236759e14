package auditevent

import (
	"math"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// TimeUnit is the unit of a time given as a number of units since 1970-01-01 UTC.
type TimeUnit uint8

const (
	// TimeUnitAuto reads the unit from the magnitude (see unitOf).
	TimeUnitAuto TimeUnit = iota
	TimeUnitSeconds
	TimeUnitMilliseconds
	TimeUnitMicroseconds
	TimeUnitNanoseconds
)

// timeUnitNames are the units' names in configuration.
var timeUnitNames = [...]string{
	TimeUnitAuto:         "auto",
	TimeUnitSeconds:      "s",
	TimeUnitMilliseconds: "ms",
	TimeUnitMicroseconds: "us",
	TimeUnitNanoseconds:  "ns",
}

// nanosPerUnit is how many nanoseconds one unit is.
var nanosPerUnit = [...]int64{
	TimeUnitSeconds:      1e9,
	TimeUnitMilliseconds: 1e6,
	TimeUnitMicroseconds: 1e3,
	TimeUnitNanoseconds:  1,
}

// String is the unit's name in configuration.
func (u TimeUnit) String() string { return timeUnitNames[u] }

// ParseTimeUnit reads a unit's name in configuration: auto, s, ms, us or ns.
func ParseTimeUnit(name string) (TimeUnit, bool) {
	for u, n := range timeUnitNames {
		if n == name {
			return TimeUnit(u), true
		}
	}
	return 0, false
}

// Magnitudes at which TimeUnitAuto moves to the next finer unit. Each boundary is year 5138 in
// the coarser unit and 1973-03-03 in the finer one: a time from 1973 to 5138 is read right
// whatever its unit. Nanoseconds since 1970 in an int64 end in 2262.
const (
	millisFrom = 1e11
	microsFrom = 1e14
	nanosFrom  = 1e17
)

// unitOf is the unit of an epoch number of magnitude n for TimeUnitAuto.
func unitOf(n float64) TimeUnit {
	switch {
	case n < millisFrom:
		return TimeUnitSeconds
	case n < microsFrom:
		return TimeUnitMilliseconds
	case n < nanosFrom:
		return TimeUnitMicroseconds
	default:
		return TimeUnitNanoseconds
	}
}

const reasonTimeRange = "is out of range: must be after 1970-01-01 and before 2262-04-11"

// parseEventTime reads a time given as text (RFC 3339 with any precision and offset, or a UTC
// time such as Snowflake's TIMESTAMP_NTZ 2026-11-22 02:30:00.123), as a number of units since
// 1970, or as a string of digits holding such a number. field names the source field in
// problems; hint names the forms its shape documents.
func parseEventTime(field string, v *fieldValue, unit TimeUnit, hint string) (pcommon.Timestamp, error) {
	var ns int64
	var ok bool
	switch v.typ {
	case pcommon.ValueTypeInt:
		ns, ok = epochIntNanos(v.num, unit)
	case pcommon.ValueTypeDouble:
		ns, ok = epochFloatNanos(v.dbl, unit)
	case pcommon.ValueTypeStr:
		s := v.str
		if allDigits(s) {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return 0, fieldErr(field, reasonTimeRange)
			}
			ns, ok = epochIntNanos(n, unit)
			break
		}
		t, err := ParseTimestampNTZ(s)
		if err != nil {
			return 0, fieldErr(field, "must be "+hint)
		}
		ns, ok = timeNanos(t)
	default:
		return 0, fieldErr(field, "must be "+hint+", got "+typeName(v.typ))
	}
	if !ok {
		return 0, fieldErr(field, reasonTimeRange)
	}
	return pcommon.Timestamp(ns), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// epochIntNanos converts n units since 1970 to nanoseconds, and reports false for a time
// outside what a record's timestamp holds (after 1970, before 2262).
func epochIntNanos(n int64, unit TimeUnit) (int64, bool) {
	if n <= 0 {
		return 0, false
	}
	if unit == TimeUnitAuto {
		unit = unitOf(float64(n))
	}
	per := nanosPerUnit[unit]
	if n > math.MaxInt64/per {
		return 0, false
	}
	return n * per, true
}

// epochFloatNanos converts f units since 1970 (with a fraction) to nanoseconds. The whole
// units are converted exactly, as integers; the fraction to the nearest nanosecond.
func epochFloatNanos(f float64, unit TimeUnit) (int64, bool) {
	if !(f > 0) || math.IsInf(f, 0) {
		return 0, false
	}
	if unit == TimeUnitAuto {
		unit = unitOf(f)
	}
	per := nanosPerUnit[unit]
	whole, frac := math.Modf(f)
	if whole >= float64(math.MaxInt64/per) {
		return 0, false
	}
	ns := int64(whole)*per + int64(math.Round(frac*float64(per)))
	return ns, ns > 0
}

// timeNanos is t in nanoseconds since 1970, and false when a record's timestamp cannot hold it.
func timeNanos(t time.Time) (int64, bool) {
	if t.Unix() <= 0 || t.Unix() >= math.MaxInt64/int64(time.Second) {
		return 0, false
	}
	return t.UnixNano(), true
}
