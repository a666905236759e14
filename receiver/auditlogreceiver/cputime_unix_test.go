//go:build unix

package auditlogreceiver

import (
	"syscall"
	"time"
)

// processCPUTime is the CPU time the process has used so far, in user and system mode, by all
// its threads (the garbage collector's too).
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
