package spool

import (
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTooManyOpenFilesIsNotADiskFailure: a directory that cannot be opened to be synced (the
// process is out of file descriptors for a moment) fails the call, which the sender retries,
// but leaves nothing in doubt on disk: the spool goes on once descriptors are free again.
func TestTooManyOpenFilesIsNotADiskFailure(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir)
	acked := ackedRecords(t, s, "before", "p0")

	var old syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old))
	// Out of descriptors: the limit lowered a little above what is open, and every descriptor
	// left taken.
	fds, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	low := old
	low.Cur = uint64(len(fds) + 16)
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low))
	var taken []*os.File
	for {
		f, err := os.Open(os.DevNull)
		if err != nil {
			break
		}
		taken = append(taken, f)
	}
	_, err = s.AppendAll([]Batch{{Partition: "p1", Records: []Record{rec("p1-a")}}}, t0)
	for _, f := range taken {
		f.Close()
	}
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old))
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrDiskFailed)

	acked = append(acked, ackedRecords(t, s, "after", "p0", "p1")...)
	_, err = s.AppendAll([]Batch{{Partition: "p1", Records: []Record{rec("p1-a")}}}, t0)
	require.NoError(t, err, "the failed call, retried")
	require.NoError(t, s.Close())
	s2 := openSpool(t, dir)
	want := map[string]int{string(rec("p1-a").Payload): 1}
	for _, id := range acked {
		want[string(rec(id).Payload)] = 1
	}
	assert.Equal(t, want, storedCounts(t, s2, "p0", "p1"))
}
