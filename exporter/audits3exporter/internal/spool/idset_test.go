package spool

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSealedIDs(t *testing.T) {
	for _, n := range []int{0, 1, 3, 4, 5, 8, 9, 100, 1000, 20_000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			open := newIDSet(0)
			for i := range n {
				require.True(t, open.addNew(keyOf("id-"+strconv.Itoa(i))))
			}
			require.False(t, n > 0 && open.addNew(keyOf("id-0")), "an id is added once")
			sealed := sealIDs(open)
			require.Len(t, sealed.keys, n)
			for i := range n {
				assert.True(t, sealed.has(keyOf("id-"+strconv.Itoa(i))), "id-%d", i)
			}
			passed := 0
			for i := range 1000 {
				k := keyOf("other-" + strconv.Itoa(i))
				assert.False(t, sealed.has(k), "other-%d", i)
				if sealed.mayHave(k) {
					passed++
				}
			}
			// The filter answers most lookups of ids the batch does not hold.
			assert.Less(t, passed, 200, "ids not held that pass the filter, of 1000")
			groups := len(sealed.index) - 1
			assert.LessOrEqual(t, n, keysPerGroup*groups, "at most keysPerGroup keys a group")
			if n >= 2*keysPerGroup {
				assert.GreaterOrEqual(t, 2*n, keysPerGroup*groups, "at least half as many")
			}
		})
	}
}

// at makes a key whose place in an idSet of 8 slots is home.
func at(home, n uint64) idKey { return idKey{home + 8*n, n + 1} }

func TestIDSetRemove(t *testing.T) {
	for _, tc := range []struct {
		name   string
		add    []idKey
		remove idKey
	}{
		{name: "alone", add: []idKey{at(2, 0)}, remove: at(2, 0)},
		{name: "not there", add: []idKey{at(2, 0), at(2, 1)}, remove: at(2, 2)},
		{name: "head of a run", add: []idKey{at(2, 0), at(2, 1), at(3, 0), at(2, 2)}, remove: at(2, 0)},
		{name: "middle of a run", add: []idKey{at(2, 0), at(2, 1), at(3, 0), at(2, 2)}, remove: at(2, 1)},
		{name: "end of a run", add: []idKey{at(2, 0), at(2, 1), at(3, 0)}, remove: at(3, 0)},
		{name: "a key at home stays", add: []idKey{at(2, 0), at(3, 0), at(2, 1)}, remove: at(2, 0)},
		{name: "wrapping round", add: []idKey{at(6, 0), at(6, 1), at(7, 0), at(6, 2), at(0, 0)}, remove: at(6, 1)},
		{name: "wrapped key", add: []idKey{at(7, 0), at(7, 1), at(0, 0), at(7, 2)}, remove: at(7, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newIDSet(0)
			require.Len(t, s.slots, 8)
			for _, k := range tc.add {
				require.True(t, s.addNew(k))
			}
			s.remove(tc.remove)
			want := slices.DeleteFunc(slices.Clone(tc.add), func(k idKey) bool { return k == tc.remove })
			assert.Equal(t, len(want), s.n)
			assert.ElementsMatch(t, want, slices.Collect(s.keys))
			for _, k := range want {
				assert.False(t, s.addNew(k), "%v is still found", k)
			}
			assert.True(t, s.addNew(tc.remove), "the removed key can come again")
		})
	}
}

// TestIDSetAgainstAMap adds and removes keys crowded into few places, and checks the set
// against a map doing the same.
func TestIDSetAgainstAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	s, ref := newIDSet(0), map[idKey]bool{}
	for range 20_000 {
		k := idKey{rng.Uint64N(256) * 3, rng.Uint64N(40) + 1}
		if rng.IntN(3) == 0 {
			s.remove(k)
			delete(ref, k)
			continue
		}
		assert.Equal(t, !ref[k], s.addNew(k), "%v", k)
		ref[k] = true
	}
	assert.Equal(t, len(ref), s.n)
	got := map[idKey]bool{}
	for k := range s.keys {
		got[k] = true
	}
	assert.Equal(t, ref, got)
	assert.LessOrEqual(t, 4*s.n, 3*len(s.slots), "at most 3/4 full")
}

func TestNoKeyIsZero(t *testing.T) {
	assert.Equal(t, idKey{0, 1}, nonZero(idKey{}))
	assert.Equal(t, idKey{0, 5}, nonZero(idKey{0, 5}))
	assert.Equal(t, idKey{5, 0}, nonZero(idKey{5, 0}))
}

func TestParseIDs(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		ids  []string
	}{
		{name: "none", text: ""},
		{name: "one a line", text: "a\nb\nc\n", ids: []string{"a", "b", "c"}},
		{name: "no last newline", text: "a\nb", ids: []string{"a", "b"}},
		{name: "blank lines", text: "\na\n\n\nb\n", ids: []string{"a", "b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids := parseIDs([]byte(tc.text))
			assert.Len(t, ids.keys, len(tc.ids))
			for _, id := range tc.ids {
				assert.True(t, ids.has(keyOf(id)), id)
			}
			for _, id := range []string{"", "x", strings.Join(tc.ids, "\n")} {
				if !slices.Contains(tc.ids, id) {
					assert.False(t, ids.has(keyOf(id)), "%q", id)
				}
			}
		})
	}
}
