package objectkey

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidOrgID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		// Accepted: one plain path segment.
		{"acme", true},
		{"ACME", true},
		{"org-01", true},
		{"org_01", true},
		{"org.01", true},
		{"a", true},
		{"0", true},
		{"-leading-dash", true},
		{".hidden", true},
		{"...", true},
		{"a..b", true},
		{"5f0c2a1e-8b7d-4c7e-9a51-3d2f1e0b9c8a", true},
		{strings.Repeat("x", 128), true},

		// Refused: empty, too long, or a segment with a meaning of its own.
		{"", false},
		{strings.Repeat("x", 129), false},
		{".", false},
		{"..", false},

		// Refused: would climb out of the prefix or split into segments.
		{"../x", false},
		{"..\\x", false},
		{"a/b", false},
		{"/a", false},
		{"a/", false},
		{"a\\b", false},
		{"%2F", false},
		{"a%2Fb", false},
		{"%2e%2e", false},

		// Refused: whitespace, controls and separators.
		{" ", false},
		{"a b", false},
		{" acme", false},
		{"acme ", false},
		{"a\tb", false},
		{"a\nb", false},
		{"a\x00b", false},
		{"a\x7fb", false},
		{"a:b", false},
		{"a?b", false},
		{"a#b", false},
		{"a&b", false},
		{"a+b", false},
		{"a=b", false},
		{"a*b", false},
		{"a{b}", false},
		{"a~b", false},

		// Refused: anything outside ASCII, including look-alikes of allowed characters.
		{"ünicode", false},
		{"org\u2024x", false}, // one dot leader, not "."
		{"a\u2215b", false},   // division slash
		{"a\uff0fb", false},   // fullwidth solidus
		{"\u200bacme", false}, // zero-width space
		{"\xff", false},       // not UTF-8
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, ValidOrgID(tt.id), "%q", tt.id)
	}
}
