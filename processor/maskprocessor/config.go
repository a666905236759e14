package maskprocessor

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
)

// DefaultReplacement is what a masked value becomes unless `replacement` says otherwise.
const DefaultReplacement = "[MASKED]"

// Config configures the mask processor. The default masks the built-in credential terms and
// every value detector, redacting each secret.
type Config struct {
	// ExtraKeys are credential terms added to the built-in ones. Each is normalised like a key
	// (lower case, without _ - . and spaces) and matches keys that equal or end with it.
	// Default: none.
	ExtraKeys []string `mapstructure:"extra_keys"`
	// AllowKeys are keys never masked, compared after normalisation (so api_key_hint also allows
	// apiKeyHint). They win over every term. Default: none.
	AllowKeys []string `mapstructure:"allow_keys"`
	// AllowPaths are paths whose values, and everything beneath them, are never masked by any
	// rule. A path is written as the debug log writes it, without array indices: "attributes."
	// and an attribute's key, or "body", then ".key" for each nested map key; an array's
	// elements have no segment of their own, so "body.items.etag" is the etag of every map in
	// the items array. Paths are compared as text, so "attributes.db.password" is both the
	// attribute named db.password and the key password of a map attribute named db. Default:
	// none.
	AllowPaths []string `mapstructure:"allow_paths"`
	// Replacement is the string a masked value becomes. Default: "[MASKED]".
	Replacement string `mapstructure:"replacement"`
	// Style is how every rule masks unless Rules says otherwise: redact, partial or hmac.
	// Default: redact.
	Style Style `mapstructure:"style"`
	// Rules overrides the style of single rules, by rule name. Default: none.
	Rules map[string]RuleConfig `mapstructure:"rules"`
	// HMACKeyEnv names the environment variable holding the hmac style's key. Default: none.
	HMACKeyEnv string `mapstructure:"hmac_key_env"`
	// HMACKeyFile is the path of a file holding the hmac style's key; surrounding white space
	// is dropped. Default: none. The key itself never goes in the configuration.
	HMACKeyFile string `mapstructure:"hmac_key_file"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// RuleConfig configures one rule.
type RuleConfig struct {
	// Style overrides the processor's style for this rule. Default: the processor's style.
	Style Style `mapstructure:"style"`
}

// Validate reports every problem at once, each naming its key.
func (c *Config) Validate() error {
	var errs []error
	if c.Replacement == "" {
		errs = append(errs, errors.New("replacement: must not be empty: a masked value must be told apart from an empty one"))
	}
	if strings.HasPrefix(c.Replacement, hmacPrefix) {
		// looksMasked could not tell the replacement from an hmac output.
		errs = append(errs, fmt.Errorf("replacement: must not start with %q, the prefix of the hmac style", hmacPrefix))
	}
	_, empty := normaliseAll(c.ExtraKeys)
	for _, i := range empty {
		errs = append(errs, fmt.Errorf("extra_keys[%d]: %q is empty once normalised (lower case, without _ - . and spaces), so it would match every key", i, c.ExtraKeys[i]))
	}
	_, empty = normaliseAll(c.AllowKeys)
	for _, i := range empty {
		errs = append(errs, fmt.Errorf("allow_keys[%d]: %q is empty once normalised (lower case, without _ - . and spaces)", i, c.AllowKeys[i]))
	}
	for i, p := range c.AllowPaths {
		if err := validatePath(p); err != nil {
			errs = append(errs, fmt.Errorf("allow_paths[%d]: %q %w", i, p, err))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.Rules)) {
		if _, ok := ruleByName(name); !ok {
			errs = append(errs, fmt.Errorf("rules.%s: unknown rule; known: %s", name, strings.Join(ruleNames[:], ", ")))
		}
	}
	switch {
	case c.HMACKeyEnv != "" && c.HMACKeyFile != "":
		errs = append(errs, errors.New("hmac_key_env, hmac_key_file: set one, not both"))
	case c.usesHMAC() && c.HMACKeyEnv == "" && c.HMACKeyFile == "":
		errs = append(errs, errors.New("style: hmac needs a key: set hmac_key_env (an environment variable's name) or hmac_key_file (a path)"))
	}
	return errors.Join(errs...)
}

// validatePath reports what is wrong with an allow_paths entry; the error completes a sentence
// whose subject is the path.
func validatePath(p string) error {
	switch {
	case p == "":
		return errors.New("is empty")
	case p != "body" && !strings.HasPrefix(p, "body.") && !strings.HasPrefix(p, "attributes."):
		return errors.New(`must be "body" or start with "body." or "attributes."`)
	case strings.ContainsAny(p, "[]"):
		return errors.New("holds an array index: array elements have no segment of their own, so write body.items.etag for body.items[0].etag")
	case slices.Contains(strings.Split(p, "."), ""):
		return errors.New("has an empty segment")
	}
	return nil
}

// styleOf is the style of rule r: its own, else the processor's, else redact.
func (c *Config) styleOf(r rule) Style {
	if rc, ok := c.Rules[ruleNames[r]]; ok && rc.Style != "" {
		return rc.Style
	}
	if c.Style != "" {
		return c.Style
	}
	return StyleRedact
}

func (c *Config) usesHMAC() bool {
	for r := range numRules {
		if c.styleOf(r) == StyleHMAC {
			return true
		}
	}
	return false
}

// hmacKey reads the hmac style's key. Errors name the variable or the file, never the key.
func (c *Config) hmacKey() ([]byte, error) {
	if c.HMACKeyEnv != "" {
		key := os.Getenv(c.HMACKeyEnv)
		if key == "" {
			return nil, fmt.Errorf("hmac_key_env: environment variable %q is unset or empty", c.HMACKeyEnv)
		}
		return []byte(key), nil
	}
	key, err := os.ReadFile(c.HMACKeyFile)
	if err != nil {
		return nil, fmt.Errorf("hmac_key_file: %w", err)
	}
	if key = bytes.TrimSpace(key); len(key) == 0 {
		return nil, fmt.Errorf("hmac_key_file: %q is empty", c.HMACKeyFile)
	}
	return key, nil
}

// compile builds the key matcher and the masker from the built-in terms and a valid
// configuration; it reads the hmac key, so a missing key fails start-up.
func (c *Config) compile() (*matcher, *masker, error) {
	if err := c.Validate(); err != nil {
		return nil, nil, err
	}
	terms, _ := normaliseAll(append(append([]string(nil), defaultTerms...), c.ExtraKeys...))
	allow, _ := normaliseAll(c.AllowKeys)
	mk := &masker{replacement: c.Replacement}
	for r := range numRules {
		mk.styles[r] = c.styleOf(r)
	}
	if c.usesHMAC() {
		key, err := c.hmacKey()
		if err != nil {
			return nil, nil, err
		}
		mk.hmacKey = key
	}
	m := newCredentialMatcher(terms, allow)
	if len(c.AllowPaths) > 0 {
		m.allowPaths = make(map[string]struct{}, len(c.AllowPaths))
		for _, p := range c.AllowPaths {
			m.allowPaths[p] = struct{}{}
		}
	}
	return m, mk, nil
}
