package ocsfprocessor

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/auditship/auditship/internal/auditevent"
)

func TestRules(t *testing.T) {
	rules := []Rule{
		// A failed logout is a logon problem.
		{EventName: "USER_LOGOUT", Attributes: map[string]any{auditevent.AttrSuccess: false}, ClassUID: ptr(3002), ActivityID: 1, SeverityID: ptr(severityHigh)},
		{EventName: "user_logout", SeverityID: ptr(severityLow)},
		// Any event of one workspace is sensitive; rules for a name come first only when listed first.
		{Attributes: map[string]any{auditevent.AttrWorkspaceID: "payroll"}, SeverityID: ptr(severityMedium)},
		{EventName: "data_access", Attributes: map[string]any{auditevent.AttrErrorCode: "QUOTA"}, StatusID: ptr(statusOther)},
		{EventName: "data_access", Attributes: map[string]any{"audit.attempts": 3}, SeverityID: ptr(severityHigh)},
		{EventName: "data_access", Attributes: map[string]any{"audit.ratio": 0.5}, SeverityID: ptr(severityCritical)},
		{EventName: "report_burn", ClassUID: ptr(6005), ActivityID: 99},
		{EventName: "user_login", Attributes: map[string]any{auditevent.AttrOCSFClassUID: int64(3005)}, ClassUID: ptr(3002), ActivityID: 1},
	}
	tests := []struct {
		name      string
		eventName string
		attrs     map[string]any
		want      map[string]any
		outcome   outcome
	}{
		{
			name: "reclassified with severity", eventName: "user_logout", attrs: map[string]any{auditevent.AttrSuccess: false},
			want: with(logon, auditevent.AttrOCSFStatusID, statusFailure, auditevent.AttrOCSFSeverityID, severityHigh), outcome: classified,
		},
		{
			name: "first match wins", eventName: "User_Logout", attrs: map[string]any{auditevent.AttrSuccess: true, auditevent.AttrWorkspaceID: "payroll"},
			want: with(classAttrs(3, iam, 3002, "Authentication", 2, "Logoff", "Authentication: Logoff"), auditevent.AttrOCSFStatusID, statusSuccess, auditevent.AttrOCSFSeverityID, severityLow), outcome: classified,
		},
		{
			name: "a rule for any name", eventName: "data_access", attrs: map[string]any{auditevent.AttrWorkspaceID: "payroll", auditevent.AttrErrorCode: "QUOTA"},
			want: with(dataRead, auditevent.AttrOCSFStatusID, statusFailure, auditevent.AttrOCSFSeverityID, severityMedium), outcome: classified,
		},
		{
			name: "status set by rule, severity from the table", eventName: "data_access", attrs: map[string]any{auditevent.AttrErrorCode: "QUOTA"},
			want: with(dataRead, auditevent.AttrOCSFStatusID, statusOther, auditevent.AttrOCSFSeverityID, severityInformational), outcome: classified,
		},
		{
			name: "int condition", eventName: "data_access", attrs: map[string]any{"audit.attempts": int64(3)},
			want: with(dataRead, auditevent.AttrOCSFStatusID, statusUnknown, auditevent.AttrOCSFSeverityID, severityHigh), outcome: classified,
		},
		{
			name: "types must match", eventName: "data_access", attrs: map[string]any{"audit.attempts": "3"},
			want: with(dataRead, auditevent.AttrOCSFStatusID, statusUnknown, auditevent.AttrOCSFSeverityID, severityInformational), outcome: classified,
		},
		{
			name: "float condition", eventName: "data_access", attrs: map[string]any{"audit.ratio": 0.5},
			want: with(dataRead, auditevent.AttrOCSFStatusID, statusUnknown, auditevent.AttrOCSFSeverityID, severityCritical), outcome: classified,
		},
		{
			name: "a rule classifies an unknown name", eventName: "report_burn",
			want: with(classAttrs(6, "Application Activity", 6005, "Datastore Activity", 99, "report_burn", "Datastore Activity: Other"), auditevent.AttrOCSFStatusID, statusUnknown, auditevent.AttrOCSFSeverityID, severityInformational), outcome: classified,
		},
		{
			name: "a reclassifying rule replaces the class the record carries", eventName: "user_login", attrs: map[string]any{auditevent.AttrOCSFClassUID: int64(3005)},
			want: with(logon, auditevent.AttrOCSFStatusID, statusUnknown, auditevent.AttrOCSFSeverityID, severityInformational), outcome: classified,
		},
		{
			name: "no rule matches", eventName: "user_logout", attrs: map[string]any{auditevent.AttrWorkspaceID: "sales"},
			want: with(classAttrs(3, iam, 3002, "Authentication", 2, "Logoff", "Authentication: Logoff"), auditevent.AttrOCSFStatusID, statusUnknown, auditevent.AttrOCSFSeverityID, severityLow), outcome: classified,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, got := classifyOne(t, configWith(func(c *Config) { c.Rules = rules }), tt.eventName, tt.attrs)
			assert.Equal(t, tt.outcome, o)
			assert.Equal(t, tt.want, got)
		})
	}
}

var dataRead = classAttrs(6, "Application Activity", 6005, "Datastore Activity", 1, "Read", "Datastore Activity: Read")
