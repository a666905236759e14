//go:build !unix

package spool

import "time"

// processCPU is not measured here: the benchmarks report zero.
func processCPU() (user, kernel time.Duration) { return 0, 0 }
