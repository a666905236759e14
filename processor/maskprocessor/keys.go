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
	"password", "passwords", "passwd", "pwd", "passphrase",
	"secret", "secrets", "clientsecret",
	"token", "accesstoken", "refreshtoken", "jwt",
	"apikey", "apikeys", "privatekey", "secretkey", "accesskey", "encryptionkey", "signingkey",
	"authorization", "credential", "credentials", "connectionstring", "cookie",
}

// isSeparator tells the bytes that normalisation drops, so that snake_case, kebab-case,
// dotted.names and "spaced words" fold together.
func isSeparator(b byte) bool {
	return b == '_' || b == '-' || b == '.' || b == ' '
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
// keys are rejected at their last letter.
type matcher struct {
	nodes []trieNode
	// allow holds the normalised keys that are never masked; only looked up on a hit.
	allow map[string]struct{}
}

type trieNode struct {
	// edges are few (the terms share few suffixes), so a linear scan beats a map.
	edges    []trieEdge
	terminal bool
}

type trieEdge struct {
	b    byte
	next int32
}

// newMatcher builds a matcher from normalised, non-empty terms and allowed keys.
func newMatcher(terms, allow []string) *matcher {
	m := &matcher{nodes: []trieNode{{}}, allow: make(map[string]struct{}, len(allow))}
	for _, t := range terms {
		m.insertReversed(t)
	}
	for _, a := range allow {
		m.allow[a] = struct{}{}
	}
	return m
}

func (m *matcher) insertReversed(term string) {
	n := int32(0)
	for i := len(term) - 1; i >= 0; i-- {
		next := m.child(n, term[i])
		if next < 0 {
			next = int32(len(m.nodes))
			m.nodes = append(m.nodes, trieNode{})
			m.nodes[n].edges = append(m.nodes[n].edges, trieEdge{b: term[i], next: next})
		}
		n = next
	}
	m.nodes[n].terminal = true
}

func (m *matcher) child(n int32, b byte) int32 {
	for _, e := range m.nodes[n].edges {
		if e.b == b {
			return e.next
		}
	}
	return -1
}

// endsWithTerm walks key[:end] backwards through the trie.
func (m *matcher) endsWithTerm(key string, end int) bool {
	n := int32(0)
	for i := end - 1; i >= 0; i-- {
		b := key[i]
		if isSeparator(b) {
			continue
		}
		if n = m.child(n, lowerASCII(b)); n < 0 {
			return false
		}
		if m.nodes[n].terminal {
			return true
		}
	}
	return false
}

// isCredentialKey reports whether the values under key must be masked. A numbered key
// (password2, token_1) counts as its unnumbered form. scratch is reused for the allow-list lookup
// so that a hit costs no allocation either.
func (m *matcher) isCredentialKey(key string, scratch *[]byte) bool {
	hit := m.endsWithTerm(key, len(key))
	if !hit {
		end := len(key)
		for end > 0 && (isDigit(key[end-1]) || isSeparator(key[end-1])) {
			end--
		}
		hit = end < len(key) && m.endsWithTerm(key, end)
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
