package maskprocessor

import "slices"

// defaultTerms are the credential terms. A key is a credential key when its normalised form
// (see normalise) equals or ends with one of them: suffixes catch db_password, clientSecret and
// X-Api-Key, while the identifiers that merely start with a term (api_key_id, tokenId,
// secret_name, sessionContextIdentifier) end in id, name, type or identifier and so stay
// visible. Some terms are implied by others (clientsecret by secret); they are listed because
// people look for them here.
//
// Deliberately absent: "tokens" (max_tokens and input_tokens are counts), "auth" (oauth and
// auth_type hold configuration and identifiers), "key" (every *_key column is an identifier).
var defaultTerms = []string{
	"password", "passwords", "passwd", "pwd", "passphrase", "pass", "passcode",
	"secret", "secrets", "clientsecret",
	"token", "accesstoken", "refreshtoken", "jwt",
	"apikey", "apikeys", "privatekey", "secretkey", "accesskey", "encryptionkey", "signingkey",
	"accountkey", "sig", "amzsignature", "googsignature",
	"authorization", "credential", "credentials", "connectionstring", "cookie", "cookies",
}

// valueSuffixes are the words that, after a term, still name the credential itself or a form of
// it, rather than something about it: password_confirmation, password_hash, SecretString,
// privateKeyData, secret_key_base, tokenValue. Any other word after a term (policy, expired,
// type, id, name, provider) makes the key name something about a credential, which stays
// visible.
var valueSuffixes = []string{
	"confirmation", "confirm", "hash", "digest", "string", "data", "base", "value", "text",
	"plain", "plaintext", "raw", "encoded", "base64", "b64", "bytes", "pem",
}

// isSeparator tells the bytes that normalisation drops, so that snake_case, kebab-case,
// dotted.names, "spaced words" and form fields (user[password], password[]) fold together.
func isSeparator(b byte) bool {
	return b == '_' || b == '-' || b == '.' || b == ' ' || b == '[' || b == ']'
}

func lowerASCII(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + ('a' - 'A')
	}
	return b
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// normalise appends key to dst in lower case (ASCII) without separators: API_KEY_ID, apiKeyId and
// api-key.id all become apikeyid.
func normalise(dst []byte, key string) []byte {
	for i := 0; i < len(key); i++ {
		if b := key[i]; !isSeparator(b) {
			dst = append(dst, lowerASCII(b))
		}
	}
	return dst
}

// matcher decides whether a key is a credential key. It is built once from the configuration and
// read concurrently afterwards.
//
// The terms sit in a trie of their reversed bytes, so a key is tested by walking it backwards,
// folding case and skipping separators as it goes: no normalised copy, no allocation, and most
// keys are rejected at their last letter. The trie is a table with a row per node and a column
// per byte the terms use, so a byte of a key costs two loads: every key of every record is
// tested, and a list of edges per node, scanned for each byte, made this most of the processor's
// time.
type matcher struct {
	// symbol maps a byte of a key to its column: noSymbol for a byte in no term, skipSymbol for a
	// separator, and one column for both cases of an ASCII letter.
	symbol [256]uint8
	// columns is the length of a row of edges.
	columns int
	// edges[row+symbol] leads from the node whose row starts at row (the root's at 0) to its
	// child: 0 for none, since the root is no node's child; otherwise the child's row shifted
	// left, with bit 0 set when a term ends at the child.
	edges []int32
	// allow holds the normalised keys that are never masked; only looked up on a hit.
	allow map[string]struct{}
	// valueSuffixes is the trie of valueSuffixes, searched like the terms'; nil in itself.
	valueSuffixes *matcher
	// allowPaths holds allow_paths, without array indices, as the walker writes them; nil when
	// none, so that a record is walked without building the path.
	allowPaths map[string]struct{}
}

const (
	noSymbol   = 0
	skipSymbol = 0xff
	// termEnds is the bit of an edge that says a term ends at its child.
	termEnds = 1
)

// newMatcher builds a matcher from normalised, non-empty terms and allowed keys. Normalised terms
// hold no separator and no upper-case letter, and so at most 224 distinct bytes: the columns fit
// a byte.
func newMatcher(terms, allow []string) *matcher {
	m := &matcher{allow: make(map[string]struct{}, len(allow))}
	m.columns = 1 // column noSymbol
	for _, t := range terms {
		for i := 0; i < len(t); i++ {
			if m.symbol[t[i]] == noSymbol {
				m.symbol[t[i]] = uint8(m.columns)
				m.columns++
			}
		}
	}
	for b := 0; b < len(m.symbol); b++ {
		if isSeparator(byte(b)) {
			m.symbol[b] = skipSymbol
		} else if lower := lowerASCII(byte(b)); lower != byte(b) {
			m.symbol[b] = m.symbol[lower]
		}
	}
	m.edges = make([]int32, m.columns)
	for _, t := range terms {
		m.insertReversed(t)
	}
	for _, a := range allow {
		m.allow[a] = struct{}{}
	}
	return m
}

// newCredentialMatcher builds the matcher of credential keys: terms, then valueSuffixes.
func newCredentialMatcher(terms, allow []string) *matcher {
	m := newMatcher(terms, allow)
	m.valueSuffixes = newMatcher(valueSuffixes, nil)
	return m
}

func (m *matcher) insertReversed(term string) {
	row := 0
	for i := len(term) - 1; i >= 0; i-- {
		at := row + int(m.symbol[term[i]])
		if m.edges[at] == 0 {
			m.edges[at] = int32(len(m.edges)) << 1
			m.edges = append(m.edges, make([]int32, m.columns)...)
		}
		if i == 0 {
			m.edges[at] |= termEnds
		}
		row = int(m.edges[at] >> 1)
	}
}

// endsWithTerm walks key backwards through the trie.
func (m *matcher) endsWithTerm(key string) bool {
	row := 0
	for i := len(key) - 1; i >= 0; i-- {
		s := m.symbol[key[i]]
		if s == skipSymbol {
			continue
		}
		e := m.edges[row+int(s)]
		if e == 0 {
			return false
		}
		if e&termEnds != 0 {
			return true
		}
		row = int(e >> 1)
	}
	return false
}

// endsWithTermAndValueSuffix reports whether key ends with a term followed by one of
// valueSuffixes. It walks key backwards through the trie of the suffixes, and where one ends,
// through the trie of the terms: most keys end in no suffix and are rejected at their last byte.
func (m *matcher) endsWithTermAndValueSuffix(key string) bool {
	s := m.valueSuffixes
	row := 0
	for i := len(key) - 1; i >= 0; i-- {
		sym := s.symbol[key[i]]
		if sym == skipSymbol {
			continue
		}
		e := s.edges[row+int(sym)]
		if e == 0 {
			return false
		}
		if e&termEnds != 0 && m.endsWithTerm(key[:i]) {
			return true
		}
		row = int(e >> 1)
	}
	return false
}

// isCredentialKey reports whether the values under key must be masked. A numbered key
// (password2, token_1) counts as its unnumbered form. scratch is reused for the allow-list lookup
// so that a hit costs no allocation either.
func (m *matcher) isCredentialKey(key string, scratch *[]byte) bool {
	hit := m.endsWithTerm(key)
	if !hit {
		end := len(key)
		for end > 0 && (isDigit(key[end-1]) || isSeparator(key[end-1])) {
			end--
		}
		hit = end < len(key) && m.endsWithTerm(key[:end])
		if !hit {
			hit = m.endsWithTermAndValueSuffix(key[:end])
		}
	}
	if !hit || len(m.allow) == 0 {
		return hit
	}
	*scratch = normalise((*scratch)[:0], key)
	_, allowed := m.allow[string(*scratch)]
	return !allowed
}

// normaliseAll normalises terms, dropping duplicates; it also returns the indexes of the entries
// that are empty once normalised.
func normaliseAll(in []string) (terms []string, empty []int) {
	terms = make([]string, 0, len(in))
	for i, s := range in {
		n := string(normalise(nil, s))
		switch {
		case n == "":
			empty = append(empty, i)
		case !slices.Contains(terms, n):
			terms = append(terms, n)
		}
	}
	return terms, empty
}
