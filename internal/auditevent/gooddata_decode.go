package auditevent

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditship/auditship/internal/credential"
)

// Keys of GoodData entries: eventName marks one. The camelCase events of Airkit call their
// event id eventId too.
const (
	goodDataEventName = "eventName"
	goodDataTs        = "ts"
	goodDataEventID   = "eventId"
)

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
	e := eventOf(entry)
	return convertGoodData(e, madeBound(e.nonEmpty(), false), lr, rules, received)
}

// convertGoodData is ConvertGoodData for an entry of which at most made attributes are made.
func convertGoodData(entry *Event, made int, lr plog.LogRecord, rules *Rules, received pcommon.Timestamp) error {
	w := &entry.record
	w.start(lr, made)
	w.putAttr(AttrSourceFormat).SetStr(FormatGoodData)
	seen, err := putGoodDataFields(entry, w, rules)
	w.done()
	if err != nil {
		return err
	}
	return finishRecord(lr, seen, rules, received, &goodDataNames)
}

// putGoodDataFields stores the fields of entry in the record w fills, and returns which it
// gives.
func putGoodDataFields(entry *Event, w *recordWriter, rules *Rules) (presence, error) {
	var seen presence
	for j := range entry.members {
		m := &entry.members[j]
		key, v := m.key, &m.val
		i := int(m.keyRoles().goodData)
		if i < 0 {
			if err := moveToGoodDataBody(key, v, w.lr); err != nil {
				return seen, err
			}
			continue
		}
		f := &goodDataFields[i]
		if err := putField(f.field, f.key, v, w, rules, &seen, goodDataTimeHint, false); err != nil {
			return seen, err
		}
	}
	return seen, nil
}

// moveToGoodDataBody moves a field that is not canonical into lr's body, or the entries of
// `details`. When the body holds nothing yet, details becomes it whole, in one move. Both end
// up in the file's details, so a field that is also an entry of details is refused: one of
// the two would be lost.
func moveToGoodDataBody(key string, v *fieldValue, lr plog.LogRecord) error {
	body := lr.Body()
	if key != GoodDataDetailsKey {
		if body.Type() != pcommon.ValueTypeMap {
			body.SetEmptyMap()
		} else if _, taken := body.Map().Get(key); taken {
			return errInDetailsToo(key)
		}
		v.putTo(body.Map(), key)
		return nil
	}
	// An object is always a pcommon value (v.v).
	switch {
	case v.typ == pcommon.ValueTypeEmpty:
		return nil
	case v.typ != pcommon.ValueTypeMap:
		return fieldErr(key, "must be an object, got "+typeName(v.typ))
	case v.v.Map().Len() == 0:
		// Empty details add nothing: the body stays as it is, maybe empty.
		return nil
	case body.Type() != pcommon.ValueTypeMap:
		v.v.MoveTo(body)
		return nil
	}
	bodyMap := body.Map()
	for dk := range v.v.Map().All() {
		if _, taken := bodyMap.Get(dk); taken {
			return errInDetailsToo(dk)
		}
	}
	for dk, dv := range v.v.Map().All() {
		dv.MoveTo(bodyMap.PutEmpty(dk))
	}
	return nil
}

// errInDetailsToo refuses key, found both in the entry and in its details. Any key may come
// here, so one that looks like a credential is not named (the answer and the log would carry
// it); the line or index of the event still points the sender at it.
func errInDetailsToo(key string) *FieldError {
	const reason = "is both a field of the entry and an entry of " + GoodDataDetailsKey + "; one of the two would be lost"
	if credential.InName(key) {
		return fieldErr("", "a key that looks like a credential (not named here) "+reason)
	}
	return fieldErr(key, reason)
}
