package spool

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// loseTail does to a batch file what a power loss may: everything after the durable bytes is
// gone (cut) or was never written (zeros where the file system had allocated it).
type loseTail func(t *testing.T, path string, durable int64)

func cutTail(t *testing.T, path string, durable int64) {
	require.NoError(t, os.Truncate(path, durable))
}

func zeroTail(t *testing.T, path string, durable int64) {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	clear(data[durable:])
	require.NoError(t, os.WriteFile(path, data, 0o600))
}

// powerLossCopy copies the spool in dir, with no call in flight, as a power loss would leave
// it: each open batch file loses what came after the last checkpoint that synced it (all of
// it, for one created since), sealed files and the WAL are kept as they are (they are synced
// before a call returns). Without keepWAL, the WAL is dropped, as if it were never replayed.
func powerLossCopy(t *testing.T, s *Spool, dir string, lose loseTail, keepWAL bool) string {
	t.Helper()
	dst := t.TempDir()
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		if rel == lockFileName || (rel == walName && !keepWAL) {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o600)
	}))
	for _, p := range s.partitionList() {
		p.mu.Lock()
		if b := p.open; b != nil {
			rel, err := filepath.Rel(dir, b.path)
			require.NoError(t, err)
			lose(t, filepath.Join(dst, rel), b.synced)
		}
		p.mu.Unlock()
	}
	return dst
}

// ackedRecords appends records to the given partitions, in one call, and returns their ids;
// the call must succeed.
func ackedRecords(t *testing.T, s *Spool, tag string, parts ...string) []string {
	t.Helper()
	var batches []Batch
	var ids []string
	for _, p := range parts {
		b := Batch{Partition: p}
		for i := range 3 {
			id := fmt.Sprintf("%s-%s-%d", p, tag, i)
			b.Records = append(b.Records, rec(id))
			ids = append(ids, id)
		}
		batches = append(batches, b)
	}
	added, err := s.AppendAll(batches, t0)
	require.NoError(t, err)
	for i, n := range added {
		require.Equal(t, len(batches[i].Records), n)
	}
	return ids
}

// storedCounts seals every partition of the spool in dir and counts the stored payloads.
func storedCounts(t *testing.T, s *Spool, parts ...string) map[string]int {
	t.Helper()
	found := map[string]int{}
	for _, p := range parts {
		for _, line := range sealedLines(t, s, p) {
			found[line]++
		}
	}
	return found
}

// checkpointNow runs a checkpoint as one at the bound does.
func checkpointNow(t *testing.T, s *Spool) {
	t.Helper()
	s.appending.Lock()
	defer s.appending.Unlock()
	require.NoError(t, s.checkpoint())
}

// TestPowerLossKeepsAcknowledgedRecords: batch files are synced only at checkpoints, so after a
// power loss they may lack anything written since; replaying the WAL brings back every
// acknowledged record, once. Without the WAL (the control), records are lost: the test can
// tell.
func TestPowerLossKeepsAcknowledgedRecords(t *testing.T) {
	parts := []string{"p0", "p1", "p2", "p3"}
	for _, tc := range []struct {
		name    string
		lose    loseTail
		keepWAL bool
	}{
		{name: "tails cut", lose: cutTail, keepWAL: true},
		{name: "tails zeroed", lose: zeroTail, keepWAL: true},
		{name: "without the WAL", lose: cutTail, keepWAL: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openSpool(t, dir)
			acked := ackedRecords(t, s, "r0", "p0", "p1", "p2")
			_, err := s.Seal("p2", t0, joinLines)
			require.NoError(t, err)
			acked = append(acked, ackedRecords(t, s, "r1", "p0", "p1")...)
			checkpointNow(t, s)
			// After the checkpoint: appends to batches it synced, to a batch of a sealed
			// partition and to a new partition, whose files it never saw.
			acked = append(acked, ackedRecords(t, s, "r2", parts...)...)
			acked = append(acked, ackedRecords(t, s, "r3", "p0", "p3")...)

			copied := powerLossCopy(t, s, dir, tc.lose, tc.keepWAL)
			s2, err := Open(Options{Dir: copied})
			require.NoError(t, err)
			defer s2.Close()
			found := storedCounts(t, s2, parts...)
			missing := 0
			for _, id := range acked {
				if found[string(rec(id).Payload)] == 0 {
					missing++
				}
			}
			if !tc.keepWAL {
				assert.NotZero(t, missing, "without the WAL, what came after the checkpoint is lost")
				return
			}
			assert.Zero(t, missing, "acknowledged records lost")
			for line, n := range found {
				assert.Equal(t, 1, n, "%s stored %d times", line, n)
			}
			assert.Len(t, found, len(acked), "nothing but what was acknowledged")
		})
	}
}

type appendAllResult struct {
	added []int
	err   error
}

func appendAllAsync(s *Spool, batches ...Batch) <-chan appendAllResult {
	c := make(chan appendAllResult, 1)
	go func() {
		n, err := s.AppendAll(batches, t0)
		c <- appendAllResult{n, err}
	}()
	return c
}

// TestFailedWALSyncFailsTheCallsNotSynced: a failed WAL sync fails the calls it covered and those
// that wrote while it ran (over partitions in common with them, or not), and only those; none
// of their records is found after a restart, clean or after a power loss, and the calls after
// it succeed.
func TestFailedWALSyncFailsTheCallsNotSynced(t *testing.T) {
	for _, tc := range []struct {
		name    string
		restart func(t *testing.T, s *Spool, dir string) *Spool
	}{
		{name: "close and reopen", restart: func(t *testing.T, s *Spool, dir string) *Spool {
			require.NoError(t, s.Close())
			return openSpool(t, dir)
		}},
		{name: "power loss", restart: func(t *testing.T, s *Spool, dir string) *Spool {
			return openSpool(t, powerLossCopy(t, s, dir, cutTail, true))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openSpool(t, dir)
			before := ackedRecords(t, s, "before", "p0", "p1")
			walBefore := s.wal.size

			gate := gateSync(s)
			covered := appendAllAsync(s, Batch{Partition: "p0", Records: []Record{rec("c")}}, Batch{Partition: "p1", Records: []Record{rec("d")}})
			<-gate.entered
			later := appendAllAsync(s, Batch{Partition: "p1", Records: []Record{rec("e")}}, Batch{Partition: "p2", Records: []Record{rec("f")}})
			waitPending(t, s, "p2", 1)
			fire := errors.New("disk on fire")
			gate.release <- fire
			for _, c := range []<-chan appendAllResult{covered, later} {
				r := <-c
				require.ErrorIs(t, r.err, fire)
				assert.Equal(t, []int{0, 0}, r.added)
			}
			st, err := os.Stat(filepath.Join(dir, walName))
			require.NoError(t, err)
			assert.Equal(t, walBefore, st.Size(), "the WAL is cut back to what was synced")
			after := ackedRecords(t, s, "after", "p0", "p2")

			found := storedCounts(t, tc.restart(t, s, dir), "p0", "p1", "p2")
			want := map[string]int{}
			for _, id := range append(before, after...) {
				want[string(rec(id).Payload)] = 1
			}
			assert.Equal(t, want, found)
		})
	}
}

// TestCheckpointAtTheBound: past its bound the WAL is emptied, once the batch files are synced;
// what was appended before and after survives a power loss.
func TestCheckpointAtTheBound(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir)
	const limit = 4 << 10
	s.wal.limit = limit
	var batchSyncs atomic.Int32
	s.syncBatch = func(f *os.File) error {
		batchSyncs.Add(1)
		return f.Sync()
	}
	parts := []string{"p0", "p1", "p2"}
	var acked []string
	checkpoints, last := 0, int64(0)
	for i := range 60 {
		acked = append(acked, ackedRecords(t, s, fmt.Sprint(i), parts...)...)
		if i == 30 {
			_, err := s.Seal("p1", t0, joinLines)
			require.NoError(t, err)
		}
		st, err := os.Stat(filepath.Join(dir, walName))
		require.NoError(t, err)
		require.Less(t, st.Size(), int64(limit), "a call that crosses the bound runs a checkpoint")
		if st.Size() < last {
			checkpoints++
		}
		last = st.Size()
	}
	assert.GreaterOrEqual(t, checkpoints, 3)
	assert.NotZero(t, batchSyncs.Load(), "a checkpoint syncs the batch files")

	s2 := openSpool(t, powerLossCopy(t, s, dir, cutTail, true))
	found := storedCounts(t, s2, parts...)
	for _, id := range acked {
		assert.Equal(t, 1, found[string(rec(id).Payload)], "record %s", id)
	}
	assert.Len(t, found, len(acked))
}

// TestReplaySkipsEntriesOfSealedBatches: the WAL still holds entries of a batch sealed since the
// last checkpoint, whose file is gone; replay must not bring the batch back, neither beside its
// sealed file nor, worse, after the sealed file was delivered and removed (its records would
// be sent twice).
func TestReplaySkipsEntriesOfSealedBatches(t *testing.T) {
	for _, delivered := range []bool{false, true} {
		t.Run(fmt.Sprintf("delivered=%v", delivered), func(t *testing.T) {
			dir := t.TempDir()
			s := openSpool(t, dir)
			sealedIDs := ackedRecords(t, s, "sealed", "p0")
			sb, err := s.Seal("p0", t0, joinLines)
			require.NoError(t, err)
			if delivered {
				require.NoError(t, s.Delivered(sb))
				sealedIDs = nil
			}
			openIDs := ackedRecords(t, s, "open", "p1")
			copied := powerLossCopy(t, s, dir, cutTail, true)
			st, err := os.Stat(filepath.Join(copied, walName))
			require.NoError(t, err)
			require.NotZero(t, st.Size(), "the WAL holds the sealed batch's entries")

			s2 := openSpool(t, copied)
			_, ok := s2.OpenBatch("p0")
			assert.False(t, ok, "no open batch comes back for p0")
			batches, err := filepath.Glob(filepath.Join(copied, "open", "p0", "*.batch"))
			require.NoError(t, err)
			assert.Empty(t, batches)
			assert.ElementsMatch(t, payloads(sealedIDs...), sealedLines(t, s2, "p0"))
			assert.ElementsMatch(t, payloads(openIDs...), sealedLines(t, s2, "p1"))
		})
	}
}

// walEntryEnds returns where each whole entry of the WAL at path ends.
func walEntryEnds(t *testing.T, path string) []int64 {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	st, err := f.Stat()
	require.NoError(t, err)
	r := bufio.NewReader(f)
	var ends []int64
	var scratch []byte
	at := int64(0)
	for {
		_, n, err := readWALEntry(r, &scratch, st.Size()-at)
		if errors.Is(err, io.EOF) {
			return ends
		}
		require.NoError(t, err)
		at += n
		ends = append(ends, at)
	}
}

// TestReplayStopsAtADamagedEntry: a WAL entry torn by a crash, or one that fails its checksum,
// ends the replay; the entries before it are applied, the ones after it are not.
func TestReplayStopsAtADamagedEntry(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(data []byte, ends []int64) []byte
		want   []string
		// replayed is how many entries are written back; the bytes after the last of them
		// are reported skipped.
		replayed int
	}{
		{name: "intact", damage: func(data []byte, _ []int64) []byte { return data }, want: []string{"a", "b", "c"}, replayed: 3},
		{name: "torn last entry", damage: func(data []byte, ends []int64) []byte {
			return data[:ends[1]+(ends[2]-ends[1])/2]
		}, want: []string{"a", "b"}, replayed: 2},
		{name: "bad checksum in the middle", damage: func(data []byte, ends []int64) []byte {
			data[ends[1]-3] ^= 0x20 // inside the second entry's frame
			return data
		}, want: []string{"a"}, replayed: 1},
		{name: "damaged header", damage: func(data []byte, ends []int64) []byte {
			data[ends[0]+2] = '9' // the second entry claims another length
			return data
		}, want: []string{"a"}, replayed: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openSpool(t, dir)
			for _, b := range []Batch{
				{Partition: "p0", Records: []Record{rec("a")}},
				{Partition: "p0", Records: []Record{rec("b")}},
				{Partition: "p1", Records: []Record{rec("c")}},
			} {
				_, err := s.AppendAll([]Batch{b}, t0)
				require.NoError(t, err)
			}
			copied := powerLossCopy(t, s, dir, cutTail, true)
			walPath := filepath.Join(copied, walName)
			data, err := os.ReadFile(walPath)
			require.NoError(t, err)
			ends := walEntryEnds(t, walPath)
			require.Len(t, ends, 3)
			damaged := tc.damage(data, ends)
			require.NoError(t, os.WriteFile(walPath, damaged, 0o600))

			s2 := openSpool(t, copied)
			r := s2.Recovered()
			assert.Equal(t, tc.replayed, r.LogEntries, "entries written back")
			assert.Equal(t, int64(len(damaged))-ends[tc.replayed-1], r.LogBytesSkipped, "bytes after the last whole entry")
			assert.Equal(t, r.LogBytesSkipped > 0, r.Cut())
			var got []string
			for _, n := range []string{"p0", "p1"} {
				got = append(got, sealedLines(t, s2, n)...)
			}
			assert.ElementsMatch(t, payloads(tc.want...), got)
			st, err := os.Stat(walPath)
			require.NoError(t, err)
			assert.Zero(t, st.Size(), "the WAL is emptied once replayed")
		})
	}
}

// TestOneSyncPerCallWhateverThePartitions: a call costs one WAL sync however many partitions it
// writes to, and no sync of a batch file; the batch files are synced at the next checkpoint
// (here, Close's), once each.
func TestOneSyncPerCallWhateverThePartitions(t *testing.T) {
	for _, n := range []int{1, 10, 100} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			s := openSpool(t, t.TempDir())
			var walSyncs, batchSyncs atomic.Int32
			s.wal.sync = func(f *os.File) error {
				walSyncs.Add(1)
				return f.Sync()
			}
			s.syncBatch = func(f *os.File) error {
				batchSyncs.Add(1)
				return f.Sync()
			}
			var batches []Batch
			for i := range n {
				batches = append(batches, Batch{Partition: fmt.Sprintf("p%03d", i), Records: []Record{rec(fmt.Sprint(i))}})
			}
			_, err := s.AppendAll(batches, t0)
			require.NoError(t, err)
			assert.Equal(t, int32(1), walSyncs.Load())
			assert.Zero(t, batchSyncs.Load())
			require.NoError(t, s.Close())
			assert.Equal(t, int32(n), batchSyncs.Load(), "the checkpoint syncs each batch file once")
			assert.Equal(t, int32(2), walSyncs.Load(), "and the emptied WAL")
		})
	}
}

// TestAppendAfterClose: a call after Close is refused, not written to a closed file.
func TestAppendAfterClose(t *testing.T) {
	s := openSpool(t, t.TempDir())
	require.NoError(t, s.Close())
	_, err := s.Append("acme", []Record{rec("a")}, t0)
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "closed"), err.Error())
}
