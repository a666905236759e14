package maskprocessor

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strings"
	"unicode/utf8"

	"github.com/auditship/auditship/internal/configenum"
)

// Style says what a masked value becomes.
type Style string

const (
	// StyleRedact replaces the value with the replacement marker.
	StyleRedact Style = "redact"
	// StylePartial keeps the last partialKeep characters of values of partialMinLength or more
	// characters, so that an operator can tell two secrets apart; shorter values are redacted.
	StylePartial Style = "partial"
	// StyleHMAC replaces the value with a keyed HMAC-SHA256, truncated: the same secret
	// correlates across events without being recoverable.
	StyleHMAC Style = "hmac"
)

const (
	partialKeep      = 4
	partialMinLength = 12
	// partialSeparator sits between the marker and the kept characters.
	partialSeparator = "…"
	// hmacPrefix starts every hmac output; hmacHexLength hex digits follow it (64 bits, enough
	// to correlate within a tenant's audit log, too few to serve as a password oracle).
	hmacPrefix    = "hmac:"
	hmacHexLength = 16
)

// UnmarshalText refuses unknown styles when the configuration is read.
func (s *Style) UnmarshalText(text []byte) error {
	st, err := configenum.Parse("style", text, StyleRedact, StylePartial, StyleHMAC)
	if err != nil {
		return err
	}
	*s = st
	return nil
}

// masker turns a secret into its masked form. It is built once and read concurrently.
type masker struct {
	replacement string
	styles      [numRules]Style
	// hmacKey is nil unless some rule uses StyleHMAC.
	hmacKey []byte
}

// appendMasked appends the masked form of secret, found by r, to dst. mac is the caller's
// reusable HMAC (nil until first needed).
func (m *masker) appendMasked(dst []byte, r rule, secret string, mac *hash.Hash) []byte {
	switch m.styles[r] {
	case StylePartial:
		if utf8.RuneCountInString(secret) >= partialMinLength {
			cut := len(secret)
			for range partialKeep {
				_, size := utf8.DecodeLastRuneInString(secret[:cut])
				cut -= size
			}
			return append(append(append(dst, m.replacement...), partialSeparator...), secret[cut:]...)
		}
	case StyleHMAC:
		if *mac == nil {
			*mac = hmac.New(sha256.New, m.hmacKey)
		}
		h := *mac
		h.Reset()
		h.Write([]byte(secret))
		var sum [sha256.Size]byte
		dst = append(dst, hmacPrefix...)
		return hex.AppendEncode(dst, h.Sum(sum[:0])[:hmacHexLength/2])
	}
	return append(dst, m.replacement...)
}

// looksMasked reports whether s starts with an output of appendMasked, so that no detector
// finds a secret in what was masked before: masking is idempotent.
func (m *masker) looksMasked(s string) bool {
	if strings.HasPrefix(s, m.replacement) {
		return true
	}
	if len(s) < len(hmacPrefix)+hmacHexLength || !strings.HasPrefix(s, hmacPrefix) {
		return false
	}
	for i := len(hmacPrefix); i < len(hmacPrefix)+hmacHexLength; i++ {
		if c := s[i]; !isDigit(c) && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
