package auditevent

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// airkitFull sets every one of the 29 columns.
const airkitFull = `{"ORGANIZATION_ID":"org-1","EVENT_ID":"ev-1","EVENT_YEAR":2026,"EVENT_MONTH":"2026-11-01","EVENT_DATE":"2026-11-22","EVENT_TIME":"2026-11-22 02:30:00.123","ROOT_SCOPE_USER_ID":"rsu-1","USER_ID":"u-1","EMAIL":"a@example.com","APP_ID":"app-1","BRANCH_ID":"br-1","DEPLOY_ID":"dep-1","SAVEPOINT_ID":"sp-1","SAVEPOINT_REVISION":"7","RESOURCE_TYPE":"datastore","RESOURCE_ID":"res-1","DOMAIN":"example.com","DATASTORE_ID":"ds-1","API_KEY_ID":"ak-1","NOTIFIER_ID":"n-1","SAML_ID":"saml-1","WEBHOOK_ID":"wh-1","ADAPTER_ID":"ad-1","EMBED_ID":"em-1","ROLE_ID":"role-1","SERVICE":"studio","SERVICE_REVISION":"r42","LOGIN_TYPE":"password","EVENT_TYPE":"user_login"}`

// goodDataFull sets every field of GoodData's entry, in GoodData's order, plus the event id and
// details we add.
const goodDataFull = `{"eventName":"user_login","categoryUid":"3","classUid":"3002","description":"User XY logged in","ts":"2023-01-20T18:55:32.466Z","orgId":"org_abc123","workspaceId":"workspace_xyz456","userId":"user_XY","target":"organization_setting_XY","source":"1.2.3.4","errorCode":"ACCESS_DENIED","sessionContextType":"OIDC","sessionContextIdentifier":"token_1234","success":true,"type":"audit","eventId":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","details":{"parameters":{"a":1,"b":[true,null,1.5]},"exportId":"x"}}`

func decodeInto(t *testing.T, in string, convert func(pcommon.Map, plog.LogRecord) error) plog.LogRecord {
	t.Helper()
	m := pcommon.NewMap()
	require.NoError(t, ParseJSONObject([]byte(in), m))
	lr := plog.NewLogRecord()
	require.NoError(t, convert(m, lr))
	return lr
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		convert func(pcommon.Map, plog.LogRecord) error
		encode  func([]byte, plog.LogRecord) []byte
	}{
		{"airkit all 29 columns", airkitFull, AirkitToRecord, AppendAirkitJSON},
		{"airkit nulls stay null", `{"ORGANIZATION_ID":"o","EVENT_ID":"e","EVENT_YEAR":2025,"EVENT_MONTH":"2025-01-01","EVENT_DATE":"2025-01-31","EVENT_TIME":"2025-01-31 23:59:59.999","ROOT_SCOPE_USER_ID":null,"USER_ID":null,"EMAIL":null,"APP_ID":null,"BRANCH_ID":null,"DEPLOY_ID":null,"SAVEPOINT_ID":null,"SAVEPOINT_REVISION":null,"RESOURCE_TYPE":null,"RESOURCE_ID":null,"DOMAIN":null,"DATASTORE_ID":null,"API_KEY_ID":"","NOTIFIER_ID":null,"SAML_ID":null,"WEBHOOK_ID":null,"ADAPTER_ID":null,"EMBED_ID":null,"ROLE_ID":null,"SERVICE":null,"SERVICE_REVISION":null,"LOGIN_TYPE":null,"EVENT_TYPE":"invalid_login"}`, AirkitToRecord, AppendAirkitJSON},
		{"airkit microseconds kept", `{"ORGANIZATION_ID":"o","EVENT_ID":"e","EVENT_YEAR":2026,"EVENT_MONTH":"2026-02-01","EVENT_DATE":"2026-02-03","EVENT_TIME":"2026-02-03 04:05:06.123456","ROOT_SCOPE_USER_ID":null,"USER_ID":null,"EMAIL":null,"APP_ID":null,"BRANCH_ID":null,"DEPLOY_ID":null,"SAVEPOINT_ID":null,"SAVEPOINT_REVISION":null,"RESOURCE_TYPE":null,"RESOURCE_ID":null,"DOMAIN":null,"DATASTORE_ID":null,"API_KEY_ID":null,"NOTIFIER_ID":null,"SAML_ID":null,"WEBHOOK_ID":null,"ADAPTER_ID":null,"EMBED_ID":null,"ROLE_ID":null,"SERVICE":null,"SERVICE_REVISION":null,"LOGIN_TYPE":null,"EVENT_TYPE":"user_logout"}`, AirkitToRecord, AppendAirkitJSON},
		{"gooddata every field", goodDataFull, GoodDataToRecord, AppendGoodDataEntry},
		{"gooddata seed example", `{"eventName":"user_login","categoryUid":"3","classUid":"3002","description":"User XY logged in","ts":"2023-01-20T18:55:32.466Z","orgId":"org_abc123","workspaceId":"workspace_xyz456","userId":"user_XY","target":"organization_setting_XY","source":"1.2.3.4","sessionContextType":"OIDC","sessionContextIdentifier":"token_1234","success":true,"type":"audit","eventId":"e-1"}`, GoodDataToRecord, AppendGoodDataEntry},
		{"gooddata custom class and failure", `{"eventName":"DATASOURCE_CREATE","categoryUid":"99","classUid":"99002","description":"d","ts":"2024-02-29T00:00:00.000Z","orgId":"o","userId":"u","success":false,"type":"audit","eventId":"e-2","details":{"parameters":{"password":"***"}}}`, GoodDataToRecord, AppendGoodDataEntry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr := decodeInto(t, tt.in, tt.convert)
			out := tt.encode(nil, lr)
			assert.Equal(t, tt.in, string(out), "byte-for-byte round trip")
		})
	}
}

func TestAirkitTypes(t *testing.T) {
	lr := decodeInto(t, airkitFull, AirkitToRecord)
	var row map[string]any
	require.NoError(t, json.Unmarshal(AppendAirkitJSON(nil, lr), &row))
	assert.Len(t, row, 29)
	assert.Equal(t, float64(2026), row["EVENT_YEAR"], "EVENT_YEAR is a JSON number")
	assert.Equal(t, "2026-11-01", row["EVENT_MONTH"], "EVENT_MONTH is a date")
	assert.Equal(t, "2026-11-22", row["EVENT_DATE"])
	assert.Equal(t, "2026-11-22 02:30:00.123", row["EVENT_TIME"], "timestamp without zone")
	assert.Equal(t, "user_login", lr.EventName())
	assert.Equal(t, "org-1", OrgID(lr))
	assert.Equal(t, "ev-1", EventID(lr))
	assert.Equal(t, "u-1", StrAttr(lr, AttrUserID))
	assert.Equal(t, "ak-1", StrAttr(lr, AttrAPIKeyID))
}

func TestGoodDataTypes(t *testing.T) {
	lr := decodeInto(t, goodDataFull, GoodDataToRecord)
	cat, _ := lr.Attributes().Get(AttrOCSFCategoryUID)
	assert.Equal(t, int64(3), cat.Int(), "uids are integers in the record")
	var entry map[string]any
	require.NoError(t, json.Unmarshal(AppendGoodDataEntry(nil, lr), &entry))
	assert.Equal(t, "3", entry["categoryUid"], "uids are strings in the file")
	assert.Equal(t, "3002", entry["classUid"])
	assert.Equal(t, "2023-01-20T18:55:32.466Z", entry["ts"])
	assert.Equal(t, true, entry["success"])
}

func TestGoodDataDefaults(t *testing.T) {
	// An offset time is normalised to UTC with milliseconds; type defaults to audit; an id is made.
	lr := decodeInto(t, `{"eventName":"USER_LOGOUT","ts":"2023-01-20T20:55:32+02:00","orgId":"o"}`, GoodDataToRecord)
	var entry map[string]any
	require.NoError(t, json.Unmarshal(AppendGoodDataEntry(nil, lr), &entry))
	assert.Equal(t, "2023-01-20T18:55:32.000Z", entry["ts"])
	assert.Equal(t, "audit", entry["type"])
	assert.Equal(t, "0", entry["categoryUid"])
	assert.Len(t, entry["eventId"], 36)
	assert.NotContains(t, entry, "details")
	assert.NotContains(t, entry, "success")
}

func TestUnknownFieldsGoToBody(t *testing.T) {
	lr := decodeInto(t, `{"eventName":"x","ts":"2023-01-20T18:55:32.466Z","orgId":"o","exportFormat":"csv","details":{"exportId":"e"}}`, GoodDataToRecord)
	assert.Equal(t, map[string]any{"exportFormat": "csv", "exportId": "e"}, lr.Body().Map().AsRaw())
	lr = decodeInto(t, `{"ORGANIZATION_ID":"o","EVENT_TIME":"2026-01-01 00:00:00","EVENT_TYPE":"x","extra":{"k":[1]}}`, AirkitToRecord)
	assert.Equal(t, map[string]any{"extra": map[string]any{"k": []any{int64(1)}}}, lr.Body().Map().AsRaw())
}

func TestConversionErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		convert func(pcommon.Map, plog.LogRecord) error
		field   string
	}{
		{"gooddata missing orgId", `{"eventName":"x","ts":"2023-01-20T18:55:32.466Z"}`, GoodDataToRecord, "orgId"},
		{"gooddata bad ts", `{"eventName":"x","ts":"yesterday","orgId":"o"}`, GoodDataToRecord, "ts"},
		{"gooddata empty eventName", `{"eventName":"","ts":"2023-01-20T18:55:32.466Z","orgId":"o"}`, GoodDataToRecord, "eventName"},
		{"gooddata success as string", `{"eventName":"x","ts":"2023-01-20T18:55:32.466Z","orgId":"o","success":"yes"}`, GoodDataToRecord, "success"},
		{"gooddata classUid not a number", `{"eventName":"x","ts":"2023-01-20T18:55:32.466Z","orgId":"o","classUid":"abc"}`, GoodDataToRecord, "classUid"},
		{"gooddata details not an object", `{"eventName":"x","ts":"2023-01-20T18:55:32.466Z","orgId":"o","details":[1]}`, GoodDataToRecord, "details"},
		{"gooddata userId number", `{"eventName":"x","ts":"2023-01-20T18:55:32.466Z","orgId":"o","userId":5}`, GoodDataToRecord, "userId"},
		{"airkit missing time", `{"ORGANIZATION_ID":"o","EVENT_TYPE":"x"}`, AirkitToRecord, "EVENT_TIME"},
		{"airkit missing org", `{"EVENT_TIME":"2026-01-01 00:00:00","EVENT_TYPE":"x"}`, AirkitToRecord, "ORGANIZATION_ID"},
		{"airkit bad time", `{"ORGANIZATION_ID":"o","EVENT_TIME":"soon","EVENT_TYPE":"x"}`, AirkitToRecord, "EVENT_TIME"},
		{"airkit date contradicts time", `{"ORGANIZATION_ID":"o","EVENT_TIME":"2026-01-01 00:00:00","EVENT_DATE":"2026-01-02","EVENT_TYPE":"x"}`, AirkitToRecord, "EVENT_DATE"},
		{"airkit year contradicts time", `{"ORGANIZATION_ID":"o","EVENT_TIME":"2026-01-01 00:00:00","EVENT_YEAR":2025,"EVENT_TYPE":"x"}`, AirkitToRecord, "EVENT_YEAR"},
		{"airkit varchar as number", `{"ORGANIZATION_ID":"o","EVENT_TIME":"2026-01-01 00:00:00","EVENT_TYPE":"x","USER_ID":5}`, AirkitToRecord, "USER_ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := pcommon.NewMap()
			require.NoError(t, ParseJSONObject([]byte(tt.in), m))
			err := tt.convert(m, plog.NewLogRecord())
			var fe *FieldError
			require.True(t, errors.As(err, &fe), "want a FieldError, got %v", err)
			assert.Equal(t, tt.field, fe.Field)
		})
	}
}

func TestEventIDsAreTimeOrdered(t *testing.T) {
	prev := NewEventID()
	for range 1000 {
		id := NewEventID()
		require.Greater(t, id, prev)
		prev = id
	}
}

func TestAppendJSONString(t *testing.T) {
	cases := []string{"plain", "quote\" back\\ nl\n tab\t ctl\x01", "ünïcødé ☃ \u2028", "bad \xff utf8"}
	// Each byte that needs care at every place in and around the eight-byte steps.
	for _, special := range []string{"\"", "\\", "\n", "\x1f", "é", "\u2028", "\xff"} {
		for at := 0; at <= 17; at++ {
			cases = append(cases, strings.Repeat("a", at)+special+strings.Repeat("b", 17-at))
		}
	}
	for _, s := range cases {
		var got string
		require.NoError(t, json.Unmarshal(AppendJSONString(nil, s), &got))
		want, _ := json.Marshal(s)
		var wantS string
		require.NoError(t, json.Unmarshal(want, &wantS))
		assert.Equal(t, wantS, got)
	}
}

// What the processors add (ocsf.*, mask.*) and the source format are bookkeeping: a GoodData
// entry that went through them still comes out byte for byte.
func TestGoodDataRoundTripAfterProcessors(t *testing.T) {
	for _, in := range []string{
		goodDataFull,
		`{"eventName":"DATASOURCE_CREATE","categoryUid":"99","classUid":"99002","description":"d","ts":"2024-02-29T00:00:00.000Z","orgId":"o","userId":"u","success":false,"type":"audit","eventId":"e-2","details":{"parameters":{"password":"***"}}}`,
	} {
		lr := decodeInto(t, in, GoodDataToRecord)
		a := lr.Attributes()
		a.PutStr(AttrOCSFCategoryName, "Identity & Access Management")
		a.PutStr(AttrOCSFClassName, "Authentication")
		a.PutInt(AttrOCSFActivityID, 1)
		a.PutStr(AttrOCSFActivityName, "Logon")
		a.PutInt(AttrOCSFTypeUID, 300201)
		a.PutStr(AttrOCSFTypeName, "Authentication: Logon")
		a.PutInt(AttrOCSFSeverityID, 1)
		a.PutInt(AttrOCSFStatusID, 2) // disagrees with success: the entry's own flag wins
		a.PutInt(AttrMaskCount, 1)
		a.PutStr(AttrMaskRules, "password")
		assert.Equal(t, in, string(AppendGoodDataEntry(nil, lr)))
	}
}
