package destination

import (
	"fmt"
	"strings"
)

// Error is what a Destination's methods return: the failure, classified when it happened (so
// that redaction cannot hide it from Classify), and a message that names the bucket and key
// and holds no credential.
type Error struct {
	// Failure is the classification of the underlying error.
	Failure Failure
	msg     string
	// err is the underlying error, or nil when its text held a credential: unwrapping must
	// not give a credential back.
	err error
}

func (e *Error) Error() string { return e.msg }

// Unwrap returns the underlying error unless redaction replaced it.
func (e *Error) Unwrap() error { return e.err }

// wrap classifies err (keeping the classification of an *Error inside it) and returns it as an
// *Error whose message starts with the formatted context, with every credential of the
// destination (and anything shaped like an AWS access key id) removed.
func (d *Destination) wrap(err error, format string, args ...any) *Error {
	f := Classify(err)
	f.Missing = d.refineMissing(f)
	wrapped := fmt.Errorf(format+": %w", append(args, err)...)
	msg := wrapped.Error()
	clean := d.redact.replace(msg)
	e := &Error{Failure: f, msg: clean, err: wrapped}
	if clean != msg {
		e.err = nil
	}
	return e
}

// refineMissing adds what only the destination knows (its SSE setting) to the permission
// Classify named.
func (d *Destination) refineMissing(f Failure) string {
	if f.Missing == permPutObject && d.cfg.SSE == SSEKMS {
		return permPutObject + " and kms:GenerateDataKey (kms:Decrypt too for multipart uploads) on the KMS key"
	}
	return f.Missing
}

// minSecretLen keeps redaction from rewriting every occurrence of a trivially short value.
const minSecretLen = 4

const redacted = "[REDACTED]"

// redactor removes a destination's credentials from error text. The SDK's own messages do not
// quote them, but an S3-compatible server may echo a key, and errors end up in logs.
type redactor struct {
	replacer *strings.Replacer
}

func newRedactor(cfg Config) *redactor {
	var secrets []string
	if creds := cfg.Credentials.Get(); creds != nil {
		secrets = append(secrets, string(creds.SecretAccessKey), string(creds.SessionToken), string(creds.AccessKeyID))
	}
	// Not a secret, but nothing a log line needs either.
	secrets = append(secrets, string(cfg.ExternalID))
	var pairs []string
	for _, s := range secrets {
		if len(s) >= minSecretLen {
			pairs = append(pairs, s, redacted)
		}
	}
	r := &redactor{}
	if len(pairs) > 0 {
		r.replacer = strings.NewReplacer(pairs...)
	}
	return r
}

// replace returns s without the configured secrets and without anything shaped like an AWS
// access key id (the default chain's and an assumed role's keys are not known in advance).
func (r *redactor) replace(s string) string {
	if r.replacer != nil {
		s = r.replacer.Replace(s)
	}
	return scrubAccessKeyIDs(s)
}

// accessKeyIDPrefixes start AWS access key ids: long-term (AKIA) and temporary (ASIA).
var accessKeyIDPrefixes = []string{"AKIA", "ASIA"}

const accessKeyIDLen = 20

// scrubAccessKeyIDs replaces every AKIA/ASIA followed by 16 upper-case letters or digits.
func scrubAccessKeyIDs(s string) string {
	var b strings.Builder
	rest := s
	for {
		i := indexAccessKeyID(rest)
		if i < 0 {
			if b.Len() == 0 {
				return s
			}
			b.WriteString(rest)
			return b.String()
		}
		b.WriteString(rest[:i])
		b.WriteString(redacted)
		rest = rest[i+accessKeyIDLen:]
	}
}

func indexAccessKeyID(s string) int {
	for i := 0; i+accessKeyIDLen <= len(s); i++ {
		if s[i] != 'A' {
			continue
		}
		prefixOK := false
		for _, p := range accessKeyIDPrefixes {
			if strings.HasPrefix(s[i:], p) {
				prefixOK = true
				break
			}
		}
		if !prefixOK || (i > 0 && isUpperAlnum(s[i-1])) {
			continue
		}
		body := s[i+4 : i+accessKeyIDLen]
		if strings.IndexFunc(body, func(c rune) bool { return !isUpperAlnum(byte(c)) }) >= 0 {
			continue
		}
		if i+accessKeyIDLen < len(s) && isUpperAlnum(s[i+accessKeyIDLen]) {
			continue
		}
		return i
	}
	return -1
}

func isUpperAlnum(c byte) bool { return c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }
