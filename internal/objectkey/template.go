package objectkey

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Values are what one object's key is made of.
type Values struct {
	// OrgID is the tenant. The caller checks it with ValidOrgID before naming an object:
	// Append writes it as it is.
	OrgID string
	// Upload is when the batch was closed.
	Upload time.Time
	// Event is the time of the earliest event in the batch; when zero, Upload stands in.
	Event time.Time
	// Unique is the batch's unique part, from NewUnique (or another string of safe
	// characters). Append writes it as it is.
	Unique string
}

// Template is a compiled key template. It is immutable and safe for concurrent use.
type Template struct {
	src   string
	parts []part
}

// Compile checks a key template against the rules in the package documentation and compiles
// it. Its errors say what is wrong and, as a *SyntaxError, where.
func Compile(template string) (*Template, error) {
	parts, err := parse(template, keyPlaceholders)
	if err != nil {
		return nil, err
	}
	var errs []error
	if !has(parts, partOrgID) {
		errs = append(errs, hintAt(-1, "no {org_id}", "a shared bucket keeps tenants apart by it"))
	} else if off, ok := orgFolder(parts); !ok {
		errs = append(errs, hintAt(off, "{org_id} not in a folder of its own",
			`write it as "{org_id}/" or "org={org_id}/", with no other placeholder in that path segment,`+
				" so that each tenant's keys have a prefix of their own"))
	}
	if !has(parts, partUploadTS14, partUploadUnixMS, partUnique) {
		errs = append(errs, hintAt(-1, "none of {upload_ts14}, {upload_unix_ms} and {unique}", "two batches of one tenant would get the same key"))
	}
	if err := checkLen(parts); err != nil {
		errs = append(errs, err)
	}
	switch len(errs) {
	case 0:
		return &Template{src: template, parts: parts}, nil
	case 1:
		return nil, errs[0]
	default:
		return nil, errors.Join(errs...)
	}
}

// Spacing is how far apart two batches of one tenant must be closed for their keys to differ
// by time alone: zero when the template has {unique}, whose part tells batches apart, a
// millisecond with {upload_unix_ms}, else a second ({upload_ts14}).
func (t *Template) Spacing() time.Duration {
	switch {
	case has(t.parts, partUnique):
		return 0
	case has(t.parts, partUploadUnixMS):
		return time.Millisecond
	default:
		return time.Second
	}
}

// MustCompile is Compile for templates known to be valid, such as the defaults; it panics on
// an error.
func MustCompile(template string) *Template {
	t, err := Compile(template)
	if err != nil {
		panic("objectkey: " + strconv.Quote(template) + ": " + err.Error())
	}
	return t
}

// orgFolder reports whether some {org_id} is the only placeholder of a path segment that is
// not the last one. When none is, it returns the offset of the first {org_id}.
func orgFolder(parts []part) (offset int, ok bool) {
	offset = -1
	for i, p := range parts {
		if p.kind != partOrgID {
			continue
		}
		if offset < 0 {
			offset = p.offset
		}
		if aloneBefore(parts[:i]) && aloneAfter(parts[i+1:]) {
			return p.offset, true
		}
	}
	return offset, false
}

// aloneBefore reports whether no placeholder sits between the last '/' of before and its end.
func aloneBefore(before []part) bool {
	for i := len(before) - 1; i >= 0; i-- {
		if before[i].kind != partLiteral {
			return false
		}
		if strings.Contains(before[i].lit, "/") {
			return true
		}
	}
	return true
}

// aloneAfter reports whether a '/' follows before any placeholder in after.
func aloneAfter(after []part) bool {
	for _, p := range after {
		if p.kind != partLiteral {
			return false
		}
		if strings.Contains(p.lit, "/") {
			return true
		}
	}
	return false
}

// String returns the template as it was written.
func (t *Template) String() string { return t.src }

// Append appends the key for v to buf and returns the extended buffer. It allocates only when
// buf must grow. The caller appends the file extension.
func (t *Template) Append(buf []byte, v Values) []byte {
	up := v.Upload.UTC()
	ev := v.Event
	if ev.IsZero() {
		ev = v.Upload
	}
	ev = ev.UTC()
	for i := range t.parts {
		p := &t.parts[i]
		switch p.kind {
		case partLiteral:
			buf = append(buf, p.lit...)
		case partOrgID:
			buf = append(buf, v.OrgID...)
		case partUnique:
			buf = append(buf, v.Unique...)
		case partUploadYear:
			buf = appendYear(buf, up.Year())
		case partUploadMonth:
			buf = append2(buf, int(up.Month()))
		case partUploadDay:
			buf = append2(buf, up.Day())
		case partUploadHour:
			buf = append2(buf, up.Hour())
		case partUploadDate:
			buf = appendDate(buf, up)
		case partUploadTS14:
			buf = appendTS14(buf, up)
		case partUploadUnixMS, partTimestamp:
			buf = strconv.AppendInt(buf, up.UnixMilli(), 10)
		case partEventYear:
			buf = appendYear(buf, ev.Year())
		case partEventMonth:
			buf = append2(buf, int(ev.Month()))
		case partEventDay:
			buf = append2(buf, ev.Day())
		case partEventDate:
			buf = appendDate(buf, ev)
		}
	}
	return buf
}

// append2 appends n (0 to 99) as two digits.
func append2(b []byte, n int) []byte {
	return append(b, byte('0'+n/10), byte('0'+n%10))
}

// appendYear appends a year as four digits; years outside 0 to 9999 are written in full.
func appendYear(b []byte, y int) []byte {
	if y < 0 || y > 9999 {
		return strconv.AppendInt(b, int64(y), 10)
	}
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10))
}

// appendDate appends t's date as YYYY-MM-DD; t is in UTC.
func appendDate(b []byte, t time.Time) []byte {
	y, m, d := t.Date()
	b = appendYear(b, y)
	b = append(b, '-')
	b = append2(b, int(m))
	b = append(b, '-')
	return append2(b, d)
}

// appendTS14 appends t as YYYYMMDDhhmmss; t is in UTC.
func appendTS14(b []byte, t time.Time) []byte {
	y, m, d := t.Date()
	hh, mm, ss := t.Clock()
	b = appendYear(b, y)
	b = append2(b, int(m))
	b = append2(b, d)
	b = append2(b, hh)
	b = append2(b, mm)
	return append2(b, ss)
}
