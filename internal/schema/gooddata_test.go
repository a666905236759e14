package schema

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

// decodeJSON reads a JSON document with the standard library, as a customer's tools would.
func decodeJSON(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(data, &v), "%s", data)
	return v
}

func TestGoodDataNDJSON(t *testing.T) {
	login, create := recordFrom(t, goodDataLogin), recordFrom(t, goodDataCreate)
	file := encodeFile(t, Config{}, login, create)

	lines := bytes.SplitAfter(file, []byte("\n"))
	require.Len(t, lines, 3, "two lines, each ending in a newline")
	assert.Empty(t, lines[2])
	// Entry in, entry out: byte for byte, and so equal as values too.
	assert.Equal(t, goodDataLogin+"\n", string(lines[0]))
	assert.Equal(t, goodDataCreate+"\n", string(lines[1]))
	assert.Equal(t, decodeJSON(t, []byte(goodDataCreate)), decodeJSON(t, lines[1]))
	assert.Equal(t, map[string]any{"parameters": map[string]any{"password": "***", "port": float64(5432), "ssl": []any{true, nil, 1.5}}},
		decodeJSON(t, lines[1]).(map[string]any)["details"])
}

func TestGoodDataJSONArray(t *testing.T) {
	login, create := recordFrom(t, goodDataLogin), recordFrom(t, goodDataCreate)
	many := make([]plog.LogRecord, 250)
	for i := range many {
		many[i] = create
	}
	tests := []struct {
		name    string
		records []plog.LogRecord
	}{
		{name: "zero", records: nil},
		{name: "one", records: []plog.LogRecord{login}},
		{name: "two", records: []plog.LogRecord{login, create}},
		{name: "many", records: many},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := encodeFile(t, Config{Format: JSON}, tt.records...)
			require.True(t, json.Valid(file), "%s", file)
			var entries []map[string]any
			require.NoError(t, json.Unmarshal(file, &entries))
			require.Len(t, entries, len(tt.records))
			for i, lr := range tt.records {
				want := decodeJSON(t, encodeFile(t, Config{}, lr))
				assert.Equal(t, want, any(entries[i]), "entry %d", i)
			}
		})
	}
}

// An Airkit row written in the GoodData schema keeps every column: the ones GoodData has a field
// for in that field, the rest in details under their attribute names.
func TestGoodDataFromAirkitKeepsEveryColumn(t *testing.T) {
	lr := classify(recordFrom(t, airkitFull), 3, 3002, 1, 1, 1)
	file := encodeFile(t, Config{}, lr)
	entry := decodeJSON(t, bytes.TrimSuffix(file, []byte("\n"))).(map[string]any)
	assert.Equal(t, map[string]any{
		"eventName": "user_login", "categoryUid": "3", "classUid": "3002", "ts": "2026-11-22T02:30:00.123Z",
		"orgId": "org-1", "userId": "u-1", "success": true, "type": "audit", "eventId": "ev-1",
		"details": map[string]any{
			"audit.root_scope_user.id": "rsu-1", "user.email": "a@example.com", "audit.app.id": "app-1",
			"audit.branch.id": "br-1", "audit.deploy.id": "dep-1", "audit.savepoint.id": "sp-1",
			"audit.savepoint.revision": "7", "audit.resource.type": "datastore", "audit.resource.id": "res-1",
			"audit.domain": "example.com", "audit.datastore.id": "ds-1", "audit.api_key.id": "ak-1",
			"audit.notifier.id": "n-1", "audit.saml.id": "saml-1", "audit.webhook.id": "wh-1",
			"audit.adapter.id": "ad-1", "audit.embed.id": "em-1", "audit.role.id": "role-1",
			"audit.service.name": "studio", "audit.service.revision": "r42", "audit.login.type": "password",
		},
	}, entry)
}

func TestNDJSONHasOneLinePerRecord(t *testing.T) {
	// Newlines and U+2028 inside values are escaped: a record never spans two lines.
	lr := recordFrom(t, `{"eventName":"x","ts":"2023-01-20T18:55:32.466Z","orgId":"o","userId":"a\nb\r\u2028c","eventId":"e"}`)
	for _, cfg := range []Config{{}, {Schema: Airkit}, {Schema: OCSF}} {
		file := encodeFile(t, cfg, lr, lr, lr)
		sc := bufio.NewScanner(bytes.NewReader(file))
		n := 0
		for sc.Scan() {
			decodeJSON(t, sc.Bytes())
			n++
		}
		assert.Equal(t, 3, n, cfg.Schema)
	}
}
