package auditevent

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/xpdata"
)

// The attributes a converter makes reach the record as Map's Put methods would have put them:
// a repeated key once, with its last value; into a record holding attributes, in the place of
// those of the same key, the others kept; for a refused event, those put before the problem.
// Whether the event comes from the decoder or from a map.
func TestConvertersPutAttributesAsMapPutWould(t *testing.T) {
	mapped := newTestConverter(t, ShapeMapped, DefaultRules, map[string]string{
		"event_name": "name", "time": "at", "org_id": "tenant.id", "user_id": "user",
	})
	const ts = `"ts":"2026-11-22T02:30:00Z"`
	tests := []struct {
		name    string
		conv    *Converter
		held    []heldAttr // the record's attributes before, in order
		in      string
		refused bool
		want    []string // key=value in the record's order
	}{
		{
			name: "gooddata, a repeated key",
			conv: defaultConverter,
			in:   `{"eventName":"e",` + ts + `,"orgId":"a","eventId":"id-1","orgId":"b"}`,
			want: []string{"audit.source.format=gooddata", "audit.org.id=b", "audit.event.id=id-1"},
		},
		{
			name: "gooddata into a record holding attributes",
			conv: defaultConverter,
			held: []heldAttr{{AttrOrgID, "held"}},
			in:   `{"eventName":"e",` + ts + `,"orgId":"o","userId":"u","success":true,"classUid":"3002","eventId":"id-1"}`,
			want: []string{"audit.org.id=o", "audit.source.format=gooddata", "user.id=u", "audit.success=true", "ocsf.class_uid=3002", "audit.event.id=id-1"},
		},
		{
			name:    "gooddata refused midway",
			conv:    defaultConverter,
			in:      `{"eventName":"e",` + ts + `,"orgId":"o","success":"yes","userId":"u"}`,
			refused: true,
			want:    []string{"audit.source.format=gooddata", "audit.org.id=o"},
		},
		{
			name: "gooddata with an empty event id",
			conv: defaultConverter,
			in:   `{"eventName":"e",` + ts + `,"eventId":"","orgId":"o"}`,
			want: []string{"audit.source.format=gooddata", "audit.event.id=(generated)", "audit.org.id=o"},
		},
		{
			name: "airkit camelCase into a record holding its kind",
			conv: defaultConverter,
			held: []heldAttr{{AttrType, "held"}, {"other", int64(1)}},
			in:   `{"organizationId":"o","eventId":"id-1","eventTime":"2026-11-22 02:30:00","type":"user_login","kind":"Audit"}`,
			want: []string{"audit.type=Audit", "other=1", "audit.source.format=airkit", "audit.org.id=o", "audit.event.id=id-1"},
		},
		{
			name:    "airkit refused midway",
			conv:    defaultConverter,
			in:      `{"ORGANIZATION_ID":"o","EVENT_TIME":"2026-01-01 00:00:00","USER_ID":5,"EMAIL":"e@example.com","EVENT_TYPE":"x"}`,
			refused: true,
			want:    []string{"audit.source.format=airkit", "audit.org.id=o"},
		},
		{
			name: "mapped into a record holding attributes",
			conv: mapped,
			held: []heldAttr{{AttrUserID, "held"}},
			in:   `{"name":"e","at":"2026-11-22T02:30:00Z","tenant":{"id":"o"},"user":42}`,
			want: []string{"user.id=42", "audit.source.format=mapped", "audit.org.id=o", "audit.event.id=(generated)"},
		},
		{
			name:    "mapped refused midway",
			conv:    mapped,
			in:      `{"name":"e","at":"2026-11-22T02:30:00Z","tenant":{"id":"o"},"user":true}`,
			refused: true,
			want:    []string{"audit.source.format=mapped", "audit.org.id=o"},
		},
	}
	for _, tt := range tests {
		for _, path := range []string{"decoder", "map"} {
			t.Run(tt.name+"/"+path, func(t *testing.T) {
				lr := plog.NewLogRecord()
				for _, a := range tt.held {
					require.NoError(t, lr.Attributes().PutEmpty(a.key).FromRaw(a.value))
				}
				var err error
				if path == "decoder" {
					var e Event
					_, err = NewJSONDecoder([]byte(tt.in)).NextEvent(&e)
					require.NoError(t, err)
					err = tt.conv.ConvertEvent(&e, lr, received)
				} else {
					m := pcommon.NewMap()
					require.NoError(t, ParseJSONObject([]byte(tt.in), m))
					err = tt.conv.Convert(m, lr, received)
				}
				assert.Equal(t, tt.refused, err != nil, "error: %v", err)
				assert.Equal(t, tt.want, attributeList(lr))
			})
		}
	}
}

// heldAttr is an attribute a record holds before an event is converted into it.
type heldAttr struct {
	key   string
	value any
}

// attributeList lists lr's attributes in order as key=value, a generated event id as
// (generated).
func attributeList(lr plog.LogRecord) []string {
	var list []string
	for k, v := range lr.Attributes().All() {
		s := v.AsString()
		if k == AttrEventID && len(s) == len("01936b1c-0000-7000-8000-000000000000") {
			s = "(generated)"
		}
		list = append(list, k+"="+s)
	}
	return list
}

// A map holding a key twice (OTLP and pdata's builders keep repeats) converts as the decoder
// reads such an object: one attribute, with the last value.
func TestConvertMapWithRepeatedKey(t *testing.T) {
	tests := []struct {
		name  string
		extra int // keys of the details besides the fields, to pass eventOf's index threshold
	}{
		{name: "few keys"},
		{name: "many keys", extra: 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b xpdata.MapBuilder
			pairs := [][2]string{{"eventName", "e"}, {"ts", "2026-11-22T02:30:00Z"}, {"orgId", "tenant-a"}, {"eventId", "id-1"}}
			for i := range tt.extra {
				pairs = append(pairs, [2]string{"k" + strconv.Itoa(i), "v"})
			}
			pairs = append(pairs, [2]string{"orgId", "tenant-b"})
			for _, kv := range pairs {
				b.AppendEmpty(kv[0]).SetStr(kv[1])
			}
			m := pcommon.NewMap()
			b.UnsafeIntoMap(m)
			lr := plog.NewLogRecord()
			require.NoError(t, defaultConverter.Convert(m, lr, received))
			assert.Equal(t, []string{"audit.source.format=gooddata", "audit.org.id=tenant-b", "audit.event.id=id-1"}, attributeList(lr))
		})
	}
}
