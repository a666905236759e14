//go:build !unix

package auditlogreceiver

import "time"

// processCPUTime is not measured here: the benchmarks leave out cpu-ns/event.
func processCPUTime() time.Duration { return 0 }
