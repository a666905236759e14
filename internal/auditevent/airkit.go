package auditevent

import (
	"strconv"
	"strings"
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
	// camel is the column's name in Airkit's camelCase events.
	camel string
	// field is the canonical field the column holds, or noField for those derived from the time.
	field Field
}

// noField marks the Airkit columns that hold no canonical field of their own.
const noField = fieldCount

const (
	airkitEventYear  = "EVENT_YEAR"
	airkitEventMonth = "EVENT_MONTH"
	airkitEventDate  = "EVENT_DATE"
	airkitEventTime  = "EVENT_TIME"
	airkitEventType  = "EVENT_TYPE"
	airkitOrgID      = "ORGANIZATION_ID"
	airkitEventID    = "EVENT_ID"
)

// AirkitColumns are Airkit's columns in the order of its documentation.
var AirkitColumns = [29]AirkitColumn{
	{Name: airkitOrgID, attr: AttrOrgID, camel: "organizationId", field: FieldOrgID},
	{Name: airkitEventID, attr: AttrEventID, camel: goodDataEventID, field: FieldEventID},
	{Name: airkitEventYear, Type: AirkitNumber, camel: airkitCamelEventYear, field: noField},
	{Name: airkitEventMonth, Type: AirkitDate, camel: airkitCamelEventMonth, field: noField},
	{Name: airkitEventDate, Type: AirkitDate, camel: airkitCamelEventDate, field: noField},
	{Name: airkitEventTime, Type: AirkitTimestampNTZ, camel: "eventTime", field: FieldTime},
	{Name: "ROOT_SCOPE_USER_ID", attr: AttrRootScopeUserID, camel: "rootScopeUserId", field: FieldRootScopeUserID},
	{Name: "USER_ID", attr: AttrUserID, camel: "userId", field: FieldUserID},
	{Name: "EMAIL", attr: AttrUserEmail, camel: "email", field: FieldUserEmail},
	{Name: "APP_ID", attr: AttrAppID, camel: "appId", field: FieldAppID},
	{Name: "BRANCH_ID", attr: AttrBranchID, camel: "branchId", field: FieldBranchID},
	{Name: "DEPLOY_ID", attr: AttrDeployID, camel: "deployId", field: FieldDeployID},
	{Name: "SAVEPOINT_ID", attr: AttrSavepointID, camel: "savepointId", field: FieldSavepointID},
	{Name: "SAVEPOINT_REVISION", attr: AttrSavepointRevision, camel: "savepointRevision", field: FieldSavepointRevision},
	{Name: "RESOURCE_TYPE", attr: AttrResourceType, camel: "resourceType", field: FieldResourceType},
	{Name: "RESOURCE_ID", attr: AttrResourceID, camel: "resourceId", field: FieldResourceID},
	{Name: "DOMAIN", attr: AttrDomain, camel: "domain", field: FieldDomain},
	{Name: "DATASTORE_ID", attr: AttrDatastoreID, camel: "datastoreId", field: FieldDatastoreID},
	{Name: "API_KEY_ID", attr: AttrAPIKeyID, camel: "apiKeyId", field: FieldAPIKeyID},
	{Name: "NOTIFIER_ID", attr: AttrNotifierID, camel: "notifierId", field: FieldNotifierID},
	{Name: "SAML_ID", attr: AttrSAMLID, camel: "samlId", field: FieldSAMLID},
	{Name: "WEBHOOK_ID", attr: AttrWebhookID, camel: "webhookId", field: FieldWebhookID},
	{Name: "ADAPTER_ID", attr: AttrAdapterID, camel: "adapterId", field: FieldAdapterID},
	{Name: "EMBED_ID", attr: AttrEmbedID, camel: "embedId", field: FieldEmbedID},
	{Name: "ROLE_ID", attr: AttrRoleID, camel: "roleId", field: FieldRoleID},
	{Name: "SERVICE", attr: AttrService, camel: "service", field: FieldService},
	{Name: "SERVICE_REVISION", attr: AttrServiceRevision, camel: "serviceRevision", field: FieldServiceRevision},
	{Name: "LOGIN_TYPE", attr: AttrLoginType, camel: "loginType", field: FieldLoginType},
	{Name: airkitEventType, camel: "type", field: FieldEventName},
}

// airkitColumnOf returns the position of the column name in AirkitColumns, or -1: a switch
// rather than a map, for it runs for each of the 29 columns of every row received, and the
// compiled switch costs a fraction of a hash lookup. TestAirkitColumnOf keeps it in step with
// AirkitColumns.
func airkitColumnOf(name string) int {
	switch name {
	case airkitOrgID:
		return 0
	case airkitEventID:
		return 1
	case airkitEventYear:
		return 2
	case airkitEventMonth:
		return 3
	case airkitEventDate:
		return 4
	case airkitEventTime:
		return 5
	case "ROOT_SCOPE_USER_ID":
		return 6
	case "USER_ID":
		return 7
	case "EMAIL":
		return 8
	case "APP_ID":
		return 9
	case "BRANCH_ID":
		return 10
	case "DEPLOY_ID":
		return 11
	case "SAVEPOINT_ID":
		return 12
	case "SAVEPOINT_REVISION":
		return 13
	case "RESOURCE_TYPE":
		return 14
	case "RESOURCE_ID":
		return 15
	case "DOMAIN":
		return 16
	case "DATASTORE_ID":
		return 17
	case "API_KEY_ID":
		return 18
	case "NOTIFIER_ID":
		return 19
	case "SAML_ID":
		return 20
	case "WEBHOOK_ID":
		return 21
	case "ADAPTER_ID":
		return 22
	case "EMBED_ID":
		return 23
	case "ROLE_ID":
		return 24
	case "SERVICE":
		return 25
	case "SERVICE_REVISION":
		return 26
	case "LOGIN_TYPE":
		return 27
	case airkitEventType:
		return 28
	}
	return -1
}

// airkitCamelColumnOf is airkitColumnOf for the names of Airkit's camelCase events.
// TestAirkitCamelColumnOf keeps it in step with AirkitColumns.
func airkitCamelColumnOf(name string) int {
	switch name {
	case airkitCamelOrgID:
		return 0
	case goodDataEventID:
		return 1
	case airkitCamelEventYear:
		return 2
	case airkitCamelEventMonth:
		return 3
	case airkitCamelEventDate:
		return 4
	case airkitCamelEventTime:
		return 5
	case "rootScopeUserId":
		return 6
	case "userId":
		return 7
	case "email":
		return 8
	case "appId":
		return 9
	case "branchId":
		return 10
	case "deployId":
		return 11
	case "savepointId":
		return 12
	case "savepointRevision":
		return 13
	case "resourceType":
		return 14
	case "resourceId":
		return 15
	case "domain":
		return 16
	case "datastoreId":
		return 17
	case "apiKeyId":
		return 18
	case "notifierId":
		return 19
	case "samlId":
		return 20
	case "webhookId":
		return 21
	case "adapterId":
		return 22
	case "embedId":
		return 23
	case "roleId":
		return 24
	case "service":
		return 25
	case "serviceRevision":
		return 26
	case "loginType":
		return 27
	case airkitCamelEventType:
		return 28
	}
	return -1
}

const (
	airkitCamelOrgID      = "organizationId"
	airkitCamelEventYear  = "eventYear"
	airkitCamelEventMonth = "eventMonth"
	airkitCamelEventDate  = "eventDate"
	airkitCamelEventTime  = "eventTime"
	airkitCamelEventType  = "type"
	// airkitCamelKind is the camelCase events' class of event ("Session" for app events), which
	// no column holds: it is the record's audit.type, as GoodData's type is.
	airkitCamelKind = "kind"
)

// airkitNaming is one of the two ways Airkit names its fields.
type airkitNaming struct {
	timeKey string
	names   fieldNames
	camel   bool
}

func newAirkitNaming(camel bool) *airkitNaming {
	n := &airkitNaming{timeKey: airkitEventTime, names: canonicalNames, camel: camel}
	if camel {
		n.timeKey = airkitCamelEventTime
		n.names[FieldType] = airkitCamelKind
	}
	for _, c := range AirkitColumns {
		if c.field != noField {
			n.names[c.field] = c.Name
			if camel {
				n.names[c.field] = c.camel
			}
		}
	}
	return n
}

var airkitUpper, airkitCamel = newAirkitNaming(false), newAirkitNaming(true)

const airkitTimeHint = "a timestamp such as 2026-11-22 02:30:00.123"

// IsAirkitRow tells whether a decoded event has the shape of an Airkit row: an EVENT_TYPE
// column.
func IsAirkitRow(row pcommon.Map) bool {
	_, ok := row.Get(airkitEventType)
	return ok
}

// AirkitToRecord fills lr from one decoded Airkit row with the DefaultRules: EVENT_TYPE,
// EVENT_TIME and ORGANIZATION_ID are required. See ConvertAirkit.
func AirkitToRecord(row pcommon.Map, lr plog.LogRecord) error {
	return ConvertAirkit(row, lr, &DefaultRules, 0)
}

// ConvertAirkit fills lr from one decoded Airkit row, with rules deciding the required columns
// and the time of a row without EVENT_TIME (received is when it arrived). EVENT_YEAR,
// EVENT_MONTH and EVENT_DATE, when given, must agree with the time, from which they are
// derived on the way out. A row without EVENT_ID gets a generated one. Keys that are not
// columns go into the body.
//
// The values lr keeps as they are (the columns' strings, the keys that are not columns) are
// moved out of the row, not copied: the row keeps its keys, but with empty values in their
// place. A caller that needs the row intact must pass a copy.
func ConvertAirkit(row pcommon.Map, lr plog.LogRecord, rules *Rules, received pcommon.Timestamp) error {
	e := eventOf(row)
	return convertAirkit(e, madeBound(e.nonEmpty(), false), e.field(airkitUpper.timeKey), lr, rules, received, airkitUpper)
}

// ConvertAirkitCamel is ConvertAirkit for Airkit's camelCase events (organizationId, eventId,
// eventTime, type, kind, and the other columns' names in camelCase): they become the same
// records as rows with the same values, and their kind becomes the record's audit.type.
func ConvertAirkitCamel(event pcommon.Map, lr plog.LogRecord, rules *Rules, received pcommon.Timestamp) error {
	e := eventOf(event)
	return convertAirkit(e, madeBound(e.nonEmpty(), false), e.field(airkitCamel.timeKey), lr, rules, received, airkitCamel)
}

// convertAirkit converts a row of which at most made attributes are made, and whose time
// column is eventTime (nil when it has none).
func convertAirkit(row *Event, made int, eventTime *fieldValue, lr plog.LogRecord, rules *Rules, received pcommon.Timestamp, naming *airkitNaming) error {
	w := &row.record
	w.start(lr, made)
	w.putAttr(AttrSourceFormat).SetStr(FormatAirkit)
	seen, err := putAirkitFields(row, eventTime, w, rules, received, naming)
	w.done()
	if err != nil {
		return err
	}
	return finishRecord(lr, seen, rules, received, &naming.names)
}

// putAirkitFields stores the columns of row, whose time column is eventTime, in the record w
// fills, and returns which it gives.
func putAirkitFields(row *Event, eventTime *fieldValue, w *recordWriter, rules *Rules, received pcommon.Timestamp, naming *airkitNaming) (presence, error) {
	lr := w.lr
	// The time first: the date columns are checked against it.
	var seen presence
	if eventTime != nil {
		if err := putField(FieldTime, naming.timeKey, eventTime, w, rules, &seen, airkitTimeHint, false); err != nil {
			return seen, err
		}
	}
	if lr.Timestamp() == 0 && rules.DefaultTimeReceived {
		lr.SetTimestamp(received)
	}
	t := lr.Timestamp().AsTime()
	// The date of t, for the three columns derived from it: worked out once per row.
	var date civilDate
	for j := range row.members {
		m := &row.members[j]
		key, v := m.key, &m.val
		i := int(m.keyRoles().row)
		if naming.camel {
			i = int(m.keyRoles().camel)
		}
		if i < 0 {
			if naming.camel && key == airkitCamelKind {
				if err := putField(FieldType, key, v, w, rules, &seen, "", false); err != nil {
					return seen, err
				}
				continue
			}
			if lr.Body().Type() != pcommon.ValueTypeMap {
				lr.Body().SetEmptyMap()
			}
			v.putTo(lr.Body().Map(), key)
			continue
		}
		if v.typ == pcommon.ValueTypeEmpty {
			// A null column makes no attribute, has nothing to agree with and counts as absent:
			// most of a row's columns are null, so they skip the steps below.
			continue
		}
		c := &AirkitColumns[i]
		switch c.field {
		case FieldTime:
			// Stored, and noted, before the other columns.
		case noField:
			// Without a time the row is refused below; there is nothing to compare with.
			if lr.Timestamp() == 0 {
				continue
			}
			if !date.known {
				date = civilDateOf(t)
			}
			if err := checkDerived(c, key, naming.timeKey, v, &date); err != nil {
				return seen, err
			}
		default:
			if err := putField(c.field, key, v, w, rules, &seen, "", false); err != nil {
				return seen, err
			}
		}
	}
	return seen, nil
}

// civilDate is the date of a row's EVENT_TIME (in UTC).
type civilDate struct {
	known bool
	year  int
	month time.Month
	day   int
}

func civilDateOf(t time.Time) civilDate {
	y, m, d := t.Date()
	return civilDate{known: true, year: y, month: m, day: d}
}

// checkDerived refuses a date column that contradicts EVENT_TIME, whose date is date: the file
// we write derives it, so accepting a different value would change the row. Every row has these
// columns: their text is built on the stack, from a date worked out once per row.
func checkDerived(c *AirkitColumn, name, timeName string, v *fieldValue, date *civilDate) error {
	if v.typ == pcommon.ValueTypeEmpty {
		return nil
	}
	var agrees bool
	switch {
	case c.Type == AirkitNumber && v.typ == pcommon.ValueTypeInt:
		// EVENT_YEAR, the only number among them: the number itself, not its text, is compared.
		agrees = c.Name == airkitEventYear && v.num == int64(date.year)
	case v.typ == pcommon.ValueTypeStr:
		var wantBuf [32]byte
		agrees = v.str == string(appendDerivedOfDate(wantBuf[:0], c, date))
	default:
		return fieldErr(name, "has the wrong type: "+typeName(v.typ))
	}
	if !agrees {
		// The expected text is left out: derived from the event's time, it is still a value of
		// the event, and answers quote none.
		return fieldErr(name, "does not agree with "+timeName)
	}
	return nil
}

// appendExpectedDerived appends the text that column c must have for EVENT_TIME t (in UTC), and
// reports false for a column not derived from it.
func appendExpectedDerived(buf []byte, c AirkitColumn, t time.Time) ([]byte, bool) {
	switch c.Name {
	case airkitEventYear:
		return strconv.AppendInt(buf, int64(t.Year()), 10), true
	case airkitEventMonth:
		return appendDate(buf, t.Year(), t.Month(), 1), true
	case airkitEventDate:
		y, m, d := t.Date()
		return appendDate(buf, y, m, d), true
	}
	return buf, false
}

// appendDerivedOfDate is appendExpectedDerived for a date already worked out; it appends
// nothing for a column not derived from the time.
func appendDerivedOfDate(buf []byte, c *AirkitColumn, date *civilDate) []byte {
	switch c.Name {
	case airkitEventYear:
		return strconv.AppendInt(buf, int64(date.year), 10)
	case airkitEventMonth:
		return appendDate(buf, date.year, date.month, 1)
	case airkitEventDate:
		return appendDate(buf, date.year, date.month, date.day)
	}
	return buf
}

// AirkitText returns the text of column i of lr's row, and false for SQL NULL.
func AirkitText(lr plog.LogRecord, i int) (string, bool) {
	text, ok := AppendAirkitText(nil, lr, i)
	return string(text), ok
}

// AppendAirkitText appends the text of column i of lr's row, unquoted and unescaped, and
// reports false, appending nothing, for SQL NULL. To write every column, an AirkitRow is
// cheaper: it reads the attributes once.
func AppendAirkitText(buf []byte, lr plog.LogRecord, i int) ([]byte, bool) {
	var r AirkitRow
	r.lr, r.t = lr, EventTime(lr).UTC()
	if c := &AirkitColumns[i]; c.attr != "" {
		if v, ok := lr.Attributes().Get(c.attr); ok {
			r.values[i], r.present = v, 1<<i
		}
	}
	return r.AppendText(buf, i)
}

// airkitColumnOfAttr maps an attribute to the column that holds it.
var airkitColumnOfAttr = func() map[string]int {
	idx := make(map[string]int, len(AirkitColumns))
	for i, c := range AirkitColumns {
		if c.attr != "" {
			idx[c.attr] = i
		}
	}
	return idx
}()

// AirkitRow is the 29 columns of one record, read in a single pass over its attributes: an
// encoder that looked each column up would search the attributes 22 times per row. Load it
// before use; it holds references into the record, so it is valid only while the record is
// unchanged. A local AirkitRow stays on the stack: reading a row allocates nothing.
type AirkitRow struct {
	lr      plog.LogRecord
	t       time.Time
	values  [len(AirkitColumns)]pcommon.Value
	present uint32
}

// Load reads lr's columns into r, replacing what r held.
func (r *AirkitRow) Load(lr plog.LogRecord) {
	r.lr, r.t, r.present = lr, EventTime(lr).UTC(), 0
	for k, v := range lr.Attributes().All() {
		if strings.HasPrefix(k, "ocsf.") {
			// A third of a classified record's attributes, and no column: skip the lookup.
			continue
		}
		if i, ok := airkitColumnOfAttr[k]; ok && r.present&(1<<i) == 0 {
			r.values[i] = v
			r.present |= 1 << i
		}
	}
}

// value is the attribute of column i, and false for SQL NULL: absent, or present but empty.
func (r *AirkitRow) value(i int) (pcommon.Value, bool) {
	if r.present&(1<<i) == 0 || r.values[i].Type() == pcommon.ValueTypeEmpty {
		return pcommon.Value{}, false
	}
	return r.values[i], true
}

// AppendText appends the text of column i, unquoted and unescaped, and reports false,
// appending nothing, for SQL NULL.
func (r *AirkitRow) AppendText(buf []byte, i int) ([]byte, bool) {
	c := &AirkitColumns[i]
	if c.attr == "" {
		return appendAirkitDerived(buf, c, r.lr, r.t), true
	}
	v, ok := r.value(i)
	if !ok {
		return buf, false
	}
	return appendValueText(buf, v), true
}

// AppendJSON appends the row as a JSON object with the 29 columns in order, EVENT_YEAR as a
// number, the other columns as strings and SQL NULL as null.
func (r *AirkitRow) AppendJSON(buf []byte) []byte {
	buf = append(buf, '{')
	for i := range AirkitColumns {
		c := &AirkitColumns[i]
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, '"')
		buf = append(buf, c.Name...)
		buf = append(buf, '"', ':')
		switch {
		case c.Name == airkitEventType:
			buf = AppendJSONString(buf, r.lr.EventName())
		case c.attr == "" && c.Type == AirkitNumber:
			buf = appendAirkitDerived(buf, c, r.lr, r.t)
		case c.attr == "":
			// Dates and times are digits and punctuation: nothing to escape.
			buf = append(buf, '"')
			buf = appendAirkitDerived(buf, c, r.lr, r.t)
			buf = append(buf, '"')
		default:
			v, ok := r.value(i)
			buf = appendAirkitJSONValue(buf, v, ok)
		}
	}
	return append(buf, '}')
}

// appendAirkitDerived appends a column that is not an attribute: EVENT_TYPE is the event name,
// the others are the event time (t, in UTC) or parts of it.
func appendAirkitDerived(buf []byte, c *AirkitColumn, lr plog.LogRecord, t time.Time) []byte {
	switch c.Name {
	case airkitEventType:
		return append(buf, lr.EventName()...)
	case airkitEventTime:
		return AppendTimestampNTZ(buf, t)
	case airkitEventYear:
		return strconv.AppendInt(buf, int64(t.Year()), 10)
	case airkitEventMonth:
		return appendDate(buf, t.Year(), t.Month(), 1)
	default: // airkitEventDate
		y, m, d := t.Date()
		return appendDate(buf, y, m, d)
	}
}

// appendDate appends YYYY-MM-DD without going through a layout: it runs twice per row. A record's
// time (nanoseconds since 1970 in 64 bits) always has a four-digit year.
func appendDate(buf []byte, y int, m time.Month, d int) []byte {
	return append(buf,
		byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-',
		byte('0'+d/10), byte('0'+d%10))
}

// appendValueText appends an attribute's text as Value.AsString gives it, without building a
// string for the common scalar types.
func appendValueText(buf []byte, v pcommon.Value) []byte {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return append(buf, v.Str()...)
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(buf, v.Int(), 10)
	case pcommon.ValueTypeBool:
		return strconv.AppendBool(buf, v.Bool())
	default:
		return append(buf, v.AsString()...)
	}
}

// AppendAirkitJSON appends lr as one Airkit row, a JSON object with the 29 columns in order,
// EVENT_YEAR as a number and SQL NULL as null.
func AppendAirkitJSON(buf []byte, lr plog.LogRecord) []byte {
	var r AirkitRow
	r.Load(lr)
	return r.AppendJSON(buf)
}

// appendAirkitJSONValue writes a VARCHAR column: a JSON string, whatever the attribute's type,
// or null when it is absent.
func appendAirkitJSONValue(buf []byte, v pcommon.Value, ok bool) []byte {
	switch {
	case !ok:
		return append(buf, "null"...)
	case v.Type() == pcommon.ValueTypeStr:
		return AppendJSONString(buf, v.Str())
	case v.Type() == pcommon.ValueTypeInt || v.Type() == pcommon.ValueTypeBool:
		buf = append(buf, '"')
		buf = appendValueText(buf, v)
		return append(buf, '"')
	default:
		return AppendJSONString(buf, v.AsString())
	}
}

// The columns must fit in AirkitRow.present.
var _ [32 - len(AirkitColumns)]struct{}
