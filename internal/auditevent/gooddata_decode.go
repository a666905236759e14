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
func GoodDataToRecord(entry pcommon.Map, lr plog.LogRecord) error {
	attrs := lr.Attributes()
	// Room for the entry's fields and the ocsf processor's ten, so the attributes are not
	// copied as they grow.
	attrs.EnsureCapacity(attrs.Len() + entry.Len() + ocsfAttrCount)
	attrs.PutStr(AttrSourceFormat, FormatGoodData)
	var body pcommon.Map
	bodyMap := func() pcommon.Map {
		if lr.Body().Type() != pcommon.ValueTypeMap {
			body = lr.Body().SetEmptyMap()
		}
		return body
	}
	var err error
	for key, v := range entry.All() {
		i, known := goodDataIndex[key]
		if !known {
			if key == GoodDataDetailsKey {
				if v.Type() == pcommon.ValueTypeEmpty {
					continue
				}
				if v.Type() != pcommon.ValueTypeMap {
					err = fieldErr(key, "must be an object, got "+JSONTypeName(v))
					break
				}
				for dk, dv := range v.Map().All() {
					dv.CopyTo(bodyMap().PutEmpty(dk))
				}
				continue
			}
			v.CopyTo(bodyMap().PutEmpty(key))
			continue
		}
		if err = putGoodDataField(goodDataFields[i], v, lr); err != nil {
			break
		}
	}
	if err != nil {
		return err
	}
	for _, key := range [...]string{"eventName", "ts", "orgId"} {
		v, ok := entry.Get(key)
		if _, err := requireString(key, v, ok); err != nil {
			return err
		}
	}
	ensureEventID(lr)
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
		return putString(attrs, f.attr, f.key, v)
	}
	return nil
}
