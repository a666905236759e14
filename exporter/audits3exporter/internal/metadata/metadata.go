// Package metadata holds the audits3 exporter's identity, written by hand the way mdatagen
// would generate it (mdatagen is not available to this project).
package metadata

import "go.opentelemetry.io/collector/component"

var (
	// Type is the exporter's type name in the collector configuration.
	Type = component.MustNewType("audits3")
	// ScopeName is the instrumentation scope of the exporter's own telemetry.
	ScopeName = "github.com/auditship/auditship/exporter/audits3exporter"
)

// LogsStability is the stability of the logs pipeline, the only signal this exporter takes.
const LogsStability = component.StabilityLevelAlpha
