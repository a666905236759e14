package configenum

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type mode string

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		key     string
		text    string
		allowed []mode
		want    mode
		wantErr string
	}{
		{name: "first of two", key: "id_mode", text: "source", allowed: []mode{"source", "strict"}, want: "source"},
		{name: "last of two", key: "id_mode", text: "strict", allowed: []mode{"source", "strict"}, want: "strict"},
		{name: "middle of three", key: "style", text: "partial", allowed: []mode{"redact", "partial", "hmac"}, want: "partial"},
		{name: "empty when allowed", key: "sse", text: "", allowed: []mode{"AES256", "aws:kms", ""}, want: ""},
		{name: "refused of one", key: "k", text: "x", allowed: []mode{"a"},
			wantErr: `k "x": must be "a"`},
		{name: "refused of two", key: "id_mode", text: "strictest", allowed: []mode{"source", "strict"},
			wantErr: `id_mode "strictest": must be "source" or "strict"`},
		{name: "refused of three", key: "style", text: "hash", allowed: []mode{"redact", "partial", "hmac"},
			wantErr: `style "hash": must be "redact", "partial" or "hmac"`},
		{name: "refused of five", key: "time_unit", text: "seconds", allowed: []mode{"auto", "s", "ms", "us", "ns"},
			wantErr: `time_unit "seconds": must be "auto", "s", "ms", "us" or "ns"`},
		{name: "case matters", key: "id_mode", text: "Strict", allowed: []mode{"source", "strict"},
			wantErr: `id_mode "Strict": must be "source" or "strict"`},
		{name: "empty refused", key: "unknown", text: "", allowed: []mode{"pass", "drop"},
			wantErr: `unknown "": must be "pass" or "drop"`},
		{name: "empty listed last", key: "sse", text: "aws:kms-typo", allowed: []mode{"AES256", "aws:kms", ""},
			wantErr: `sse "aws:kms-typo": must be "AES256", "aws:kms" or empty`},
		{name: "quotes escaped", key: "k", text: "a\"\n", allowed: []mode{"a", "b"},
			wantErr: `k "a\"\n": must be "a" or "b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.key, []byte(tt.text), tt.allowed...)
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				assert.Equal(t, mode(""), got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
