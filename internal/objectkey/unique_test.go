package objectkey

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewUnique(t *testing.T) {
	seen := make(map[string]bool)
	for range 10000 {
		u := NewUnique()
		require.Len(t, u, UniqueLen)
		for i := 0; i < len(u); i++ {
			require.True(t, ('a' <= u[i] && u[i] <= 'z') || ('2' <= u[i] && u[i] <= '7'), u)
		}
		require.False(t, seen[u], "repeated %q", u)
		seen[u] = true
	}
	// Every value is usable in a key.
	tpl := MustCompile(AirkitKey)
	assert.Contains(t, string(tpl.Append(nil, Values{OrgID: "o", Unique: NewUnique()})), "o/")
}
