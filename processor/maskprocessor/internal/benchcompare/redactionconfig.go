package benchcompare

import "strings"

// blockedKeyPatterns are the mask processor's built-in credential terms (its README) as a user
// writes them for the redaction processor, one pattern per family of terms. The processor
// matches raw keys, so each pattern folds case and separators itself, and is anchored at the end
// (a trailing s or number allowed) so that identifiers such as API_KEY_ID, tokenId or
// secret_name stay visible, as they do with the mask processor.
var blockedKeyPatterns = []string{
	`(?i)(pass(word|phrase)?|passwd|pwd)s?[0-9]*$`,
	`(?i)secrets?[0-9]*$`,
	`(?i)(token|jwt)[0-9]*$`,
	`(?i)(api|private|secret|access|encryption|signing)[_.-]?keys?[0-9]*$`,
	`(?i)(authorization|cookie)[0-9]*$`,
	`(?i)credentials?[0-9]*$`,
	`(?i)connection[_.-]?string[0-9]*$`,
}

// blockedValues are the value shapes of issue 5 as redaction regexes (RE2). The processor
// replaces a whole match with ****, and RE2 has no look-behind, so a pattern for credentials in
// a URL or connection string takes the user and host along with the password.
var blockedValues = []string{
	// AWS access key ids.
	`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`,
	// JWTs.
	`\beyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`,
	// PEM private key blocks.
	`-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----[\s\S]*?-----END (?:[A-Z]+ )?PRIVATE KEY-----`,
	// Authorization values.
	`(?i)\b(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+`,
	// Credentials in a URL: scheme://user:pass@host.
	`\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]+:[^\s/@]+@[^\s/?#:]+`,
	// Connection strings and assignments: Password=...; pwd=...
	`(?i)\b(?:password|passwd|pwd)\s*=\s*[^;&\s]+`,
	// GitHub tokens.
	`\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b`,
	// GitLab personal access tokens.
	`\bglpat-[A-Za-z0-9_-]{20,}\b`,
	// Slack tokens.
	`\bxox[abposr]-[A-Za-z0-9-]{10,}\b`,
	// Stripe secret and restricted keys.
	`\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}\b`,
	// Google API keys.
	`\bAIza[0-9A-Za-z_-]{35}\b`,
}

// joined folds patterns into one alternation: the same matches with one regex to run instead of
// several, which favours the redaction processor.
func joined(patterns []string) []string {
	var b strings.Builder
	for i, p := range patterns {
		if i > 0 {
			b.WriteByte('|')
		}
		b.WriteString("(?:")
		b.WriteString(p)
		b.WriteByte(')')
	}
	return []string{b.String()}
}

// redactionConfig is the redaction processor's configuration: every key allowed, the blocked
// key patterns and values, and the summary at info, so that it counts what it masked in the
// record as the mask processor does with mask.count.
func redactionConfig(oneRegex bool) map[string]any {
	keys, values := blockedKeyPatterns, blockedValues
	if oneRegex {
		keys, values = joined(keys), joined(values)
	}
	return map[string]any{
		"allow_all_keys":       true,
		"blocked_key_patterns": toAny(keys),
		"blocked_values":       toAny(values),
		"summary":              "info",
	}
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
