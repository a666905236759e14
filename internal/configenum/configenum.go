// Package configenum reads the collector configuration's string enumerations: settings whose
// value must be one of a fixed set of strings. It owns the check and the wording of the error
// (`id_mode "x": must be "source" or "strict"`), so that every such setting refuses a value
// the same way. What the values are and what they mean stays with each setting's type; this
// package knows nothing of any component.
package configenum

import (
	"fmt"
	"strconv"
	"strings"
)

// Parse returns text as a T when it is one of allowed; otherwise an error naming key, the
// value and the allowed values in the order given:
//
//	id_mode "x": must be "source" or "strict"
//	style "x": must be "redact", "partial" or "hmac"
//
// An empty value is accepted only when "" is among allowed (a setting whose empty value means
// a default or "none"); the error lists it as `empty`, so pass it last.
func Parse[T ~string](key string, text []byte, allowed ...T) (T, error) {
	for _, v := range allowed {
		if string(v) == string(text) {
			return v, nil
		}
	}
	return "", fmt.Errorf("%s %q: must be %s", key, text, list(allowed))
}

// list writes values as `"a"`, `"a" or "b"`, `"a", "b" or "c"`.
func list[T ~string](values []T) string {
	var b strings.Builder
	for i, v := range values {
		switch {
		case i == 0:
		case i == len(values)-1:
			b.WriteString(" or ")
		default:
			b.WriteString(", ")
		}
		if v == "" {
			b.WriteString("empty")
		} else {
			b.WriteString(strconv.Quote(string(v)))
		}
	}
	return b.String()
}
