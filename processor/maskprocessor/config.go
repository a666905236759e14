package maskprocessor

import (
	"errors"
	"fmt"
)

// DefaultReplacement is what a masked value becomes unless `replacement` says otherwise.
const DefaultReplacement = "[MASKED]"

// Config configures the mask processor. The default masks the built-in credential terms.
type Config struct {
	// ExtraKeys are credential terms added to the built-in ones. Each is normalised like a key
	// (lower case, without _ - . and spaces) and matches keys that equal or end with it.
	// Default: none.
	ExtraKeys []string `mapstructure:"extra_keys"`
	// AllowKeys are keys never masked, compared after normalisation (so api_key_hint also allows
	// apiKeyHint). They win over every term. Default: none.
	AllowKeys []string `mapstructure:"allow_keys"`
	// Replacement is the string a masked value becomes. Default: "[MASKED]".
	Replacement string `mapstructure:"replacement"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// Validate reports every problem at once, each naming its key.
func (c *Config) Validate() error {
	var errs []error
	if c.Replacement == "" {
		errs = append(errs, errors.New("replacement: must not be empty: a masked value must be told apart from an empty one"))
	}
	_, empty := normaliseAll(c.ExtraKeys)
	for _, i := range empty {
		errs = append(errs, fmt.Errorf("extra_keys[%d]: %q is empty once normalised (lower case, without _ - . and spaces), so it would match every key", i, c.ExtraKeys[i]))
	}
	_, empty = normaliseAll(c.AllowKeys)
	for _, i := range empty {
		errs = append(errs, fmt.Errorf("allow_keys[%d]: %q is empty once normalised (lower case, without _ - . and spaces)", i, c.AllowKeys[i]))
	}
	return errors.Join(errs...)
}

// compile builds the matcher from the built-in terms and a valid configuration.
func (c *Config) compile() (*matcher, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	terms, _ := normaliseAll(append(append([]string(nil), defaultTerms...), c.ExtraKeys...))
	allow, _ := normaliseAll(c.AllowKeys)
	return newMatcher(terms, allow), nil
}
