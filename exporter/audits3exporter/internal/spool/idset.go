package spool

import "hash/maphash"

// idSet holds event ids as 128-bit hashes: a map without pointers, which the garbage
// collector does not have to scan, and a fixed 16 bytes an id however long it is. Two ids
// taken for one would need a 128-bit collision. The seeds are this process's own; ids on disk
// are kept as text and hashed again when read.
type idSet map[idKey]struct{}

type idKey [2]uint64

var idSeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

func keyOf(id string) idKey {
	return idKey{maphash.String(idSeeds[0], id), maphash.String(idSeeds[1], id)}
}

func (s idSet) has(id string) bool {
	_, ok := s[keyOf(id)]
	return ok
}

func (s idSet) add(id string) { s[keyOf(id)] = struct{}{} }

func (s idSet) addBytes(id []byte) {
	s[idKey{maphash.Bytes(idSeeds[0], id), maphash.Bytes(idSeeds[1], id)}] = struct{}{}
}
