// Package metadata holds what mdatagen would generate for the errorscrub extension: its type and
// stability. mdatagen is not available to this build, so it is written by hand; keep it as small
// as the generated file would be.
package metadata

import "go.opentelemetry.io/collector/component"

// Type is the extension's name in a collector configuration: `extensions: errorscrub:`.
var Type = component.MustNewType("errorscrub")

// ExtensionStability is the stability of the extension.
const ExtensionStability = component.StabilityLevelAlpha
