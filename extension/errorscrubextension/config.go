package errorscrubextension

// Config configures the errorscrub extension. It has no options: the body of a scrubbed answer
// is fixed per status and format so that nothing of a request can reach it, and there is nothing
// else to choose.
type Config struct {
	// prevent unkeyed literal initialization
	_ struct{}
}

// Validate accepts every Config: with no options there is nothing to get wrong, and a misspelt
// key is refused when the configuration is read.
func (c *Config) Validate() error {
	return nil
}
