package objectkey

import (
	"crypto/rand"
	"encoding/binary"
)

// UniqueLen is the length of NewUnique's result.
const UniqueLen = 10

// uniqueAlphabet is RFC 4648 base32, in lower case: safe in keys and in URLs, and free of
// characters that read alike only in upper case.
const uniqueAlphabet = "abcdefghijklmnopqrstuvwxyz234567"

// NewUnique returns UniqueLen random characters of lower-case base32 (50 bits from
// crypto/rand), for the {unique} placeholder. Call it once per batch, when the batch is
// closed, and keep the result with the batch so that a retried upload reuses it.
func NewUnique() string {
	var raw [8]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never fails; it crashes the program instead.
	n := binary.LittleEndian.Uint64(raw[:])
	var out [UniqueLen]byte
	for i := range out {
		out[i] = uniqueAlphabet[n&31]
		n >>= 5
	}
	return string(out[:])
}
