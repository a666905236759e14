package ocsfprocessor

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/auditship/auditship/processor/ocsfprocessor/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	tests := []struct {
		name string
		// expected is compared when the variant is valid.
		expected *Config
		// wantErrs are substrings of the validation error, each one naming a key.
		wantErrs []string
		// wantUnmarshalErr is a substring of the error reading the variant.
		wantUnmarshalErr string
	}{
		{name: "", expected: createDefaultConfig().(*Config)},
		{
			name: "events",
			expected: withEvents(map[string]EventClass{
				"report_export":    {ClassUID: 6005, ActivityID: 4},
				"API_TOKEN_ROTATE": {CategoryUID: 3, ClassUID: 3002, ActivityID: 99, ActivityName: "API Token Rotate"},
				"license_update":   {ClassUID: 99003, ActivityID: 99},
				"user_login":       {ClassUID: 3002, ActivityID: 1, ActivityName: "Logon"},
			}),
		},
		{name: "unknown_class", wantErrs: []string{"events::my_event::class_uid: unknown OCSF class 3099"}},
		{name: "wrong_category", wantErrs: []string{"events::user_login::category_uid: class 3002 (Authentication) belongs to category 3 (Identity & Access Management), not 4"}},
		{name: "unknown_activity", wantErrs: []string{"events::user_login::activity_id: invalid activity: class 3002 (Authentication) has no activity 42; its activities are 0 Unknown, 1 Logon"}},
		{name: "activity_name_mismatch", wantErrs: []string{`events::user_login::activity_name: invalid activity name: "Login" does not match activity 1 of class 3002 (Authentication), which OCSF names "Logon"`}},
		{name: "duplicate_name", wantErrs: []string{`events::user_login: names the same event as "USER_LOGIN" (event names match case-insensitively)`}},
		{name: "many_problems", wantErrs: []string{
			"events::a_event::class_uid: unknown OCSF class 3099",
			"events::b_event::activity_id: invalid activity: 100 is out of range",
			"events::c_event::category_uid: class 3001 (Account Change) belongs to category 3 (Identity & Access Management), not 6",
		}},
		{name: "misspelt_key", wantUnmarshalErr: "clas_uid"},
		{
			name: "full",
			expected: &Config{
				IDMode:   IDModeStrict,
				Unknown:  UnknownDrop,
				Severity: SeverityConfig{Default: 2, Failure: 4, Classes: map[string]int64{"3002": 3, "6005": 1}},
				Events:   map[string]EventClass{"report_export": {ClassUID: 6005, ActivityID: 4, SeverityID: ptr(3)}},
				Rules: []Rule{
					{
						EventName:  "user_logout",
						Attributes: map[string]any{"audit.success": false, "audit.attempts": 3, "audit.workspace.id": "payroll"},
						ClassUID:   ptr(3002), ActivityID: 1, SeverityID: ptr(4), StatusID: ptr(2),
					},
					{Attributes: map[string]any{"audit.error_code": "QUOTA"}, SeverityID: ptr(0)},
				},
			},
		},
		{
			name: "readme",
			expected: &Config{
				IDMode:   IDModeStrict,
				Unknown:  UnknownPass,
				Severity: SeverityConfig{Default: 1, Failure: 3, Classes: map[string]int64{"3005": 3}},
				Events: map[string]EventClass{
					"report_export":    {ClassUID: 6005, ActivityID: 4, SeverityID: ptr(2)},
					"api_token_rotate": {ClassUID: 3002, ActivityID: 99, ActivityName: "API Token Rotate"},
				},
				Rules: []Rule{
					{EventName: "user_login", Attributes: map[string]any{"audit.success": false, "audit.login.type": "SSO"}, SeverityID: ptr(4)},
					{EventName: "data_access", Attributes: map[string]any{"audit.error_code": "QUOTA_EXCEEDED"}, StatusID: ptr(99), SeverityID: ptr(1)},
				},
			},
		},
		{name: "bad_id_mode", wantUnmarshalErr: `id_mode "strictest": must be "source" or "strict"`},
		{name: "bad_unknown", wantUnmarshalErr: `unknown "keep": must be "pass" or "drop"`},
		{name: "bad_severity", wantErrs: []string{
			"severity::default: 7 is not an OCSF severity_id",
			"severity::failure: 42 is not an OCSF severity_id",
			"severity::classes::3099: unknown OCSF class 3099",
			`severity::classes::auth: "auth" is not a class uid`,
			"severity::classes::3002: 10 is not an OCSF severity_id",
			"events::report_export::severity_id: 8 is not an OCSF severity_id",
		}},
		{name: "strict_custom_class", wantErrs: []string{
			"events::license_update::class_uid: class 99003 is GoodData's own, not OCSF; id_mode strict writes only OCSF classes",
			"rules::0::class_uid: class 99003 is GoodData's own",
		}},
		{name: "bad_rules", wantErrs: []string{
			"rules::0: give event_name or attributes",
			"rules::1: sets nothing; give class_uid, severity_id or status_id",
			"rules::2: category_uid, activity_id and activity_name reclassify, and need class_uid",
			"rules::3::status_id: 3 is not an OCSF status_id",
			"rules::4::attributes::audit.tags: [a b] ([]interface {}): a condition compares a string, bool, int or float",
			"rules::4::severity_id: 9 is not an OCSF severity_id",
			"rules::5::class_uid: unknown OCSF class 3099",
			"rules::6::activity_name: activity 99 (Other) needs a label when the rule has no event_name",
		}},
	}
	for _, tt := range tests {
		id := component.NewIDWithName(metadata.Type, tt.name)
		t.Run(id.String(), func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig()
			sub, err := cm.Sub(id.String())
			require.NoError(t, err)
			err = sub.Unmarshal(cfg)
			if tt.wantUnmarshalErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantUnmarshalErr)
				return
			}
			require.NoError(t, err)
			err = confmap.Validate(cfg)
			if len(tt.wantErrs) == 0 {
				require.NoError(t, err)
				assert.Equal(t, tt.expected, cfg)
				return
			}
			require.Error(t, err)
			for _, want := range tt.wantErrs {
				assert.Contains(t, err.Error(), want)
			}
		})
	}
}

func TestDefaultConfigIsValid(t *testing.T) {
	cfg := createDefaultConfig()
	require.NoError(t, confmap.Validate(cfg))
	assert.Empty(t, cfg.(*Config).Events)
	assert.Equal(t, IDModeSource, cfg.(*Config).IDMode)
	assert.Equal(t, UnknownPass, cfg.(*Config).Unknown)
	assert.Equal(t, SeverityConfig{Default: 1, Failure: 3}, cfg.(*Config).Severity)
}

// A Config built in code (not read from YAML) with a mode of the wrong spelling is refused too.
func TestValidateRefusesUnreadEnums(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.IDMode = "Strict"
	cfg.Unknown = ""
	err := cfg.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `id_mode: "Strict" must be "source" or "strict"`)
	assert.Contains(t, err.Error(), `unknown: "" must be "pass" or "drop"`)
}

func withEvents(events map[string]EventClass) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Events = events
	return cfg
}
