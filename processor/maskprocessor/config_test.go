package maskprocessor

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/auditship/auditship/processor/maskprocessor/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	tests := []struct {
		name             string
		expected         *Config
		wantErrs         []string
		wantUnmarshalErr string
	}{
		{name: "", expected: &Config{Replacement: "[MASKED]"}},
		{name: "custom", expected: &Config{
			ExtraKeys:   []string{"pin_code", "otp", "X-Signature"},
			AllowKeys:   []string{"next_page_token", "api_key_hint"},
			AllowPaths:  []string{"attributes.cursor", "body.items.etag"},
			Replacement: "***",
		}},
		{name: "empty_replacement", wantErrs: []string{"replacement: must not be empty"}},
		{name: "empty_terms", wantErrs: []string{
			`extra_keys[1]: "__" is empty once normalised`,
			`extra_keys[2]: "" is empty once normalised`,
			`allow_keys[0]: " . " is empty once normalised`,
		}},
		{name: "bad_paths", wantErrs: []string{
			`allow_paths[0]: "" is empty`,
			`allow_paths[1]: "resource.x" must be "body" or start with "body." or "attributes."`,
			`allow_paths[2]: "body..x" has an empty segment`,
			`allow_paths[3]: "body.items[0].etag" holds an array index`,
		}},
		{name: "many_problems", wantErrs: []string{
			"replacement: must not be empty",
			`extra_keys[0]: "-" is empty once normalised`,
		}},
		{name: "misspelt_key", wantUnmarshalErr: "extra_key"},
		{name: "styles", expected: &Config{
			Replacement: "[MASKED]",
			Style:       StylePartial,
			Rules:       map[string]RuleConfig{"jwt": {Style: StyleHMAC}, "key": {Style: StyleRedact}},
			HMACKeyEnv:  "MASK_HMAC_KEY",
		}},
		{name: "bad_style", wantUnmarshalErr: `style "hash": must be "redact", "partial" or "hmac"`},
		{name: "style_problems", wantErrs: []string{
			`replacement: must not start with "hmac:"`,
			"rules.jwtt: unknown rule; known: key, aws_access_key_id,",
			"style: hmac needs a key: set hmac_key_env",
		}},
		{name: "two_hmac_keys", wantErrs: []string{"hmac_key_env, hmac_key_file: set one, not both"}},
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
	assert.Equal(t, &Config{Replacement: DefaultReplacement}, cfg)
}
