package audits3exporter

import (
	"errors"
	"strings"
)

// minSecretLen keeps redaction from rewriting every occurrence of a trivially short value.
const minSecretLen = 4

// redactor removes the configured credentials from error text. The SDK's errors do not quote
// them, but an S3-compatible server may echo a key in its message, and errors end up in logs.
type redactor struct {
	replacer *strings.Replacer
}

func newRedactor(cfg *Config) *redactor {
	creds := cfg.Credentials.Get()
	if creds == nil {
		return &redactor{}
	}
	var pairs []string
	for _, s := range []string{string(creds.SecretAccessKey), string(creds.SessionToken), string(creds.AccessKeyID)} {
		if len(s) >= minSecretLen {
			pairs = append(pairs, s, "[REDACTED]")
		}
	}
	if len(pairs) == 0 {
		return &redactor{}
	}
	return &redactor{replacer: strings.NewReplacer(pairs...)}
}

// redact returns err unchanged when its text holds no credential, or else an error with the
// same text, credentials replaced. The replacement does not wrap err: unwrapping it must not
// give the credential back.
func (r *redactor) redact(err error) error {
	if err == nil || r.replacer == nil {
		return err
	}
	msg := err.Error()
	if clean := r.replacer.Replace(msg); clean != msg {
		return errors.New(clean)
	}
	return err
}
