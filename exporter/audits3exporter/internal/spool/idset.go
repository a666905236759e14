package spool

import (
	"hash/maphash"
	"iter"
	"math/bits"
)

// Ids are kept as 128-bit hashes: a fixed 16 bytes an id however long it is, and nothing the
// garbage collector has to scan. Two ids taken for one would need a 128-bit collision. The
// seeds are this process's own; ids on disk are kept as text and hashed again when read.
type idKey [2]uint64

var idSeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

func keyOf(id string) idKey {
	return nonZero(idKey{maphash.String(idSeeds[0], id), maphash.String(idSeeds[1], id)})
}

func keyOfBytes(id []byte) idKey {
	return nonZero(idKey{maphash.Bytes(idSeeds[0], id), maphash.Bytes(idSeeds[1], id)})
}

// nonZero reserves the zero key, which marks an empty slot of an idSet: an id that hashes to
// it is taken for one that hashes to {0, 1}, a 128-bit collision like any other.
func nonZero(k idKey) idKey {
	if k == (idKey{}) {
		k[1] = 1
	}
	return k
}

// idSet holds the ids of an open batch, which grows with every append, in an open-addressing
// table with linear probing. The keys being hashes, their low bits place them. Doubled when it
// is 3/4 full, the table is at least 3/8 full: an id takes 21 to 43 bytes, where a Go map
// takes 44 to 56, and adding one is faster too.
type idSet struct {
	slots []idKey // a power of two of them; the zero key marks an empty one
	n     int
}

func newIDSet(hint int) *idSet {
	size := 8
	for size*3/4 < hint {
		size *= 2
	}
	return &idSet{slots: make([]idKey, size)}
}

// addNew adds k and reports whether it was not there yet.
func (s *idSet) addNew(k idKey) bool {
	if (s.n+1)*4 > len(s.slots)*3 {
		s.grow()
	}
	mask := len(s.slots) - 1
	for i := int(k[0]) & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case k:
			return false
		case idKey{}:
			s.slots[i] = k
			s.n++
			return true
		}
	}
}

func (s *idSet) grow() {
	old := s.slots
	s.slots = make([]idKey, 2*len(old))
	mask := len(s.slots) - 1
	for _, k := range old {
		if k == (idKey{}) {
			continue
		}
		i := int(k[0]) & mask
		for s.slots[i] != (idKey{}) {
			i = (i + 1) & mask
		}
		s.slots[i] = k
	}
}

// remove takes k out, if it is there. The keys after it in its run that could sit in its slot
// move back, so that every key stays reachable from its place without gaps.
func (s *idSet) remove(k idKey) {
	mask := len(s.slots) - 1
	i := int(k[0]) & mask
	for s.slots[i] != k {
		if s.slots[i] == (idKey{}) {
			return
		}
		i = (i + 1) & mask
	}
	for j := (i + 1) & mask; s.slots[j] != (idKey{}); j = (j + 1) & mask {
		// The key at j can move to i unless its place lies after i, up to j (cyclically).
		if home := int(s.slots[j][0]) & mask; (j-home)&mask >= (j-i)&mask {
			s.slots[i] = s.slots[j]
			i = j
		}
	}
	s.slots[i] = idKey{}
	s.n--
}

// keys yields the ids in the set.
func (s *idSet) keys(yield func(idKey) bool) {
	for _, k := range s.slots {
		if k != (idKey{}) && !yield(k) {
			return
		}
	}
}

// sealedIDs holds the ids of a sealed batch, which no longer change, as a hash table without
// empty slots: the keys are grouped by their top bits, and group g is
// keys[index[g]:index[g+1]]. The keys being hashes, a group holds two to four of them on
// average, so a lookup reads a cache line or two, and an id takes 16 bytes, one or two of the
// index and one or two of the filter.
type sealedIDs struct {
	keys  []idKey
	index []uint32
	shift uint
	// filter has one bit set for each key, at its second word's low bits: eight bits a key,
	// so it stays in the processor's cache where keys does not, and most ids the batch does
	// not hold (nearly all that are looked up: redelivery is rare) find a clear bit and are
	// answered without reading keys.
	filter     []uint64
	filterMask uint64
}

// mayHave is the filter's answer: false means k is not in ids.
func (ids sealedIDs) mayHave(k idKey) bool {
	bit := k[1] & ids.filterMask
	return len(ids.filter) == 0 || ids.filter[bit/64]&(1<<(bit%64)) != 0
}

// filterBitsPerKey sizes a sealedIDs' filter: with 8 bits a key (or more, rounded up to a
// power of two), an id the batch does not hold finds a set bit at most about one time in eight.
const filterBitsPerKey = 8

// keysPerGroup is the most keys a group holds on average; it holds at least half as many.
const keysPerGroup = 4

// groupIDs builds the sealedIDs of the n keys that keys yields; it goes over them twice.
func groupIDs(n int, keys iter.Seq[idKey]) sealedIDs {
	b := bits.Len(uint(n / keysPerGroup))
	ids := sealedIDs{keys: make([]idKey, n), index: make([]uint32, 1<<b+1), shift: 64 - uint(b)}
	// A counting sort: index[g] first counts the keys of group g, then says where the group
	// ends, and after each key is put in its place just below, where the group starts.
	for k := range keys {
		ids.index[k[0]>>ids.shift]++
	}
	for g := 1; g < len(ids.index)-1; g++ {
		ids.index[g] += ids.index[g-1]
	}
	ids.index[len(ids.index)-1] = uint32(n)
	bitsLen := uint64(64)
	for bitsLen < uint64(n)*filterBitsPerKey {
		bitsLen *= 2
	}
	ids.filter, ids.filterMask = make([]uint64, bitsLen/64), bitsLen-1
	for k := range keys {
		g := k[0] >> ids.shift
		ids.index[g]--
		ids.keys[ids.index[g]] = k
		bit := k[1] & ids.filterMask
		ids.filter[bit/64] |= 1 << (bit % 64)
	}
	return ids
}

// sealIDs turns an open batch's ids into a sealed batch's.
func sealIDs(s *idSet) sealedIDs { return groupIDs(s.n, s.keys) }

func (ids sealedIDs) has(k idKey) bool {
	if !ids.mayHave(k) {
		return false
	}
	g := k[0] >> ids.shift
	for _, x := range ids.keys[ids.index[g]:ids.index[g+1]] {
		if x == k {
			return true
		}
	}
	return false
}
