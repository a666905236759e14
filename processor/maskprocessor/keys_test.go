package maskprocessor

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auditship/auditship/internal/auditevent"
)

// credentialKeys must be masked: every spelling of every term, prefixed, suffixed by a number.
var credentialKeys = []string{
	"password", "Password", "PASSWORD", "user_password", "userPassword", "new-password", "db.password",
	"old password", "password2", "password_1", "passwords", "passwd", "pwd", "db_pwd", "passphrase",
	"keyPassphrase", "secret", "client_secret", "clientSecret", "CLIENT-SECRET", "webhookSecret",
	"secrets", "token", "access_token", "accessToken", "refresh_token", "RefreshToken", "id_token",
	"bearerToken", "X-Auth-Token", "sessionToken", "csrf_token", "jwt", "apiKey", "api_key", "API_KEY",
	"x-api-key", "X-API-KEY", "apikeys", "privateKey", "private_key", "ssh.private_key",
	"aws_secret_access_key", "secretKey", "accessKey", "encryption_key", "signingKey",
	"authorization", "Authorization", "proxy-authorization", "credential", "credentials",
	"aws_credentials", "connectionString", "connection_string", "jdbc.connectionString", "cookie",
	"Set-Cookie", "password_", "user[password]", "password[]", "password_confirmation",
	"passwordConfirmation", "password_hash", "SecretString", "privateKeyData", "secret_key_base",
	"tokenValue", "pass", "db_pass", "passcode", "cookies", "AccountKey", "sig", "X-Amz-Signature",
	"x-goog-signature",
}

// identifierKeys must stay visible: identifiers and descriptions of credentials, and the data
// contract's own attributes.
var identifierKeys = []string{
	"API_KEY_ID", "api_key_id", "apiKeyId", auditevent.AttrAPIKeyID, "apiKeyName", "api_key_hint",
	"tokenId", "token_id", "token_type", "tokenType", "tokenExpiresAt", "token_count", "max_tokens",
	"input_tokens", "tokenizer", "sessionContextIdentifier", auditevent.AttrSessionContextIdentifier,
	auditevent.AttrSessionContextType, "secret_name", "secretName", "secretArn", "secret_id",
	"secretary", "secretsManagerArn", "password_policy", "passwordLastChanged", "passwordExpired",
	"passwordless", "pwdLastSet", "credentialType", "credential_id", "credentialsProvider",
	"authorizationType", "authorization_id", "keyId", "key", "publicKey", "public_key",
	"aws_access_key_id", "encryption_key_id", "fingerprint", auditevent.AttrUserID,
	auditevent.AttrUserEmail, "username", "login", "client_id", "clientId", auditevent.AttrClientAddress,
	auditevent.AttrDescription, auditevent.AttrTarget, auditevent.AttrErrorCode, auditevent.AttrEventID,
	auditevent.AttrOrgID, auditevent.AttrWorkspaceID, auditevent.AttrLoginType, auditevent.AttrResourceType,
	auditevent.AttrDatastoreID, auditevent.AttrWebhookID, auditevent.AttrMaskCount, auditevent.AttrOCSFClassName,
	"EVENT_TYPE", "ROLE_ID", "oauth", "auth_type", "description", "", "content_hash", "metadata",
	"passenger", "signal", "cookie_consent", "password_hash_algorithm",
}

func defaultMatcher(t *testing.T) *matcher {
	t.Helper()
	m, _, err := (&Config{Replacement: DefaultReplacement}).compile()
	require.NoError(t, err)
	return m
}

func TestCredentialKeys(t *testing.T) {
	require.GreaterOrEqual(t, len(credentialKeys), 40)
	m := defaultMatcher(t)
	var scratch []byte
	for _, k := range credentialKeys {
		assert.True(t, m.isCredentialKey(k, &scratch), "%q must be masked", k)
	}
}

func TestIdentifierKeys(t *testing.T) {
	require.GreaterOrEqual(t, len(identifierKeys), 40)
	m := defaultMatcher(t)
	var scratch []byte
	for _, k := range identifierKeys {
		assert.False(t, m.isCredentialKey(k, &scratch), "%q must not be masked", k)
	}
}

func TestNormalise(t *testing.T) {
	tests := map[string]string{
		"API_KEY_ID":        "apikeyid",
		"apiKeyId":          "apikeyid",
		"api-key.id":        "apikeyid",
		"Api Key Id":        "apikeyid",
		"__":                "",
		"x-api-key":         "xapikey",
		"clé_secrète":       "clésecrète",
		"audit.api_key.id":  "auditapikeyid",
		"SessionContextID7": "sessioncontextid7",
	}
	for in, want := range tests {
		assert.Equal(t, want, string(normalise(nil, in)), in)
	}
}

func TestExtraAndAllowKeys(t *testing.T) {
	m, _, err := (&Config{
		Replacement: DefaultReplacement,
		ExtraKeys:   []string{"PIN_Code", "otp"},
		AllowKeys:   []string{"next_page_token", "Set-Cookie"},
	}).compile()
	require.NoError(t, err)
	var scratch []byte
	for k, want := range map[string]bool{
		"pinCode":         true,
		"card.pin_code":   true,
		"totp":            true,
		"nextPageToken":   false, // allowed, normalised like the key
		"next-page-token": false,
		"page_token":      true, // allow is exact, not a suffix
		"set_cookie":      false,
		"cookie":          true,
		"password":        true, // built-in terms stay
	} {
		assert.Equal(t, want, m.isCredentialKey(k, &scratch), k)
	}
}

func TestMatcherDoesNotAllocate(t *testing.T) {
	m, _, err := (&Config{Replacement: DefaultReplacement, AllowKeys: []string{"secret_hint"}}).compile()
	require.NoError(t, err)
	var scratch []byte
	m.isCredentialKey("warm_up_the_scratch_buffer_password", &scratch)
	allocs := testing.AllocsPerRun(100, func() {
		for _, k := range credentialKeys {
			m.isCredentialKey(k, &scratch)
		}
		for _, k := range identifierKeys {
			m.isCredentialKey(k, &scratch)
		}
	})
	assert.Zero(t, allocs)
}

// referenceIsCredentialKey is the README's rule spelt out on normalised strings: the key, or the
// key without a trailing number, ends with a term, alone or followed by a value suffix, and is
// not an allowed key.
func referenceIsCredentialKey(terms, allow []string, key string) bool {
	n := string(normalise(nil, key))
	endsWithTerm := func(s string) bool {
		for _, t := range terms {
			if strings.HasSuffix(s, t) {
				return true
			}
		}
		return false
	}
	unnumbered := strings.TrimRight(n, "0123456789")
	endsWithTermAndSuffix := func(s string) bool {
		for _, suffix := range valueSuffixes {
			if before, ok := strings.CutSuffix(s, suffix); ok && endsWithTerm(before) {
				return true
			}
		}
		return false
	}
	if !endsWithTerm(n) && !endsWithTerm(unnumbered) && !endsWithTermAndSuffix(unnumbered) {
		return false
	}
	return !slices.Contains(allow, n)
}

// TestMatcherFollowsTheRule compares the trie with the rule it implements on random keys built
// from pieces of terms, separators, digits, upper case and bytes in no term, for the built-in
// terms and for extra ones using bytes beyond ASCII.
func TestMatcherFollowsTheRule(t *testing.T) {
	for _, cfg := range []*Config{
		{Replacement: DefaultReplacement},
		{Replacement: DefaultReplacement, ExtraKeys: []string{"pin", "otp2", "clé_secrète", "x"}, AllowKeys: []string{"next_page_token", "ox"}},
	} {
		m, _, err := cfg.compile()
		require.NoError(t, err)
		terms, _ := normaliseAll(append(append([]string(nil), defaultTerms...), cfg.ExtraKeys...))
		allow, _ := normaliseAll(cfg.AllowKeys)
		pieces := append(append([]string{"_", "-", ".", " ", "[", "]", "1", "42", "id", "Name", "é", "\xff", "q", "KEY", "Token", "Hash", "data", "Confirmation"}, terms...), cfg.ExtraKeys...)
		rng := rand.New(rand.NewPCG(1, 2))
		var scratch []byte
		for range 20000 {
			var key strings.Builder
			for range rng.IntN(5) {
				piece := pieces[rng.IntN(len(pieces))]
				if rng.IntN(3) == 0 {
					piece = strings.ToUpper(piece)
				}
				key.WriteString(piece)
			}
			k := key.String()
			require.Equal(t, referenceIsCredentialKey(terms, allow, k), m.isCredentialKey(k, &scratch), "%q with %v", k, cfg.ExtraKeys)
		}
	}
}

// Normalised terms can use every byte but separators and upper-case letters; the trie has a
// column for each.
func TestMatcherTakesEveryByteATermCanHold(t *testing.T) {
	var terms []string
	for b := range 256 {
		if n := normalise(nil, string([]byte{byte(b)})); len(n) == 1 && n[0] == byte(b) {
			terms = append(terms, string(n)+"z")
		}
	}
	require.Len(t, terms, 224)
	m := newCredentialMatcher(terms, nil)
	var scratch []byte
	for _, term := range terms {
		assert.True(t, m.isCredentialKey("key_"+term, &scratch), "%q", term)
		assert.False(t, m.isCredentialKey(term+"y", &scratch), "%q", term)
	}
	assert.True(t, m.isCredentialKey("AZ", &scratch), "upper case folds")
	assert.False(t, m.isCredentialKey("z", &scratch))
}

// recordKeys are the keys of a GoodData record as it reaches the mask processor: the receiver's
// attributes, the ocsf processor's, and those of a details body with data source parameters.
var recordKeys = []string{
	auditevent.AttrSourceFormat, auditevent.AttrOCSFCategoryUID, auditevent.AttrOCSFClassUID,
	auditevent.AttrDescription, auditevent.AttrOrgID, auditevent.AttrWorkspaceID, auditevent.AttrUserID,
	auditevent.AttrTarget, auditevent.AttrClientAddress, auditevent.AttrSessionContextType,
	auditevent.AttrSessionContextIdentifier, auditevent.AttrSuccess, auditevent.AttrType,
	auditevent.AttrEventID, auditevent.AttrOCSFCategoryName, auditevent.AttrOCSFClassName,
	auditevent.AttrOCSFActivityID, auditevent.AttrOCSFActivityName, auditevent.AttrOCSFTypeUID,
	auditevent.AttrOCSFTypeName, auditevent.AttrOCSFStatusID, "requestId", "parameters", "url",
	"clientId", "clientSecret", "password",
}

func BenchmarkIsCredentialKey(b *testing.B) {
	m, _, err := (&Config{Replacement: DefaultReplacement}).compile()
	require.NoError(b, err)
	var scratch []byte
	for b.Loop() {
		for _, k := range recordKeys {
			m.isCredentialKey(k, &scratch)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recordKeys)), "ns/key")
}
