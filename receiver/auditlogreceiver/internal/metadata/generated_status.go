// Package metadata holds what mdatagen would generate for the auditlog receiver: its type, the
// instrumentation scope of the records it emits, and its stability. mdatagen is not available
// to this build, so it is written by hand; keep it as small as the generated file would be.
package metadata

import "go.opentelemetry.io/collector/component"

var (
	// Type is the receiver's type as written in collector configuration.
	Type = component.MustNewType("auditlog")
	// ScopeName is the instrumentation scope of every record this receiver emits.
	ScopeName = "github.com/auditship/auditship/receiver/auditlogreceiver"
)

const (
	// LogsStability is the stability of the logs signal of this receiver.
	LogsStability = component.StabilityLevelAlpha
)
