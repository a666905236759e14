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
		{"authorization other scheme", "Authorization: Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b", "Authorization: Token [MASKED]", "bearer"},
		{"proxy authorization", "Proxy-Authorization: ApiKey abcdef0123456789 sent", "Proxy-Authorization: ApiKey [MASKED] sent", "bearer"},
		{"authorization basic of letters", "Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic [MASKED]", "bearer"},
		{"authorization in json", `{"Authorization":"Basic dXNlcjpwYXNz"}`, `{"Authorization":"Basic [MASKED]"}`, "bearer"},
		{"authorization in nested json", `{"headers":{"authorization":"Bearer AbCdEfGhIjKlMnOp"}}`, `{"headers":{"authorization":"Bearer [MASKED]"}}`, "bearer"},
		{"authorization without scheme", "Authorization: abc123def", "Authorization: [MASKED]", "assignment"},
		{"basic credentials alone", "sent basic dXNlcjpwYXNzd29yZA== twice", "sent basic [MASKED] twice", "bearer"},
		{"basic plan in prose", "Subscription changed from basic plan-2024 to premium", "Subscription changed from basic plan-2024 to premium", ""},
		{"basic path in prose", "Updated basic settings/profile for user 42", "Updated basic settings/profile for user 42", ""},
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
		{"json value on the next line", "{\"password\":\n\"hunter2\"}", "{\"password\":\n\"[MASKED]\"}", "assignment"},
		{"json value after a tab", "{\"password\":\t\"hunter2\"}", "{\"password\":\t\"[MASKED]\"}", "assignment"},
		{"pretty-printed json", "{\n  \"password\":\r\n    \"hunter2\"\n}", "{\n  \"password\":\r\n    \"[MASKED]\"\n}", "assignment"},
		{"unquoted value not taken from the next line", "password:\nhunter2", "password:\nhunter2", ""},
		{"json value ending in a backslash", `{"password":"ab\\","user":"u1"}`, `{"password":"[MASKED]","user":"u1"}`, "assignment"},
		{"json escaped twice with a quote inside", `{"request":"{\"password\":\"ab\\\"cdSECRET\"}"}`, `{"request":"{\"password\":\"[MASKED]\"}"}`, "assignment"},
		{"sql single-quoted password", "ALTER ROLE app WITH LOGIN PASSWORD 'hunter2'", "ALTER ROLE app WITH LOGIN PASSWORD '[MASKED]'", "assignment"},
		{"single-quoted after a word", "passphrase 'hunter2' set", "passphrase '[MASKED]' set", "assignment"},
		{"apostrophe in prose stays", "user's password wasn't changed", "user's password wasn't changed", ""},
		{"odbc braces", "Server=db;Uid=sa;Pwd={hunter2};", "Server=db;Uid=sa;Pwd={[MASKED]};", "connection_string"},
		{"odbc braces holding separators", "Server=tcp:x,1433;User ID=sa;Password={hunt;er2};", "Server=tcp:x,1433;User ID=sa;Password={[MASKED]};", "connection_string"},
		{"odbc doubled brace", "Uid=sa;Pwd={a}}b;c};Server=db", "Uid=sa;Pwd={[MASKED]};Server=db", "connection_string"},
		{"cookie header", "Cookie: theme=dark; JSESSIONID=ABCDEF1234567890", "Cookie: [MASKED]", "assignment"},
		{"cookie header ends at its line", "Cookie: a=b; sid=c0ffee\nHost: example.com", "Cookie: [MASKED]\nHost: example.com", "assignment"},
		{"form field in brackets", "user[email]=a@b.c&user[password]=hunter2", "user[email]=a@b.c&user[password]=[MASKED]", "assignment"},
		{"hash arrow after a quoted key", `Parameters: {"user"=>{"email"=>"a@b.c", "password"=>"hunter2"}}`, `Parameters: {"user"=>{"email"=>"a@b.c", "password"=>"[MASKED]"}}`, "assignment"},
		{"hash arrow after a symbol", `{:password=>"hunter2"}`, `{:password=>"[MASKED]"}`, "assignment"},
		{"hash arrow with spaces", `'password' => 'hunter2'`, `'password' => '[MASKED]'`, "assignment"},
		{"print_r", "Array\n(\n    [user] => bob\n    [password] => hunter2\n)", "Array\n(\n    [user] => bob\n    [password] => [MASKED]\n)", "assignment"},
		{"name/value pair in other spellings", `[{"ParameterKey":"DBPassword","ParameterValue":"hunter2"},{"NAME":"password","VALUE":"hunter2"}]`, `[{"ParameterKey":"DBPassword","ParameterValue":"[MASKED]"},{"NAME":"password","VALUE":"[MASKED]"}]`, "assignment"},
		{"azure account key", "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;EndpointSuffix=core.windows.net", "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=[MASKED];EndpointSuffix=core.windows.net", "connection_string"},
		{"azure sas signature", "https://acct.blob.core.windows.net/c/b?sv=2020-08-04&sp=rwdl&se=2030-01-01&sig=abcDEF123%2Bxyz0987QWE%3D", "https://acct.blob.core.windows.net/c/b?sv=2020-08-04&sp=rwdl&se=2030-01-01&sig=[MASKED]", "assignment"},
		{"s3 presigned url", "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261203%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=0123abcd4567ef890123abcd4567ef890123abcd4567ef890123abcd4567ef89", "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=[MASKED]&X-Amz-Signature=[MASKED]", "assignment"},
		{"gcs signed url", "https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Signature=5a1b2c3d4e5f60718293a4b5c6d7e8f9", "https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Signature=[MASKED]", "assignment"},
		{"working directories stay", "exec /usr/bin/app PWD=/home/app OLDPWD=/srv", "exec /usr/bin/app PWD=/home/app OLDPWD=/srv", ""},
		{"pwd of a database", "DB_PWD=/x9 pwd=/y8", "DB_PWD=[MASKED] pwd=[MASKED]", "assignment"},
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

// TestHoldsNoSecret checks the test that spares detect the short values without a byte that
// introduces a secret, against detect itself: the shaped secrets cut just short of
// minShapedSecret, where they are skipped, must be what detect finds nothing in, and the
// shortest secrets each introducer brings must still be scanned.
func TestHoldsNoSecret(t *testing.T) {
	tests := []struct {
		name string
		in   string
		// skipped is what holdsNoSecret must report, found whether detect finds a secret.
		skipped, found bool
	}{
		{"identifier", "bench-123", true, false},
		{"address", "203.0.113.7", true, false},
		{"longest skipped", "dashboard-123456789", true, false},
		{"aws key id cut short", awsKeyID[:minShapedSecret-1], true, false},
		{"github token cut short", ghToken[:minShapedSecret-1], true, false},
		{"gitlab token cut short", glToken[:minShapedSecret-1], true, false},
		{"slack token cut short", slackToken[:minShapedSecret-1], true, false},
		{"stripe key cut short", stripeKey[:minShapedSecret-1], true, false},
		{"google key cut short", googleKey[:minShapedSecret-1], true, false},
		{"jwt cut short", jwt[:minShapedSecret-1], true, false},
		{"pem block cut short, scanned for its space", pemBlock[:minShapedSecret-1], false, false},
		{"aws key id", awsKeyID, false, true},
		{"github token", ghToken, false, true},
		{"assignment", "pwd=hunter2", false, true},
		{"assignment with a colon", "pwd: hunter2", false, true},
		{"quoted after a word", "pwd 'hunter2'", false, true},
		{"json member", `"pwd":"x1"`, false, true},
		{"bearer", "Bearer abc12345", false, true},
		{"url password", "a://u:pw@h", false, true},
		{"space alone", "two words", false, false},
	}
	w := newTestProcessor(t, &Config{Replacement: DefaultReplacement}).walkers.Get().(*walker)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.skipped, holdsNoSecret(tt.in))
			w.detect(tt.in)
			assert.Equal(t, tt.found, len(w.spans) > 0)
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

// Bytes are written out in base64, which anyone can decode: those holding text are scanned
// like strings and stay bytes.
func TestBytesHoldingTextAreScanned(t *testing.T) {
	binary := []byte{0xff, 0xfe, 'p', 'w', 'd', '=', 'h', 'u', 'n', 't', 'e', 'r', '2'}
	tests := []struct {
		name       string
		attrs      map[string]any
		body       any
		wantAttrs  map[string]any
		wantBody   any
		wantMasked bool
	}{
		{
			name:       "json text in an attribute",
			attrs:      map[string]any{"http.request.body": []byte(`{"user":"bob","password":"hunter2"}`)},
			wantAttrs:  map[string]any{"http.request.body": []byte(`{"user":"bob","password":"[MASKED]"}`)},
			wantMasked: true,
		},
		{
			name:       "a header in the body",
			body:       []byte("Authorization: Bearer " + jwt),
			wantBody:   []byte("Authorization: Bearer [MASKED]"),
			wantMasked: true,
		},
		{
			name:       "bytes in a slice in a map",
			body:       map[string]any{"parts": []any{[]byte("postgres://svc:pw1@db/app"), "plain"}},
			wantBody:   map[string]any{"parts": []any{[]byte("postgres://svc:[MASKED]@db/app"), "plain"}},
			wantMasked: true,
		},
		{
			name:      "binary bytes stay",
			attrs:     map[string]any{"blob": binary},
			wantAttrs: map[string]any{"blob": binary},
		},
		{
			name:      "text without a secret stays",
			attrs:     map[string]any{"payload": []byte("user=bob action=login")},
			wantAttrs: map[string]any{"payload": []byte("user=bob action=login")},
		},
	}
	p := newTestProcessor(t, &Config{Replacement: DefaultReplacement})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			maskTwice(t, p, tt.attrs, tt.body, func(pass int, lr plog.LogRecord) {
				attrs := lr.Attributes().AsRaw()
				_, counted := attrs[auditevent.AttrMaskCount]
				assert.Equal(t, tt.wantMasked, counted, "pass %d: mask.count", pass)
				delete(attrs, auditevent.AttrMaskCount)
				delete(attrs, auditevent.AttrMaskRules)
				if tt.wantAttrs != nil {
					assert.Equal(t, tt.wantAttrs, attrs, "pass %d", pass)
				}
				if tt.wantBody != nil {
					assert.Equal(t, tt.wantBody, lr.Body().AsRaw(), "pass %d", pass)
				}
			})
		})
	}
}

// Keys and the event name are written out like values, so a secret in them is masked too; the
// value under a masked key moves to it, and two keys masked alike keep both values.
func TestEventNameAndKeysAreScanned(t *testing.T) {
	tests := []struct {
		name, event string
		// body holds the entries of a map body, in order; none for no body.
		body      [][2]string
		wantEvent string
		wantBody  map[string]any
		wantCount int64
	}{
		{
			name:      "event name",
			event:     "connect postgres://svc:hunter2@db/app",
			wantEvent: "connect postgres://svc:[MASKED]@db/app",
			wantCount: 1,
		},
		{
			name:      "clean event name",
			event:     "datasource_create",
			wantEvent: "datasource_create",
		},
		{
			name:      "map key",
			event:     "connect",
			body:      [][2]string{{"postgres://svc:hunter2@db/app", "connected"}, {"user", "svc"}},
			wantEvent: "connect",
			wantBody:  map[string]any{"postgres://svc:[MASKED]@db/app": "connected", "user": "svc"},
			wantCount: 1,
		},
		{
			name:      "keys masked alike",
			event:     "connect",
			body:      [][2]string{{"https://u:p1@h/", "a"}, {"https://u:p2@h/", "b"}},
			wantEvent: "connect",
			wantBody:  map[string]any{"https://u:[MASKED]@h/": "a", "https://u:[MASKED]@h/#2": "b"},
			wantCount: 2,
		},
	}
	p := newTestProcessor(t, &Config{Replacement: DefaultReplacement})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ld := plog.NewLogs()
			lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
			lr.SetEventName(tt.event)
			if tt.body != nil {
				body := lr.Body().SetEmptyMap()
				for _, kv := range tt.body {
					body.PutStr(kv[0], kv[1])
				}
			}
			for pass := 1; pass <= 2; pass++ {
				_, err := p.processLogs(context.Background(), ld)
				require.NoError(t, err)
				assert.Equal(t, tt.wantEvent, lr.EventName(), "pass %d", pass)
				if tt.wantBody != nil {
					assert.Equal(t, tt.wantBody, lr.Body().Map().AsRaw(), "pass %d", pass)
				}
				count, _ := lr.Attributes().Get(auditevent.AttrMaskCount)
				assert.Equal(t, tt.wantCount, count.Int(), "pass %d: mask.count", pass)
			}
		})
	}
}

// largeTexts are strings of 1 MiB packed with what makes a detector look around or keep a span:
// a "value" key, which looks back for the "name" of its pair, and a masked assignment every
// few bytes. Before the look-back was bounded and spans were merged in sorted runs, each took
// the scan from 10 to 30 seconds; both are linear now, and this test completes in well under
// one (BenchmarkLargeText measures it).
var largeTexts = []struct {
	name, unit, maskedUnit string
}{
	{"json value keys", `"value":1,`, `"value":1,`},
	{"assignments", "pwd=x ", "pwd=[MASKED] "},
}

func largeText(unit string) string {
	return "{" + strings.Repeat(unit, (1<<20)/len(unit))
}

func TestLargeTextIsMaskedInLinearTime(t *testing.T) {
	p := newTestProcessor(t, &Config{Replacement: DefaultReplacement})
	for _, tt := range largeTexts {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := maskBody(t, p, largeText(tt.unit))
			assert.Equal(t, largeText(tt.unit)[:1]+strings.Repeat(tt.maskedUnit, (1<<20)/len(tt.unit)), got)
		})
	}
}

func BenchmarkLargeText(b *testing.B) {
	p := newTestProcessor(b, &Config{Replacement: DefaultReplacement})
	for _, tt := range largeTexts {
		b.Run(tt.name, func(b *testing.B) {
			s := largeText(tt.unit)
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				ld := plog.NewLogs()
				ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr(s)
				_, err := p.processLogs(context.Background(), ld)
				require.NoError(b, err)
			}
		})
	}
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
		return w.walkRecord(lr)
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
