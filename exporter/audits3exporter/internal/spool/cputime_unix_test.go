//go:build unix

package spool

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the process has used, in user space and in the kernel (where the
// spool's writes and syncs cost most).
func processCPU() (user, kernel time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}
