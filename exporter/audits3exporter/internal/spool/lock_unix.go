//go:build unix

package spool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockFileName is the file in the spool directory that a running spool holds locked.
const lockFileName = "lock"

// lockDir takes an exclusive lock on dir, held until the returned file is closed. Two collectors
// sharing one spool would both recover, seal and delete the same batches, so the second is
// refused at start. The kernel drops the lock when the process dies, kill -9 included, so a
// crash never leaves the spool locked.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open spool lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", ErrInUse, dir)
		}
		return nil, fmt.Errorf("lock spool directory %s: %w", dir, err)
	}
	return f, nil
}
