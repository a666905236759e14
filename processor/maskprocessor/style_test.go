package maskprocessor

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/auditship/auditship/processor/maskprocessor/internal/metadata"
)

const testHMACKey = "k3y-for-tests-only"

func TestStyles(t *testing.T) {
	t.Setenv("MASK_TEST_HMAC_KEY", testHMACKey)
	const in = "password=hunter2-long-enough token " + "ghp_" + "1A2b3C4d5E6f7G8h9I0jKlMnOpQrStUvWxYz pwd=short"
	tests := []struct {
		name string
		cfg  *Config
		want string
	}{
		{"redact by default", &Config{Replacement: DefaultReplacement},
			"password=[MASKED] token [MASKED] pwd=[MASKED]"},
		{"partial keeps the last 4 of long values", &Config{Replacement: DefaultReplacement, Style: StylePartial},
			"password=[MASKED]…ough token [MASKED]…WxYz pwd=[MASKED]"},
		{"hmac", &Config{Replacement: DefaultReplacement, Style: StyleHMAC, HMACKeyEnv: "MASK_TEST_HMAC_KEY"},
			"password=" + digest("hunter2-long-enough") + " token " + digest("ghp_"+"1A2b3C4d5E6f7G8h9I0jKlMnOpQrStUvWxYz") + " pwd=" + digest("short")},
		{"per rule", &Config{Replacement: "***", Style: StylePartial, Rules: map[string]RuleConfig{"assignment": {Style: StyleRedact}}},
			"password=*** token ***…WxYz pwd=***"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestProcessor(t, tt.cfg)
			got, _ := maskBody(t, p, in)
			assert.Equal(t, tt.want, got)
			twice, _ := maskBody(t, p, got)
			assert.Equal(t, got, twice, "masking is idempotent in every style")
		})
	}
}

// digest is the hmac style's output for secret under testHMACKey, computed apart from the code
// under test.
func digest(secret string) string {
	mac := hmac.New(sha256.New, []byte(testHMACKey))
	mac.Write([]byte(secret))
	return "hmac:" + hex.EncodeToString(mac.Sum(nil))[:16]
}

func TestHMACCorrelatesAndDependsOnKey(t *testing.T) {
	dir := t.TempDir()
	keyA, keyB := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	require.NoError(t, os.WriteFile(keyA, []byte(testHMACKey+"\n"), 0o600))
	require.NoError(t, os.WriteFile(keyB, []byte("another-key"), 0o600))
	a := newTestProcessor(t, &Config{Replacement: DefaultReplacement, Style: StyleHMAC, HMACKeyFile: keyA})
	b := newTestProcessor(t, &Config{Replacement: DefaultReplacement, Style: StyleHMAC, HMACKeyFile: keyB})
	one, _ := maskBody(t, a, "secret: abc123")
	two, _ := maskBody(t, a, "token=abc123")
	other, _ := maskBody(t, b, "secret: abc123")
	assert.Equal(t, strings.TrimPrefix(one, "secret: "), strings.TrimPrefix(two, "token="), "one secret, one digest")
	assert.NotEqual(t, one, other, "another key, another digest")
}

func TestHMACKeyMissingFailsStartUp(t *testing.T) {
	t.Setenv("MASK_TEST_EMPTY_KEY", "")
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, []byte(" \n"), 0o600))
	tests := []struct {
		name string
		cfg  *Config
		want string
	}{
		{"no key configured", &Config{Replacement: DefaultReplacement, Rules: map[string]RuleConfig{"jwt": {Style: StyleHMAC}}},
			"style: hmac needs a key"},
		{"unset variable", &Config{Replacement: DefaultReplacement, Style: StyleHMAC, HMACKeyEnv: "MASK_TEST_UNSET_KEY"},
			`hmac_key_env: environment variable "MASK_TEST_UNSET_KEY" is unset or empty`},
		{"empty variable", &Config{Replacement: DefaultReplacement, Style: StyleHMAC, HMACKeyEnv: "MASK_TEST_EMPTY_KEY"},
			`hmac_key_env: environment variable "MASK_TEST_EMPTY_KEY" is unset or empty`},
		{"missing file", &Config{Replacement: DefaultReplacement, Style: StyleHMAC, HMACKeyFile: filepath.Join(dir, "nope")},
			"hmac_key_file: open " + filepath.Join(dir, "nope")},
		{"empty file", &Config{Replacement: DefaultReplacement, Style: StyleHMAC, HMACKeyFile: empty},
			"hmac_key_file: " + `"` + empty + `" is empty`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewFactory().CreateLogs(context.Background(), processortest.NewNopSettings(metadata.Type), tt.cfg, consumertest.NewNop())
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestHMACKeyNeverInErrors(t *testing.T) {
	// A key file that is a directory fails to read; the error names the path only.
	dir := t.TempDir()
	t.Setenv("MASK_TEST_HMAC_KEY", testHMACKey)
	_, _, err := (&Config{Replacement: DefaultReplacement, Style: StyleHMAC, HMACKeyFile: dir}).compile()
	require.Error(t, err)
	assert.NotContains(t, err.Error(), testHMACKey)
	_, _, err = (&Config{Replacement: "", Style: StyleHMAC, HMACKeyEnv: "MASK_TEST_HMAC_KEY"}).compile()
	require.Error(t, err)
	assert.NotContains(t, err.Error(), testHMACKey)
}
