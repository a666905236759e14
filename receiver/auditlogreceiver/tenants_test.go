package auditlogreceiver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/auditship/auditship/receiver/auditlogreceiver/internal/metadata"
)

const (
	billingKey = "k-billing-7f3a9c2e51d84b6a"
	adminKey   = "k-admin-0c1d2e3f4a5b6c7d"
	airkitKey  = "k-airkit-99aa88bb77cc66dd"
)

// hashOf is what `printf %s "$KEY" | sha256sum` prints.
func hashOf(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// keysFileOf writes a keys file for the test and returns its path.
func keysFileOf(t *testing.T, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keys")
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600))
	return path
}

func rewrite(t *testing.T, path string, lines ...string) {
	t.Helper()
	// Through a rename, as editors and Kubernetes do: the watcher must never see half a file.
	tmp := path + ".new"
	require.NoError(t, os.WriteFile(tmp, []byte(strings.Join(lines, "\n")+"\n"), 0o600))
	require.NoError(t, os.Rename(tmp, path))
}

var standardKeys = []string{
	"# name  sha256-of-key  orgs",
	"billing " + hashOf(billingKey) + " org-gd",
	"",
	"admin\t" + hashOf(adminKey) + "\t*",
	"airkit " + hashOf(airkitKey) + " org-ak,org-x",
}

func TestParseKeys(t *testing.T) {
	k, err := parseKeys([]byte(strings.Join(standardKeys, "\n")))
	require.NoError(t, err)
	require.Len(t, k.entries, 3)
	assert.Equal(t, &grant{name: "billing", orgs: map[string]struct{}{"org-gd": {}}}, k.lookup(billingKey))
	assert.True(t, k.lookup(adminKey).anyOrg)
	assert.Equal(t, "airkit", k.lookup(airkitKey).name)
	assert.Nil(t, k.lookup("k-unknown"))
	assert.Nil(t, k.lookup(hashOf(billingKey)), "the hash is not a key")

	hash := hashOf(billingKey)
	tests := []struct {
		name    string
		lines   []string
		wantErr []string
	}{
		{name: "too few fields", lines: []string{"billing " + hash}, wantErr: []string{"line 1: expected 3 fields (name, SHA-256 of the key in hex, org ids), found 2"}},
		{name: "key pasted instead of its hash", lines: []string{"billing " + billingKey + " org-gd"}, wantErr: []string{"line 1: the second field must be the SHA-256 of the key, 64 hex digits"}},
		{name: "hash cut short", lines: []string{"billing " + hash[:62] + " org-gd"}, wantErr: []string{"line 1: the second field must be the SHA-256"}},
		{name: "empty org", lines: []string{"billing " + hash + " org-gd,,org-x"}, wantErr: []string{"line 1: an empty org id in the list"}},
		{name: "hash too long", lines: []string{"billing " + hash + "00 org-gd"}, wantErr: []string{"line 1: the second field must be the SHA-256"}},
		{name: "a SHA-512 pasted", lines: []string{"billing " + hash + hash + " org-gd"}, wantErr: []string{"line 1: the second field must be the SHA-256"}},
		{name: "org id no key could name", lines: []string{"billing " + hash + " org-gd,../x"}, wantErr: []string{"line 1: an org id that is not 1 to 128"}},
		{name: "any org and more", lines: []string{"billing " + hash + " *,org-gd"}, wantErr: []string{"line 1: * (any org) must be the only org"}},
		{name: "name twice", lines: []string{"billing " + hash + " a", "billing " + hashOf(adminKey) + " b"}, wantErr: []string{"line 2: the name is already used on line 1"}},
		{name: "key twice", lines: []string{"# c", "billing " + hash + " a", "other " + hash + " b"}, wantErr: []string{"line 3: the same key as line 2"}},
		{name: "every problem at once", lines: []string{"a " + hash, "b x y"}, wantErr: []string{"line 1: expected 3 fields", "line 2: the second field"}},
		{name: "no keys", lines: []string{"# nothing yet", ""}, wantErr: []string{"no keys"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseKeys([]byte(strings.Join(tt.lines, "\n")))
			require.Error(t, err)
			for _, want := range tt.wantErr {
				assert.ErrorContains(t, err, want)
			}
			assert.NotContains(t, err.Error(), billingKey, "errors never quote the file")
			assert.NotContains(t, err.Error(), hash[:16])
		})
	}
}

func TestServingConfigValidate(t *testing.T) {
	tests := []struct {
		name      string
		configure func(*Config)
		wantErrs  []string
	}{
		{name: "defaults", configure: func(*Config) {}},
		{name: "keys file", configure: func(cfg *Config) {
			cfg.Tenants = configoptional.Some(TenantsConfig{KeysFile: "/etc/keys", Header: "X-API-Key", ReloadInterval: time.Minute})
		}},
		{name: "negative max_concurrent_requests", configure: func(cfg *Config) { cfg.MaxConcurrentRequests = -1 },
			wantErrs: []string{"max_concurrent_requests: must not be negative"}},
		{name: "tenants without a source", configure: func(cfg *Config) { cfg.Tenants = configoptional.Some(TenantsConfig{}) },
			wantErrs: []string{"tenants: set keys_file (hashed API keys) or auth_attribute"}},
		{name: "both sources", configure: func(cfg *Config) {
			cfg.Tenants = configoptional.Some(TenantsConfig{KeysFile: "k", AuthAttribute: "orgs"})
		}, wantErrs: []string{"tenants: keys_file and auth_attribute exclude each other"}},
		{name: "auth_attribute without auth", configure: func(cfg *Config) {
			cfg.Tenants = configoptional.Some(TenantsConfig{AuthAttribute: "orgs"})
		}, wantErrs: []string{"tenants::auth_attribute: needs `auth`"}},
		{name: "keys file with include_metadata", configure: func(cfg *Config) {
			cfg.Tenants = configoptional.Some(TenantsConfig{KeysFile: "k"})
			cfg.IncludeMetadata = true
		}, wantErrs: []string{"tenants::keys_file: cannot be used with include_metadata"}},
		{name: "write_timeout not beyond read_timeout", configure: func(cfg *Config) {
			cfg.ReadTimeout, cfg.WriteTimeout = time.Minute, 30*time.Second
		}, wantErrs: []string{"write_timeout (30s) must be longer than read_timeout (1m0s)"}},
		{name: "bad header and interval", configure: func(cfg *Config) {
			cfg.Tenants = configoptional.Some(TenantsConfig{KeysFile: "k", Header: "Authorization: Bearer", ReloadInterval: -time.Second})
		}, wantErrs: []string{"tenants::header: must be a plain HTTP header name", "tenants::reload_interval: must not be negative"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			tt.configure(cfg)
			err := cfg.Validate()
			if tt.wantErrs == nil {
				assert.NoError(t, err)
				return
			}
			for _, want := range tt.wantErrs {
				assert.ErrorContains(t, err, want)
			}
		})
	}
}

func TestServingConfigUnmarshal(t *testing.T) {
	conf := confmap.NewFromStringMap(map[string]any{
		"max_concurrent_requests": 32,
		"tenants":                 map[string]any{"keys_file": "/etc/auditlog/keys", "header": "X-API-Key", "reload_interval": "30s"},
	})
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, conf.Unmarshal(cfg))
	assert.Equal(t, 32, cfg.MaxConcurrentRequests)
	assert.Equal(t, &TenantsConfig{KeysFile: "/etc/auditlog/keys", Header: "X-API-Key", ReloadInterval: 30 * time.Second}, cfg.Tenants.Get())
	assert.False(t, createDefaultConfig().(*Config).Tenants.HasValue(), "off by default")

	bad := confmap.NewFromStringMap(map[string]any{"tenants": map[string]any{"keys_fil": "/etc/auditlog/keys"}})
	assert.ErrorContains(t, bad.Unmarshal(createDefaultConfig().(*Config)), "keys_fil", "a misspelt key inside tenants fails")
}

func TestTenantKeys(t *testing.T) {
	bearer := func(key string) map[string]string { return map[string]string{"Authorization": "Bearer " + key} }
	tests := []struct {
		name       string
		header     string // tenants::header; default Authorization
		send       map[string]string
		body       string
		wantStatus int
		wantError  string
	}{
		{name: "the caller's org", send: bearer(billingKey), body: goodDataLogin, wantStatus: http.StatusOK},
		{name: "scheme in any case", send: map[string]string{"Authorization": "bearer " + billingKey}, body: goodDataLogin, wantStatus: http.StatusOK},
		{name: "one of the caller's orgs", send: bearer(airkitKey), body: airkitLogin, wantStatus: http.StatusOK},
		{name: "any org", send: bearer(adminKey), body: goodDataLogin + "\n" + airkitLogin, wantStatus: http.StatusOK},
		{name: "another org", send: bearer(billingKey), body: goodDataLogin + "\n" + airkitLogin + "\n" + goodDataSetup,
			wantStatus: http.StatusForbidden, wantError: "1 of 3 events are for orgs this caller may not write; no event was accepted"},
		{name: "no key", body: goodDataLogin, wantStatus: http.StatusUnauthorized,
			wantError: "unauthorized: send a known API key as Authorization: Bearer <key>"},
		{name: "unknown key", send: bearer("k-guessed"), body: goodDataLogin, wantStatus: http.StatusUnauthorized},
		{name: "the hash instead of the key", send: bearer(hashOf(billingKey)), body: goodDataLogin, wantStatus: http.StatusUnauthorized},
		{name: "other scheme", send: map[string]string{"Authorization": "Basic " + billingKey}, body: goodDataLogin, wantStatus: http.StatusUnauthorized},
		{name: "own header", header: "X-API-Key", send: map[string]string{"X-API-Key": billingKey}, body: goodDataLogin, wantStatus: http.StatusOK},
		{name: "own header without key", header: "X-API-Key", send: bearer(billingKey), body: goodDataLogin,
			wantStatus: http.StatusUnauthorized, wantError: "unauthorized: send a known API key in the X-API-Key header"},
		{name: "unauthorized before bad input", body: "not json", wantStatus: http.StatusUnauthorized},
	}
	path := keysFileOf(t, standardKeys...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := new(consumertest.LogsSink)
			url, client := startReceiver(t, sink, func(cfg *Config) {
				cfg.Tenants = configoptional.Some(TenantsConfig{KeysFile: path, Header: tt.header})
			})
			a := doWith(t, client, http.MethodPost, url, "application/x-ndjson", tt.body, tt.send)
			assert.Equal(t, tt.wantStatus, a.status, a.raw)
			if tt.wantError != "" {
				assert.Equal(t, tt.wantError, a.body.Error)
			}
			if tt.wantStatus == http.StatusUnauthorized && tt.header == "" {
				assert.Equal(t, `Bearer realm="auditlog"`, a.header.Get("WWW-Authenticate"))
			}
			if tt.wantStatus != http.StatusOK {
				assert.Zero(t, sink.LogRecordCount(), "nothing of a refused request is forwarded")
			} else {
				assert.Equal(t, strings.Count(tt.body, "\n")+1, sink.LogRecordCount())
			}
		})
	}
}

func TestKeysReload(t *testing.T) {
	path := keysFileOf(t, "billing "+hashOf(billingKey)+" org-gd")
	core, logs := observer.New(zapcore.InfoLevel)
	set := receivertest.NewNopSettings(metadata.Type)
	set.Logger = zap.New(core)
	url, client := startReceiverWith(t, set, consumertest.NewNop(), func(cfg *Config) {
		cfg.Tenants = configoptional.Some(TenantsConfig{KeysFile: path, ReloadInterval: 10 * time.Millisecond})
	})
	status := func(key string) int {
		return doWith(t, client, http.MethodPost, url, "application/json", goodDataLogin, map[string]string{"Authorization": "Bearer " + key}).status
	}
	require.Equal(t, http.StatusOK, status(billingKey))
	require.Equal(t, http.StatusUnauthorized, status(adminKey))

	// A changed file replaces the keys: a new key works, a removed one no longer does.
	rewrite(t, path, "admin "+hashOf(adminKey)+" *")
	require.Eventually(t, func() bool { return status(adminKey) == http.StatusOK }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, http.StatusUnauthorized, status(billingKey))

	// A bad file is refused with one log line, however long it stays, and the keys stay.
	rewrite(t, path, "admin "+adminKey+" *")
	refused := func() int { return logs.FilterMessageSnippet("Refused the changed keys file").Len() }
	require.Eventually(t, func() bool { return refused() == 1 }, 5*time.Second, 10*time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	assert.Equal(t, 1, refused())
	assert.Equal(t, http.StatusOK, status(adminKey))
	entry := logs.FilterMessageSnippet("Refused the changed keys file").All()[0]
	assert.Equal(t, zapcore.ErrorLevel, entry.Level)
	assert.Contains(t, entry.ContextMap()["error"], "line 1: the second field must be the SHA-256")

	// A removed file is refused the same way.
	require.NoError(t, os.Remove(path))
	require.Eventually(t, func() bool { return refused() == 2 }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, http.StatusOK, status(adminKey))

	// And a good file afterwards is taken.
	rewrite(t, path, "billing "+hashOf(billingKey)+" org-gd")
	require.Eventually(t, func() bool { return status(billingKey) == http.StatusOK }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, http.StatusUnauthorized, status(adminKey))
	assert.Equal(t, 2, logs.FilterMessage("Reloaded API keys").Len())
}

func TestStartFailsWithABadKeysFile(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		wantErr string
	}{
		{name: "missing", path: filepath.Join(t.TempDir(), "absent"), wantErr: "tenants::keys_file: open "},
		{name: "invalid", path: keysFileOf(t, "billing "+billingKey+" org-gd"), wantErr: "line 1: the second field must be the SHA-256 of the key"},
		{name: "empty", path: keysFileOf(t, "# to do"), wantErr: "no keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			cfg.NetAddr.Endpoint = "127.0.0.1:0"
			cfg.Tenants = configoptional.Some(TenantsConfig{KeysFile: tt.path})
			require.NoError(t, cfg.Validate(), "the file is read at start, not at validation")
			rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
			require.NoError(t, err)
			err = rcv.Start(context.Background(), componenttest.NewNopHost())
			require.ErrorContains(t, err, tt.wantErr)
			assert.ErrorContains(t, err, "tenants::keys_file")
			assert.NotContains(t, err.Error(), billingKey)
			assert.Nil(t, rcv.(*auditLogReceiver).server, "no server was started")
			assert.NoError(t, rcv.Shutdown(context.Background()))
		})
	}
}

// The keys file shown in the README is one the receiver takes, with the keys it names.
func TestReadmeKeysFile(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	_, example, found := strings.Cut(string(readme), "The keys file has one key per line")
	require.True(t, found, "the README describes the keys file")
	_, example, found = strings.Cut(example, "```text\n")
	require.True(t, found, "the README shows a keys file")
	example, _, _ = strings.Cut(example, "```")
	k, err := parseKeys([]byte(example))
	require.NoError(t, err)
	assert.Equal(t, "billing-service", k.lookup("example-billing-key").name)
	assert.Equal(t, "reporting", k.lookup("example-reporting-key").name)
	assert.True(t, k.lookup("example-platform-key").anyOrg)
}

func TestGrantFromAuth(t *testing.T) {
	tests := []struct {
		name    string
		claim   any
		anyOrg  bool
		allowed []string
	}{
		{name: "one org", claim: "org-a", allowed: []string{"org-a"}},
		{name: "a list", claim: []any{"org-a", "org-b"}, allowed: []string{"org-a", "org-b"}},
		{name: "any org alone", claim: "*", anyOrg: true},
		{name: "any org hidden in a list grants nothing", claim: []string{"org-a", "*"}},
		{name: "an org id no key could name grants nothing", claim: []string{"org-a", "a/b"}},
		{name: "no claim", claim: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := grantFromAuth(testAuthData{"orgs": tt.claim}, "orgs")
			require.NotNil(t, g, "an authenticated caller gets a grant, maybe empty (403, not 401)")
			assert.Equal(t, tt.anyOrg, g.anyOrg)
			assert.Len(t, g.orgs, len(tt.allowed)+map[bool]int{true: 1}[tt.anyOrg])
			for _, org := range tt.allowed {
				assert.Contains(t, g.orgs, org)
			}
		})
	}
}

// TestKeysFileIgnoresTornReads: a keys file caught half-written, whose last org list may be
// cut into another org's id, is never put in use: new keys take effect once two polls in a row
// read them.
func TestKeysFileIgnoresTornReads(t *testing.T) {
	whole := "billing " + hashOf(billingKey) + " org-gd,org-gdx"
	path := keysFileOf(t, "billing "+hashOf(billingKey)+" org-old")
	tel, err := newTelemetry(receivertest.NewNopSettings(metadata.Type).TelemetrySettings)
	require.NoError(t, err)
	a := newAccess(&TenantsConfig{KeysFile: path}, zap.NewNop(), tel)
	require.NoError(t, a.keys.load())
	orgs := func() []string {
		for _, e := range a.keys.current.Load().entries {
			return slices.Sorted(maps.Keys(e.grant.orgs))
		}
		return nil
	}
	inPlace := func(content string) { require.NoError(t, os.WriteFile(path, []byte(content), 0o600)) }

	inPlace(whole[:len(whole)-2] + "\n") // cut inside the last org id: "org-g", another org
	a.keys.reload()
	assert.Equal(t, []string{"org-old"}, orgs(), "a content read once is not used")
	inPlace(whole + "\n") // the writer finished
	a.keys.reload()
	assert.Equal(t, []string{"org-old"}, orgs(), "nor one that differs from the last read")
	a.keys.reload()
	assert.Equal(t, []string{"org-gd", "org-gdx"}, orgs(), "read twice, it is used")
}
