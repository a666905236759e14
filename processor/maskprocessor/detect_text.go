package maskprocessor

// Detectors of secrets that text introduces: an Authorization scheme, the password of a URL, a
// credential key followed by = or : in free text, query strings, connection strings and
// JSON-encoded strings. They mask the secret alone and leave the text around it readable.

import "strings"

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
		if end-start >= minBearerValue && looksLikeCredential(s[start:end]) {
			w.add(s, start, end, ruleBearer)
		}
	}
}

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

func isKeyChar(b byte) bool { return isAlnum(b) || b == '_' || b == '-' || b == '.' }

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
		if c == '"' && (keyEnd == i || keyEnd == 0 || !isKeyChar(s[keyEnd-1])) {
			// A quote opens a value only after a bare word and a space: passphrase "...".
			continue
		}
		keyQuoted := c != '"' && keyEnd > 0 && (s[keyEnd-1] == '"' || s[keyEnd-1] == '\'')
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
		if c == '"' {
			valueAt = i
		}
		if !w.m.isCredentialKey(key, &w.scratch) {
			if keyQuoted && (key == "value" || key == "Value") && w.pairNamesCredential(s, keyStart) {
				start, end, quoted := assignedValue(s, valueAt)
				if quoted {
					w.add(s, start, end, ruleAssignment)
				}
			}
			continue
		}
		start, end, quoted := assignedValue(s, valueAt)
		if start == end {
			continue
		}
		if v := s[start:end]; !quoted && (v[0] == '{' || v[0] == '[') {
			i = w.maskStructure(s, start) - 1
			continue
		} else if !quoted && (v == "null" || v == "true" || v == "false") ||
			hasFoldPrefix(s[start:], "bearer ") || hasFoldPrefix(s[start:], "basic ") {
			// Literals hold no secret, and the Bearer detector names an Authorization value
			// better.
			continue
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

// pairNamesCredential reports whether the JSON object around s[valueKey], the "value" key of a
// name/value pair, has a "name" or "key" before it that names a credential.
func (w *walker) pairNamesCredential(s string, valueKey int) bool {
	open := strings.LastIndexByte(s[:valueKey], '{')
	if open < 0 {
		return false
	}
	obj := s[open:valueKey]
	for _, field := range [...]string{"name", "key", "Name", "Key"} {
		at := strings.Index(obj, field)
		if at <= 0 || (obj[at-1] != '"') {
			continue
		}
		j := at + len(field)
		for j < len(obj) && (obj[j] == '\\' || obj[j] == '"' || obj[j] == ' ' || obj[j] == ':') {
			if obj[j] == ':' {
				start, end, quoted := assignedValue(obj, j+1)
				return quoted && w.m.isCredentialKey(obj[start:end], &w.scratch)
			}
			j++
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
// backslash-escaped), or a run up to a byte of valueEnds.
func assignedValue(s string, i int) (start, end int, quoted bool) {
	for i < len(s) && s[i] == ' ' {
		i++
	}
	switch {
	case i < len(s) && (s[i] == '"' || s[i] == '\''):
		q := s[i]
		start = i + 1
		for end = start; end < len(s); end++ {
			if s[end] == q && s[end-1] != '\\' {
				return start, end, true
			}
		}
		return start, end, true
	case i+1 < len(s) && s[i] == '\\' && s[i+1] == '"':
		start = i + 2
		if e := strings.Index(s[start:], `\"`); e >= 0 {
			return start, start + e, true
		}
		return start, len(s), true
	}
	end = i
	for end < len(s) && strings.IndexByte(valueEnds, s[end]) < 0 {
		end++
	}
	return i, end, false
}
