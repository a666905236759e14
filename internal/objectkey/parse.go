package objectkey

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// partKind is what one piece of a compiled template writes.
type partKind uint8

const (
	partLiteral partKind = iota
	partOrgID
	partUploadYear
	partUploadMonth
	partUploadDay
	partUploadHour
	partUploadDate
	partUploadTS14
	partUploadUnixMS
	partEventYear
	partEventMonth
	partEventDay
	partEventDate
	partUnique
	partTimestamp
)

// MaxKeyBytes is the longest object key S3 takes.
const MaxKeyBytes = 1024

// extensionRoom is what a template leaves of MaxKeyBytes for the file extension the caller
// appends (".ndjson.zst" is the longest, 11 bytes) and the suffix a taken name adds to the
// unique part ("-59").
const extensionRoom = 16

// maxLen is the longest text parts can make: the widest value of each placeholder (an org id
// of MaxOrgIDLen, years of four digits, a unique part with its longest suffix).
func maxLen(parts []part) int {
	n := 0
	for _, p := range parts {
		switch p.kind {
		case partLiteral:
			n += len(p.lit)
		case partOrgID:
			n += MaxOrgIDLen
		case partUploadYear, partEventYear:
			n += len("2026")
		case partUploadMonth, partUploadDay, partUploadHour, partEventMonth, partEventDay:
			n += len("01")
		case partUploadDate, partEventDate:
			n += len("2026-01-02")
		case partUploadTS14:
			n += len("20260102150405")
		case partUploadUnixMS, partTimestamp:
			n += len("1796309261649")
		case partUnique:
			n += UniqueLen
		}
	}
	return n
}

// checkLen refuses a template whose keys could be longer than S3 takes: every upload of the
// tenants concerned would be refused for good.
func checkLen(parts []part) error {
	if n := maxLen(parts); n > MaxKeyBytes-extensionRoom {
		return hintAt(-1, "keys of up to "+strconv.Itoa(n)+" bytes (with an org id of "+strconv.Itoa(MaxOrgIDLen)+")",
			"S3 takes keys of at most "+strconv.Itoa(MaxKeyBytes)+" bytes, and "+strconv.Itoa(extensionRoom)+" are kept for the file extension")
	}
	return nil
}

// part is one literal run or one placeholder of a template.
type part struct {
	kind   partKind
	lit    string // for partLiteral
	offset int    // where it starts in the template, for error messages
}

var keyPlaceholders = map[string]partKind{
	"org_id":         partOrgID,
	"upload_year":    partUploadYear,
	"upload_month":   partUploadMonth,
	"upload_day":     partUploadDay,
	"upload_hour":    partUploadHour,
	"upload_date":    partUploadDate,
	"upload_ts14":    partUploadTS14,
	"upload_unix_ms": partUploadUnixMS,
	"event_year":     partEventYear,
	"event_month":    partEventMonth,
	"event_day":      partEventDay,
	"event_date":     partEventDate,
	"unique":         partUnique,
}

var verifyPlaceholders = map[string]partKind{
	"org_id":    partOrgID,
	"timestamp": partTimestamp,
}

// SyntaxError is a problem with a template, at a byte offset of it when there is one place to
// point at.
type SyntaxError struct {
	// Offset is the byte offset in the template, or -1 when the problem is the template as a
	// whole (a placeholder it lacks).
	Offset int
	// Msg says what is wrong; Hint, when set, why it matters or what to write instead.
	Msg  string
	Hint string
}

func (e *SyntaxError) Error() string {
	s := e.Msg
	if e.Offset >= 0 {
		s += " at offset " + strconv.Itoa(e.Offset)
	}
	if e.Hint != "" {
		s += ": " + e.Hint
	}
	return s
}

func errAt(offset int, msg string) *SyntaxError { return &SyntaxError{Offset: offset, Msg: msg} }

func hintAt(offset int, msg, hint string) *SyntaxError {
	return &SyntaxError{Offset: offset, Msg: msg, Hint: hint}
}

const allowedLiterals = "letters, digits and / ! - _ . * ' ( ) ="

// safeLiteral reports whether c may appear in a template's literal text.
func safeLiteral(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '/', '!', '-', '_', '.', '*', '\'', '(', ')', '=':
		return true
	}
	return false
}

// parse splits tpl into literal runs and the placeholders named in names, and checks its
// characters, braces and path segments. It returns the first problem it meets.
func parse(tpl string, names map[string]partKind) ([]part, error) {
	if tpl == "" {
		return nil, errAt(-1, "empty template")
	}
	var parts []part
	litStart := 0
	flush := func(end int) {
		if end > litStart {
			parts = append(parts, part{kind: partLiteral, lit: tpl[litStart:end], offset: litStart})
		}
	}
	for i := 0; i < len(tpl); {
		c := tpl[i]
		switch {
		case c == '{':
			flush(i)
			end := strings.IndexAny(tpl[i+1:], "{}")
			if end < 0 || tpl[i+1+end] == '{' {
				return nil, errAt(i, "unclosed '{'")
			}
			name := tpl[i+1 : i+1+end]
			if name == "" {
				return nil, errAt(i, "empty placeholder {}")
			}
			kind, ok := names[name]
			if !ok {
				return nil, errAt(i, "unknown placeholder "+quotePlaceholder(name))
			}
			parts = append(parts, part{kind: kind, offset: i})
			i += end + 2
			litStart = i
		case c == '}':
			return nil, errAt(i, "unmatched '}'")
		case safeLiteral(c):
			i++
		default:
			r, _ := utf8.DecodeRuneInString(tpl[i:])
			return nil, hintAt(i, "character "+strconv.QuoteRune(r)+" not allowed", "use "+allowedLiterals)
		}
	}
	flush(len(tpl))
	if err := checkSegments(tpl); err != nil {
		return nil, err
	}
	return parts, nil
}

// quotePlaceholder writes name in braces as the user wrote it, or quoted when it holds
// characters that would not print plainly.
func quotePlaceholder(name string) string {
	for i := 0; i < len(name); i++ {
		if name[i] < 0x21 || name[i] > 0x7e || name[i] == '"' {
			return strconv.Quote("{" + name + "}")
		}
	}
	return "{" + name + "}"
}

// checkSegments refuses keys that object stores or file systems would read as something
// else than a plain relative path: a leading or trailing slash, empty segments, and "." or
// ".." segments. Placeholders count as text: they never expand to "", "." or "..".
func checkSegments(tpl string) error {
	if tpl[0] == '/' {
		return hintAt(0, "leading '/'", "keys are relative to the bucket")
	}
	start := 0
	for start <= len(tpl) {
		end := strings.IndexByte(tpl[start:], '/')
		last := end < 0
		if last {
			end = len(tpl)
		} else {
			end += start
		}
		switch seg := tpl[start:end]; {
		case seg == "" && last:
			return hintAt(start-1, "trailing '/'", "the template names an object, not a folder")
		case seg == "":
			return errAt(start-1, "empty path segment \"//\"")
		case seg == "." || seg == "..":
			return errAt(start, "path segment \""+seg+"\"")
		}
		if last {
			break
		}
		start = end + 1
	}
	return nil
}

// has reports whether parts contain a placeholder of one of kinds.
func has(parts []part, kinds ...partKind) bool {
	for _, p := range parts {
		for _, k := range kinds {
			if p.kind == k {
				return true
			}
		}
	}
	return false
}
