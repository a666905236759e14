package maskprocessor

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditship/auditship/internal/auditevent"
)

func TestAllowPaths(t *testing.T) {
	const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
	tests := []struct {
		name      string
		paths     []string
		attrs     map[string]any
		body      any
		wantAttrs map[string]any
		wantBody  any
	}{
		{
			name:      "attribute by key",
			paths:     []string{"attributes.next_page_token"},
			attrs:     map[string]any{"next_page_token": "abc", "token": "t"},
			wantAttrs: map[string]any{"next_page_token": "abc", "token": masked},
		},
		{
			name:      "value detectors skipped too",
			paths:     []string{"attributes.sample"},
			attrs:     map[string]any{"sample": "Bearer " + jwt, "other": "Bearer " + jwt},
			wantAttrs: map[string]any{"sample": "Bearer " + jwt, "other": "Bearer " + masked},
		},
		{
			name:      "dotted attribute key taken as written",
			paths:     []string{"attributes.db.password"},
			attrs:     map[string]any{"db.password": "p", "db": map[string]any{"password": "q", "secret": "s"}},
			wantAttrs: map[string]any{"db.password": "p", "db": map[string]any{"password": "q", "secret": masked}},
		},
		{
			name:      "everything beneath an allowed path",
			paths:     []string{"body.parameters"},
			body:      map[string]any{"parameters": map[string]any{"password": "p", "nested": []any{map[string]any{"token": "t"}}}, "token": "t"},
			wantAttrs: map[string]any{},
			wantBody:  map[string]any{"parameters": map[string]any{"password": "p", "nested": []any{map[string]any{"token": "t"}}}, "token": masked},
		},
		{
			name:      "array elements have no segment",
			paths:     []string{"body.items.etag"},
			body:      map[string]any{"items": []any{map[string]any{"etag": "e1", "secret": "s"}, map[string]any{"etag": "e2"}}},
			wantAttrs: map[string]any{},
			wantBody:  map[string]any{"items": []any{map[string]any{"etag": "e1", "secret": masked}, map[string]any{"etag": "e2"}}},
		},
		{
			name:      "a path inside a credential key",
			paths:     []string{"body.credentials.user"},
			body:      map[string]any{"credentials": map[string]any{"user": "svc", "pass": "p"}},
			wantAttrs: map[string]any{},
			wantBody:  map[string]any{"credentials": map[string]any{"user": "svc", "pass": masked}},
		},
		{
			name:      "the value of a name/value pair",
			paths:     []string{"body.parameters.value"},
			body:      map[string]any{"parameters": []any{map[string]any{"name": "token", "value": "abc"}}, "password": "p"},
			wantAttrs: map[string]any{},
			wantBody:  map[string]any{"parameters": []any{map[string]any{"name": "token", "value": "abc"}}, "password": masked},
		},
		{
			name:      "the whole body",
			paths:     []string{"body"},
			attrs:     map[string]any{"token": "t"},
			body:      map[string]any{"password": "p"},
			wantAttrs: map[string]any{"token": masked},
			wantBody:  map[string]any{"password": "p"},
		},
		{
			name:      "a path is not a prefix of its siblings' keys",
			paths:     []string{"attributes.token"},
			attrs:     map[string]any{"token": "t", "token2": "u"},
			wantAttrs: map[string]any{"token": "t", "token2": masked},
		},
		{
			name:      "attributes paths do not reach the body",
			paths:     []string{"attributes.password"},
			body:      map[string]any{"password": "p"},
			wantAttrs: map[string]any{},
			wantBody:  map[string]any{"password": masked},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestProcessor(t, &Config{Replacement: DefaultReplacement, AllowPaths: tt.paths})
			maskTwice(t, p, tt.attrs, tt.body, func(pass int, lr plog.LogRecord) {
				got := lr.Attributes().AsRaw()
				delete(got, auditevent.AttrMaskCount)
				delete(got, auditevent.AttrMaskRules)
				assert.Equal(t, tt.wantAttrs, got, "pass %d", pass)
				if tt.body != nil {
					assert.Equal(t, tt.wantBody, lr.Body().AsRaw(), "pass %d", pass)
				}
			})
		})
	}
}

func TestValidateAllowPaths(t *testing.T) {
	tests := []struct {
		path    string
		wantErr string
	}{
		{path: "body"},
		{path: "body.items.etag"},
		{path: "attributes.next_page_token"},
		{path: "attributes.db.password"},
		{path: "", wantErr: `allow_paths[0]: "" is empty`},
		{path: "attributes", wantErr: `must be "body" or start with "body." or "attributes."`},
		{path: "attributes.", wantErr: "has an empty segment"},
		{path: "body..x", wantErr: "has an empty segment"},
		{path: "body.x.", wantErr: "has an empty segment"},
		{path: "bodyx", wantErr: `must be "body" or start with`},
		{path: "resource.x", wantErr: `must be "body" or start with`},
		{path: "body.items[0].etag", wantErr: "holds an array index"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			err := (&Config{Replacement: DefaultReplacement, AllowPaths: []string{tt.path}}).Validate()
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tt.wantErr)
			assert.ErrorContains(t, err, "allow_paths[0]: ")
		})
	}
}

func TestCleanRecordWithAllowPathsAllocatesNothing(t *testing.T) {
	p := newTestProcessor(t, &Config{Replacement: DefaultReplacement, AllowPaths: []string{"attributes.next_page_token", "body.a.b"}})
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	require.NoError(t, lr.Attributes().FromRaw(map[string]any{"next_page_token": "abc", "user.email": "alice@example.com", "note": "nothing"}))
	require.NoError(t, lr.Body().FromRaw(map[string]any{"a": []any{map[string]any{"b": "x: y = z", "c": "d"}}}))
	// One walker, not the pool: under -race sync.Pool drops walkers at random, and a new walker
	// grows its path buffer once.
	w := p.walkers.Get().(*walker)
	assert.Zero(t, w.walkRecord(lr)) // warms the walker's buffers
	allocs := testing.AllocsPerRun(100, func() {
		if n := w.walkRecord(lr); n != 0 {
			t.Fatal(n)
		}
	})
	assert.Zero(t, allocs)
}
