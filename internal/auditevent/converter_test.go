package auditevent

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// defaultConverter detects the built-in shapes and applies the DefaultRules, as the receiver's
// default configuration does.
var defaultConverter = &Converter{rules: DefaultRules}

// airkitCamelFull is airkitFull as Airkit's camelCase events name the columns, with a kind.
const airkitCamelFull = `{"organizationId":"org-1","eventId":"ev-1","eventYear":2026,"eventMonth":"2026-11-01","eventDate":"2026-11-22","eventTime":"2026-11-22 02:30:00.123","rootScopeUserId":"rsu-1","userId":"u-1","email":"a@example.com","appId":"app-1","branchId":"br-1","deployId":"dep-1","savepointId":"sp-1","savepointRevision":"7","resourceType":"datastore","resourceId":"res-1","domain":"example.com","datastoreId":"ds-1","apiKeyId":"ak-1","notifierId":"n-1","samlId":"saml-1","webhookId":"wh-1","adapterId":"ad-1","embedId":"em-1","roleId":"role-1","service":"studio","serviceRevision":"r42","loginType":"password","type":"user_login","kind":"Audit","sessionId":"s-1"}`

var received = pcommon.NewTimestampFromTime(time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC))

func convertWith(t *testing.T, c *Converter, in string) (plog.LogRecord, error) {
	t.Helper()
	m := pcommon.NewMap()
	require.NoError(t, ParseJSONObject([]byte(in), m))
	lr := plog.NewLogRecord()
	return lr, c.Convert(m, lr, received)
}

func mustConvert(t *testing.T, c *Converter, in string) plog.LogRecord {
	t.Helper()
	lr, err := convertWith(t, c, in)
	require.NoError(t, err)
	return lr
}

func newTestConverter(t *testing.T, shape Shape, rules Rules, mapping map[string]string) *Converter {
	t.Helper()
	var m *Mapping
	if mapping != nil {
		var problems []MappingProblem
		m, problems = NewMapping(mapping)
		require.Empty(t, problems)
	}
	c, err := NewConverter(shape, rules, m)
	require.NoError(t, err)
	return c
}

// A camelCase Airkit event becomes the record its UPPER_SNAKE row would, plus its kind and
// the keys that are no column.
func TestAirkitCamelEventIsTheSameRecordAsItsRow(t *testing.T) {
	upper := mustConvert(t, defaultConverter, airkitFull)
	camel := mustConvert(t, defaultConverter, airkitCamelFull)
	assert.Equal(t, upper.EventName(), camel.EventName())
	assert.Equal(t, upper.Timestamp(), camel.Timestamp())
	want := upper.Attributes().AsRaw()
	want[AttrType] = "Audit"
	assert.Equal(t, want, camel.Attributes().AsRaw())
	assert.Equal(t, map[string]any{"sessionId": "s-1"}, camel.Body().Map().AsRaw())
	assert.Equal(t, string(AppendAirkitJSON(nil, upper)), string(AppendAirkitJSON(nil, camel)), "the same row on the way out")
}

func TestAirkitCamelColumnOf(t *testing.T) {
	for i, c := range AirkitColumns {
		assert.Equal(t, i, airkitCamelColumnOf(c.camel), c.camel)
		if c.Name != airkitEventType {
			assert.Equal(t, upperSnakeToCamel(c.Name), c.camel, "camelCase of %s", c.Name)
		}
	}
	for _, name := range []string{"", "EVENT_TYPE", "eventType", "kind", "orgId", "OrganizationId"} {
		assert.Equal(t, -1, airkitCamelColumnOf(name), name)
	}
}

func upperSnakeToCamel(s string) string {
	words := strings.Split(strings.ToLower(s), "_")
	for i := 1; i < len(words); i++ {
		words[i] = strings.ToUpper(words[i][:1]) + words[i][1:]
	}
	return strings.Join(words, "")
}

func TestConvertDetectsTheShape(t *testing.T) {
	withMapping := newTestConverter(t, ShapeAuto, DefaultRules, map[string]string{
		"event_name": "action", "time": "at", "org_id": "tenant.id",
	})
	forced := newTestConverter(t, ShapeMapped, DefaultRules, map[string]string{
		"event_name": "eventName", "time": "when", "org_id": "org",
	})
	tests := []struct {
		name      string
		converter *Converter
		in        string
		format    string
		eventName string
	}{
		{"gooddata", defaultConverter, `{"eventName":"USER_LOGIN","ts":"2023-01-20T18:55:32.466Z","orgId":"o"}`, FormatGoodData, "USER_LOGIN"},
		{"airkit row", defaultConverter, `{"EVENT_TYPE":"user_login","EVENT_TIME":"2026-11-22 02:30:00","ORGANIZATION_ID":"o"}`, FormatAirkit, "user_login"},
		{"airkit camelCase", defaultConverter, `{"type":"user_login","eventTime":"2026-11-22 02:30:00","organizationId":"o"}`, FormatAirkit, "user_login"},
		{"gooddata first, though it has type", withMapping, `{"eventName":"x","type":"audit","ts":"2023-01-20T18:55:32.466Z","orgId":"o"}`, FormatGoodData, "x"},
		{"anything else is mapped", withMapping, `{"action":"login","at":1733212345,"tenant":{"id":"acme"}}`, FormatMapped, "login"},
		{"shape mapped maps a lookalike", forced, `{"eventName":"login","when":1733212345,"org":"acme","orgId":"not this"}`, FormatMapped, "login"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr := mustConvert(t, tt.converter, tt.in)
			assert.Equal(t, tt.format, StrAttr(lr, AttrSourceFormat))
			assert.Equal(t, tt.eventName, lr.EventName())
		})
	}
	_, err := convertWith(t, defaultConverter, `{"action":"login","at":1733212345}`)
	assert.ErrorIs(t, err, ErrUnknownShape)
	_, err = NewConverter(ShapeMapped, DefaultRules, nil)
	assert.Error(t, err)
}

func TestRulesForEveryShape(t *testing.T) {
	mapping := map[string]string{"event_name": "action", "time": "at", "org_id": "tenant.id", "user_id": "actor.id"}
	requireUser := Rules{Required: NewFieldSet(FieldEventName, FieldOrgID, FieldUserID)}
	received := Rules{Required: NewFieldSet(FieldEventName, FieldOrgID), DefaultTimeReceived: true}
	tests := []struct {
		name   string
		rules  Rules
		in     string
		field  string // "" when the event is accepted
		reason string
	}{
		{"gooddata: user required", requireUser, `{"eventName":"x","ts":"2023-01-20T18:55:32Z","orgId":"o"}`, "userId", "is required"},
		{"gooddata: user empty", requireUser, `{"eventName":"x","ts":"2023-01-20T18:55:32Z","orgId":"o","userId":""}`, "userId", "must not be empty"},
		{"gooddata: user given", requireUser, `{"eventName":"x","ts":"2023-01-20T18:55:32Z","orgId":"o","userId":"u"}`, "", ""},
		{"gooddata: no ts", DefaultRules, `{"eventName":"x","orgId":"o"}`, "ts", "is required"},
		{"gooddata: no ts, time received", received, `{"eventName":"x","orgId":"o"}`, "", ""},
		{"gooddata: empty ts, time received", received, `{"eventName":"x","orgId":"o","ts":""}`, "", ""},
		{"gooddata: epoch ts", DefaultRules, `{"eventName":"x","orgId":"o","ts":1733212345678}`, "", ""},
		{"gooddata: event name not required", Rules{Required: NewFieldSet(FieldOrgID)}, `{"eventName":null,"ts":"2023-01-20T18:55:32Z","orgId":"o"}`, "", ""},
		{"gooddata: missing field named canonically", Rules{Required: NewFieldSet(FieldOrgID, FieldAppID)}, `{"eventName":"x","ts":"2023-01-20T18:55:32Z","orgId":"o"}`, "app_id", "is required"},
		{"airkit: user required", requireUser, `{"EVENT_TYPE":"x","EVENT_TIME":"2026-01-01 00:00:00","ORGANIZATION_ID":"o"}`, "USER_ID", "is required"},
		{"airkit: no time", DefaultRules, `{"EVENT_TYPE":"x","ORGANIZATION_ID":"o"}`, "EVENT_TIME", "is required"},
		{"airkit: empty time", DefaultRules, `{"EVENT_TYPE":"x","EVENT_TIME":"","ORGANIZATION_ID":"o"}`, "EVENT_TIME", "must not be empty"},
		{"airkit: no time, time received", received, `{"EVENT_TYPE":"x","ORGANIZATION_ID":"o"}`, "", ""},
		{"airkit: date against the time received", received, `{"EVENT_TYPE":"x","ORGANIZATION_ID":"o","EVENT_DATE":"2020-01-01"}`, "EVENT_DATE", "does not agree with EVENT_TIME"},
		{"airkit: epoch milliseconds", DefaultRules, `{"EVENT_TYPE":"x","EVENT_TIME":1733212345678,"ORGANIZATION_ID":"o","EVENT_YEAR":2024}`, "", ""},
		{"airkit: event type not a string", DefaultRules, `{"EVENT_TYPE":5,"EVENT_TIME":"2026-01-01 00:00:00","ORGANIZATION_ID":"o"}`, "EVENT_TYPE", "must be a string, got a number"},
		{"airkit camelCase: no time", DefaultRules, `{"type":"x","organizationId":"o"}`, "eventTime", "is required"},
		{"airkit camelCase: no org", DefaultRules, `{"type":"x","organizationId":null,"eventTime":"2026-01-01 00:00:00"}`, "organizationId", "is required"},
		{"airkit camelCase: user required", requireUser, `{"type":"x","organizationId":"o","eventTime":1733212345}`, "userId", "is required"},
		{"airkit camelCase: year contradicts", DefaultRules, `{"type":"x","organizationId":"o","eventTime":"2026-01-01 00:00:00","eventYear":2025}`, "eventYear", "does not agree with eventTime"},
		{"airkit camelCase: kind not a string", DefaultRules, `{"type":"x","organizationId":"o","eventTime":"2026-01-01 00:00:00","kind":1}`, "kind", "must be a string, got a number"},
		{"mapped: user required", requireUser, `{"action":"x","at":1733212345,"tenant":{"id":"o"}}`, "actor.id", "is required"},
		{"mapped: user empty", requireUser, `{"action":"x","at":1733212345,"tenant":{"id":"o"},"actor":{"id":""}}`, "actor.id", "must not be empty"},
		{"mapped: user a number", requireUser, `{"action":"x","at":1733212345,"tenant":{"id":"o"},"actor":{"id":42}}`, "", ""},
		{"mapped: no time", DefaultRules, `{"action":"x","tenant":{"id":"o"}}`, "at", "is required"},
		{"mapped: no time, time received", received, `{"action":"x","tenant":{"id":"o"}}`, "", ""},
		{"mapped: bad time", DefaultRules, `{"action":"x","at":"soon","tenant":{"id":"o"}}`, "at", "must be " + mappedTimeHint},
		{"mapped: time an object", DefaultRules, `{"action":"x","at":{},"tenant":{"id":"o"}}`, "at", "must be " + mappedTimeHint + ", got an object"},
		{"mapped: tenant not an object", DefaultRules, `{"action":"x","at":1733212345,"tenant":"o"}`, "tenant.id", "is required"},
		{"mapped: name not a string", DefaultRules, `{"action":["x"],"at":1733212345,"tenant":{"id":"o"}}`, "action", "must be a string, got an array"},
		{"gooddata: org id climbs out", DefaultRules, `{"eventName":"x","ts":"2023-01-20T18:55:32Z","orgId":"../x"}`, "orgId", reasonOrgID},
		{"airkit: org id with a slash", DefaultRules, `{"EVENT_TYPE":"x","EVENT_TIME":"2026-01-01 00:00:00","ORGANIZATION_ID":"a/b"}`, "ORGANIZATION_ID", reasonOrgID},
		{"airkit camelCase: org id with a space", DefaultRules, `{"type":"x","organizationId":"x y","eventTime":"2026-01-01 00:00:00"}`, "organizationId", reasonOrgID},
		{"mapped: org id dot dot", DefaultRules, `{"action":"x","at":1733212345,"tenant":{"id":".."}}`, "tenant.id", reasonOrgID},
		{"mapped: org id a number", DefaultRules, `{"action":"x","at":1733212345,"tenant":{"id":7}}`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestConverter(t, ShapeAuto, tt.rules, mapping)
			lr, err := convertWith(t, c, tt.in)
			if tt.field == "" {
				require.NoError(t, err)
				assert.NotZero(t, lr.Timestamp())
				assert.NotEmpty(t, EventID(lr), "an id is generated")
				return
			}
			assertFieldError(t, err, tt.field, tt.reason)
		})
	}
}

func TestDefaultTimeReceivedUsesTheReceiveTime(t *testing.T) {
	c := newTestConverter(t, ShapeAuto, Rules{Required: NewFieldSet(FieldOrgID), DefaultTimeReceived: true}, nil)
	for _, in := range []string{
		`{"eventName":"x","orgId":"o"}`,
		`{"EVENT_TYPE":"x","ORGANIZATION_ID":"o","EVENT_TIME":null}`,
		`{"type":"x","organizationId":"o"}`,
	} {
		lr := mustConvert(t, c, in)
		assert.Equal(t, received, lr.Timestamp(), in)
	}
	lr := mustConvert(t, c, `{"eventName":"x","orgId":"o","ts":"2023-01-20T18:55:32.466Z"}`)
	assert.Equal(t, time.Date(2023, 1, 20, 18, 55, 32, 466e6, time.UTC), lr.Timestamp().AsTime(), "a given time wins")
}

func TestFieldByName(t *testing.T) {
	attrs := map[string]bool{}
	for f := range fieldCount {
		got, ok := FieldByName(f.Name())
		require.True(t, ok, f.Name())
		assert.Equal(t, f, got)
		if attr := fieldSpecs[f].attr; attr != "" {
			assert.False(t, attrs[attr], "%s has an attribute of its own", f.Name())
			attrs[attr] = true
		}
	}
	for _, name := range []string{"", "orgId", "audit.org.id", "EVENT_NAME"} {
		_, ok := FieldByName(name)
		assert.False(t, ok, name)
	}
}

// The shapes' tables name each field's attribute twice, once through the canonical field.
func TestShapeTablesAgreeWithTheCanonicalFields(t *testing.T) {
	for _, c := range AirkitColumns {
		if c.field == noField {
			assert.Empty(t, c.attr, c.Name)
			continue
		}
		assert.Equal(t, fieldSpecs[c.field].attr, c.attr, c.Name)
	}
	for _, f := range goodDataFields {
		assert.Equal(t, fieldSpecs[f.field].attr, f.attr, f.key)
	}
}

// Converters leave room in a record's attributes for those the processors add
// (processorAttrs), whether the event comes from the decoder, whose count of the attributes it
// makes is exact, or from a map: adding them then allocates nothing.
func TestConvertersLeaveRoomForTheProcessors(t *testing.T) {
	added := make([]string, processorAttrs)
	for i := range added {
		added[i] = "processor." + strconv.Itoa(i)
	}
	for _, in := range []string{
		goodDataFull, airkitFull, airkitCamelFull, benchGoodData, benchAirkit,
		`{"eventName":"e","ts":"2026-11-22T02:30:00Z","orgId":"o"}`,
		`{"EVENT_TYPE":"e","EVENT_TIME":"2026-11-22 02:30:00","ORGANIZATION_ID":"o","EVENT_ID":""}`,
	} {
		data := []byte(in)
		var d JSONDecoder
		var e Event
		convert := func(add bool) func() {
			return func() {
				d.Reset(data)
				if _, err := d.NextEvent(&e); err != nil {
					t.Fatal(err)
				}
				lr := plog.NewLogRecord()
				if err := defaultConverter.ConvertEvent(&e, lr, received); err != nil {
					t.Fatal(err)
				}
				if add {
					for _, k := range added {
						lr.Attributes().PutEmpty(k)
					}
				}
			}
		}
		assert.Equal(t, testing.AllocsPerRun(5, convert(false)), testing.AllocsPerRun(5, convert(true)), in)

		toRecord := AirkitToRecord
		if strings.Contains(in, goodDataEventName) {
			toRecord = GoodDataToRecord
		} else if strings.Contains(in, airkitCamelOrgID) {
			continue // no exported function for them without rules
		}
		exported := func(add bool) func() {
			return func() {
				m := pcommon.NewMap()
				if err := ParseJSONObject(data, m); err != nil {
					t.Fatal(err)
				}
				lr := plog.NewLogRecord()
				if err := toRecord(m, lr); err != nil {
					t.Fatal(err)
				}
				if add {
					for _, k := range added {
						lr.Attributes().PutEmpty(k)
					}
				}
			}
		}
		assert.Equal(t, testing.AllocsPerRun(5, exported(false)), testing.AllocsPerRun(5, exported(true)), in)
	}
}

// shapeMarkerOf marks the keys the shapes' tables give those roles, and no other.
func TestShapeMarkerOf(t *testing.T) {
	want := map[string]shapeMarker{GoodDataDetailsKey: markGoodDataNotAttr}
	for _, f := range goodDataFields {
		switch f.field {
		case FieldEventName:
			want[f.key] = markGoodDataName
		case FieldTime:
			want[f.key] = markGoodDataNotAttr
		case FieldEventID:
			want[f.key] = markEventID
		}
	}
	for _, c := range AirkitColumns {
		switch {
		case c.field == FieldEventName:
			want[c.Name], want[c.camel] = markRowEventType, markCamelEventType
		case c.field == noField:
			want[c.Name], want[c.camel] = markRowDerived, markCamelDerived
		case c.field == FieldTime:
			want[c.Name], want[c.camel] = markRowTime, markCamelTime
		case c.field == FieldEventID:
			want[c.Name] = markRowEventID
			assert.Equal(t, markEventID, want[c.camel], c.camel)
		case c.Name == airkitOrgID:
			want[c.camel] = markCamelOrgID
		}
	}
	keys := []string{"", "kind", "details2", "EVENT", "eventname"}
	for _, f := range goodDataFields {
		keys = append(keys, f.key)
	}
	for _, c := range AirkitColumns {
		keys = append(keys, c.Name, c.camel)
	}
	for _, k := range keys {
		assert.Equal(t, want[k], shapeMarkerOf(k), k)
	}
}

// TestNonObjectEventKeepsNothingOfThePreviousOne: after an object, a value that is not one
// leaves the event without members, so a converter finds no shape rather than the previous
// event's fields.
func TestNonObjectEventKeepsNothingOfThePreviousOne(t *testing.T) {
	for _, second := range []string{`5`, `"text"`, `[1,2]`, `null`} {
		d := NewJSONDecoder([]byte(`{"eventName":"e","ts":"2023-01-20T18:55:32Z","orgId":"o"}` + "\n" + second))
		var e Event
		_, err := d.NextEvent(&e)
		require.NoError(t, err)
		_, err = d.NextEvent(&e)
		require.NoError(t, err)
		require.False(t, e.IsObject(), second)
		err = defaultConverter.ConvertEvent(&e, plog.NewLogRecord(), received)
		require.ErrorIs(t, err, ErrUnknownShape, second)
	}
}
