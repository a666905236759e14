package auditevent

import (
	"strconv"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

type goodDataKind uint8

const (
	gdString goodDataKind = iota
	gdEventName
	gdUID
	gdTime
	gdBool
)

type goodDataField struct {
	key  string
	kind goodDataKind
	attr string
	// always: written even when the record lacks it (with "0", "audit" or the empty name), since
	// GoodData readers count on these fields in every entry.
	always bool
}

// goodDataFields are the fields of a GoodData entry in the order GoodData writes them, followed
// by the event id, which we add to every entry so that deliveries can be counted and SIEMs can
// drop duplicates. Whatever else an entry carries lives in the record body and is written as
// `details`.
var goodDataFields = []goodDataField{
	{key: "eventName", kind: gdEventName, always: true},
	{key: "categoryUid", kind: gdUID, attr: AttrOCSFCategoryUID, always: true},
	{key: "classUid", kind: gdUID, attr: AttrOCSFClassUID, always: true},
	{key: "description", kind: gdString, attr: AttrDescription},
	{key: "ts", kind: gdTime, always: true},
	{key: "orgId", kind: gdString, attr: AttrOrgID, always: true},
	{key: "workspaceId", kind: gdString, attr: AttrWorkspaceID},
	{key: "userId", kind: gdString, attr: AttrUserID},
	{key: "target", kind: gdString, attr: AttrTarget},
	{key: "source", kind: gdString, attr: AttrClientAddress},
	{key: "errorCode", kind: gdString, attr: AttrErrorCode},
	{key: "sessionContextType", kind: gdString, attr: AttrSessionContextType},
	{key: "sessionContextIdentifier", kind: gdString, attr: AttrSessionContextIdentifier},
	{key: "success", kind: gdBool, attr: AttrSuccess},
	{key: "type", kind: gdString, attr: AttrType, always: true},
	{key: "eventId", kind: gdString, attr: AttrEventID, always: true},
}

// GoodDataDetailsKey is the entry field that holds everything beyond the canonical fields.
const GoodDataDetailsKey = "details"

var goodDataIndex = func() map[string]int {
	idx := make(map[string]int, len(goodDataFields))
	for i, f := range goodDataFields {
		idx[f.key] = i
	}
	return idx
}()

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
					err = fieldErr(key, "must be an object, got "+typeName(v))
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
			return fieldErr(f.key, "must be true or false, got "+typeName(v))
		}
	default:
		return putString(attrs, f.attr, f.key, v)
	}
	return nil
}

// AppendGoodDataEntry appends lr as one GoodData entry (a JSON object, no newline).
func AppendGoodDataEntry(buf []byte, lr plog.LogRecord) []byte {
	attrs := lr.Attributes()
	buf = append(buf, '{')
	first := true
	for _, f := range goodDataFields {
		v, ok := attrs.Get(f.attr)
		if f.attr == "" {
			ok = true
		}
		if !ok && !f.always {
			continue
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = append(buf, '"')
		buf = append(buf, f.key...)
		buf = append(buf, '"', ':')
		switch f.kind {
		case gdEventName:
			buf = AppendJSONString(buf, lr.EventName())
		case gdUID:
			buf = append(buf, '"')
			if ok {
				buf = appendIntText(buf, v)
			} else {
				buf = append(buf, '0')
			}
			buf = append(buf, '"')
		case gdTime:
			buf = append(buf, '"')
			buf = AppendRFC3339Millis(buf, timeOf(lr))
			buf = append(buf, '"')
		case gdBool:
			buf = AppendJSONValue(buf, v)
		default:
			switch {
			case ok:
				buf = AppendJSONString(buf, v.AsString())
			case f.attr == AttrType:
				buf = AppendJSONString(buf, DefaultGoodDataType)
			default:
				buf = append(buf, `""`...)
			}
		}
	}
	if body := lr.Body(); body.Type() != pcommon.ValueTypeEmpty && !(body.Type() == pcommon.ValueTypeMap && body.Map().Len() == 0) {
		buf = append(buf, `,"`+GoodDataDetailsKey+`":`...)
		buf = AppendJSONValue(buf, body)
	}
	return append(buf, '}')
}

func appendIntText(buf []byte, v pcommon.Value) []byte {
	if v.Type() == pcommon.ValueTypeInt {
		return strconv.AppendInt(buf, v.Int(), 10)
	}
	return append(buf, v.AsString()...)
}

// timeOf is when the event happened: its timestamp, or when we received it if the source gave
// no time.
func timeOf(lr plog.LogRecord) time.Time {
	if ts := lr.Timestamp(); ts != 0 {
		return ts.AsTime()
	}
	return lr.ObservedTimestamp().AsTime()
}
