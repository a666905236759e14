package auditevent

import (
	"strconv"
	"strings"
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

// Positions of the fields in goodDataFields.
const (
	gdEventNameField = iota
	gdCategoryUIDField
	gdClassUIDField
	gdDescriptionField
	gdTsField
	gdOrgIDField
	gdWorkspaceIDField
	gdUserIDField
	gdTargetField
	gdSourceField
	gdErrorCodeField
	gdSessionContextTypeField
	gdSessionContextIdentifierField
	gdSuccessField
	gdTypeField
	gdEventIDField
	goodDataFieldCount
)

// goodDataFields are the fields of a GoodData entry in the order GoodData writes them, followed
// by the event id, which we add to every entry so that deliveries can be counted and SIEMs can
// drop duplicates. Whatever else an entry carries lives in the record body and is written as
// `details`.
var goodDataFields = [goodDataFieldCount]goodDataField{
	gdEventNameField:                {key: "eventName", kind: gdEventName, always: true},
	gdCategoryUIDField:              {key: "categoryUid", kind: gdUID, attr: AttrOCSFCategoryUID, always: true},
	gdClassUIDField:                 {key: "classUid", kind: gdUID, attr: AttrOCSFClassUID, always: true},
	gdDescriptionField:              {key: "description", kind: gdString, attr: AttrDescription},
	gdTsField:                       {key: "ts", kind: gdTime, always: true},
	gdOrgIDField:                    {key: "orgId", kind: gdString, attr: AttrOrgID, always: true},
	gdWorkspaceIDField:              {key: "workspaceId", kind: gdString, attr: AttrWorkspaceID},
	gdUserIDField:                   {key: "userId", kind: gdString, attr: AttrUserID},
	gdTargetField:                   {key: "target", kind: gdString, attr: AttrTarget},
	gdSourceField:                   {key: "source", kind: gdString, attr: AttrClientAddress},
	gdErrorCodeField:                {key: "errorCode", kind: gdString, attr: AttrErrorCode},
	gdSessionContextTypeField:       {key: "sessionContextType", kind: gdString, attr: AttrSessionContextType},
	gdSessionContextIdentifierField: {key: "sessionContextIdentifier", kind: gdString, attr: AttrSessionContextIdentifier},
	gdSuccessField:                  {key: "success", kind: gdBool, attr: AttrSuccess},
	gdTypeField:                     {key: "type", kind: gdString, attr: AttrType, always: true},
	gdEventIDField:                  {key: "eventId", kind: gdString, attr: AttrEventID, always: true},
}

// goodDataFieldOf returns the position of the field that writes attribute attr, or -1. It is a
// switch rather than a map because it runs for every attribute of every record, and the
// compiled switch costs a fraction of a hash lookup. TestGoodDataFieldOf keeps it in step with
// goodDataFields.
func goodDataFieldOf(attr string) int {
	switch attr {
	case AttrOCSFCategoryUID:
		return gdCategoryUIDField
	case AttrOCSFClassUID:
		return gdClassUIDField
	case AttrDescription:
		return gdDescriptionField
	case AttrOrgID:
		return gdOrgIDField
	case AttrWorkspaceID:
		return gdWorkspaceIDField
	case AttrUserID:
		return gdUserIDField
	case AttrTarget:
		return gdTargetField
	case AttrClientAddress:
		return gdSourceField
	case AttrErrorCode:
		return gdErrorCodeField
	case AttrSessionContextType:
		return gdSessionContextTypeField
	case AttrSessionContextIdentifier:
		return gdSessionContextIdentifierField
	case AttrSuccess:
		return gdSuccessField
	case AttrType:
		return gdTypeField
	case AttrEventID:
		return gdEventIDField
	}
	return -1
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

// goodDataFieldSet has one bit per field of goodDataFields.
type goodDataFieldSet uint32

// The fields must fit in a goodDataFieldSet.
var _ [32 - goodDataFieldCount]struct{}

// isBookkeepingAttr tells the attributes that describe how we handled an event rather than the
// event itself: they stay out of a GoodData entry's details.
func isBookkeepingAttr(key string) bool {
	return key == AttrSourceFormat || strings.HasPrefix(key, "ocsf.") || strings.HasPrefix(key, "mask.")
}

// goodDataBodyKey names a body that is not an object when it has to share `details` with
// attributes.
const goodDataBodyKey = "body"

// AppendGoodDataEntry appends lr as one GoodData entry (a JSON object, no newline).
//
// An event from another source keeps every field: attributes that no GoodData field holds and
// that are not bookkeeping (audit.source.format, ocsf.*, mask.*) are written in `details` under
// their attribute names, after the body's entries. A body key wins over an attribute of the same
// name. A GoodData entry has no such attributes, so it comes out exactly as it went in.
func AppendGoodDataEntry(buf []byte, lr plog.LogRecord) []byte {
	attrs := lr.Attributes()
	// One pass over the attributes finds every field's value: a Get per field would scan the
	// attributes once per field.
	var values [goodDataFieldCount]pcommon.Value
	var present goodDataFieldSet
	var status pcommon.Value
	hasStatus, extras := false, 0
	for k, v := range attrs.All() {
		if i := goodDataFieldOf(k); i >= 0 {
			if present&(1<<i) == 0 {
				values[i] = v
				present |= 1 << i
			}
			continue
		}
		if k == AttrOCSFStatusID {
			status, hasStatus = v, true
		}
		if !isBookkeepingAttr(k) {
			extras++
		}
	}
	success, hasSuccess := successFromStatus(status, hasStatus)

	buf = append(buf, '{')
	first := true
	for i, f := range goodDataFields {
		v, ok := values[i], present&(1<<i) != 0
		if i == gdSuccessField && !ok && hasSuccess {
			v, ok = success, true
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
		buf = appendGoodDataValue(buf, f, v, ok, lr)
	}
	buf = appendGoodDataDetails(buf, lr, extras)
	return append(buf, '}')
}

// trueValue and falseValue are only read: they stand in for a missing success flag.
var (
	trueValue  = pcommon.NewValueBool(true)
	falseValue = pcommon.NewValueBool(false)
)

// successFromStatus gives `success` to an event that has no success flag but whose OCSF status
// says how it went (an Airkit invalid_login is a failure). Other statuses say nothing.
func successFromStatus(status pcommon.Value, ok bool) (pcommon.Value, bool) {
	if !ok {
		return pcommon.Value{}, false
	}
	var id int64
	switch status.Type() {
	case pcommon.ValueTypeInt:
		id = status.Int()
	case pcommon.ValueTypeStr:
		n, err := strconv.ParseInt(status.Str(), 10, 64)
		if err != nil {
			return pcommon.Value{}, false
		}
		id = n
	default:
		return pcommon.Value{}, false
	}
	switch id {
	case ocsfStatusSuccess:
		return trueValue, true
	case ocsfStatusFailure:
		return falseValue, true
	}
	return pcommon.Value{}, false
}

// OCSF status_id values that decide `success`.
const (
	ocsfStatusSuccess = 1
	ocsfStatusFailure = 2
)

func appendGoodDataValue(buf []byte, f goodDataField, v pcommon.Value, ok bool, lr plog.LogRecord) []byte {
	switch f.kind {
	case gdEventName:
		return AppendJSONString(buf, lr.EventName())
	case gdUID:
		switch {
		case !ok:
			return append(buf, `"0"`...)
		case v.Type() == pcommon.ValueTypeInt:
			buf = append(buf, '"')
			buf = strconv.AppendInt(buf, v.Int(), 10)
			return append(buf, '"')
		default:
			return AppendJSONString(buf, v.AsString())
		}
	case gdTime:
		buf = append(buf, '"')
		buf = AppendRFC3339Millis(buf, timeOf(lr))
		return append(buf, '"')
	case gdBool:
		return AppendJSONValue(buf, v)
	}
	switch {
	case ok && v.Type() == pcommon.ValueTypeStr:
		return AppendJSONString(buf, v.Str())
	case ok:
		return AppendJSONString(buf, v.AsString())
	case f.attr == AttrType:
		return AppendJSONString(buf, DefaultGoodDataType)
	default:
		return append(buf, `""`...)
	}
}

// appendGoodDataDetails writes `details` (with its leading comma) when the body or the extra
// attributes give it any content.
func appendGoodDataDetails(buf []byte, lr plog.LogRecord, extras int) []byte {
	body := lr.Body()
	isMap := body.Type() == pcommon.ValueTypeMap
	empty := body.Type() == pcommon.ValueTypeEmpty || (isMap && body.Map().Len() == 0)
	if extras == 0 {
		if empty {
			return buf
		}
		buf = append(buf, `,"`+GoodDataDetailsKey+`":`...)
		return AppendJSONValue(buf, body)
	}
	buf = append(buf, `,"`+GoodDataDetailsKey+`":{`...)
	n := 0
	switch {
	case isMap:
		for k, v := range body.Map().All() {
			buf = appendJSONMember(buf, n, k, v)
			n++
		}
	case !empty:
		buf = appendJSONMember(buf, n, goodDataBodyKey, body)
		n++
	}
	for k, v := range lr.Attributes().All() {
		if goodDataFieldOf(k) >= 0 || isBookkeepingAttr(k) || takenInDetails(body, isMap, empty, k) {
			continue
		}
		buf = appendJSONMember(buf, n, k, v)
		n++
	}
	return append(buf, '}')
}

// appendJSONMember appends "k":v as the n-th member of an object.
func appendJSONMember(buf []byte, n int, k string, v pcommon.Value) []byte {
	if n > 0 {
		buf = append(buf, ',')
	}
	buf = AppendJSONString(buf, k)
	buf = append(buf, ':')
	return AppendJSONValue(buf, v)
}

// takenInDetails tells whether the body already wrote key into details; JSON objects with a
// key twice are read differently by different readers, so the attribute gives way.
func takenInDetails(body pcommon.Value, isMap, empty bool, key string) bool {
	if isMap {
		_, ok := body.Map().Get(key)
		return ok
	}
	return !empty && key == goodDataBodyKey
}

// timeOf is when the event happened: its timestamp, or when we received it if the source gave
// no time.
func timeOf(lr plog.LogRecord) time.Time {
	if ts := lr.Timestamp(); ts != 0 {
		return ts.AsTime()
	}
	return lr.ObservedTimestamp().AsTime()
}
