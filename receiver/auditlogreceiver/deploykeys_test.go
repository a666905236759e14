package auditlogreceiver

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// TestDeployedKeysFilesParse: the keys files the deployment files ship (the gateway's Secret and
// the Helm values' Secret) are read the way the receiver reads them at start, so a gateway
// applied as shipped starts (and, until the placeholder is replaced, refuses every key).
func TestDeployedKeysFilesParse(t *testing.T) {
	type secret struct {
		Kind       string            `yaml:"kind"`
		StringData map[string]string `yaml:"stringData"`
	}
	tests := []struct {
		name string
		file string
		keys func(t *testing.T, data []byte) string
	}{
		{"kubernetes gateway", "../../deploy/kubernetes/gateway/keys-secret.yaml", func(t *testing.T, data []byte) string {
			var s secret
			require.NoError(t, yaml.Unmarshal(data, &s))
			require.Equal(t, "Secret", s.Kind)
			return s.StringData["keys"]
		}},
		{"helm values", "../../deploy/helm/values.yaml", func(t *testing.T, data []byte) string {
			var v struct {
				ExtraManifests []secret `yaml:"extraManifests"`
			}
			require.NoError(t, yaml.Unmarshal(data, &v))
			for _, m := range v.ExtraManifests {
				if m.Kind == "Secret" {
					return m.StringData["keys"]
				}
			}
			t.Fatal("no Secret in extraManifests")
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := os.ReadFile(tt.file)
			require.NoError(t, err)
			text := tt.keys(t, data)
			require.NotEmpty(t, text, "the Secret's keys entry")
			ring, err := parseKeys([]byte(text))
			require.NoError(t, err)
			require.Len(t, ring.entries, 1, "the placeholder line")
		})
	}
}
