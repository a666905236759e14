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

// appendDateTime appends t's date, sep and time of day (2006-01-02T15:04:05) digit by digit:
// time.AppendFormat reads its layout on every call, which was a fifth of the GoodData encoder's
// time. Years outside 0-9999 take AppendFormat's form.
func appendDateTime(buf []byte, t time.Time, sep byte) []byte {
	y, m, d := t.Date()
	if y < 0 || y > 9999 {
		return t.AppendFormat(buf, "2006-01-02"+string(rune(sep))+"15:04:05")
	}
	hh, mm, ss := t.Clock()
	buf = appendDate(buf, y, m, d)
	return append(buf, sep,
		byte('0'+hh/10), byte('0'+hh%10), ':',
		byte('0'+mm/10), byte('0'+mm%10), ':',
		byte('0'+ss/10), byte('0'+ss%10))
}

// AppendRFC3339Millis appends t in UTC as RFC 3339 with (at least) milliseconds and a Z, the
// form of GoodData's `ts`: 2023-01-20T18:55:32.466Z.
func AppendRFC3339Millis(buf []byte, t time.Time) []byte {
	t = t.UTC()
	buf = appendDateTime(buf, t, 'T')
	buf = appendFraction(buf, t)
	return append(buf, 'Z')
}

// AppendTimestampNTZ appends t in UTC as Snowflake TIMESTAMP_NTZ text, the form of Airkit's
// EVENT_TIME: 2026-11-22 02:30:00.123.
func AppendTimestampNTZ(buf []byte, t time.Time) []byte {
	t = t.UTC()
	buf = appendDateTime(buf, t, ' ')
	return appendFraction(buf, t)
}

// ParseTimestampNTZ reads a timestamp without zone (taken as UTC), with a space or a T between
// date and time and any fraction; an RFC 3339 time with any precision and offset is accepted
// too. Event times of every shape are read with it (see parseEventTime).
func ParseTimestampNTZ(s string) (time.Time, error) {
	if t, ok := parseCommonTimestamp(s); ok {
		return t, nil
	}
	return parseTimestampLayouts(s)
}

// parseTimestampLayouts is ParseTimestampNTZ through the time package's layouts, for what
// parseCommonTimestamp leaves: the rare forms, and every input it must refuse, with time's
// reasons.
func parseTimestampLayouts(s string) (time.Time, error) {
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

// parseCommonTimestamp reads the forms nearly every event has, 2026-11-22 02:30:00.123 (Airkit)
// and 2023-01-20T18:55:32.466Z (GoodData), by position: time.Parse costs a tenth of a whole
// event's decoding. It accepts a subset of what parseTimestampLayouts accepts, with the same
// result (FuzzParseTimestampNTZ checks both), and reports false for anything else: a space
// followed by a zone, a fraction without digits or longer than 9, any value out of range.
func parseCommonTimestamp(s string) (time.Time, bool) {
	if len(s) < len("2006-01-02T15:04:05") || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := digitsAt(s, 0, 4)
	month, ok2 := digitsAt(s, 5, 2)
	day, ok3 := digitsAt(s, 8, 2)
	hour, ok4 := digitsAt(s, 11, 2)
	minute, ok5 := digitsAt(s, 14, 2)
	sec, ok6 := digitsAt(s, 17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) ||
		month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	rest := s[19:]
	nanos := 0
	if rest != "" && rest[0] == '.' {
		n := 1
		for n < len(rest) && isDigit(rest[n]) {
			n++
		}
		digits := n - 1
		if digits == 0 || digits > 9 {
			return time.Time{}, false
		}
		frac, _ := digitsAt(rest, 1, digits)
		for i := digits; i < 9; i++ {
			frac *= 10
		}
		nanos, rest = frac, rest[n:]
	}
	offset := 0
	switch {
	case rest == "":
	case s[10] != 'T':
		// A zone after a space is not a form parseTimestampLayouts accepts either.
		return time.Time{}, false
	case rest == "Z":
	case len(rest) == len("+07:00") && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, okh := digitsAt(rest, 1, 2)
		om, okm := digitsAt(rest, 4, 2)
		if !okh || !okm || oh > 23 || om > 59 {
			return time.Time{}, false
		}
		offset = (oh*60 + om) * 60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, false
	}
	if s[10] != 'T' && s[10] != ' ' {
		return time.Time{}, false
	}
	days := daysSinceEpoch(year, month, day)
	unix := int64(days)*86400 + int64(hour*3600+minute*60+sec) - int64(offset)
	return time.Unix(unix, int64(nanos)).UTC(), true
}

// digitsAt reads s[at:at+n] as a decimal number, reporting false unless all are digits.
func digitsAt(s string, at, n int) (int, bool) {
	v := 0
	for i := at; i < at+n; i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		v = v*10 + int(s[i]-'0')
	}
	return v, true
}

func isLeap(year int) bool { return year%4 == 0 && (year%100 != 0 || year%400 == 0) }

func daysIn(month, year int) int {
	switch month {
	case 2:
		if isLeap(year) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	default:
		return 31
	}
}

// daysSinceEpoch counts the days from 1970-01-01 to the given date of the proleptic Gregorian
// calendar, counting in 400-year eras from 0000-03-01 so that February 29 ends a year.
func daysSinceEpoch(year, month, day int) int {
	if month <= 2 {
		year--
	}
	era := year / 400
	if year < 0 {
		era = (year - 399) / 400
	}
	yearOfEra := year - era*400
	shifted := (month + 9) % 12 // March is 0
	dayOfYear := (153*shifted+2)/5 + day - 1
	dayOfEra := yearOfEra*365 + yearOfEra/4 - yearOfEra/100 + dayOfYear
	return era*146097 + dayOfEra - 719468
}
