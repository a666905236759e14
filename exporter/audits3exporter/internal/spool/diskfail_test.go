package spool

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// diskModel stands for what a power loss leaves of each batch file: its contents at the last
// sync that reached the disk. A sync it fails reports the error once and, as Linux does, marks
// the pages clean: a later sync of that file reports success and persists nothing.
type diskModel struct {
	mu      sync.Mutex
	durable map[string][]byte // base name of a batch file -> its contents on disk
	failed  map[string]bool   // files whose sync failed
	failOn  int               // the sync (1-based, of all batch syncs) that fails; 0: none
	syncs   int
}

func newDiskModel(failOn int) *diskModel {
	return &diskModel{durable: map[string][]byte{}, failed: map[string]bool{}, failOn: failOn}
}

func (d *diskModel) sync(f *os.File) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.syncs++
	name := filepath.Base(f.Name())
	if d.syncs == d.failOn {
		d.failed[name] = true
		return errors.New("input/output error")
	}
	if d.failed[name] {
		return nil
	}
	data, err := os.ReadFile(f.Name())
	if err != nil {
		return err
	}
	d.durable[name] = data
	return f.Sync()
}

// restore writes the modelled disk contents of the batch file at path.
func (d *diskModel) restore(t *testing.T, path string, _ int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	require.NoError(t, os.WriteFile(path, d.durable[filepath.Base(path)], 0o600))
}

// TestFailedCheckpointStopsTheSpool: once a batch file's sync fails at a checkpoint, the file
// cannot be trusted (a retried sync may report success for pages that never reached the disk),
// so the spool refuses appends and seals, and keeps its log for the next Open, which finds
// every acknowledged record. Were the log emptied by a later "successful" checkpoint, the
// records would be lost.
func TestFailedCheckpointStopsTheSpool(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir)
	disk := newDiskModel(1)
	s.syncBatch = disk.sync
	acked := ackedRecords(t, s, "before", "p0", "p1")

	s.appending.Lock()
	err := s.checkpoint()
	s.appending.Unlock()
	require.ErrorIs(t, err, ErrDiskFailed)

	_, err = s.AppendAll([]Batch{{Partition: "p0", Records: []Record{rec("after")}}}, t0)
	require.ErrorIs(t, err, ErrDiskFailed, "appends are refused")
	_, err = s.Seal("p0", t0, joinLines)
	require.ErrorIs(t, err, ErrDiskFailed, "seals are refused")
	require.ErrorIs(t, s.Close(), ErrDiskFailed, "Close reports the failure and runs no checkpoint")
	st, err := os.Stat(filepath.Join(dir, walName))
	require.NoError(t, err)
	assert.Positive(t, st.Size(), "the log is kept")

	found := storedCounts(t, openSpool(t, powerLossCopy(t, s, dir, disk.restore, true)), "p0", "p1")
	want := map[string]int{}
	for _, id := range acked {
		want[string(rec(id).Payload)] = 1
	}
	assert.Equal(t, want, found)
}

// TestFailedLogResetStopsTheSpool: the log was emptied but its sync failed; the spool stops,
// and a later failed write of the log could not leave a failed call's entry in it.
func TestFailedLogResetStopsTheSpool(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir)
	acked := ackedRecords(t, s, "a", "p0")
	s.wal.sync = func(*os.File) error { return errors.New("input/output error") }
	s.appending.Lock()
	err := s.checkpoint()
	s.appending.Unlock()
	require.ErrorIs(t, err, ErrDiskFailed)
	s.wal.sync = (*os.File).Sync
	_, err = s.Append("p0", []Record{rec("b")}, t0)
	require.ErrorIs(t, err, ErrDiskFailed)
	require.ErrorIs(t, s.Close(), ErrDiskFailed)

	found := storedCounts(t, openSpool(t, powerLossCopy(t, s, dir, cutTail, true)), "p0")
	want := map[string]int{}
	for _, id := range acked {
		want[string(rec(id).Payload)] = 1
	}
	assert.Equal(t, want, found)
}

// TestFailedCallIsCutDurably: the frames of a call whose log sync failed are cut from the batch
// file, and the cut is synced: had writeback already put them on disk, a power loss would
// otherwise bring them back, and the sender's retry (its ids were taken back) would store them
// twice when they carry no id.
func TestFailedCallIsCutDurably(t *testing.T) {
	for _, withID := range []bool{true, false} {
		t.Run(map[bool]string{true: "with id", false: "without id"}[withID], func(t *testing.T) {
			dir := t.TempDir()
			s := openSpool(t, dir)
			disk := newDiskModel(0)
			s.syncBatch = disk.sync
			a := rec("a")
			_, err := s.Append("p0", []Record{a}, t0)
			require.NoError(t, err)
			path := s.parts["p0"].open.path
			c := rec("c")
			if !withID {
				c.ID = ""
			}
			s.wal.sync = func(*os.File) error {
				// Writeback may have put the failed call's frames on disk already.
				data, err := os.ReadFile(path)
				require.NoError(t, err)
				disk.mu.Lock()
				disk.durable[filepath.Base(path)] = data
				disk.mu.Unlock()
				return errors.New("input/output error")
			}
			_, err = s.Append("p0", []Record{c}, t0)
			require.Error(t, err)
			require.NotErrorIs(t, err, ErrDiskFailed, "a failed log sync fails its calls, not the spool")
			s.wal.sync = (*os.File).Sync

			s2 := openSpool(t, powerLossCopy(t, s, dir, disk.restore, true))
			info, _ := s2.OpenBatch("p0")
			assert.Equal(t, 1, info.Records, "only the acknowledged record")
			_, err = s2.Append("p0", []Record{c}, t0) // the sender retries
			require.NoError(t, err)
			assert.Equal(t, map[string]int{string(a.Payload): 1, string(c.Payload): 1}, storedCounts(t, s2, "p0"))
		})
	}
}

// TestFailedLogEntryIsCutDurably: writeback may put a call's log entry on disk before its sync
// fails; the log's cut back is synced, so that a power loss does not bring the entry back and
// replay write back the frames of a call that was told it failed (stored twice when the sender
// retries an event without an id).
func TestFailedLogEntryIsCutDurably(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir)
	disk := newDiskModel(0)
	s.syncBatch = disk.sync
	var walDurable []byte // the log's contents on disk
	var failNext bool
	s.wal.sync = func(f *os.File) error {
		data, err := os.ReadFile(f.Name())
		require.NoError(t, err)
		walDurable = data // a failed sync's entry may be on disk too
		if failNext {
			failNext = false
			return errors.New("input/output error")
		}
		return f.Sync()
	}
	a := rec("a")
	_, err := s.Append("p0", []Record{a}, t0)
	require.NoError(t, err)
	c := rec("c")
	c.ID = ""
	failNext = true
	_, err = s.Append("p0", []Record{c}, t0)
	require.Error(t, err)
	require.NoError(t, s.diskFailure(), "a failed log sync whose cut is synced fails its call, not the spool")

	dst := powerLossCopy(t, s, dir, disk.restore, true)
	require.NoError(t, os.WriteFile(filepath.Join(dst, walName), walDurable, 0o600))
	s2 := openSpool(t, dst)
	_, err = s2.Append("p0", []Record{c}, t0) // the sender retries
	require.NoError(t, err)
	assert.Equal(t, map[string]int{string(a.Payload): 1, string(c.Payload): 1}, storedCounts(t, s2, "p0"))
}
