package auditevent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// DecodeJSONValue reads the next JSON value from dec into v, keeping the order of object keys
// and the distinction between integers and other numbers, so that what comes in goes out the
// same. dec must have UseNumber set.
func DecodeJSONValue(dec *json.Decoder, v pcommon.Value) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	return decodeFromToken(dec, tok, v)
}

func decodeFromToken(dec *json.Decoder, tok json.Token, v pcommon.Value) error {
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := v.SetEmptyMap()
			for dec.More() {
				keyTok, err := dec.Token()
				if err != nil {
					return err
				}
				key, ok := keyTok.(string)
				if !ok {
					return errors.New("object key is not a string")
				}
				if err := DecodeJSONValue(dec, m.PutEmpty(key)); err != nil {
					return err
				}
			}
		case '[':
			s := v.SetEmptySlice()
			for dec.More() {
				if err := DecodeJSONValue(dec, s.AppendEmpty()); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("unexpected %q", rune(t))
		}
		_, err := dec.Token() // the closing delimiter
		return err
	case string:
		v.SetStr(t)
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			v.SetInt(i)
			return nil
		}
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil {
			return fmt.Errorf("number %s out of range", t)
		}
		v.SetDouble(f)
	case bool:
		v.SetBool(t)
	case nil:
		// An empty Value is JSON null.
	default:
		return fmt.Errorf("unexpected token %T", tok)
	}
	return nil
}

// ParseJSONObject decodes one JSON object from data into m (cleared first).
func ParseJSONObject(data []byte, m pcommon.Map) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v := pcommon.NewValueEmpty()
	if err := DecodeJSONValue(dec, v); err != nil {
		return err
	}
	if v.Type() != pcommon.ValueTypeMap {
		return errors.New("not a JSON object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON object")
	}
	m.Clear()
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

// AppendJSONString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as in
// encoding/json; <, > and & are left alone because the output is a data file, not HTML.
func AppendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
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
