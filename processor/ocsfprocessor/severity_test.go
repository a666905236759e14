package ocsfprocessor

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/auditship/auditship/internal/auditevent"
)

func ptr(n int64) *int64 { return &n }

func TestStatus(t *testing.T) {
	tests := []struct {
		name      string
		eventName string
		attrs     map[string]any
		want      int64
	}{
		{name: "success true", eventName: "data_access", attrs: map[string]any{auditevent.AttrSuccess: true}, want: statusSuccess},
		{name: "success false", eventName: "data_access", attrs: map[string]any{auditevent.AttrSuccess: false}, want: statusFailure},
		{name: "error code", eventName: "data_access", attrs: map[string]any{auditevent.AttrErrorCode: "ACCESS_DENIED"}, want: statusFailure},
		{name: "numeric error code", eventName: "data_access", attrs: map[string]any{auditevent.AttrErrorCode: int64(403)}, want: statusFailure},
		{name: "empty error code", eventName: "data_access", attrs: map[string]any{auditevent.AttrErrorCode: ""}, want: statusUnknown},
		{name: "null error code", eventName: "data_access", attrs: map[string]any{auditevent.AttrErrorCode: nil}, want: statusUnknown},
		{name: "success flag wins over an error code", eventName: "data_access", attrs: map[string]any{auditevent.AttrSuccess: true, auditevent.AttrErrorCode: "WARN"}, want: statusSuccess},
		{name: "the name decides", eventName: "invalid_login", attrs: map[string]any{auditevent.AttrSourceFormat: auditevent.FormatAirkit, auditevent.AttrSuccess: true}, want: statusFailure},
		{name: "nothing known", eventName: "data_access", want: statusUnknown},
		{name: "success as a string is not a flag", eventName: "data_access", attrs: map[string]any{auditevent.AttrSuccess: "false"}, want: statusUnknown},
		{name: "unknown event fails too", eventName: "mystery", attrs: map[string]any{auditevent.AttrSuccess: false}, want: statusFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got := classifyOne(t, createDefaultConfig().(*Config), tt.eventName, tt.attrs)
			assert.Equal(t, tt.want, got[auditevent.AttrOCSFStatusID])
		})
	}
}

func TestSeverity(t *testing.T) {
	failed := map[string]any{auditevent.AttrSuccess: false}
	ok := map[string]any{auditevent.AttrSuccess: true}
	airkit := map[string]any{auditevent.AttrSourceFormat: auditevent.FormatAirkit}
	tests := []struct {
		name      string
		cfg       func(*Config)
		eventName string
		attrs     map[string]any
		want      int64
	}{
		{name: "default is informational", eventName: "data_access", attrs: ok, want: severityInformational},
		{name: "failed logon is medium", eventName: "user_login", attrs: failed, want: severityMedium},
		{name: "Airkit invalid_login is medium", eventName: "invalid_login", attrs: airkit, want: severityMedium},
		{name: "failed data access is medium", eventName: "data_access", attrs: failed, want: severityMedium},
		{name: "permission change is low", eventName: "permission_user_add", attrs: ok, want: severityLow},
		{name: "user management is low", eventName: "user_create", want: severityLow},
		{name: "group change is low", eventName: "usergroup_delete", want: severityLow},
		{name: "auth provider change is medium", eventName: "auth_provider_update", want: severityMedium},
		{name: "auth provider change is medium in strict mode too", cfg: func(c *Config) { c.IDMode = IDModeStrict }, eventName: "AUTH_PROVIDER_DELETE", want: severityMedium},
		{name: "api key is low", eventName: "new_api_key", attrs: airkit, want: severityLow},
		{name: "unknown event", eventName: "mystery", want: severityInformational},
		{name: "a severity the record carries is kept", eventName: "user_login", attrs: map[string]any{auditevent.AttrSuccess: false, auditevent.AttrOCSFSeverityID: int64(5)}, want: severityCritical},
		{name: "configured default", cfg: func(c *Config) { c.Severity.Default = severityLow }, eventName: "data_access", want: severityLow},
		{name: "configured failure", cfg: func(c *Config) { c.Severity.Failure = severityHigh }, eventName: "user_login", attrs: failed, want: severityHigh},
		{name: "failure raise off", cfg: func(c *Config) { c.Severity.Failure = 0 }, eventName: "user_login", attrs: failed, want: severityInformational},
		{name: "failure never lowers", eventName: "auth_provider_update", attrs: failed, cfg: func(c *Config) { c.Severity.Failure = severityLow }, want: severityMedium},
		{
			name: "configured class wins over built-in event level", eventName: "api_token_create",
			cfg: func(c *Config) { c.Severity.Classes = map[string]int64{"3002": severityHigh} }, want: severityHigh,
		},
		{
			name: "configured class applies to a class the record carries", eventName: "role_rename", attrs: map[string]any{auditevent.AttrOCSFClassUID: int64(3005)},
			cfg: func(c *Config) { c.Severity.Classes = map[string]int64{"3005": severityHigh} }, want: severityHigh,
		},
		{
			name: "events entry severity", eventName: "report_export",
			cfg: func(c *Config) {
				c.Events = map[string]EventClass{"report_export": {ClassUID: 6005, ActivityID: 4, SeverityID: ptr(severityLow)}}
			}, want: severityLow,
		},
		{
			name: "events entry severity is still raised on failure", eventName: "report_export", attrs: failed,
			cfg: func(c *Config) {
				c.Events = map[string]EventClass{"report_export": {ClassUID: 6005, ActivityID: 4, SeverityID: ptr(severityLow)}}
			}, want: severityMedium,
		},
		{
			name: "events entry without severity takes its class's", eventName: "promote_admin",
			cfg: func(c *Config) { c.Events = map[string]EventClass{"promote_admin": {ClassUID: 3005, ActivityID: 1}} }, want: severityLow,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			if tt.cfg != nil {
				tt.cfg(cfg)
			}
			_, got := classifyOne(t, cfg, tt.eventName, tt.attrs)
			assert.Equal(t, tt.want, got[auditevent.AttrOCSFSeverityID])
		})
	}
}
