package schema

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditship/auditship/internal/auditevent"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ocsf")

var ocsfCategoryNames = map[int64]string{
	3: "Identity & Access Management", 4: "Network Activity", 6: "Application Activity", 99: "GoodData",
}

// ocsfCase is one representative event per class (and source) of the seed tables
// (../shared/ocsf/gooddata_events.csv, standard alternative columns; airkit_events.csv),
// classified as the ocsf processor does.
type ocsfCase struct {
	name       string
	in         string // a GoodData entry or an Airkit row
	class      int64
	activity   int64
	className  string
	activityNm string
	status     int64 // 0: the processor sets none
	// gaps are the 1.3.0 requirements the source cannot meet: it does not carry the data.
	gaps []string
}

// goodDataEntry is a full GoodData entry for eventName with the fields in extra added.
func goodDataEntry(t *testing.T, eventName string, extra map[string]any) string {
	t.Helper()
	e := map[string]any{
		"eventName": eventName, "description": strings.ToLower(eventName) + " by user_XY", "ts": "2023-01-20T18:55:32.466Z",
		"orgId": "org_abc123", "workspaceId": "workspace_xyz456", "userId": "user_XY", "source": "1.2.3.4",
		"sessionContextType": "OIDC", "sessionContextIdentifier": "token_1234", "success": true, "type": "audit",
		"eventId": "e-" + strings.ToLower(eventName),
	}
	for k, v := range extra {
		e[k] = v
	}
	b, err := json.Marshal(e)
	require.NoError(t, err)
	return string(b)
}

// airkitRow is an Airkit row of the event eventType: the columns every row has, the user's,
// and of airkitFull's others those named in columns, as an event of that type carries them.
func airkitRow(t *testing.T, eventType string, columns ...string) string {
	t.Helper()
	var full map[string]any
	require.NoError(t, json.Unmarshal([]byte(airkitFull), &full))
	row := map[string]any{"EVENT_TYPE": eventType, "EVENT_ID": "ev-" + eventType}
	for _, c := range append([]string{"ORGANIZATION_ID", "EVENT_YEAR", "EVENT_MONTH", "EVENT_DATE", "EVENT_TIME", "USER_ID", "EMAIL"}, columns...) {
		row[c] = full[c]
	}
	b, err := json.Marshal(row)
	require.NoError(t, err)
	return string(b)
}

// airkitNoEndpoint is the gap of classes that require src_endpoint: Airkit rows carry no
// address.
const airkitNoEndpoint = "object network_endpoint: ip|uid|name|hostname|svc_name|instance_uid|interface_uid|interface_name"

func ocsfCases(t *testing.T) []ocsfCase {
	target := func(v string) map[string]any { return map[string]any{"target": v} }
	return []ocsfCase{
		{name: "gooddata_3001_user_create", in: goodDataEntry(t, "USER_CREATE", target("user_new")), class: 3001, activity: 1, className: "Account Change", activityNm: "Create", status: 1},
		{name: "gooddata_3002_user_login", in: goodDataEntry(t, "USER_LOGIN", nil), class: 3002, activity: 1, className: "Authentication", activityNm: "Logon", status: 1,
			gaps: []string{"class 3002 Authentication: service|dst_endpoint"}},
		{name: "gooddata_3002_user_login_failed", in: goodDataEntry(t, "USER_LOGIN", map[string]any{"success": false, "errorCode": "INVALID_TOKEN", "sessionContextType": "JWT"}),
			class: 3002, activity: 1, className: "Authentication", activityNm: "Logon", status: 2,
			gaps: []string{"class 3002 Authentication: service|dst_endpoint"}},
		{name: "gooddata_3004_datasource_create", in: goodDataEntry(t, "DATASOURCE_CREATE", map[string]any{
			"target": "ds_pg", "details": map[string]any{"parameters": map[string]any{"password": "***", "port": 5432}},
		}), class: 3004, activity: 1, className: "Entity Management", activityNm: "Create", status: 1},
		{name: "gooddata_3005_permission_user_add", in: goodDataEntry(t, "PERMISSION_USER_ADD", map[string]any{
			"target": "user_other", "details": map[string]any{"permissionLevel": "VIEW", "object": "workspace_xyz456"},
		}), class: 3005, activity: 1, className: "User Access Management", activityNm: "Assign Privileges", status: 1},
		{name: "gooddata_3006_user_usergroup_add", in: goodDataEntry(t, "USER_USERGROUP_ADD", target("group_admins")), class: 3006, activity: 3, className: "Group Management", activityNm: "Add User", status: 1,
			gaps: []string{"class 3006 Group Management: privileges|user"}},
		{name: "gooddata_4009_scheduled_mail_send", in: goodDataEntry(t, "SCHEDULED_MAIL_SEND", target("automation_1")), class: 4009, activity: 1, className: "Email Activity", activityNm: "Send", status: 1,
			gaps: []string{"object email: from", "object email: to"}},
		{name: "gooddata_6001_dashboard_update", in: goodDataEntry(t, "DASHBOARD_UPDATE", target("dashboard_1")), class: 6001, activity: 3, className: "Web Resources Activity", activityNm: "Update", status: 1},
		{name: "gooddata_6005_data_export_initiate", in: goodDataEntry(t, "DATA_EXPORT_INITIATE", map[string]any{
			"target": "dashboard_1", "details": map[string]any{"exportFormat": "csv", "exportId": "x-1"},
		}), class: 6005, activity: 4, className: "Datastore Activity", activityNm: "Query", status: 1},
		{name: "airkit_3001_password_change", in: airkitRow(t, "password_change"), class: 3001, activity: 3, className: "Account Change", activityNm: "Password Change"},
		{name: "airkit_3002_invalid_login", in: airkitRow(t, "invalid_login", "SERVICE", "SERVICE_REVISION", "LOGIN_TYPE"), class: 3002, activity: 1, className: "Authentication", activityNm: "Logon", status: 2},
		{name: "airkit_3004_new_adapter", in: airkitRow(t, "new_adapter", "ADAPTER_ID", "APP_ID"), class: 3004, activity: 1, className: "Entity Management", activityNm: "Create"},
		{name: "airkit_3005_user_role_added", in: airkitRow(t, "user_role_added", "ROLE_ID"), class: 3005, activity: 1, className: "User Access Management", activityNm: "Assign Privileges"},
		{name: "airkit_6001_portal_page_view", in: airkitRow(t, "portal_page_view", "APP_ID"), class: 6001, activity: 2, className: "Web Resources Activity", activityNm: "Read"},
		{name: "airkit_6002_app_deployed", in: airkitRow(t, "app_deployed", "APP_ID", "BRANCH_ID", "DEPLOY_ID"), class: 6002, activity: 1, className: "Application Lifecycle", activityNm: "Install",
			gaps: []string{"object product: vendor_name"}},
		{name: "airkit_6003_request_state", in: airkitRow(t, "request_state", "SERVICE"), class: 6003, activity: 99, className: "API Activity", activityNm: "request_state",
			gaps: []string{airkitNoEndpoint}},
		{name: "airkit_6005_new_datastore", in: airkitRow(t, "new_datastore", "DATASTORE_ID", "APP_ID"), class: 6005, activity: 6, className: "Datastore Activity", activityNm: "Create",
			gaps: []string{airkitNoEndpoint}},
	}
}

// record is the case's event as it reaches the exporter: decoded by the receiver, classified
// by the ocsf processor.
func (c ocsfCase) record(t *testing.T) plog.LogRecord {
	lr := recordFrom(t, c.in)
	a := lr.Attributes()
	category := c.class / 1000
	a.PutInt(auditevent.AttrOCSFCategoryUID, category)
	a.PutStr(auditevent.AttrOCSFCategoryName, ocsfCategoryNames[category])
	a.PutInt(auditevent.AttrOCSFClassUID, c.class)
	a.PutStr(auditevent.AttrOCSFClassName, c.className)
	a.PutInt(auditevent.AttrOCSFActivityID, c.activity)
	a.PutStr(auditevent.AttrOCSFActivityName, c.activityNm)
	a.PutInt(auditevent.AttrOCSFTypeUID, c.class*100+c.activity)
	a.PutStr(auditevent.AttrOCSFTypeName, c.className+": "+c.activityNm)
	a.PutInt(auditevent.AttrOCSFSeverityID, 1)
	if c.status != 0 {
		a.PutInt(auditevent.AttrOCSFStatusID, c.status)
	}
	a.PutInt(auditevent.AttrMaskCount, 0)
	return lr
}

// ocsfRule is one 1.3.0 row of the required-fields table.
type ocsfRule struct {
	attrs       []string // one, or the alternatives of at_least_one and just_one
	requirement string
	typ         string
}

// ocsfRules are the 1.3.0 rules by scope ("class 3002 Authentication", "object user").
// Profile rows are left out: the encoder applies no profile.
func ocsfRules(t *testing.T) map[string][]ocsfRule {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "ocsf_required_fields.csv"))
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"ocsf_version", "scope", "attribute", "requirement", "source", "type"}, rows[0])
	rules := map[string][]ocsfRule{}
	for _, row := range rows[1:] {
		if row[0] != OCSFVersion || strings.HasPrefix(row[4], "profile:") {
			continue
		}
		rules[row[1]] = append(rules[row[1]], ocsfRule{attrs: strings.Split(row[2], "|"), requirement: row[3], typ: row[5]})
	}
	return rules
}

// ocsfObjectTypes are the OCSF object types of the objects the encoder writes, by key.
var ocsfObjectTypes = map[string]string{
	"metadata": "metadata", "product": "product", "actor": "actor", "user": "user",
	"src_endpoint": "network_endpoint", "service": "service", "group": "group", "entity": "managed_entity",
	"web_resources": "web_resource", "app": "product", "api": "api", "database": "database", "email": "email",
}

// ocsfViolations checks event against the rules of its class and of every object in it, and
// returns what it misses.
func ocsfViolations(t *testing.T, rules map[string][]ocsfRule, event map[string]any) []string {
	class := int64(event["class_uid"].(float64))
	var scope string
	for s := range rules {
		if strings.HasPrefix(s, "class "+strconv.FormatInt(class, 10)+" ") {
			scope = s
		}
	}
	require.NotEmpty(t, scope, "class %d has rules", class)
	var out []string
	out = append(out, checkScope(rules, scope, event)...)
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if typ, ok := ocsfObjectTypes[key]; ok {
				out = append(out, checkScope(rules, "object "+typ, v)...)
			}
			for k, child := range v {
				if k != "unmapped" {
					walk(k, child)
				}
			}
		case []any:
			for _, e := range v {
				walk(key, e)
			}
		}
	}
	walk("", event)
	sort.Strings(out)
	return out
}

func checkScope(rules map[string][]ocsfRule, scope string, obj map[string]any) []string {
	var out []string
	for _, r := range rules[scope] {
		n := 0
		for _, a := range r.attrs {
			if v, ok := obj[a]; ok && v != nil {
				n++
				if problem := ocsfTypeProblem(r.typ, v); problem != "" {
					out = append(out, scope+": "+a+" "+problem)
				}
			}
		}
		switch {
		case r.requirement == "just_one" && n != 1, n == 0:
			out = append(out, scope+": "+strings.Join(r.attrs, "|"))
		}
	}
	return out
}

// ocsfTypeProblem says how v is not of the OCSF type typ, for the types the rules name.
func ocsfTypeProblem(typ string, v any) string {
	switch typ {
	case "integer_t", "long_t", "timestamp_t":
		if f, ok := v.(float64); !ok || f != math.Trunc(f) {
			return "is not an integer"
		}
	case "string_t", "email_t":
		if _, ok := v.(string); !ok {
			return "is not a string"
		}
	case "string_t[]", "email_t[]":
		if _, ok := v.([]any); !ok {
			return "is not an array"
		}
	case "":
	default:
		if strings.HasSuffix(typ, "[]") {
			if _, ok := v.([]any); !ok {
				return "is not an array"
			}
		} else if _, ok := v.(map[string]any); !ok {
			return "is not an object"
		}
	}
	return ""
}

// Every mapped class gives an event that meets OCSF 1.3.0's requirements, but for what the
// source does not carry; the output is pinned by a golden file per case.
func TestOCSFEventsMeetRequirements(t *testing.T) {
	rules := ocsfRules(t)
	enc, err := New(Config{Schema: OCSF})
	require.NoError(t, err)
	for _, c := range ocsfCases(t) {
		t.Run(c.name, func(t *testing.T) {
			lr := c.record(t)
			got := enc.AppendRecord(nil, lr)
			assert.Equal(t, got, enc.AppendRecord(nil, lr), "same record, same bytes")
			require.NotContains(t, string(got), "\n")
			event := decodeJSON(t, got).(map[string]any)
			assert.Equal(t, c.gaps, ocsfViolations(t, rules, event))
			assert.Equal(t, []string(nil), ocsfViolations(t, rules, map[string]any{"class_uid": 0.0, "metadata": event["metadata"],
				"activity_id": event["activity_id"], "category_uid": event["category_uid"], "severity_id": event["severity_id"],
				"time": event["time"], "type_uid": event["type_uid"]}), "the base event's own rules")
			assertNothingLost(t, lr, got)

			golden := filepath.Join("testdata", "ocsf", c.name+".json")
			var pretty bytes.Buffer
			require.NoError(t, json.Indent(&pretty, got, "", "  "))
			if *update {
				require.NoError(t, os.WriteFile(golden, append(pretty.Bytes(), '\n'), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test -run TestOCSFEventsMeetRequirements -update")
			assert.Equal(t, string(want), pretty.String()+"\n")
		})
	}
}

// assertNothingLost checks that every value the record carries, but for bookkeeping, is in
// the event; success as the status_id the processor derived from it.
func assertNothingLost(t *testing.T, lr plog.LogRecord, event []byte) {
	t.Helper()
	status := decodeJSON(t, event).(map[string]any)["status_id"]
	for k, v := range lr.Attributes().All() {
		if auditevent.IsBookkeepingAttr(k) {
			continue
		}
		if k == auditevent.AttrSuccess && status != 0.0 {
			assert.Equal(t, map[bool]float64{true: 1, false: 2}[v.Bool()], status, "status_id says success")
			continue
		}
		want := v.AsString()
		if v.Type() == pcommon.ValueTypeStr {
			want = string(auditevent.AppendJSONString(nil, want))
		}
		assert.Contains(t, string(event), want, "attribute %s", k)
	}
	if lr.Body().Type() != pcommon.ValueTypeEmpty {
		assert.Contains(t, string(event), string(auditevent.AppendJSONValue(nil, lr.Body())), "the body")
	}
}

// The ids that say which class and how the event went, as the base event must have them.
func TestOCSFBaseFields(t *testing.T) {
	lr := ocsfCases(t)[1].record(t)
	event := decodeJSON(t, encodeOne(t, lr)).(map[string]any)
	assert.Equal(t, map[string]any{
		"activity_id": 1.0, "activity_name": "Logon", "category_uid": 3.0, "category_name": "Identity & Access Management",
		"class_uid": 3002.0, "class_name": "Authentication", "type_uid": 300201.0, "type_name": "Authentication: Logon",
		"severity_id": 1.0, "status_id": 1.0, "time": 1674240932466.0, "message": "user_login by user_XY",
		"metadata": map[string]any{"version": "1.3.0", "product": map[string]any{"name": "GoodData", "vendor_name": "GoodData"},
			"uid": "e-user_login", "event_code": "USER_LOGIN", "tenant_uid": "org_abc123"},
		"actor":            map[string]any{"session": map[string]any{"credential_uid": "token_1234"}},
		"src_endpoint":     map[string]any{"ip": "1.2.3.4"},
		"user":             map[string]any{"uid": "user_XY"},
		"auth_protocol_id": 4.0, "auth_protocol": "OIDC",
		"unmapped": map[string]any{"audit.workspace.id": "workspace_xyz456", "audit.type": "audit"},
	}, event)
}

func encodeOne(t *testing.T, lr plog.LogRecord) []byte {
	t.Helper()
	enc, err := New(Config{Schema: OCSF})
	require.NoError(t, err)
	return enc.AppendRecord(nil, lr)
}

// A record the processor did not classify, or classified into GoodData's own classes (id_mode
// not strict), is still valid OCSF: a Base Event, with what it was in unmapped.
func TestOCSFOutsideTheStandardClasses(t *testing.T) {
	rules := ocsfRules(t)
	tests := []struct {
		name     string
		classify func(pcommon.Map)
		want     map[string]any
		unmapped map[string]any
	}{
		{
			name: "gooddata own class",
			classify: func(a pcommon.Map) {
				a.PutInt(auditevent.AttrOCSFCategoryUID, 99)
				a.PutInt(auditevent.AttrOCSFClassUID, 99002)
				a.PutStr(auditevent.AttrOCSFClassName, "GoodData-specific 99002")
				a.PutInt(auditevent.AttrOCSFSeverityID, 1)
			},
			want: map[string]any{"activity_id": 99.0, "activity_name": "DATASOURCE_CREATE", "category_uid": 0.0, "category_name": "Uncategorized",
				"class_uid": 0.0, "class_name": "Base Event", "type_uid": 99.0, "severity_id": 1.0, "status_id": 0.0},
			unmapped: map[string]any{"ocsf.category_uid": 99.0, "ocsf.class_uid": 99002.0, "ocsf.class_name": "GoodData-specific 99002",
				"user.id": "user_XY", "client.address": "1.2.3.4", "audit.target": "ds_pg", "audit.success": true},
		},
		{
			name:     "unclassified",
			classify: func(pcommon.Map) {},
			want: map[string]any{"activity_id": 0.0, "category_uid": 0.0, "class_uid": 0.0, "type_uid": 0.0,
				"severity_id": 0.0, "status_id": 0.0},
			unmapped: map[string]any{"audit.target": "ds_pg", "audit.success": true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr := recordFrom(t, goodDataEntry(t, "DATASOURCE_CREATE", map[string]any{"target": "ds_pg"}))
			tt.classify(lr.Attributes())
			got := encodeOne(t, lr)
			event := decodeJSON(t, got).(map[string]any)
			for k, v := range tt.want {
				assert.Equal(t, v, event[k], k)
			}
			for k, v := range tt.unmapped {
				assert.Equal(t, v, event["unmapped"].(map[string]any)[k], k)
			}
			assert.Empty(t, ocsfViolations(t, rules, event))
			assertNothingLost(t, lr, got)
		})
	}
}

// Ids a hand-made record gives as strings of digits are numbers in OCSF; missing type and
// category follow from the class.
func TestOCSFIdsFromStrings(t *testing.T) {
	lr := recordFrom(t, airkitRow(t, "user_login"))
	a := lr.Attributes()
	a.PutStr(auditevent.AttrOCSFClassUID, "3002")
	a.PutStr(auditevent.AttrOCSFActivityID, "1")
	a.PutStr(auditevent.AttrOCSFSeverityID, "high") // not an id: kept in unmapped
	event := decodeJSON(t, encodeOne(t, lr)).(map[string]any)
	assert.Equal(t, []any{3.0, 3002.0, 1.0, 300201.0, 0.0}, []any{event["category_uid"], event["class_uid"], event["activity_id"], event["type_uid"], event["severity_id"]})
	assert.Equal(t, "high", event["unmapped"].(map[string]any)["ocsf.severity_id"])
}

// The time is the event's, else when it was received, in epoch milliseconds.
func TestOCSFTime(t *testing.T) {
	lr := plog.NewLogRecord()
	lr.SetObservedTimestamp(1_700_000_000_123_456_789)
	assert.Equal(t, 1700000000123.0, decodeJSON(t, encodeOne(t, lr)).(map[string]any)["time"])
	lr.SetTimestamp(1_600_000_000_999_000_000)
	assert.Equal(t, 1600000000999.0, decodeJSON(t, encodeOne(t, lr)).(map[string]any)["time"])
}

// The golden files are the cases, no more: a removed case leaves no stale file.
func TestOCSFGoldenFilesMatchCases(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "ocsf", "*.json"))
	require.NoError(t, err)
	var names []string
	for _, c := range ocsfCases(t) {
		names = append(names, filepath.Join("testdata", "ocsf", c.name+".json"))
	}
	slices.Sort(names)
	assert.Equal(t, names, files)
}

// In Account Change, user.id and user.email are the actor's when the source names a target,
// and the user acted on's when it does not.
func TestOCSFSubjectUser(t *testing.T) {
	tests := []struct {
		name        string
		target      string
		user, actor map[string]any
	}{
		{name: "target", target: "user_new",
			user:  map[string]any{"uid": "user_new"},
			actor: map[string]any{"user": map[string]any{"uid": "u-1", "email_addr": "a@example.com"}}},
		{name: "no target",
			user:  map[string]any{"uid": "u-1", "email_addr": "a@example.com"},
			actor: map[string]any{"user": map[string]any{"uid": "u-1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr := ocsfCase{class: 3001, activity: 1, className: "Account Change", activityNm: "Create", in: airkitRow(t, "user_created")}.record(t)
			if tt.target != "" {
				lr.Attributes().PutStr(auditevent.AttrTarget, tt.target)
			}
			event := decodeJSON(t, encodeOne(t, lr)).(map[string]any)
			assert.Equal(t, tt.user, event["user"])
			assert.Equal(t, tt.actor, event["actor"])
		})
	}
}
