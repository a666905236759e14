package auditevent

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

func goodDataEntryOf(t *testing.T, lr plog.LogRecord) map[string]any {
	t.Helper()
	out := AppendGoodDataEntry(nil, lr)
	var entry map[string]any
	require.NoError(t, json.Unmarshal(out, &entry), "%s", out)
	return entry
}

func TestGoodDataSuccessFromOCSFStatus(t *testing.T) {
	tests := []struct {
		name    string
		success any // audit.success; nil: absent
		status  any // ocsf.status_id; nil: absent
		want    any // success in the entry; nil: absent
	}{
		{name: "status success", status: int64(1), want: true},
		{name: "status failure", status: int64(2), want: false},
		{name: "status as digits", status: "2", want: false},
		{name: "status unknown", status: int64(0)},
		{name: "status other", status: int64(99)},
		{name: "status not a number", status: "failed"},
		{name: "neither"},
		{name: "success flag wins", success: true, status: int64(2), want: true},
		{name: "success flag alone", success: false, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr := decodeInto(t, `{"eventName":"invalid_login","ts":"2026-01-01T00:00:00.000Z","orgId":"o","eventId":"e"}`, GoodDataToRecord)
			if tt.success != nil {
				lr.Attributes().PutBool(AttrSuccess, tt.success.(bool))
			}
			if tt.status != nil {
				require.NoError(t, lr.Attributes().PutEmpty(AttrOCSFStatusID).FromRaw(tt.status))
			}
			entry := goodDataEntryOf(t, lr)
			if tt.want == nil {
				assert.NotContains(t, entry, "success")
				return
			}
			assert.Equal(t, tt.want, entry["success"])
		})
	}
	// success keeps its place among the fields.
	lr := decodeInto(t, `{"eventName":"x","ts":"2026-01-01T00:00:00.000Z","orgId":"o","errorCode":"DENIED","eventId":"e"}`, GoodDataToRecord)
	lr.Attributes().PutInt(AttrOCSFStatusID, 2)
	assert.Equal(t, `{"eventName":"x","categoryUid":"0","classUid":"0","ts":"2026-01-01T00:00:00.000Z","orgId":"o","errorCode":"DENIED","success":false,"type":"audit","eventId":"e"}`,
		string(AppendGoodDataEntry(nil, lr)))
}

func TestGoodDataDetailsKeepOtherAttributes(t *testing.T) {
	base := `{"eventName":"x","ts":"2026-01-01T00:00:00.000Z","orgId":"o","userId":"u","eventId":"e"`
	bookkeeping := func(lr plog.LogRecord) {
		a := lr.Attributes()
		a.PutInt(AttrOCSFClassUID, 3002)
		a.PutStr(AttrOCSFClassName, "Authentication")
		a.PutInt(AttrOCSFSeverityID, 1)
		a.PutInt(AttrMaskCount, 2)
		a.PutStr(AttrMaskRules, "password")
	}
	tests := []struct {
		name    string
		in      string
		setup   func(plog.LogRecord)
		details any // nil: no details
	}{
		{
			name:  "bookkeeping stays out",
			in:    base + `}`,
			setup: bookkeeping,
		},
		{
			name: "attributes without a field go to details",
			in:   base + `}`,
			setup: func(lr plog.LogRecord) {
				bookkeeping(lr)
				lr.Attributes().PutStr(AttrUserEmail, "a@example.com")
				lr.Attributes().PutInt("http.response.status_code", 403)
			},
			details: map[string]any{"user.email": "a@example.com", "http.response.status_code": 403.0},
		},
		{
			name: "merged after the body's entries",
			in:   base + `,"details":{"exportId":"x","user.email":"from body"}}`,
			setup: func(lr plog.LogRecord) {
				lr.Attributes().PutStr(AttrAppID, "app-1")
				lr.Attributes().PutStr(AttrUserEmail, "from attribute")
			},
			details: map[string]any{"exportId": "x", "user.email": "from body", "audit.app.id": "app-1"},
		},
		{
			name: "a body that is not an object",
			in:   base + `}`,
			setup: func(lr plog.LogRecord) {
				lr.Body().SetStr("free text")
				lr.Attributes().PutStr(AttrAppID, "app-1")
			},
			details: map[string]any{"body": "free text", "audit.app.id": "app-1"},
		},
		{
			name:    "a body that is not an object, alone",
			in:      base + `}`,
			setup:   func(lr plog.LogRecord) { lr.Body().SetStr("free text") },
			details: "free text",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr := decodeInto(t, tt.in, GoodDataToRecord)
			tt.setup(lr)
			entry := goodDataEntryOf(t, lr)
			if tt.details == nil {
				assert.NotContains(t, entry, GoodDataDetailsKey)
			} else {
				assert.Equal(t, tt.details, entry[GoodDataDetailsKey])
			}
			assert.Equal(t, "u", entry["userId"], "fields stay fields")
		})
	}
}

// An Airkit row written as a GoodData entry and read back by the GoodData decoder loses no
// column: the ones without a GoodData field come back from details.
func TestAirkitThroughGoodDataKeepsEveryColumn(t *testing.T) {
	in := decodeInto(t, airkitFull, AirkitToRecord)
	entry := pcommon.NewMap()
	require.NoError(t, ParseJSONObject(AppendGoodDataEntry(nil, in), entry))
	out := plog.NewLogRecord()
	require.NoError(t, GoodDataToRecord(entry, out))
	body := out.Body().Map()
	for i, c := range AirkitColumns {
		want, ok := AirkitText(in, i)
		require.True(t, ok, c.Name)
		var got string
		switch {
		case c.attr == "":
			got, _ = AirkitText(out, i) // derived from ts and eventName
		case c.attr == AttrOrgID || c.attr == AttrEventID || c.attr == AttrUserID:
			got = StrAttr(out, c.attr)
		default:
			v, found := body.Get(c.attr)
			require.True(t, found, "%s in details", c.Name)
			got = v.Str()
		}
		assert.Equal(t, want, got, c.Name)
	}
}

func TestAppendGoodDataEntryEscapesUIDText(t *testing.T) {
	lr := decodeInto(t, `{"eventName":"x","ts":"2026-01-01T00:00:00.000Z","orgId":"o","eventId":"e"}`, GoodDataToRecord)
	lr.Attributes().PutStr(AttrOCSFClassUID, `3"002`)
	assert.Equal(t, `3"002`, goodDataEntryOf(t, lr)["classUid"])
}

// A string field is written from a string attribute as it is, from an attribute of another
// type as its text, and from a missing attribute only when the field is always written.
func TestAppendGoodDataEntryStringFields(t *testing.T) {
	tests := []struct {
		name string
		set  func(a pcommon.Map)
		want string // the orgId and userId members
	}{
		{"strings", func(a pcommon.Map) { a.PutStr(AttrOrgID, "org-1"); a.PutStr(AttrUserID, "user-7") }, `"orgId":"org-1","userId":"user-7"`},
		{"escaped", func(a pcommon.Map) { a.PutStr(AttrOrgID, "o\"1"); a.PutStr(AttrUserID, "u\n") }, `"orgId":"o\"1","userId":"u\n"`},
		{"empty string", func(a pcommon.Map) { a.PutStr(AttrOrgID, ""); a.PutStr(AttrUserID, "") }, `"orgId":"","userId":""`},
		{"int", func(a pcommon.Map) { a.PutInt(AttrOrgID, 42); a.PutInt(AttrUserID, -7) }, `"orgId":"42","userId":"-7"`},
		{"bool", func(a pcommon.Map) { a.PutBool(AttrOrgID, true); a.PutBool(AttrUserID, false) }, `"orgId":"true","userId":"false"`},
		{"double", func(a pcommon.Map) { a.PutDouble(AttrOrgID, 1.5); a.PutDouble(AttrUserID, 2) }, `"orgId":"1.5","userId":"2"`},
		{"map", func(a pcommon.Map) { a.PutEmptyMap(AttrOrgID).PutStr("k", "v"); a.PutEmptyMap(AttrUserID) }, `"orgId":"{\"k\":\"v\"}","userId":"{}"`},
		{"null", func(a pcommon.Map) { a.PutEmpty(AttrOrgID); a.PutEmpty(AttrUserID) }, `"orgId":"","userId":""`},
		{"missing", func(pcommon.Map) {}, `"orgId":""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr := plog.NewLogRecord()
			lr.SetEventName("E")
			tt.set(lr.Attributes())
			lr.Attributes().PutStr(AttrEventID, "e-1")
			want := `{"eventName":"E","categoryUid":"0","classUid":"0","ts":"1970-01-01T00:00:00.000Z",` + tt.want + `,"type":"audit","eventId":"e-1"}`
			assert.Equal(t, want, string(AppendGoodDataEntry(nil, lr)))
		})
	}
}

func TestAppendGoodDataEntryAllocatesNothing(t *testing.T) {
	lr := decodeInto(t, goodDataFull, GoodDataToRecord)
	lr.Attributes().PutInt(AttrOCSFStatusID, 1)
	buf := make([]byte, 0, 4096)
	assert.Zero(t, testing.AllocsPerRun(100, func() { buf = AppendGoodDataEntry(buf[:0], lr) }))
	airkit := decodeInto(t, airkitFull, AirkitToRecord)
	assert.Zero(t, testing.AllocsPerRun(100, func() { buf = AppendGoodDataEntry(buf[:0], airkit) }), "with details from attributes")
}

func TestGoodDataFieldOf(t *testing.T) {
	for i, f := range goodDataFields {
		if f.attr != "" {
			assert.Equal(t, i, goodDataFieldOf(f.attr), f.key)
		}
	}
	for _, attr := range []string{"", AttrSourceFormat, AttrOCSFStatusID, AttrUserEmail, AttrAppID, "audit"} {
		assert.Equal(t, -1, goodDataFieldOf(attr), attr)
	}
}

func TestGoodDataFieldOfKey(t *testing.T) {
	for i, f := range goodDataFields {
		assert.Equal(t, i, goodDataFieldOfKey(f.key), f.key)
	}
	for _, key := range []string{"", GoodDataDetailsKey, "EventName", "eventname", "ORGANIZATION_ID", AttrOrgID} {
		assert.Equal(t, -1, goodDataFieldOfKey(key), key)
	}
}

// The required fields are checked after the others, in the order eventName, ts, orgId, although
// orgId has moved into the record by then.
func TestGoodDataRequiredFieldsCheckedLast(t *testing.T) {
	const ts = `"ts":"2023-01-20T18:55:32.466Z"`
	tests := []struct {
		in, field, reason string
	}{
		{`{"orgId":"","eventName":"x",` + ts + `}`, "orgId", "must not be empty"},
		{`{"orgId":null,"eventName":"x",` + ts + `}`, "orgId", "is required"},
		{`{"eventName":"x",` + ts + `}`, "orgId", "is required"},
		{`{"orgId":"","eventName":"x","ts":"soon"}`, "ts", "must be an RFC 3339 time such as 2023-01-20T18:55:32.466Z"},
		{`{"orgId":"","userId":5,"eventName":"x",` + ts + `}`, "userId", "must be a string, got a number"},
		{`{"orgId":"o"}`, "eventName", "is required"},
		{`{"orgId":"","eventName":"x"}`, "ts", "is required"},
		{`{"eventName":"x","orgId":"o","ts":null}`, "ts", "is required"},
	}
	for _, tt := range tests {
		m := pcommon.NewMap()
		require.NoError(t, ParseJSONObject([]byte(tt.in), m))
		err := GoodDataToRecord(m, plog.NewLogRecord())
		assert.Equal(t, &FieldError{Field: tt.field, Reason: tt.reason}, err, tt.in)
	}
}

// The converters take the values they keep out of the entry, which keeps its keys with empty
// values, rather than copy them.
func TestConvertersTakeTheValues(t *testing.T) {
	entry := pcommon.NewMap()
	require.NoError(t, ParseJSONObject([]byte(`{"eventName":"x","ts":"2023-01-20T18:55:32.466Z","orgId":"o","userId":"u","details":{"a":{"b":1}},"extra":[1]}`), entry))
	lr := plog.NewLogRecord()
	require.NoError(t, GoodDataToRecord(entry, lr))
	assert.Equal(t, "u", StrAttr(lr, AttrUserID))
	assert.Equal(t, map[string]any{"a": map[string]any{"b": int64(1)}, "extra": []any{int64(1)}}, lr.Body().Map().AsRaw())
	assert.Equal(t, map[string]any{"eventName": "x", "ts": "2023-01-20T18:55:32.466Z", "orgId": nil, "userId": nil, "details": nil, "extra": nil},
		entry.AsRaw(), "what the record keeps is moved; what it parses stays")

	row := pcommon.NewMap()
	require.NoError(t, ParseJSONObject([]byte(`{"ORGANIZATION_ID":"o","EVENT_TIME":"2026-01-01 00:00:00","EVENT_TYPE":"x","USER_ID":"u","extra":{"k":1}}`), row))
	lr = plog.NewLogRecord()
	require.NoError(t, AirkitToRecord(row, lr))
	assert.Equal(t, "u", StrAttr(lr, AttrUserID))
	assert.Equal(t, map[string]any{"extra": map[string]any{"k": int64(1)}}, lr.Body().Map().AsRaw())
	assert.Equal(t, map[string]any{"ORGANIZATION_ID": nil, "EVENT_TIME": "2026-01-01 00:00:00", "EVENT_TYPE": "x", "USER_ID": nil, "extra": nil}, row.AsRaw())
}

// details becomes the body whole when it comes first, and is merged entry by entry after other
// fields; either way the last of two equal keys wins at the first one's place.
func TestGoodDataDetailsIntoTheBody(t *testing.T) {
	const base = `"eventName":"x","ts":"2023-01-20T18:55:32.466Z","orgId":"o"`
	tests := []struct {
		in   string
		body string // the body as JSON; "" for an empty body
	}{
		{`{` + base + `,"details":{"a":1,"b":2},"c":3}`, `{"a":1,"b":2,"c":3}`},
		{`{` + base + `,"c":3,"details":{"a":1,"b":2}}`, `{"c":3,"a":1,"b":2}`},
		{`{` + base + `,"details":{}}`, ""},
		{`{` + base + `,"details":{},"c":3}`, `{"c":3}`},
		{`{` + base + `,"details":null}`, ""},
	}
	for _, tt := range tests {
		lr := decodeInto(t, tt.in, GoodDataToRecord)
		if tt.body == "" {
			assert.Equal(t, pcommon.ValueTypeEmpty, lr.Body().Type(), tt.in)
			continue
		}
		assert.Equal(t, tt.body, string(AppendJSONValue(nil, lr.Body())), tt.in)
	}
}

// TestGoodDataFieldAlsoInDetails: a field beyond the canonical ones that is also an entry of
// details would lose one of the two values in the file's details: the entry is refused,
// naming the field, in either order; unless the key looks like a credential, when the error
// names none.
func TestGoodDataFieldAlsoInDetails(t *testing.T) {
	const base = `"eventName":"x","ts":"2023-01-20T18:55:32.466Z","orgId":"o"`
	const tokenKey = "ghp_a1B2c3d4E5f6g7H8i9J0k1L2m3N4o5P6q7R8"
	for _, tt := range []struct{ in, field string }{
		{`{` + base + `,"details":{"a":1,"b":2},"c":3,"a":4}`, "a"},
		{`{` + base + `,"c":3,"a":4,"details":{"a":1,"b":2}}`, "a"},
		{`{` + base + `,"details":{"` + tokenKey + `":1},"` + tokenKey + `":2}`, ""},
		{`{` + base + `,"` + tokenKey + `":2,"details":{"` + tokenKey + `":1}}`, ""},
	} {
		m := pcommon.NewMap()
		require.NoError(t, ParseJSONObject([]byte(tt.in), m))
		err := GoodDataToRecord(m, plog.NewLogRecord())
		var fe *FieldError
		require.ErrorAs(t, err, &fe, tt.in)
		assert.Equal(t, tt.field, fe.Field, tt.in)
		assert.Contains(t, fe.Error(), "is both a field of the entry and an entry of details", tt.in)
		assert.NotContains(t, fe.Error(), tokenKey[4:20], tt.in)
	}
}
