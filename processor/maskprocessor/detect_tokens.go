package maskprocessor

// Detectors of secrets with a recognisable shape: cloud keys, JWTs, PEM blocks and the token
// formats of well-known services. Each anchors on a literal prefix found with strings.Index and
// then checks the characters after it by hand.

import "strings"

func isUpperAlnum(b byte) bool  { return isUpper(b) || isDigit(b) }
func isBase64URL(b byte) bool   { return isAlnum(b) || b == '-' || b == '_' }
func isBase64Std(b byte) bool   { return isAlnum(b) || b == '+' || b == '/' }
func isAlnumScore(b byte) bool  { return isAlnum(b) || b == '_' }
func isAlnumDash(b byte) bool   { return isAlnum(b) || b == '-' }
func isBase64Token(b byte) bool { return isBase64URL(b) || b == '+' || b == '/' || b == '=' }

// detectAWSAndGoogle finds, in one pass over the capital As of s, AWS access key ids (AKIA
// long-term, ASIA temporary: 20 upper-case letters and digits) and Google API keys (AIza and 35
// base64url characters). In a string that holds an access key id it then looks for the secret
// access key beside it: a run of exactly 40 base64 characters mixing cases, which a hex hash of
// 40 characters never does.
func (w *walker) detectAWSAndGoogle(s string) {
	awsFound := false
	for off := 0; ; {
		j := strings.IndexByte(s[off:], 'A')
		if j < 0 || off+j+4 > len(s) {
			break
		}
		i := off + j
		off = i + 1
		if !boundaryBefore(s, i) {
			continue
		}
		switch s[i+1 : i+4] {
		case "KIA", "SIA":
			if end := i + minAWSKeyID; runEnd(s, i, isUpperAlnum) == end {
				w.add(s, i, end, ruleAWSAccessKeyID)
				awsFound = true
			}
		case "Iza":
			if end := i + 4 + 35; runEnd(s, i+4, isBase64URL) == end {
				w.add(s, i, end, ruleGoogleAPIKey)
			}
		}
	}
	if !awsFound {
		return
	}
	for i := 0; i < len(s); {
		end := runEnd(s, i, isBase64Std)
		if end == i {
			i++
			continue
		}
		if isAWSSecretKey(s[i:end]) && (end == len(s) || s[end] != '=') {
			w.add(s, i, end, ruleAWSSecretAccessKey)
		}
		i = end
	}
}

// isAWSSecretKey reports whether v has the shape of a secret access key.
func isAWSSecretKey(v string) bool {
	if len(v) != 40 {
		return false
	}
	var upper, lower bool
	for i := 0; i < len(v); i++ {
		switch b := v[i]; {
		case isUpper(b):
			upper = true
		case isLower(b):
			lower = true
		case isDigit(b), b == '+', b == '/':
		default:
			return false
		}
	}
	return upper && lower
}

// detectJWT finds JSON web tokens: base64url segments joined by dots whose header and payload
// are JSON objects, and so start with eyJ ("{\"" encoded). A lone base64 JSON blob has no dots
// and stays. JWE's five segments are taken whole.
func (w *walker) detectJWT(s string) {
	indexes(s, "eyJ", func(i int) {
		if i > 0 && isBase64URL(s[i-1]) {
			return
		}
		header := runEnd(s, i, isBase64URL)
		if header-i < 10 || header >= len(s) || s[header] != '.' || !strings.HasPrefix(s[header+1:], "eyJ") {
			return
		}
		end := runEnd(s, header+1, isBase64URL)
		if end-header-1 < 10 || end >= len(s) || s[end] != '.' {
			return
		}
		for segments := 2; segments < 5 && end < len(s) && s[end] == '.'; segments++ {
			end = runEnd(s, end+1, isBase64URL)
		}
		w.add(s, i, end, ruleJWT)
	})
}

// detectPEM finds the body of PEM private key blocks and keeps the BEGIN and END lines, which
// say what was there. A block cut short (no END line) is masked to the end of the string.
func (w *walker) detectPEM(s string) {
	const begin, dashes = "-----BEGIN ", "-----"
	indexes(s, begin, func(i int) {
		labelEnd := strings.Index(s[i+len(begin):], dashes)
		if labelEnd < 0 || !strings.Contains(s[i+len(begin):i+len(begin)+labelEnd], "PRIVATE KEY") {
			return
		}
		start := i + len(begin) + labelEnd + len(dashes)
		end := len(s)
		if e := strings.Index(s[start:], "-----END"); e >= 0 {
			end = start + e
		}
		start, end = trimPEMSpace(s, start, end)
		w.add(s, start, end, rulePEMPrivateKey)
	})
}

// trimPEMSpace narrows s[start:end] by white space and by the escapes \n \r \t that a PEM block
// inside a JSON-encoded string carries.
func trimPEMSpace(s string, start, end int) (int, int) {
	for start < end {
		switch {
		case s[start] == ' ' || s[start] == '\n' || s[start] == '\r' || s[start] == '\t':
			start++
		case s[start] == '\\' && start+1 < end && strings.IndexByte("nrt", s[start+1]) >= 0:
			start += 2
		default:
			goto tail
		}
	}
tail:
	for start < end {
		switch {
		case s[end-1] == ' ' || s[end-1] == '\n' || s[end-1] == '\r' || s[end-1] == '\t':
			end--
		case end-2 >= start && s[end-2] == '\\' && strings.IndexByte("nrt", s[end-1]) >= 0:
			end -= 2
		default:
			return start, end
		}
	}
	return start, end
}

// detectGitHub finds GitHub tokens: ghp_ (classic), gho_ (OAuth), ghu_ and ghs_ (app user and
// server), ghr_ (refresh) with 36 letters and digits, and github_pat_ (fine-grained).
func (w *walker) detectGitHub(s string) {
	indexes(s, "gh", func(i int) {
		if !boundaryBefore(s, i) || i+4 > len(s) || s[i+3] != '_' || strings.IndexByte("pousr", s[i+2]) < 0 {
			return
		}
		if end := runEnd(s, i+4, isAlnum); end-i-4 >= 30 {
			w.add(s, i, end, ruleGitHubToken)
		}
	})
	indexes(s, "github_pat_", func(i int) {
		if end := runEnd(s, i+len("github_pat_"), isAlnumScore); boundaryBefore(s, i) && end-i >= len("github_pat_")+22 {
			w.add(s, i, end, ruleGitHubToken)
		}
	})
}

// gitLabPrefixes start GitLab's tokens: personal, deploy, runner, pipeline trigger, feed,
// incoming mail, agent and OAuth application secrets.
var gitLabPrefixes = [...]string{"glpat-", "gldt-", "glrt-", "glptt-", "glft-", "glimt-", "glagent-", "gloas-"}

// detectGitLab finds GitLab tokens: a prefix of gitLabPrefixes and 20 or more characters.
func (w *walker) detectGitLab(s string) {
	indexes(s, "gl", func(i int) {
		if !boundaryBefore(s, i) {
			return
		}
		for _, prefix := range gitLabPrefixes {
			if strings.HasPrefix(s[i:], prefix) {
				if end := runEnd(s, i+len(prefix), isBase64URL); end-i >= len(prefix)+20 {
					w.add(s, i, end, ruleGitLabToken)
				}
				return
			}
		}
	})
}

// detectSlackToken finds Slack tokens: xoxb- (bot), xoxp- (user), xoxa- and xoxr- (app and
// refresh), xoxs- (session).
func (w *walker) detectSlackToken(s string) {
	indexes(s, "xox", func(i int) {
		if !boundaryBefore(s, i) || i+5 > len(s) || s[i+4] != '-' || strings.IndexByte("bpars", s[i+3]) < 0 {
			return
		}
		if end := runEnd(s, i+5, isAlnumDash); end-i-5 >= 10 {
			w.add(s, i, end, ruleSlackToken)
		}
	})
}

// detectSlackWebhook finds the secret path of Slack incoming webhooks and keeps the host, which
// says where the events went.
func (w *walker) detectSlackWebhook(s string) {
	const prefix = "hooks.slack.com/services/"
	indexes(s, prefix, func(i int) {
		start := i + len(prefix)
		if end := runEnd(s, start, func(b byte) bool { return isAlnum(b) || b == '/' }); end-start >= 10 {
			w.add(s, start, end, ruleSlackWebhook)
		}
	})
}

// detectStripe finds Stripe secret and restricted keys (sk_live_, sk_test_, rk_live_,
// rk_test_) and webhook signing secrets (whsec_). Publishable keys (pk_) are public by design.
func (w *walker) detectStripe(s string) {
	for _, mode := range [...]string{"k_live_", "k_test_"} {
		indexes(s, mode, func(i int) {
			if i == 0 || (s[i-1] != 's' && s[i-1] != 'r') || !boundaryBefore(s, i-1) {
				return
			}
			if end := runEnd(s, i+len(mode), isAlnum); end-i-len(mode) >= 16 {
				w.add(s, i-1, end, ruleStripeKey)
			}
		})
	}
	indexes(s, "whsec_", func(i int) {
		if end := runEnd(s, i+len("whsec_"), isAlnum); boundaryBefore(s, i) && end-i-len("whsec_") >= 24 {
			w.add(s, i, end, ruleStripeKey)
		}
	})
}

// highEntropyMinRun is the shortest base64 run taken for a key; shorter runs are too often
// identifiers.
const highEntropyMinRun = 32

// credentialWords, one of which must precede a base64 run closely for it to count as a key:
// alone, a long base64 run is as likely a content hash, a cursor or an encoded payload.
var credentialWords = [...]string{"secret", "password", "passwd", "passphrase", "token", "private", "credential", "apikey", "api key", "api_key", "signing key", "encryption key"}

// highEntropyWindow is how far before a run a credential word is looked for.
const highEntropyWindow = 40

// detectHighEntropy finds long base64 runs that mix upper case, lower case and digits (a hex hash
// or a UUID never does) and follow a credential word closely.
func (w *walker) detectHighEntropy(s string) {
	for i := 0; i < len(s); {
		end := runEnd(s, i, isBase64Token)
		if end == i {
			i++
			continue
		}
		if end-i >= highEntropyMinRun && mixesClasses(s[i:end]) && w.credentialWordBefore(s, i) {
			w.add(s, i, end, ruleHighEntropy)
		}
		i = end
	}
}

func mixesClasses(v string) bool {
	var upper, lower, digit bool
	for i := 0; i < len(v); i++ {
		upper = upper || isUpper(v[i])
		lower = lower || isLower(v[i])
		digit = digit || isDigit(v[i])
	}
	return upper && lower && digit
}

// credentialWordBefore reports whether a credential word, in any case, ends within
// highEntropyWindow bytes before s[i] with nothing between them that could itself be a value: no
// run of 8 letters or digits and no masked value. Without that, masking one run would bring the
// next one nearer the word, and masking twice would mask more.
func (w *walker) credentialWordBefore(s string, i int) bool {
	from := max(0, i-highEntropyWindow)
	wordEnd := -1
	for j := from; j < i; j++ {
		for _, word := range credentialWords {
			if hasFoldPrefix(s[j:i], word) {
				wordEnd = max(wordEnd, j+len(word))
			}
		}
	}
	if wordEnd < 0 {
		return false
	}
	gap := s[wordEnd:i]
	if strings.Contains(gap, w.mk.replacement) || strings.Contains(gap, hmacPrefix) {
		return false
	}
	for j := 0; j < len(gap); {
		end := runEnd(gap, j, isAlnum)
		if end-j >= 8 {
			return false
		}
		j = end + 1
	}
	return true
}
