package auditevent

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// goodDataEventName is the key that marks a GoodData entry.
const goodDataEventName = "eventName"

// GoodDataToRecord fills lr from one decoded GoodData entry with the DefaultRules: eventName,
// ts and orgId are required. See ConvertGoodData.
func GoodDataToRecord(entry pcommon.Map, lr plog.LogRecord) error {
	return ConvertGoodData(entry, lr, &DefaultRules, 0)
}

// goodDataNames name the canonical fields as GoodData does, for problems.
var goodDataNames = func() fieldNames {
	names := canonicalNames
	for _, f := range goodDataFields {
		names[f.field] = f.key
	}
	return names
}()

const goodDataTimeHint = "an RFC 3339 time such as 2023-01-20T18:55:32.466Z"

// ConvertGoodData fills lr from one decoded GoodData entry, with rules deciding the required
// fields and the time of an entry without ts (received is when it arrived). An entry without
// eventId gets a generated one. Fields beyond the canonical ones, and the entries of
// `details`, go into the body as a map. The first problem found is returned as a *FieldError.
//
// The values lr keeps as they are (strings, `details`, the other fields) are moved out of the
// entry, not copied: the entry keeps its keys, but with empty values in their place. A caller
// that needs the entry intact must pass a copy.
func ConvertGoodData(entry pcommon.Map, lr plog.LogRecord, rules *Rules, received pcommon.Timestamp) error {
	return convertGoodData(entry, nonEmptyLen(entry), lr, rules, received)
}

// convertGoodData is ConvertGoodData for an entry of which nonEmpty entries are not null.
func convertGoodData(entry pcommon.Map, nonEmpty int, lr plog.LogRecord, rules *Rules, received pcommon.Timestamp) error {
	attrs := lr.Attributes()
	// Room for the source format, the entry's fields (nulls make no attribute) and a generated
	// id, so the attributes are not copied as they grow. Nothing more: what processors add is
	// theirs to reserve (the ocsf processor does), and a pipeline without them would carry the
	// room unused.
	attrs.EnsureCapacity(attrs.Len() + 2 + nonEmpty)
	attrs.PutStr(AttrSourceFormat, FormatGoodData)
	var seen presence
	for key, v := range entry.All() {
		i := goodDataFieldOfKey(key)
		if i < 0 {
			if err := moveToGoodDataBody(key, v, lr); err != nil {
				return err
			}
			continue
		}
		f := &goodDataFields[i]
		seen.note(f.field, v)
		if err := putField(f.field, f.key, v, lr, rules, goodDataTimeHint, false); err != nil {
			return err
		}
	}
	return finishRecord(lr, seen, rules, received, &goodDataNames)
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
