package credential

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestInName(t *testing.T) {
	for name, want := range map[string]bool{
		"USER_LOGIN":                                false,
		"workspace.create":                          false,
		"PutBucketPolicy":                           false,
		"AssumeRoleWithWebIdentity":                 false, // a long word, but no digit
		"oauth2_token_refresh":                      false,
		"api/v1/users:delete":                       false,
		"clientSecret":                              false, // a key that names a secret is not one
		"Benutzeranmeldung fehlgeschlagen":          false,
		"ВХОД_ПОЛЬЗОВАТЕЛЯ":                         false,
		"made_up_" + strings.Repeat("x", 150):       false,
		"abc123def456ghi":                           false, // 15 mixed: one short of a run
		"abc123def456ghi7":                          true,  // 16
		"EXPORT ghp_" + strings.Repeat("a1B2c3", 6): true,  // a GitHub token
		"key AKIAIOSFODNN7EXAMPLE":                  true,  // an AWS access key id
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig":  true,  // a JWT
		"login password=hunter2":                    true,
		"user@example.com login":                    true,
		"token+base64":                              true,
		`quoted "name"`:                             true,
	} {
		assert.Equal(t, want, InName(name), name)
	}
}
