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
		{name: "", expected: &Config{}},
		{
			name: "events",
			expected: &Config{Events: map[string]EventClass{
				"report_export":    {ClassUID: 6005, ActivityID: 4},
				"API_TOKEN_ROTATE": {CategoryUID: 3, ClassUID: 3002, ActivityID: 99, ActivityName: "API Token Rotate"},
				"license_update":   {ClassUID: 99003, ActivityID: 99},
				"user_login":       {ClassUID: 3002, ActivityID: 1, ActivityName: "Logon"},
			}},
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
}
