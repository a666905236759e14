package auditevent

import (
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// goodDataFieldSet has one bit per field of goodDataFields.
type goodDataFieldSet uint32

// The fields must fit in a goodDataFieldSet.
var _ [32 - goodDataFieldCount]struct{}

// IsBookkeepingAttr tells the attributes that describe how we handled an event rather than the
// event itself: they stay out of a GoodData entry's details and an OCSF event's unmapped.
func IsBookkeepingAttr(key string) bool {
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
		if !IsBookkeepingAttr(k) {
			extras++
		}
	}
	if present&(1<<gdSuccessField) == 0 && hasStatus {
		if success, ok := successFromStatus(status); ok {
			values[gdSuccessField] = success
			present |= 1 << gdSuccessField
		}
	}

	buf = append(buf, '{')
	first := true
	for i := range goodDataFields {
		// By pointer: a copy of each field's description costs more than the lookups.
		f := &goodDataFields[i]
		ok := present&(1<<i) != 0
		if !ok && !f.always {
			continue
		}
		prefix := goodDataMemberPrefixes[i]
		if first {
			prefix = prefix[1:]
			first = false
		}
		buf = append(buf, prefix...)
		if v := values[i]; ok && f.kind == gdString && v.Type() == pcommon.ValueTypeStr {
			// Most fields are strings: written here, they spare a call each.
			buf = AppendJSONString(buf, v.Str())
			continue
		}
		buf = appendGoodDataValue(buf, f, values[i], ok, lr)
	}
	buf = appendGoodDataDetails(buf, lr, extras)
	return append(buf, '}')
}

// goodDataMemberPrefixes holds each field's `,"key":`, so that a member's key is one append.
var goodDataMemberPrefixes = func() (p [goodDataFieldCount]string) {
	for i, f := range goodDataFields {
		p[i] = `,"` + f.key + `":`
	}
	return p
}()

// trueValue and falseValue are only read: they stand in for a missing success flag.
var (
	trueValue  = pcommon.NewValueBool(true)
	falseValue = pcommon.NewValueBool(false)
)

// successFromStatus gives `success` to an event that has no success flag but whose OCSF status
// says how it went (an Airkit invalid_login is a failure). Other statuses say nothing.
func successFromStatus(status pcommon.Value) (pcommon.Value, bool) {
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

func appendGoodDataValue(buf []byte, f *goodDataField, v pcommon.Value, ok bool, lr plog.LogRecord) []byte {
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
		buf = AppendRFC3339Millis(buf, EventTime(lr))
		return append(buf, '"')
	case gdBool:
		return AppendJSONValue(buf, v)
	}
	// A string that is held as one is written by AppendGoodDataEntry itself.
	switch {
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
		if goodDataFieldOf(k) >= 0 || IsBookkeepingAttr(k) || takenInDetails(body, isMap, empty, k) {
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

// EventTime is when the event happened: its timestamp, or when we received it if the source gave
// no time.
func EventTime(lr plog.LogRecord) time.Time {
	if ts := lr.Timestamp(); ts != 0 {
		return ts.AsTime()
	}
	return lr.ObservedTimestamp().AsTime()
}
