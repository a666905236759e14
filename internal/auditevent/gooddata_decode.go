package auditevent

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// IsGoodDataEntry tells whether a decoded event has GoodData's shape.
func IsGoodDataEntry(entry pcommon.Map) bool {
	_, ok := entry.Get("eventName")
	return ok
}

// GoodDataToRecord fills lr from one decoded GoodData entry. eventName, ts and orgId are
// required; an entry without eventId gets a generated one. Fields beyond the canonical ones,
// and the entries of `details`, go into the body as a map. The first problem found is returned
// as a *FieldError.
//
// The values lr keeps as they are (strings, `details`, the other fields) are moved out of the
// entry, not copied: the entry keeps its keys, but with empty values in their place. A caller
// that needs the entry intact must pass a copy.
func GoodDataToRecord(entry pcommon.Map, lr plog.LogRecord) error {
	attrs := lr.Attributes()
	// Room for the source format, the entry's fields (nulls make no attribute), a generated id
	// and the ocsf processor's ten, so the attributes are not copied as they grow.
	attrs.EnsureCapacity(attrs.Len() + 2 + nonEmptyLen(entry) + ocsfAttrCount)
	attrs.PutStr(AttrSourceFormat, FormatGoodData)
	// The required fields are checked after the others, in this order, and by then orgId has
	// moved into lr: the loop notes their problems as it meets them.
	required := [...]struct {
		field   int
		problem string
	}{{gdEventNameField, reasonRequired}, {gdTsField, reasonRequired}, {gdOrgIDField, reasonRequired}}
	for key, v := range entry.All() {
		i := goodDataFieldOfKey(key)
		if i < 0 {
			if err := moveToGoodDataBody(key, v, lr); err != nil {
				return err
			}
			continue
		}
		for r := range required {
			if required[r].field == i {
				required[r].problem = requiredStringProblem(v, true)
			}
		}
		if err := putGoodDataField(goodDataFields[i], v, lr); err != nil {
			return err
		}
	}
	for _, r := range required {
		if r.problem != "" {
			return fieldErr(goodDataFields[r.field].key, r.problem)
		}
	}
	ensureEventID(lr)
	return nil
}

// moveToGoodDataBody moves a field that is not canonical into lr's body, or the entries of
// `details`. When the body holds nothing yet, details becomes it whole, in one move.
func moveToGoodDataBody(key string, v pcommon.Value, lr plog.LogRecord) error {
	body := lr.Body()
	if key != GoodDataDetailsKey {
		if body.Type() != pcommon.ValueTypeMap {
			body.SetEmptyMap()
		}
		v.MoveTo(body.Map().PutEmpty(key))
		return nil
	}
	switch {
	case v.Type() == pcommon.ValueTypeEmpty:
		return nil
	case v.Type() != pcommon.ValueTypeMap:
		return fieldErr(key, "must be an object, got "+JSONTypeName(v))
	case v.Map().Len() == 0:
		// Empty details add nothing: the body stays as it is, maybe empty.
		return nil
	case body.Type() != pcommon.ValueTypeMap:
		v.MoveTo(body)
		return nil
	}
	bodyMap := body.Map()
	for dk, dv := range v.Map().All() {
		dv.MoveTo(bodyMap.PutEmpty(dk))
	}
	return nil
}

func putGoodDataField(f goodDataField, v pcommon.Value, lr plog.LogRecord) error {
	attrs := lr.Attributes()
	switch f.kind {
	case gdEventName:
		name, err := requireString(f.key, v, true)
		if err != nil {
			return err
		}
		lr.SetEventName(name)
	case gdUID:
		if v.Type() == pcommon.ValueTypeEmpty {
			return nil
		}
		n, err := intOf(f.key, v)
		if err != nil {
			return err
		}
		attrs.PutInt(f.attr, n)
	case gdTime:
		s, err := requireString(f.key, v, true)
		if err != nil {
			return err
		}
		t, err := ParseRFC3339(s)
		if err != nil {
			return fieldErr(f.key, "must be an RFC 3339 time such as 2023-01-20T18:55:32.466Z")
		}
		lr.SetTimestamp(pcommon.NewTimestampFromTime(t))
	case gdBool:
		switch v.Type() {
		case pcommon.ValueTypeEmpty:
		case pcommon.ValueTypeBool:
			attrs.PutBool(f.attr, v.Bool())
		default:
			return fieldErr(f.key, "must be true or false, got "+JSONTypeName(v))
		}
	default:
		return moveString(attrs, f.attr, f.key, v)
	}
	return nil
}
