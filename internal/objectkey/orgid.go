package objectkey

// MaxOrgIDLen is the longest organisation id a key may hold.
const MaxOrgIDLen = 128

// ValidOrgID reports whether s may name a tenant in a key: 1 to 128 of A-Z a-z 0-9 . _ -,
// and neither "." nor "..". Such an id is always exactly one path segment: it cannot climb out
// of its prefix, split into segments, or mean something else once URL-decoded.
func ValidOrgID(s string) bool {
	if len(s) == 0 || len(s) > MaxOrgIDLen || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}
