package auditevent

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// ParseJSONObject decodes one JSON object from data into m, replacing what m held. On error
// m is left as it was.
func ParseJSONObject(data []byte, m pcommon.Map) error {
	v := pcommon.NewValueEmpty()
	if err := DecodeJSON(data, v); err != nil {
		return err
	}
	if v.Type() != pcommon.ValueTypeMap {
		return errors.New("not a JSON object")
	}
	v.Map().MoveTo(m)
	return nil
}

// AppendJSONValue appends v as JSON. Bytes are written as base64 strings, as encoding/json
// does; non-finite doubles, which JSON cannot hold, as null.
func AppendJSONValue(buf []byte, v pcommon.Value) []byte {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return AppendJSONString(buf, v.Str())
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(buf, v.Int(), 10)
	case pcommon.ValueTypeDouble:
		f := v.Double()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return append(buf, "null"...)
		}
		return strconv.AppendFloat(buf, f, 'g', -1, 64)
	case pcommon.ValueTypeBool:
		return strconv.AppendBool(buf, v.Bool())
	case pcommon.ValueTypeMap:
		return AppendJSONMap(buf, v.Map())
	case pcommon.ValueTypeSlice:
		buf = append(buf, '[')
		s := v.Slice()
		for i := 0; i < s.Len(); i++ {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = AppendJSONValue(buf, s.At(i))
		}
		return append(buf, ']')
	case pcommon.ValueTypeBytes:
		return AppendJSONString(buf, v.AsString())
	default:
		return append(buf, "null"...)
	}
}

// AppendJSONMap appends m as a JSON object, keys in their stored order.
func AppendJSONMap(buf []byte, m pcommon.Map) []byte {
	buf = append(buf, '{')
	first := true
	for k, v := range m.All() {
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = AppendJSONString(buf, k)
		buf = append(buf, ':')
		buf = AppendJSONValue(buf, v)
	}
	return append(buf, '}')
}

const hexDigits = "0123456789abcdef"

// stringWord reads s[i:i+8] as a little-endian word (the compiler makes it one load), as
// binary.LittleEndian.Uint64 does for a byte slice.
func stringWord(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// stringHalfWord reads s[i:i+4] as a little-endian word, as stringWord does eight bytes.
func stringHalfWord(s string, i int) uint32 {
	s = s[i : i+4]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

// AppendJSONString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as in
// encoding/json; <, > and & are left alone because the output is a data file, not HTML.
func AppendJSONString(buf []byte, s string) []byte {
	// Most text of an audit event needs no escaping: room for it as it is is made once, and it
	// is copied there eight bytes at a time as it is checked (a function call for the copy
	// costs as much as the copy). Once a byte needs care, appendEscaped writes the rest.
	n := len(buf)
	buf = slices.Grow(buf, len(s)+2)[:n+len(s)+2]
	buf[n] = '"'
	text := buf[n+1 : n+1+len(s)]
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := stringWord(s, i)
		if notPlain(w) != 0 {
			return appendEscaped(buf[:n+1+i], s, i)
		}
		// text[i:i+8] rather than text[i:]: with its length a constant, the compiler checks
		// less around the store.
		binary.LittleEndian.PutUint64(text[i:i+8], w)
	}
	switch {
	case len(s) >= 8:
		// The last bytes, as the word that ends s: the bytes it writes again are the same.
		w := stringWord(s, len(s)-8)
		if notPlain(w) != 0 {
			return appendEscaped(buf[:n+1+i], s, i)
		}
		binary.LittleEndian.PutUint64(text[len(s)-8:len(s)], w)
	case len(s) >= 4:
		// Short values (a tenant, a type, a word of details) are common: their first and last
		// four bytes, which overlap, are checked as one word rather than byte by byte.
		head, tail := stringHalfWord(s, 0), stringHalfWord(s, len(s)-4)
		if notPlain(uint64(head)|uint64(tail)<<32) != 0 {
			return appendEscaped(buf[:n+1], s, 0)
		}
		binary.LittleEndian.PutUint32(text, head)
		binary.LittleEndian.PutUint32(text[len(s)-4:len(s)], tail)
	default:
		for ; i < len(s); i++ {
			if !jsonPlain[s[i]] {
				return appendEscaped(buf[:n+1+i], s, i)
			}
			text[i] = s[i]
		}
	}
	buf[len(buf)-1] = '"'
	return buf
}

// appendEscaped appends the text of s from its byte i on, escaped for a JSON string, and the
// closing quote.
func appendEscaped(buf []byte, s string, i int) []byte {
	start := i
	for i < len(s) {
		// Eight plain bytes at a time, for the text between the bytes that need care.
		if i+8 <= len(s) && notPlain(stringWord(s, i)) == 0 {
			i += 8
			continue
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		// U+2028 and U+2029 are valid JSON but break JavaScript readers of NDJSON.
		if r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
