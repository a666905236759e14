package schema

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditship/auditship/internal/auditevent"
)

// recordFrom decodes one source event (a GoodData entry or an Airkit row) into a record, the way
// the receiver does.
func recordFrom(t *testing.T, in string) plog.LogRecord {
	t.Helper()
	m := pcommon.NewMap()
	require.NoError(t, auditevent.ParseJSONObject([]byte(in), m))
	lr := plog.NewLogRecord()
	if auditevent.IsAirkitRow(m) {
		require.NoError(t, auditevent.AirkitToRecord(m, lr))
	} else {
		require.NoError(t, auditevent.GoodDataToRecord(m, lr))
	}
	return lr
}

// encodeFile encodes each record on its own, as the exporter stages them, and assembles the file.
func encodeFile(t *testing.T, c Config, lrs ...plog.LogRecord) []byte {
	t.Helper()
	enc, err := New(c)
	require.NoError(t, err)
	records := make([][]byte, len(lrs))
	for i, lr := range lrs {
		records[i] = enc.AppendRecord(nil, lr)
	}
	return AppendFile(nil, enc, records)
}

const (
	goodDataLogin  = `{"eventName":"user_login","categoryUid":"3","classUid":"3002","description":"User XY logged in","ts":"2023-01-20T18:55:32.466Z","orgId":"org_abc123","workspaceId":"workspace_xyz456","userId":"user_XY","target":"organization_setting_XY","source":"1.2.3.4","sessionContextType":"OIDC","sessionContextIdentifier":"token_1234","success":true,"type":"audit","eventId":"e-1"}`
	goodDataCreate = `{"eventName":"DATASOURCE_CREATE","categoryUid":"99","classUid":"99002","description":"d, with \"quotes\"","ts":"2024-02-29T00:00:00.000Z","orgId":"org_abc123","userId":"u","success":false,"type":"audit","eventId":"e-2","details":{"parameters":{"password":"***","port":5432,"ssl":[true,null,1.5]}}}`
	airkitFull     = `{"ORGANIZATION_ID":"org-1","EVENT_ID":"ev-1","EVENT_YEAR":2026,"EVENT_MONTH":"2026-11-01","EVENT_DATE":"2026-11-22","EVENT_TIME":"2026-11-22 02:30:00.123","ROOT_SCOPE_USER_ID":"rsu-1","USER_ID":"u-1","EMAIL":"a@example.com","APP_ID":"app-1","BRANCH_ID":"br-1","DEPLOY_ID":"dep-1","SAVEPOINT_ID":"sp-1","SAVEPOINT_REVISION":"7","RESOURCE_TYPE":"datastore","RESOURCE_ID":"res-1","DOMAIN":"example.com","DATASTORE_ID":"ds-1","API_KEY_ID":"ak-1","NOTIFIER_ID":"n-1","SAML_ID":"saml-1","WEBHOOK_ID":"wh-1","ADAPTER_ID":"ad-1","EMBED_ID":"em-1","ROLE_ID":"role-1","SERVICE":"studio","SERVICE_REVISION":"r42","LOGIN_TYPE":"password","EVENT_TYPE":"user_login"}`
	// airkitSparse has SQL NULLs (absent or null) and one empty string (API_KEY_ID).
	airkitSparse = `{"ORGANIZATION_ID":"org-1","EVENT_ID":"ev-2","EVENT_TIME":"2025-01-31 23:59:59.999","USER_ID":null,"API_KEY_ID":"","EVENT_TYPE":"invalid_login"}`
)

// airkitColumnNames are the 29 column names in Airkit's order, written out here so that a change
// to the contract's order fails a test.
var airkitColumnNames = []string{
	"ORGANIZATION_ID", "EVENT_ID", "EVENT_YEAR", "EVENT_MONTH", "EVENT_DATE", "EVENT_TIME",
	"ROOT_SCOPE_USER_ID", "USER_ID", "EMAIL", "APP_ID", "BRANCH_ID", "DEPLOY_ID", "SAVEPOINT_ID",
	"SAVEPOINT_REVISION", "RESOURCE_TYPE", "RESOURCE_ID", "DOMAIN", "DATASTORE_ID", "API_KEY_ID",
	"NOTIFIER_ID", "SAML_ID", "WEBHOOK_ID", "ADAPTER_ID", "EMBED_ID", "ROLE_ID", "SERVICE",
	"SERVICE_REVISION", "LOGIN_TYPE", "EVENT_TYPE",
}

var ocsfColumnNames = []string{
	"OCSF_CATEGORY_UID", "OCSF_CLASS_UID", "OCSF_ACTIVITY_ID", "OCSF_TYPE_UID", "OCSF_SEVERITY_ID", "OCSF_STATUS_ID",
}

// classify sets the OCSF ids as the ocsf processor would.
func classify(lr plog.LogRecord, category, class, activity, severity, status int64) plog.LogRecord {
	a := lr.Attributes()
	a.PutInt(auditevent.AttrOCSFCategoryUID, category)
	a.PutInt(auditevent.AttrOCSFClassUID, class)
	a.PutStr(auditevent.AttrOCSFClassName, "Authentication")
	a.PutInt(auditevent.AttrOCSFActivityID, activity)
	a.PutInt(auditevent.AttrOCSFTypeUID, class*100+activity)
	a.PutInt(auditevent.AttrOCSFSeverityID, severity)
	a.PutInt(auditevent.AttrOCSFStatusID, status)
	return lr
}
