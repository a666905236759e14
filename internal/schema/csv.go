package schema

import (
	"bytes"
	"slices"
	"unicode/utf8"
)

// csvLineEnd ends every CSV line, as RFC 4180 asks.
const csvLineEnd = "\r\n"

// Classes of bytes in a CSV field.
const (
	csvQuote    = 1 << iota // doubled, and the field quoted
	csvSpecial              // the field quoted
	csvNonASCII             // the field checked for valid UTF-8
)

// csvByteClass classifies every byte at once, so that the common field, plain ASCII, costs one
// table load per byte.
var csvByteClass = func() (t [256]uint8) {
	t['"'] = csvQuote
	// A backslash is an escape in unquoted fields for Snowflake (ESCAPE_UNENCLOSED_FIELD defaults
	// to it) and PostgreSQL COPY, but plain text inside quotes.
	t[','], t['\r'], t['\n'], t['\\'] = csvSpecial, csvSpecial, csvSpecial, csvSpecial
	for c := utf8.RuneSelf; c < 256; c++ {
		t[c] = csvNonASCII
	}
	return t
}()

// finishCSVField turns the text of a present value, appended to buf from start, into a CSV
// field: quoted when its text needs it, and `""` when it is empty, because an empty unquoted
// field is how the file says NULL.
//
// It works in place on buf so that encoding a row allocates nothing.
func finishCSVField(buf []byte, start int) []byte {
	field := buf[start:]
	if len(field) == 0 {
		return append(buf, '"', '"')
	}
	var class uint8
	for _, c := range field {
		class |= csvByteClass[c]
	}
	if class&csvNonASCII != 0 && !utf8.Valid(field) {
		// Warehouses refuse a file with invalid UTF-8; replace as the JSON formats do. Rare
		// enough that the copy does not matter.
		fixed := bytes.ToValidUTF8(field, []byte("\uFFFD"))
		return finishCSVField(append(buf[:start], fixed...), start)
	}
	// Leading or trailing blanks are quoted so that readers which trim unquoted fields keep
	// them.
	first, last := field[0], field[len(field)-1]
	edge := first == ' ' || first == '\t' || last == ' ' || last == '\t'
	if class&(csvQuote|csvSpecial) == 0 && !edge {
		return buf
	}
	quotes := 0
	if class&csvQuote != 0 {
		quotes = bytes.Count(field, []byte{'"'})
	}
	return quoteInPlace(buf, start, quotes)
}

// quoteInPlace wraps buf[start:] in quotes and doubles the quotes inside, moving the text from
// its end so that no copy of the field is needed.
func quoteInPlace(buf []byte, start, quotes int) []byte {
	end := len(buf)
	buf = slices.Grow(buf, quotes+2)[:end+quotes+2]
	w := len(buf) - 1
	buf[w] = '"'
	w--
	for r := end - 1; r >= start; r-- {
		buf[w] = buf[r]
		w--
		if buf[r] == '"' {
			buf[w] = '"'
			w--
		}
	}
	buf[w] = '"'
	return buf
}
