package auditevent

import (
	"strings"
	"time"
)

// appendFraction appends the sub-second part with at least millisecond precision and more only
// when the time carries it, so that the usual millisecond timestamps of both sources come back
// exactly as they went in, and finer ones are not truncated.
func appendFraction(buf []byte, t time.Time) []byte {
	ns := t.Nanosecond()
	digits := 9
	switch {
	case ns%1_000_000 == 0:
		digits, ns = 3, ns/1_000_000
	case ns%1_000 == 0:
		digits, ns = 6, ns/1_000
	}
	buf = append(buf, '.')
	start := len(buf)
	for i := 0; i < digits; i++ {
		buf = append(buf, '0')
	}
	for i := len(buf) - 1; i >= start; i-- {
		buf[i] = byte('0' + ns%10)
		ns /= 10
	}
	return buf
}

// AppendRFC3339Millis appends t in UTC as RFC 3339 with (at least) milliseconds and a Z, the
// form of GoodData's `ts`: 2023-01-20T18:55:32.466Z.
func AppendRFC3339Millis(buf []byte, t time.Time) []byte {
	t = t.UTC()
	buf = t.AppendFormat(buf, "2006-01-02T15:04:05")
	buf = appendFraction(buf, t)
	return append(buf, 'Z')
}

// AppendTimestampNTZ appends t in UTC as Snowflake TIMESTAMP_NTZ text, the form of Airkit's
// EVENT_TIME: 2026-11-22 02:30:00.123.
func AppendTimestampNTZ(buf []byte, t time.Time) []byte {
	t = t.UTC()
	buf = t.AppendFormat(buf, "2006-01-02 15:04:05")
	return appendFraction(buf, t)
}

// ParseTimestampNTZ reads a timestamp without zone (taken as UTC), with a space or a T between
// date and time and any fraction; an RFC 3339 time with any precision and offset is accepted
// too. Event times of every shape are read with it (see parseEventTime).
func ParseTimestampNTZ(s string) (time.Time, error) {
	space := strings.IndexByte(s, ' ')
	// RFC 3339 has no space anywhere, so Snowflake's form, which every Airkit row has, skips
	// that attempt and its error, which costs allocations.
	if space < 0 {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.UTC(), nil
		}
	}
	if space == len("2006-01-02") && (len(s) == space+1 || s[space+1] != ' ') {
		// The usual single space between date and time, parsed where it is rather than in a
		// copy with a T. (A space in a layout matches several in the input: hence the check.)
		return time.ParseInLocation("2006-01-02 15:04:05.999999999", s, time.UTC)
	}
	return time.ParseInLocation("2006-01-02T15:04:05.999999999", strings.Replace(s, " ", "T", 1), time.UTC)
}

const dateLayout = "2006-01-02"

func monthStart(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}
