package auditevent

import (
	"strconv"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// AirkitType is the Snowflake type of an Airkit column.
type AirkitType uint8

const (
	AirkitVarchar AirkitType = iota
	AirkitNumber
	AirkitDate
	AirkitTimestampNTZ
)

// AirkitColumn is one of the 29 columns of an Airkit audit row.
type AirkitColumn struct {
	Name string
	Type AirkitType
	// attr holds the column's value in the record; empty for the columns derived from the
	// record's timestamp or stored as its event name.
	attr string
}

const (
	airkitEventYear  = "EVENT_YEAR"
	airkitEventMonth = "EVENT_MONTH"
	airkitEventDate  = "EVENT_DATE"
	airkitEventTime  = "EVENT_TIME"
	airkitEventType  = "EVENT_TYPE"
	airkitOrgID      = "ORGANIZATION_ID"
)

// AirkitColumns are Airkit's columns in the order of its documentation.
var AirkitColumns = [29]AirkitColumn{
	{Name: airkitOrgID, attr: AttrOrgID},
	{Name: "EVENT_ID", attr: AttrEventID},
	{Name: airkitEventYear, Type: AirkitNumber},
	{Name: airkitEventMonth, Type: AirkitDate},
	{Name: airkitEventDate, Type: AirkitDate},
	{Name: airkitEventTime, Type: AirkitTimestampNTZ},
	{Name: "ROOT_SCOPE_USER_ID", attr: AttrRootScopeUserID},
	{Name: "USER_ID", attr: AttrUserID},
	{Name: "EMAIL", attr: AttrUserEmail},
	{Name: "APP_ID", attr: AttrAppID},
	{Name: "BRANCH_ID", attr: AttrBranchID},
	{Name: "DEPLOY_ID", attr: AttrDeployID},
	{Name: "SAVEPOINT_ID", attr: AttrSavepointID},
	{Name: "SAVEPOINT_REVISION", attr: AttrSavepointRevision},
	{Name: "RESOURCE_TYPE", attr: AttrResourceType},
	{Name: "RESOURCE_ID", attr: AttrResourceID},
	{Name: "DOMAIN", attr: AttrDomain},
	{Name: "DATASTORE_ID", attr: AttrDatastoreID},
	{Name: "API_KEY_ID", attr: AttrAPIKeyID},
	{Name: "NOTIFIER_ID", attr: AttrNotifierID},
	{Name: "SAML_ID", attr: AttrSAMLID},
	{Name: "WEBHOOK_ID", attr: AttrWebhookID},
	{Name: "ADAPTER_ID", attr: AttrAdapterID},
	{Name: "EMBED_ID", attr: AttrEmbedID},
	{Name: "ROLE_ID", attr: AttrRoleID},
	{Name: "SERVICE", attr: AttrService},
	{Name: "SERVICE_REVISION", attr: AttrServiceRevision},
	{Name: "LOGIN_TYPE", attr: AttrLoginType},
	{Name: airkitEventType},
}

var airkitIndex = func() map[string]int {
	idx := make(map[string]int, len(AirkitColumns))
	for i, c := range AirkitColumns {
		idx[c.Name] = i
	}
	return idx
}()

// IsAirkitRow tells whether a decoded event has the shape of an Airkit row.
func IsAirkitRow(row pcommon.Map) bool {
	_, ok := row.Get(airkitEventType)
	return ok
}

// AirkitToRecord fills lr from one decoded Airkit row. EVENT_TYPE, EVENT_TIME and
// ORGANIZATION_ID are required; EVENT_YEAR, EVENT_MONTH and EVENT_DATE, when given, must agree
// with EVENT_TIME, from which they are derived on the way out. A row without EVENT_ID gets a
// generated one. Keys that are not columns go into the body.
func AirkitToRecord(row pcommon.Map, lr plog.LogRecord) error {
	attrs := lr.Attributes()
	attrs.PutStr(AttrSourceFormat, FormatAirkit)
	for _, name := range [...]string{airkitEventType, airkitEventTime, airkitOrgID} {
		v, ok := row.Get(name)
		if _, err := requireString(name, v, ok); err != nil {
			return err
		}
	}
	tv, _ := row.Get(airkitEventTime)
	t, err := ParseTimestampNTZ(tv.Str())
	if err != nil {
		return fieldErr(airkitEventTime, "must be a timestamp such as 2026-11-22 02:30:00.123")
	}
	lr.SetTimestamp(pcommon.NewTimestampFromTime(t))
	for key, v := range row.All() {
		i, known := airkitIndex[key]
		if !known {
			if lr.Body().Type() != pcommon.ValueTypeMap {
				lr.Body().SetEmptyMap()
			}
			v.CopyTo(lr.Body().Map().PutEmpty(key))
			continue
		}
		c := AirkitColumns[i]
		switch {
		case c.Name == airkitEventType:
			lr.SetEventName(v.Str())
		case c.Name == airkitEventTime:
		case c.attr == "":
			if err := checkDerived(c, v, t); err != nil {
				return err
			}
		default:
			if err := putString(attrs, c.attr, c.Name, v); err != nil {
				return err
			}
		}
	}
	ensureEventID(lr)
	return nil
}

// checkDerived refuses a date column that contradicts EVENT_TIME: the file we write derives it,
// so accepting a different value would change the row.
func checkDerived(c AirkitColumn, v pcommon.Value, t time.Time) error {
	if v.Type() == pcommon.ValueTypeEmpty {
		return nil
	}
	want, _ := airkitDerived(c, t)
	var got string
	switch {
	case c.Type == AirkitNumber && v.Type() == pcommon.ValueTypeInt:
		got = strconv.FormatInt(v.Int(), 10)
	case v.Type() == pcommon.ValueTypeStr:
		got = v.Str()
	default:
		return fieldErr(c.Name, "has the wrong type: "+typeName(v))
	}
	if got != want {
		return fieldErr(c.Name, "does not agree with EVENT_TIME (expected "+want+")")
	}
	return nil
}

func airkitDerived(c AirkitColumn, t time.Time) (string, bool) {
	switch c.Name {
	case airkitEventYear:
		return strconv.Itoa(t.Year()), true
	case airkitEventMonth:
		return monthStart(t).Format(dateLayout), true
	case airkitEventDate:
		return t.Format(dateLayout), true
	}
	return "", false
}

// AirkitText returns the text of column i of lr's row, and false for SQL NULL.
func AirkitText(lr plog.LogRecord, i int) (string, bool) {
	c := AirkitColumns[i]
	switch c.Name {
	case airkitEventType:
		return lr.EventName(), true
	case airkitEventTime:
		return string(AppendTimestampNTZ(nil, timeOf(lr))), true
	}
	if s, ok := airkitDerived(c, timeOf(lr).UTC()); ok {
		return s, true
	}
	v, ok := lr.Attributes().Get(c.attr)
	if !ok {
		return "", false
	}
	return v.AsString(), true
}

// AppendAirkitJSON appends lr as one Airkit row, a JSON object with the 29 columns in order,
// EVENT_YEAR as a number and SQL NULL as null.
func AppendAirkitJSON(buf []byte, lr plog.LogRecord) []byte {
	buf = append(buf, '{')
	for i, c := range AirkitColumns {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, '"')
		buf = append(buf, c.Name...)
		buf = append(buf, '"', ':')
		text, ok := AirkitText(lr, i)
		switch {
		case !ok:
			buf = append(buf, "null"...)
		case c.Type == AirkitNumber:
			buf = append(buf, text...)
		default:
			buf = AppendJSONString(buf, text)
		}
	}
	return append(buf, '}')
}
