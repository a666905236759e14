package maskprocessor

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditship/auditship/internal/auditevent"
)

// Planted secrets, assembled so that no scanner of this repository mistakes the test for a leak.
var (
	awsKeyID     = "AKIA" + "IOSFODNN7EXAMPLE"
	awsSecret    = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
	jwt          = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9" + ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ" + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
	ghToken      = "ghp_" + "1A2b3C4d5E6f7G8h9I0jKlMnOpQrStUvWxYz"
	glToken      = "glpat-" + "xYz12AbC34dEf56GhI78jk"
	slackToken   = "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
	stripeKey    = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
	googleKey    = "AIza" + "SyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW"
	pemBody      = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"
	pemBlock     = "-----BEGIN RSA PRIVATE KEY-----\n" + pemBody + "\n-----END RSA PRIVATE KEY-----"
	highEntropy  = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MEFCQ0RFRkdISUpL"
	sha256Hex    = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	sha1Hex      = "a94a8fe5ccb19ba61f4c4c3f0b1a5bd3a9d4e1c0"
	uuid         = "550e8400-e29b-41d4-a716-446655440000"
	plainBase64  = "SGVsbG8sIFdvcmxkISBUaGlzIGlzIGEgcmVhZG1lIGZpbGUu"
	slackWebhook = "https://hooks.slack.com/services/" + "T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
)

// maskBody masks a record whose body is s and returns the body and mask.rules.
func maskBody(t *testing.T, p *maskProcessor, s string) (string, []any) {
	t.Helper()
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.Body().SetStr(s)
	_, err := p.processLogs(context.Background(), ld)
	require.NoError(t, err)
	var rules []any
	if v, ok := lr.Attributes().Get(auditevent.AttrMaskRules); ok {
		rules = v.Slice().AsRaw()
	}
	return lr.Body().Str(), rules
}

func TestDetectors(t *testing.T) {
	tests := []struct {
		name, in, want string
		// rule is the rule that must fire; empty for a lookalike that must stay.
		rule string
	}{
		{"aws access key id", "key " + awsKeyID + " used", "key [MASKED] used", "aws_access_key_id"},
		{"aws temporary key id", "ASIA" + "Y34FZKBOKMUTVV7A", "[MASKED]", "aws_access_key_id"},
		{"aws secret beside the id", awsKeyID + ":" + awsSecret, "[MASKED]:[MASKED]", "aws_access_key_id,aws_secret_access_key"},
		{"aws secret by its key", "aws_secret_access_key=" + awsSecret, "aws_secret_access_key=[MASKED]", "assignment"},
		{"aws id too short", "AKIA" + "IOSFODNN7", "AKIA" + "IOSFODNN7", ""},
		{"aws id inside a word", "XAKIA" + "IOSFODNN7EXAMPLE", "XAKIA" + "IOSFODNN7EXAMPLE", ""},
		{"sha1 beside nothing", sha1Hex, sha1Hex, ""},
		{"jwt", "token " + jwt, "token [MASKED]", "jwt"},
		{"jwt in json", `{"id_token_hint":"` + jwt + `"}`, `{"id_token_hint":"[MASKED]"}`, "jwt"},
		{"base64 json is no jwt", "eyJhbGciOiJIUzI1NiJ9", "eyJhbGciOiJIUzI1NiJ9", ""},
		{"dotted eyJ without payload", "eyJhbGciOiJIUzI1NiJ9.abc.def", "eyJhbGciOiJIUzI1NiJ9.abc.def", ""},
		{"pem private key", pemBlock, "-----BEGIN RSA PRIVATE KEY-----\n[MASKED]\n-----END RSA PRIVATE KEY-----", "pem_private_key"},
		{"pem escaped in json", `{"k":"-----BEGIN PRIVATE KEY-----\n` + pemBody + `\n-----END PRIVATE KEY-----"}`, `{"k":"-----BEGIN PRIVATE KEY-----\n[MASKED]\n-----END PRIVATE KEY-----"}`, "pem_private_key"},
		{"pem cut short", "-----BEGIN EC PRIVATE KEY-----" + pemBody, "-----BEGIN EC PRIVATE KEY-----[MASKED]", "pem_private_key"},
		{"pem certificate stays", "-----BEGIN CERTIFICATE-----\n" + pemBody + "\n-----END CERTIFICATE-----", "-----BEGIN CERTIFICATE-----\n" + pemBody + "\n-----END CERTIFICATE-----", ""},
		{"authorization bearer", "Authorization: Bearer abc123def456", "Authorization: Bearer [MASKED]", "bearer"},
		{"authorization basic", "authorization: basic dXNlcjpwYXNzd29yZA==", "authorization: basic [MASKED]", "bearer"},
		{"bearer alone", "sent bearer Tk-9f8e7d6c5b4a", "sent bearer [MASKED]", "bearer"},
		{"bearer in prose", "uses Bearer authentication", "uses Bearer authentication", ""},
		{"url password", "https://alice:s3cr3t@example.com/x", "https://alice:[MASKED]@example.com/x", "url_password"},
		{"url without password", "https://alice@example.com/x?a=1", "https://alice@example.com/x?a=1", ""},
		{"url plain", "https://example.com/path?q=1#f", "https://example.com/path?q=1#f", ""},
		{"email", "mail alice@example.com: ok", "mail alice@example.com: ok", ""},
		{"postgres", "postgres://svc:pw1@db:5432/app", "postgres://svc:[MASKED]@db:5432/app", "connection_string"},
		{"postgresql", "postgresql://svc:pw1@db/app", "postgresql://svc:[MASKED]@db/app", "connection_string"},
		{"mysql", "mysql://root:toor@10.0.0.1:3306/db", "mysql://root:[MASKED]@10.0.0.1:3306/db", "connection_string"},
		{"mongodb srv", "mongodb+srv://u:p4ss@cluster0.mongodb.net/db", "mongodb+srv://u:[MASKED]@cluster0.mongodb.net/db", "connection_string"},
		{"redis no user", "rediss://:hunter2@cache:6380/0", "rediss://:[MASKED]@cache:6380/0", "connection_string"},
		{"amqp", "amqp://guest:guest1@mq:5672/", "amqp://guest:[MASKED]@mq:5672/", "connection_string"},
		{"jdbc url", "jdbc:postgresql://svc:pw1@db/app", "jdbc:postgresql://svc:[MASKED]@db/app", "connection_string"},
		{"jdbc parameters", "jdbc:sqlserver://db:1433;user=sa;password=Passw0rd;encrypt=true", "jdbc:sqlserver://db:1433;user=sa;password=[MASKED];encrypt=true", "connection_string"},
		{"jdbc query", "jdbc:mysql://db/app?user=u&password=pw1", "jdbc:mysql://db/app?user=u&password=[MASKED]", "connection_string"},
		{"odbc", "Server=db;Database=app;User Id=sa;Password=Passw0rd;", "Server=db;Database=app;User Id=sa;Password=[MASKED];", "connection_string"},
		{"odbc pwd", "Driver={ODBC};Uid=sa;Pwd=Passw0rd;", "Driver={ODBC};Uid=sa;Pwd=[MASKED];", "connection_string"},
		{"password in text", "login failed password=hunter2 for u1", "login failed password=[MASKED] for u1", "assignment"},
		{"secret colon", "client secret: abcd1234", "client secret: [MASKED]", "assignment"},
		{"query string", "cb?access_token=abc123&state=xyz", "cb?access_token=[MASKED]&state=xyz", "assignment"},
		{"json string", `{"user":"u1","password":"hunter2","port":5432}`, `{"user":"u1","password":"[MASKED]","port":5432}`, "assignment"},
		{"json number", `{"pin_password":1234}`, `{"pin_password":"[MASKED]"}`, "assignment"},
		{"json escaped twice", `{"p":"{\"token\":\"abc123\"}"}`, `{"p":"{\"token\":\"[MASKED]\"}"}`, "assignment"},
		{"json null stays", `{"password":null,"token":""}`, `{"password":null,"token":""}`, ""},
		{"identifier keys stay", "api_key_id=k-1 token_type=bearer tokenId: 77", "api_key_id=k-1 token_type=bearer tokenId: 77", ""},
		{"timestamp", "2026-11-22T02:30:00.123Z", "2026-11-22T02:30:00.123Z", ""},
		{"github", "push with " + ghToken, "push with [MASKED]", "github_token"},
		{"github fine grained", "github_pat_" + "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "[MASKED]", "github_token"},
		{"github lookalike", "ghp_short1234", "ghp_short1234", ""},
		{"gitlab", "t=" + glToken, "t=[MASKED]", "gitlab_token"},
		{"slack", slackToken, "[MASKED]", "slack_token"},
		{"slack webhook", "posted to " + slackWebhook, "posted to https://hooks.slack.com/services/[MASKED]", "slack_webhook"},
		{"stripe", "charge " + stripeKey, "charge [MASKED]", "stripe_key"},
		{"stripe publishable stays", "pk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "pk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", ""},
		{"google api key", "maps " + googleKey, "maps [MASKED]", "google_api_key"},
		{"high entropy near a word", "private key " + highEntropy, "private key [MASKED]", "high_entropy"},
		{"base64 far from any word", "payload " + plainBase64, "payload " + plainBase64, ""},
		{"uuid", "event " + uuid + " token", "event " + uuid + " token", ""},
		{"sha256", "secret file digest " + sha256Hex, "secret file digest " + sha256Hex, ""},
	}
	p := newTestProcessor(t, &Config{Replacement: DefaultReplacement})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rules := maskBody(t, p, tt.in)
			assert.Equal(t, tt.want, got)
			if tt.rule == "" {
				assert.Empty(t, rules)
			} else {
				var want []any
				for _, r := range strings.Split(tt.rule, ",") {
					want = append(want, r)
				}
				assert.Equal(t, want, rules)
			}
			again, _ := maskBody(t, p, got)
			assert.Equal(t, got, again, "masking is idempotent")
		})
	}
}

func TestValuesAtAnyDepth(t *testing.T) {
	p := newTestProcessor(t, &Config{Replacement: DefaultReplacement})
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	require.NoError(t, lr.Attributes().FromRaw(map[string]any{"audit.description": "password=hunter2", "audit.api_key.id": awsKeyID[:4] + "-id"}))
	require.NoError(t, lr.Body().FromRaw(map[string]any{
		"steps": []any{map[string]any{"url": "https://u:pw@h/"}, []any{jwt}},
		"aws":   map[string]any{"AccessKeyId": awsKeyID, "Sak": awsSecret, "Digest": sha1Hex},
	}))
	_, err := p.processLogs(context.Background(), ld)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{
		"audit.description": "password=[MASKED]", "audit.api_key.id": "AKIA-id",
		auditevent.AttrMaskCount: int64(5),
		auditevent.AttrMaskRules: []any{"assignment", "aws_access_key_id", "aws_secret_access_key", "jwt", "url_password"},
	}, lr.Attributes().AsRaw())
	assert.Equal(t, map[string]any{
		"steps": []any{map[string]any{"url": "https://u:[MASKED]@h/"}, []any{masked}},
		"aws":   map[string]any{"AccessKeyId": masked, "Sak": masked, "Digest": sha1Hex},
	}, lr.Body().AsRaw())
}

func TestCleanRecordAllocatesNothing(t *testing.T) {
	p := newTestProcessor(t, &Config{Replacement: DefaultReplacement})
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	require.NoError(t, lr.Attributes().FromRaw(map[string]any{
		"audit.event.id": uuid, "ts": "2026-11-22T02:30:00.123Z", "digest": sha256Hex, "blob": plainBase64,
		"url": "https://example.com/a?b=c", "user.email": "alice@example.com", "API_KEY_ID": "k-1",
		"note": "password changed by Bearer auth at https://alice@example.com",
	}))
	require.NoError(t, lr.Body().FromRaw(map[string]any{"a": []any{map[string]any{"b": "x: y = z"}}}))
	// One walker, not the pool (under -race sync.Pool drops walkers at random, and a new walker
	// grows its buffers once), walking the record as processLogs walks a batch of one.
	w := p.walkers.Get().(*walker)
	batchOfOne := func() int {
		defer w.forgetBatch()
		w.useMemoOf(lr.EventName())
		return w.walkRecord(lr.Attributes(), lr.Body())
	}
	assert.Zero(t, batchOfOne()) // warms the walker's buffers
	allocs := testing.AllocsPerRun(100, func() {
		if n := batchOfOne(); n != 0 {
			t.Fatal(n)
		}
	})
	assert.Zero(t, allocs)
	_, err := p.processLogs(context.Background(), ld)
	require.NoError(t, err)
	_, masked := lr.Attributes().Get(auditevent.AttrMaskCount)
	assert.False(t, masked)
}

// TestReadmeExample keeps the README's before and after true.
func TestReadmeExample(t *testing.T) {
	p := newTestProcessor(t, &Config{Replacement: DefaultReplacement})
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	require.NoError(t, lr.Attributes().FromRaw(map[string]any{"audit.api_key.id": "k-1", "db.password": "hunter2",
		"audit.description": "connected to postgres://svc:pw@db:5432/app"}))
	require.NoError(t, lr.Body().FromRaw(map[string]any{
		"parameters":  []any{map[string]any{"name": "token", "value": "abc"}, map[string]any{"name": "warehouse", "value": "wh"}},
		"request":     `{"user":"svc","password":"hunter2"}`,
		"credentials": map[string]any{"user": "svc", "port": int64(5432), "tls": true},
	}))
	_, err := p.processLogs(context.Background(), ld)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"audit.api_key.id": "k-1", "db.password": masked,
		"audit.description": "connected to postgres://svc:[MASKED]@db:5432/app",
		"mask.count":        int64(6), "mask.rules": []any{"assignment", "connection_string", "key"}}, lr.Attributes().AsRaw())
	assert.Equal(t, map[string]any{
		"parameters":  []any{map[string]any{"name": "token", "value": masked}, map[string]any{"name": "warehouse", "value": "wh"}},
		"request":     `{"user":"svc","password":"[MASKED]"}`,
		"credentials": map[string]any{"user": masked, "port": masked, "tls": true},
	}, lr.Body().AsRaw())
}
