package maskprocessor

// Detectors of secrets that text introduces: an Authorization scheme, the password of a URL, a
// credential key followed by = or : in free text, query strings, connection strings and
// JSON-encoded strings. They mask the secret alone and leave the text around it readable.

import (
	"bytes"
	"encoding/base64"
	"strings"
	"unicode/utf8"
)

// minBearerValue is the shortest credential taken after Bearer or Basic; shorter words are
// prose ("Bearer auth").
const minBearerValue = 8

func isTokenChar(b byte) bool {
	return isAlnum(b) || strings.IndexByte("-._~+/=", b) >= 0
}

// detectBearer finds the credential after the Bearer and Basic schemes, in any case, as in
// "Authorization: Bearer <token>" or "bearer <token>" alone.
func (w *walker) detectBearer(s string) {
	for off := 0; ; {
		j := strings.IndexByte(s[off:], ' ')
		if j < 0 {
			return
		}
		j += off
		off = j + 1
		scheme := 0
		switch {
		case j >= 6 && hasFoldPrefix(s[j-6:], "bearer"):
			scheme = 6
		case j >= 5 && hasFoldPrefix(s[j-5:], "basic"):
			scheme = 5
		default:
			continue
		}
		if !boundaryBefore(s, j-scheme) {
			continue
		}
		start := j + 1
		for start < len(s) && s[start] == ' ' {
			start++
		}
		end := runEnd(s, start, isTokenChar)
		if v := s[start:end]; len(v) >= minBearerValue && looksLikeCredential(v) && (scheme == len("bearer") || isBasicCredentials(v)) {
			w.add(s, start, end, ruleBearer)
		}
	}
}

// isBasicCredentials reports whether v is what the Basic scheme carries: user:password in
// standard base64. Prose says "basic" far more often than "bearer" ("basic plan-2024",
// "basic settings/profile"), so the word alone does not make what follows a credential; after
// an Authorization key any value is (see authorizationCredential).
func isBasicCredentials(v string) bool {
	decoded, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		decoded, err = base64.RawStdEncoding.DecodeString(v)
	}
	return err == nil && bytes.IndexByte(decoded, ':') > 0 && utf8.Valid(decoded)
}

// isScheme reports whether v can be an authorization scheme: a word of letters (Bearer, Token,
// ApiKey), or of capitals, digits and dashes (AWS4-HMAC-SHA256). A word mixing lower case and
// digits is more likely the credential itself, given without a scheme.
func isScheme(v string) bool {
	letters, capitals := true, true
	for i := 0; i < len(v); i++ {
		b := v[i]
		letters = letters && (isUpper(b) || isLower(b))
		capitals = capitals && (isUpper(b) || isDigit(b) || b == '-')
	}
	return v != "" && (isUpper(v[0]) || isLower(v[0])) && (letters || capitals)
}

// authorizationCredential finds the credential in the value s[start:end] of an Authorization
// key: the word after the scheme (Bearer, Basic, Token, ApiKey, AWS4-HMAC-SHA256, ...) whatever
// its shape, since the key says what it is. An unquoted value ends at the space after the
// scheme, so the credential is looked for after it. ok is false for a value without a scheme,
// which is the credential itself.
func authorizationCredential(s string, start, end int, quoted bool) (credStart, credEnd int, ok bool) {
	schemeEnd := runEnd(s, start, func(b byte) bool { return b != ' ' && strings.IndexByte(valueEnds, b) < 0 })
	if !isScheme(s[start:schemeEnd]) || schemeEnd >= len(s) || s[schemeEnd] != ' ' || (quoted && schemeEnd >= end) {
		return 0, 0, false
	}
	credStart = schemeEnd
	for credStart < len(s) && s[credStart] == ' ' {
		credStart++
	}
	credEnd = end
	if !quoted {
		credEnd = credStart
		for credEnd < len(s) && strings.IndexByte(valueEnds, s[credEnd]) < 0 {
			credEnd++
		}
	}
	return credStart, credEnd, credStart < credEnd
}

// isAuthorizationKey reports whether key names an Authorization header (Authorization,
// Proxy-Authorization, http.request.header.authorization), whose value starts with a scheme.
func isAuthorizationKey(key string) bool { return hasFoldSuffix(key, "authorization") }

// looksLikeCredential tells a token from a word of prose: a token holds a digit or a symbol, or
// is long and mixes cases.
func looksLikeCredential(v string) bool {
	var upper, lower bool
	for i := 0; i < len(v); i++ {
		switch b := v[i]; {
		case isUpper(b):
			upper = true
		case isLower(b):
			lower = true
		default:
			return true
		}
	}
	return len(v) >= 20 && upper && lower
}

// dbSchemes are the URL schemes of database and broker connection strings; the password of
// their URLs is reported as connection_string, of other URLs as url_password.
var dbSchemes = [...]string{"postgres", "postgresql", "mysql", "mariadb", "mongodb", "mongodb+srv", "redis", "rediss", "amqp", "amqps", "sqlserver", "oracle", "clickhouse", "snowflake", "jdbc"}

func isSchemeChar(b byte) bool { return isAlnum(b) || b == '+' || b == '.' || b == '-' }

// detectURLPassword masks the password of scheme://user:password@host and keeps the user and
// the host, which an audit log needs.
func (w *walker) detectURLPassword(s string) {
	w.detectDSN(s)
	indexes(s, "://", func(i int) {
		schemeStart := i
		for schemeStart > 0 && isSchemeChar(s[schemeStart-1]) {
			schemeStart--
		}
		authEnd := i + 3
		for authEnd < len(s) && strings.IndexByte("/?#\"'<>\\ \t\r\n", s[authEnd]) < 0 {
			authEnd++
		}
		at := strings.LastIndexByte(s[i+3:authEnd], '@')
		if at < 0 {
			return
		}
		colon := strings.IndexByte(s[i+3:i+3+at], ':')
		if colon < 0 {
			return
		}
		r := ruleURLPassword
		if isDBScheme(s[schemeStart:i]) || (schemeStart >= 5 && hasFoldPrefix(s[schemeStart-5:], "jdbc:")) {
			r = ruleConnectionString
		}
		w.add(s, i+3+colon+1, i+3+at, r)
	})
}

// detectDSN masks the password of connection strings that are not URLs: Go's MySQL DSN
// user:password@tcp(host:port)/db (or @unix(...)) and Oracle's thin
// jdbc:oracle:thin:user/password@host:port/service. User and host stay.
func (w *walker) detectDSN(s string) {
	for _, proto := range [...]string{"@tcp(", "@unix("} {
		indexes(s, proto, func(at int) {
			userStart := at
			for userStart > 0 && strings.IndexByte(valueEnds, s[userStart-1]) < 0 && s[userStart-1] != '=' {
				userStart--
			}
			if colon := strings.IndexByte(s[userStart:at], ':'); colon >= 0 {
				w.add(s, userStart+colon+1, at, ruleConnectionString)
			}
		})
	}
	const thin = "jdbc:oracle:thin:"
	indexes(s, thin, func(i int) {
		userStart := i + len(thin)
		end := userStart
		for end < len(s) && strings.IndexByte(valueEnds, s[end]) < 0 {
			end++
		}
		at := strings.LastIndexByte(s[userStart:end], '@')
		if at < 0 {
			return
		}
		if slash := strings.IndexByte(s[userStart:userStart+at], '/'); slash >= 0 {
			w.add(s, userStart+slash+1, userStart+at, ruleConnectionString)
		}
	})
}

func isDBScheme(scheme string) bool {
	for _, db := range dbSchemes {
		if len(scheme) == len(db) && hasFoldPrefix(scheme, db) {
			return true
		}
	}
	return false
}

// isKeyChar tells the bytes of a key in text; brackets are those of form fields
// (user[password]=...) and of PHP's print_r ([password] => ...).
func isKeyChar(b byte) bool {
	return isAlnum(b) || b == '_' || b == '-' || b == '.' || b == '[' || b == ']'
}

func isQuote(b byte) bool { return b == '"' || b == '\'' }

// valueEnds are the bytes that end an unquoted value: white space and the separators of query
// strings, connection strings, JSON and prose.
const valueEnds = " \t\r\n&;,\"'}])<>\\"

// detectAssignments finds a credential key followed by = or : and masks the value after it, in
// free text (password=..., secret: ..., passphrase "..."), query strings (?access_token=...&),
// connection strings (Password=...; Pwd=...; jdbc:...;password=...) and JSON-encoded strings
// ("token": "..." and, one level deeper, \"token\": \"...\"; a {"name": "password", "value":
// "..."} pair; every string of an object or array under a credential key). Keys are matched
// like attribute keys, so the allow list and extra_keys apply.
func (w *walker) detectAssignments(s string) {
	for i := 0; i < len(s); i++ {
		// One lookup where three comparisons were: this loop visits every byte of a string
		// holding any of the three.
		if triggerBits[s[i]]&(hasColon|hasEquals|hasQuote) == 0 {
			continue
		}
		c := s[i]
		keyEnd := i
		for keyEnd > 0 && s[keyEnd-1] == ' ' {
			keyEnd--
		}
		if isQuote(c) && (keyEnd == i || keyEnd == 0 || !isKeyChar(s[keyEnd-1])) {
			// A quote opens a value only after a bare word and a space: passphrase "...",
			// PASSWORD 'hunter2'.
			continue
		}
		keyQuoted := !isQuote(c) && keyEnd > 0 && isQuote(s[keyEnd-1])
		if keyQuoted {
			keyEnd--
			for keyEnd > 0 && s[keyEnd-1] == '\\' {
				keyEnd--
			}
		}
		if c == ':' && !keyQuoted && (i+1 >= len(s) || (s[i+1] != ' ' && s[i+1] != '"' && s[i+1] != '\'')) {
			// secret: x, but not arn:aws:secretsmanager:...:secret:name, a URL or a time.
			continue
		}
		keyStart := keyEnd
		for keyStart > 0 && isKeyChar(s[keyStart-1]) {
			keyStart--
		}
		if keyStart == keyEnd {
			continue
		}
		key := s[keyStart:keyEnd]
		valueAt := i + 1
		switch {
		case isQuote(c):
			valueAt = i
		case c == '=' && valueAt < len(s) && s[valueAt] == '>':
			valueAt++ // the => of Ruby, PHP and Perl hashes
		}
		if !w.m.isCredentialKey(key, &w.scratch) {
			if keyQuoted && isPairValueKey(key) && w.pairNamesCredential(s, keyStart) {
				start, end, quoted := assignedValue(s, valueAt)
				if quoted {
					w.add(s, start, end, ruleAssignment)
				}
			}
			continue
		}
		start, end, quoted := assignedValue(s, valueAt)
		if start == end || isWorkingDirectory(key, s[start:end]) {
			continue
		}
		if !quoted && c == '=' && s[start] == '{' {
			// An ODBC value in braces, which may hold ; and =: Pwd={a;b};
			start, end = start+1, odbcBracedEnd(s, start+1)
		} else if v := s[start:end]; !quoted && (v[0] == '{' || v[0] == '[') {
			i = w.maskStructure(s, start) - 1
			continue
		} else if !quoted && (v == "null" || v == "true" || v == "false") {
			continue // literals hold no secret
		}
		if isAuthorizationKey(key) || hasFoldPrefix(s[start:], "bearer ") || hasFoldPrefix(s[start:], "basic ") {
			// The scheme stays, which says what kind of credential was there.
			if credStart, credEnd, ok := authorizationCredential(s, start, end, quoted); ok {
				w.add(s, credStart, credEnd, ruleBearer)
				i = max(i, credEnd-1)
				continue
			}
		}
		if !quoted && isCookieKey(key) {
			// A Cookie header holds every cookie up to the end of its line, each one a
			// credential: theme=dark; JSESSIONID=...
			end = runEnd(s, end, func(b byte) bool { return strings.IndexByte("\r\n\"\\", b) < 0 })
		}
		r := ruleAssignment
		if hasFoldPrefix(s, "jdbc:") || (keyStart > 0 && s[keyStart-1] == ';') || (end < len(s) && s[end] == ';') {
			r = ruleConnectionString
		}
		n := len(w.spans)
		w.add(s, start, end, r)
		// A bare JSON number under a quoted key is quoted once masked, so that the string stays
		// valid JSON; masking it again finds the masked form quoted.
		if len(w.spans) > n && keyQuoted && s[keyEnd] == '"' && !quoted {
			w.spans[n].quote = true
		}
		i = max(i, end-1)
	}
}

// odbcBracedEnd returns the end of an ODBC value in braces that starts at s[i], just past the
// opening brace: the first } not doubled (}} stands for one }), or the end of s.
func odbcBracedEnd(s string, i int) int {
	for ; i < len(s); i++ {
		if s[i] == '}' {
			if i+1 < len(s) && s[i+1] == '}' {
				i++
				continue
			}
			return i
		}
	}
	return len(s)
}

// isCookieKey reports whether key names a Cookie or Set-Cookie header.
func isCookieKey(key string) bool {
	return hasFoldSuffix(key, "cookie") || hasFoldSuffix(key, "cookies")
}

// isWorkingDirectory reports whether key and value are the shell's PWD or OLDPWD variable (an
// absolute path, often in a process's environment) rather than a password under the pwd
// abbreviation. The shell's names are upper case; DB_PWD and pwd stay credential keys.
func isWorkingDirectory(key, value string) bool {
	name := key[strings.LastIndexByte(key, '.')+1:]
	return (name == "PWD" || name == "OLDPWD") && strings.HasPrefix(value, "/")
}

// pairWindow is how far before the "value" key of a name/value pair its opening brace is
// looked for. A pair is a small object; searching back to any brace, for every "value" key of
// a large JSON text, made the scan quadratic in its length.
const pairWindow = 256

// pairNamesCredential reports whether the JSON object around s[valueKey], the value key of a
// name/value pair, has a name key (see isPairNameKey) before it whose value names a credential.
func (w *walker) pairNamesCredential(s string, valueKey int) bool {
	from := max(0, valueKey-pairWindow)
	open := strings.LastIndexByte(s[from:valueKey], '{')
	if open < 0 {
		return false
	}
	obj := s[from+open : valueKey]
	for colon := 0; colon < len(obj); colon++ {
		if obj[colon] != ':' {
			continue
		}
		keyEnd := colon
		for keyEnd > 0 && (obj[keyEnd-1] == ' ' || obj[keyEnd-1] == '"' || obj[keyEnd-1] == '\\') {
			keyEnd--
		}
		keyStart := keyEnd
		for keyStart > 0 && isKeyChar(obj[keyStart-1]) {
			keyStart--
		}
		if keyStart < keyEnd && isPairNameKey(obj[keyStart:keyEnd]) {
			start, end, quoted := assignedValue(obj, colon+1)
			return quoted && w.m.isCredentialKey(obj[start:end], &w.scratch)
		}
	}
	return false
}

// maskStructure masks every string of the JSON object or array that starts at s[open], under a
// credential key, except the keys of its objects; it returns where the structure ends. Numbers
// stay: a text scan cannot quote them without knowing the JSON is well formed.
func (w *walker) maskStructure(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return i + 1
			}
		case '"':
			escaped := i > 0 && s[i-1] == '\\'
			start, end, _ := assignedValue(s, i)
			if escaped {
				start, end, _ = assignedValue(s, i-1)
			}
			next := end + 1
			for next < len(s) && (s[next] == ' ' || s[next] == '\\' || s[next] == '"') {
				next++
			}
			if next >= len(s) || s[next] != ':' {
				w.add(s, start, end, ruleAssignment)
			}
			i = end
			if escaped {
				i++ // past the quote of the closing \"
			}
		}
	}
	return len(s)
}

// assignedValue finds the value that starts at or after s[i]: the inside of quotes (plain or
// backslash-escaped), or a run up to a byte of valueEnds. A quoted value may follow on the next
// line, as in pretty-printed JSON; an unquoted one is looked for on the same line only.
func assignedValue(s string, i int) (start, end int, quoted bool) {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if next := runEnd(s, i, isJSONSpace); next < len(s) && isQuote(s[next]) {
		i = next
	}
	switch {
	case i < len(s) && isQuote(s[i]):
		q := s[i]
		start = i + 1
		for end = start; end < len(s); end++ {
			if s[end] == q && backslashesBefore(s, end)%2 == 0 {
				return start, end, true
			}
		}
		return start, end, true
	case i+1 < len(s) && s[i] == '\\' && s[i+1] == '"':
		// A string inside a JSON-encoded string: its quotes are \", and a quote inside it
		// \\\" (an escaped backslash, then an escaped quote). Only the quote after 4k+1
		// backslashes closes it.
		start = i + 2
		for end = start; end < len(s); end++ {
			if s[end] == '"' && backslashesBefore(s, end)%4 == 1 {
				return start, end - 1, true
			}
		}
		return start, len(s), true
	}
	end = i
	for end < len(s) && strings.IndexByte(valueEnds, s[end]) < 0 {
		end++
	}
	return i, end, false
}

func isJSONSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// backslashesBefore counts the backslashes just before s[i].
func backslashesBefore(s string, i int) int {
	n := 0
	for i > n && s[i-n-1] == '\\' {
		n++
	}
	return n
}
