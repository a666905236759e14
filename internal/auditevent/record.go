package auditevent

import (
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// OrgID returns the record's tenant key, or "" when it has none.
func OrgID(lr plog.LogRecord) string {
	return StrAttr(lr, AttrOrgID)
}

// EventID returns the record's event id, or "" when it has none.
func EventID(lr plog.LogRecord) string {
	return StrAttr(lr, AttrEventID)
}

// StrAttr returns the string attribute key of lr, or "" when it is absent or not a string.
func StrAttr(lr plog.LogRecord, key string) string {
	if v, ok := lr.Attributes().Get(key); ok && v.Type() == pcommon.ValueTypeStr {
		return v.Str()
	}
	return ""
}

const reasonRequired = "is required"

// intOf reads an integer given as a JSON integer or as a string of digits (GoodData writes its
// OCSF uids as strings).
func intOf(field string, v *fieldValue) (int64, error) {
	switch v.typ {
	case pcommon.ValueTypeInt:
		return v.num, nil
	case pcommon.ValueTypeStr:
		i, err := strconv.ParseInt(v.str, 10, 64)
		if err != nil {
			return 0, fieldErr(field, "must be an integer")
		}
		return i, nil
	default:
		return 0, fieldErr(field, "must be an integer or a string of digits, got "+typeName(v.typ))
	}
}

// JSONTypeName names v's JSON type for messages ("a string", "an object", "null"...): never
// its value, which may be a secret.
func JSONTypeName(v pcommon.Value) string {
	return typeName(v.Type())
}

// typeName names a JSON type as JSONTypeName does.
func typeName(t pcommon.ValueType) string {
	switch t {
	case pcommon.ValueTypeStr:
		return "a string"
	case pcommon.ValueTypeInt, pcommon.ValueTypeDouble:
		return "a number"
	case pcommon.ValueTypeBool:
		return "a boolean"
	case pcommon.ValueTypeMap:
		return "an object"
	case pcommon.ValueTypeSlice:
		return "an array"
	case pcommon.ValueTypeEmpty:
		return "null"
	default:
		return t.String()
	}
}

// ensureEventID gives the record a generated id when the source gave none.
func ensureEventID(lr plog.LogRecord) {
	if EventID(lr) == "" {
		lr.Attributes().PutStr(AttrEventID, NewEventID())
	}
}
