// Package metadata holds what mdatagen would generate for the mask processor: its component
// type, stability and the instruments of its internal telemetry. mdatagen is not available to
// this build, so it is written by hand; keep it as small and declarative as the generated code.
package metadata

import "go.opentelemetry.io/collector/component"

var (
	// Type is the processor's name in a collector configuration: `processors: mask:`.
	Type = component.MustNewType("mask")
	// ScopeName is the instrumentation scope of the processor's own metrics.
	ScopeName = "github.com/auditship/auditship/processor/maskprocessor"
)

// LogsStability is the stability of the logs pipeline, the only one the processor supports.
const LogsStability = component.StabilityLevelAlpha
