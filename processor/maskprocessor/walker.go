package maskprocessor

import (
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// maxLoggedPaths bounds the paths one debug log line lists.
const maxLoggedPaths = 64

// walker masks one record's values. It is not safe for concurrent use: each batch gets its own,
// and reuses it for every record of the batch.
type walker struct {
	m           *matcher
	replacement string
	scratch     []byte

	// masked counts the values masked in the current record.
	masked int

	// trackPaths is set when debug logging is on; only then are paths built, since they cost
	// appends for every value visited.
	trackPaths bool
	path       []byte
	paths      []string
}

// walkRecord masks attrs and body and returns how many values it masked.
func (w *walker) walkRecord(attrs pcommon.Map, body pcommon.Value) int {
	w.masked = 0
	w.path = append(w.path[:0], "attributes"...)
	w.walkMap(attrs, false)
	w.path = append(w.path[:0], "body"...)
	switch body.Type() {
	case pcommon.ValueTypeMap:
		w.walkMap(body.Map(), true)
	case pcommon.ValueTypeSlice:
		w.walkSlice(body.Slice())
	}
	return w.masked
}

// walkMap masks every value under a credential key and looks inside the rest. A nested map that
// is a name/value pair naming a credential ({"name": "password", "value": "..."}, the shape of
// GoodData's data source parameters) has its value masked too; the record's attributes are not
// such a pair, so pairs is false for them.
func (w *walker) walkMap(m pcommon.Map, pairs bool) {
	var pairValue pcommon.Value
	var pairKey string
	hasPairValue, pairIsCredential := false, false
	for k, v := range m.All() {
		mark := len(w.path)
		if w.trackPaths {
			w.path = append(append(w.path, '.'), k...)
		}
		if w.m.isCredentialKey(k, &w.scratch) {
			w.maskAll(v)
			w.path = w.path[:mark]
			continue
		}
		if pairs {
			switch k {
			case "value", "Value":
				pairKey, pairValue, hasPairValue = k, v, true
			case "name", "key", "Name", "Key":
				if v.Type() == pcommon.ValueTypeStr && w.m.isCredentialKey(v.Str(), &w.scratch) {
					pairIsCredential = true
				}
			}
		}
		switch v.Type() {
		case pcommon.ValueTypeMap:
			w.walkMap(v.Map(), true)
		case pcommon.ValueTypeSlice:
			w.walkSlice(v.Slice())
		}
		w.path = w.path[:mark]
	}
	if hasPairValue && pairIsCredential {
		mark := len(w.path)
		if w.trackPaths {
			w.path = append(append(w.path, '.'), pairKey...)
		}
		w.maskAll(pairValue)
		w.path = w.path[:mark]
	}
}

func (w *walker) walkSlice(s pcommon.Slice) {
	for i := 0; i < s.Len(); i++ {
		v := s.At(i)
		mark := len(w.path)
		if w.trackPaths {
			w.path = strconv.AppendInt(append(w.path, '['), int64(i), 10)
			w.path = append(w.path, ']')
		}
		switch v.Type() {
		case pcommon.ValueTypeMap:
			w.walkMap(v.Map(), true)
		case pcommon.ValueTypeSlice:
			w.walkSlice(v.Slice())
		}
		w.path = w.path[:mark]
	}
}

// maskAll masks v if it is a scalar, or every scalar leaf beneath it, keeping the structure so
// that consumers still see which fields were there.
func (w *walker) maskAll(v pcommon.Value) {
	switch v.Type() {
	case pcommon.ValueTypeMap:
		for k, child := range v.Map().All() {
			mark := len(w.path)
			if w.trackPaths {
				w.path = append(append(w.path, '.'), k...)
			}
			w.maskAll(child)
			w.path = w.path[:mark]
		}
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		for i := 0; i < s.Len(); i++ {
			mark := len(w.path)
			if w.trackPaths {
				w.path = strconv.AppendInt(append(w.path, '['), int64(i), 10)
				w.path = append(w.path, ']')
			}
			w.maskAll(s.At(i))
			w.path = w.path[:mark]
		}
	default:
		if w.maskScalar(v) && w.trackPaths && len(w.paths) < maxLoggedPaths {
			w.paths = append(w.paths, string(w.path))
		}
	}
}

// maskScalar replaces one scalar and reports whether it did. Left alone: null and empty values
// (nothing to hide, and masking them would make absence look like a secret), booleans (one bit
// holds no credential; has_password: true is worth keeping), and values already masked, so that
// masking twice counts nothing the second time.
func (w *walker) maskScalar(v pcommon.Value) bool {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		if s := v.Str(); s == "" || s == w.replacement {
			return false
		}
	case pcommon.ValueTypeBytes:
		if v.Bytes().Len() == 0 {
			return false
		}
	case pcommon.ValueTypeInt, pcommon.ValueTypeDouble:
		// A numeric PIN or token is still a credential.
	default:
		return false
	}
	v.SetStr(w.replacement)
	w.masked++
	return true
}
