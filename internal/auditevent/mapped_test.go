package auditevent

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestNewMappingProblems(t *testing.T) {
	tests := []struct {
		name  string
		paths map[string]string
		want  []MappingProblem
	}{
		{"unknown field", map[string]string{"org_id": "t", "tenant": "t2"},
			[]MappingProblem{{"tenant", "is not a canonical field (one of event_name, time, org_id, event_id, user_id, user_email, client_address, description, workspace_id, target, error_code, success, type, session_context_type, session_context_identifier, category_uid, class_uid, root_scope_user_id, app_id, branch_id, deploy_id, savepoint_id, savepoint_revision, resource_type, resource_id, domain, datastore_id, api_key_id, notifier_id, saml_id, webhook_id, adapter_id, embed_id, role_id, service, service_revision, login_type)"}}},
		{"empty path", map[string]string{"org_id": ""}, []MappingProblem{{"org_id", "path must not be empty"}}},
		{"empty segment", map[string]string{"org_id": "tenant..id", "user_id": ".u", "time": "at."},
			[]MappingProblem{
				{"org_id", `path "tenant..id" has an empty segment`},
				{"time", `path "at." has an empty segment`},
				{"user_id", `path ".u" has an empty segment`},
			}},
		{"same path twice", map[string]string{"org_id": "tenant", "user_id": "tenant"},
			[]MappingProblem{{"user_id", `path "tenant" overlaps the path of org_id ("tenant"): a value can be one field only`}}},
		{"path inside another", map[string]string{"org_id": "tenant.id", "target": "tenant"},
			[]MappingProblem{{"target", `path "tenant" overlaps the path of org_id ("tenant.id"): a value can be one field only`}}},
		{"no field", map[string]string{}, []MappingProblem{{"", "maps no field"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, problems := NewMapping(tt.paths)
			assert.Nil(t, m)
			assert.Equal(t, tt.want, problems)
		})
	}
	m, problems := NewMapping(map[string]string{"org_id": "tenant.id", "target": "tenant_name", "user_id": "tenant.idx"})
	assert.Empty(t, problems, "a path that only starts like another does not overlap it")
	assert.NotNil(t, m)
}

// Mapped fields leave the event; everything else stays, nested as it was, in the body.
func TestMappedEventKeepsTheRestInTheBody(t *testing.T) {
	c := newTestConverter(t, ShapeMapped, DefaultRules, map[string]string{
		"event_name": "action", "time": "at", "org_id": "tenant.id", "user_id": "actor.id",
		"client_address": "request.ip", "success": "outcome.ok", "event_id": "id",
		"category_uid": "ocsf.category", "user_email": "actor.email",
	})
	lr := mustConvert(t, c, `{"id":"ev-9","action":"login","at":1733212345,"tenant":{"id":"acme","name":"Acme"},`+
		`"actor":{"id":"u1","email":null},"request":{"ip":"10.0.0.1","headers":{"ua":"curl"}},"outcome":{"ok":true},`+
		`"ocsf":{"category":"3"},"params":[1,{"k":"v"}]}`)
	assert.Equal(t, "login", lr.EventName())
	assert.Equal(t, time.Unix(1733212345, 0).UTC(), lr.Timestamp().AsTime())
	assert.Equal(t, map[string]any{
		AttrSourceFormat:    FormatMapped,
		AttrEventID:         "ev-9",
		AttrOrgID:           "acme",
		AttrUserID:          "u1",
		AttrClientAddress:   "10.0.0.1",
		AttrSuccess:         true,
		AttrOCSFCategoryUID: int64(3),
	}, lr.Attributes().AsRaw())
	assert.Equal(t, map[string]any{
		"tenant":  map[string]any{"name": "Acme"},
		"request": map[string]any{"headers": map[string]any{"ua": "curl"}},
		"params":  []any{int64(1), map[string]any{"k": "v"}},
	}, lr.Body().Map().AsRaw(), "objects the mapping emptied are gone, nulls of mapped fields too")
}

func TestMappedPathFindsKeysWithDots(t *testing.T) {
	c := newTestConverter(t, ShapeMapped, DefaultRules, map[string]string{
		"event_name": "event.name", "time": "event.time.unix", "org_id": "org.id",
	})
	tests := []struct {
		name, in string
		body     map[string]any
	}{
		{"nested", `{"event":{"name":"n","time":{"unix":1733212345}},"org":{"id":"o"}}`, nil},
		{"flat keys with dots", `{"event.name":"n","event.time.unix":1733212345,"org.id":"o","x":1}`, map[string]any{"x": int64(1)}},
		{"mixed", `{"event":{"name":"n","time.unix":1733212345},"org.id":"o"}`, nil},
		{"nested wins over a key with dots", `{"org":{"id":"o"},"org.id":"other","event.name":"n","event.time.unix":1733212345}`, map[string]any{"org.id": "other"}},
		{"a key with dots when the nested object lacks it", `{"org":{"x":1},"org.id":"o","event.name":"n","event.time.unix":1733212345}`, map[string]any{"org": map[string]any{"x": int64(1)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr := mustConvert(t, c, tt.in)
			assert.Equal(t, "n", lr.EventName())
			assert.Equal(t, "o", OrgID(lr))
			assert.Equal(t, time.Unix(1733212345, 0).UTC(), lr.Timestamp().AsTime())
			if tt.body == nil {
				assert.Equal(t, "Empty", lr.Body().Type().String())
			} else {
				assert.Equal(t, tt.body, lr.Body().Map().AsRaw())
			}
		})
	}
}

func TestMappedTimeUnit(t *testing.T) {
	paths := map[string]string{"event_name": "a", "time": "t", "org_id": "o"}
	in := `{"a":"x","t":1733212345,"o":"org"}`
	byMagnitude := mustConvert(t, newTestConverter(t, ShapeMapped, DefaultRules, paths), in)
	assert.Equal(t, time.Unix(1733212345, 0).UTC(), byMagnitude.Timestamp().AsTime())
	rules := DefaultRules
	rules.TimeUnit = TimeUnitMilliseconds
	declared := mustConvert(t, newTestConverter(t, ShapeMapped, rules, paths), in)
	assert.Equal(t, time.UnixMilli(1733212345).UTC(), declared.Timestamp().AsTime())
}
