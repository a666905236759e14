//go:build !unix

package spool

import "os"

// lockDir takes no lock where flock(2) does not exist; the operations guide asks for one spool
// directory per collector.
func lockDir(string) (*os.File, error) { return nil, nil }
