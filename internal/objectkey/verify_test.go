package objectkey

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVerifyAppend(t *testing.T) {
	now := time.Date(2026, 11, 22, 2, 30, 7, 123e6, time.UTC)
	tests := []struct {
		template string
		want     string
	}{
		{AirkitVerifyKey, "airkit-verify-test-1795314607123"},
		{"verify/{org_id}/{timestamp}", "verify/acme-01/1795314607123"},
		{"{timestamp}", "1795314607123"},
	}
	for _, tt := range tests {
		tpl, err := CompileVerify(tt.template)
		require.NoError(t, err, tt.template)
		assert.Equal(t, tt.template, tpl.String())
		assert.Equal(t, tt.want, string(tpl.Append(nil, "acme-01", now)))
	}
}

func TestCompileVerifyRefuses(t *testing.T) {
	tests := []struct {
		template string
		want     string
	}{
		{"airkit-verify-test", "no {timestamp}: a second check would find the first check's object"},
		{"{org_id}", "no {timestamp}: a second check would find the first check's object"},
		{"verify-{upload_ts14}", "unknown placeholder {upload_ts14} at offset 7"},
		{"verify-{timestamp", "unclosed '{' at offset 7"},
		{"/verify-{timestamp}", "leading '/' at offset 0: keys are relative to the bucket"},
		{"a/../{timestamp}", `path segment ".." at offset 2`},
		{"verify test {timestamp}", `character ' ' not allowed at offset 6: use letters, digits and / ! - _ . * ' ( ) =`},
		{"", "empty template"},
	}
	for _, tt := range tests {
		_, err := CompileVerify(tt.template)
		if assert.Error(t, err, tt.template) {
			assert.Equal(t, tt.want, err.Error())
		}
	}
}
