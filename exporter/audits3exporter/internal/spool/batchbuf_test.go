package spool

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bigRec is a record of about 1 KiB: fifty of them (one call) take about 52 KB of a 128 KiB
// write buffer, so that the third call of fifty writes the buffer out.
func bigRec(id string) Record {
	return Record{ID: id, EventTime: t0, Payload: []byte(`{"eventId":"` + id + `","pad":"` + strings.Repeat("x", 1000) + `"}`)}
}

// appendBig appends n big records to part in one call, which must succeed, and returns their
// payloads.
func appendBig(t *testing.T, s *Spool, part, tag string, n int) []string {
	t.Helper()
	recs := make([]Record, n)
	lines := make([]string, n)
	for i := range recs {
		recs[i] = bigRec(fmt.Sprintf("%s-%s-%d", part, tag, i))
		lines[i] = string(recs[i].Payload)
	}
	added, err := s.Append(part, recs, t0)
	require.NoError(t, err)
	require.Equal(t, n, added)
	return lines
}

// batchState tells how many bytes of part's open batch wait in its write buffer, and how
// many its file holds.
func batchState(t *testing.T, s *Spool, part string) (buffered int, inFile int64) {
	t.Helper()
	p := s.partition(part)
	p.mu.Lock()
	defer p.mu.Unlock()
	require.NotNil(t, p.open)
	st, err := os.Stat(p.open.path)
	require.NoError(t, err)
	return len(p.open.buf), st.Size()
}

// keepTail is what a kill -9 leaves of a batch file: what was written to it, nothing of what
// the process still held in memory.
func keepTail(*testing.T, string, int64) {}

// failingWrites makes the spool's writes to batch files fail while armed: refused, or after
// writing half of the data (a torn frame).
type failingWrites struct {
	armed  atomic.Bool
	torn   bool
	writes atomic.Int32
}

var errWriteRefused = errors.New("no space left on device")

func (fw *failingWrites) write(f *os.File, data []byte) (int, error) {
	fw.writes.Add(1)
	if !fw.armed.Load() {
		return f.Write(data)
	}
	if fw.torn {
		n, err := f.Write(data[:len(data)/2])
		if err != nil {
			return n, err
		}
		return n, errWriteRefused
	}
	return 0, errWriteRefused
}

// TestFramesOnlyInTheBufferSurviveACrash: acknowledged frames that wait in a write buffer, not
// yet in their batch file, come back from the WAL after a kill -9 or a power loss, once each.
// Without the WAL (the control) they are lost: the test can tell.
func TestFramesOnlyInTheBufferSurviveACrash(t *testing.T) {
	for _, tc := range []struct {
		name    string
		lose    loseTail
		keepWAL bool
	}{
		{name: "kill -9", lose: keepTail, keepWAL: true},
		{name: "power loss, tails cut", lose: cutTail, keepWAL: true},
		{name: "power loss, tails zeroed", lose: zeroTail, keepWAL: true},
		{name: "kill -9 without the WAL", lose: keepTail, keepWAL: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openSpool(t, dir)
			var acked []string
			acked = append(acked, appendBig(t, s, "p0", "synced", 10)...)
			checkpointNow(t, s)
			for i := range 3 {
				acked = append(acked, appendBig(t, s, "p0", fmt.Sprint(i), 50)...)
			}
			acked = append(acked, appendBig(t, s, "p1", "a", 5)...)
			buffered, inFile := batchState(t, s, "p0")
			require.NotZero(t, buffered, "p0's last call waits in memory")
			require.Greater(t, inFile, int64(10*1000), "p0's earlier calls are in its file")
			buffered, inFile = batchState(t, s, "p1")
			require.NotZero(t, buffered)
			require.Zero(t, inFile, "p1's frames are only in memory")

			found := storedCounts(t, openSpool(t, powerLossCopy(t, s, dir, tc.lose, tc.keepWAL)), "p0", "p1")
			if !tc.keepWAL {
				assert.Less(t, len(found), len(acked), "without the WAL, what waited in memory is lost")
				return
			}
			want := map[string]int{}
			for _, line := range acked {
				want[line] = 1
			}
			assert.Equal(t, want, found)
		})
	}
}

// TestSealReadsBufferedFrames: a sealed batch holds every frame, in order, whether it was in
// the file, in the write buffer, or some of each.
func TestSealReadsBufferedFrames(t *testing.T) {
	for _, tc := range []struct {
		name         string
		calls        int
		wantBuffered bool
		wantInFile   bool
	}{
		{name: "buffer only", calls: 2, wantBuffered: true},
		{name: "file and buffer", calls: 3, wantBuffered: true, wantInFile: true},
		{name: "file only", calls: 0, wantInFile: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openSpool(t, t.TempDir())
			var want []string
			if tc.calls == 0 {
				want = appendBig(t, s, "p0", "x", 200) // more than a buffer: written through
			}
			for i := range tc.calls {
				want = append(want, appendBig(t, s, "p0", fmt.Sprint(i), 50)...)
			}
			buffered, inFile := batchState(t, s, "p0")
			require.Equal(t, tc.wantBuffered, buffered > 0)
			require.Equal(t, tc.wantInFile, inFile > 0)

			sb, err := s.Seal("p0", t0, joinLines)
			require.NoError(t, err)
			assert.Equal(t, len(want), sb.Records)
			body, err := sb.Body()
			require.NoError(t, err)
			assert.Equal(t, want, strings.Fields(string(body)))
		})
	}
}

// TestCheckpointWritesBuffers: a checkpoint writes every buffer out before it syncs the batch
// files and empties the WAL, so that what was acknowledged is in the synced files.
func TestCheckpointWritesBuffers(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir)
	acked := ackedRecords(t, s, "a", "p0", "p1")
	buffered, _ := batchState(t, s, "p0")
	require.NotZero(t, buffered)

	checkpointNow(t, s)
	for _, part := range []string{"p0", "p1"} {
		buffered, inFile := batchState(t, s, part)
		info, _ := s.OpenBatch(part)
		assert.Zero(t, buffered, part)
		assert.Equal(t, info.Bytes, inFile, part)
		assert.Equal(t, info.Bytes, s.parts[part].open.synced, part)
	}
	st, err := os.Stat(filepath.Join(dir, walName))
	require.NoError(t, err)
	assert.Zero(t, st.Size(), "the WAL is emptied")

	found := storedCounts(t, openSpool(t, powerLossCopy(t, s, dir, cutTail, false)), "p0", "p1")
	assert.ElementsMatch(t, payloads(acked...), slices.Collect(maps.Keys(found)), "the synced files hold every acknowledged record")
}

// TestNoSyncWritesThrough: with NoSync there is no WAL to bring back what is only in memory,
// so every call writes its frames to the batch files at once, and a kill -9 loses none.
func TestNoSyncWritesThrough(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir, NoSync: true})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	var fw failingWrites
	s.writeBatch = fw.write
	var acked []string
	for i := range 3 {
		acked = append(acked, ackedRecords(t, s, fmt.Sprint(i), "p0", "p1")...)
		for _, part := range []string{"p0", "p1"} {
			buffered, inFile := batchState(t, s, part)
			info, _ := s.OpenBatch(part)
			assert.Zero(t, buffered)
			assert.Equal(t, info.Bytes, inFile)
		}
	}
	assert.Equal(t, int32(6), fw.writes.Load(), "one write per call and partition")

	found := storedCounts(t, openSpool(t, powerLossCopy(t, s, dir, keepTail, false)), "p0", "p1")
	assert.ElementsMatch(t, payloads(acked...), slices.Collect(maps.Keys(found)))
}

// TestBufferBudget: the write buffers of all partitions together stay within the budget; the
// batches that find none write straight through, and nothing is lost either way.
func TestBufferBudget(t *testing.T) {
	assert.Equal(t, batchBufferBudget/batchBufferBytes, openSpool(t, t.TempDir()).buffers.limit)

	s := openSpool(t, t.TempDir())
	const limit = 2
	s.buffers.limit = limit
	parts := []string{"p0", "p1", "p2", "p3", "p4"}
	want := map[string][]string{}
	for round := range 8 {
		for _, part := range parts {
			want[part] = append(want[part], appendBig(t, s, part, fmt.Sprint(round), 30)...)
		}
		withBuffer := 0
		for _, part := range parts {
			buffered, inFile := batchState(t, s, part)
			info, _ := s.OpenBatch(part)
			assert.Equal(t, info.Bytes, int64(buffered)+inFile, part)
			if buffered > 0 {
				withBuffer++
			}
		}
		assert.LessOrEqual(t, withBuffer, limit, "round %d", round)
		assert.LessOrEqual(t, s.buffers.made, limit, "round %d", round)
	}
	assert.Equal(t, limit, s.buffers.made, "the buffers are used")
	for _, part := range parts {
		assert.Equal(t, want[part], sealedLines(t, s, part), part)
	}
}

// TestFailedBatchWriteFailsOnlyItsCall: when writing a buffer out fails (refused, or torn
// halfway), only the call whose frames did not fit fails, having written nothing; the buffered
// frames of the calls before it, acknowledged, are kept, and the file is cut back to where it
// ended. The retried call succeeds, and every acknowledged record is stored once, after a
// crash too.
func TestFailedBatchWriteFailsOnlyItsCall(t *testing.T) {
	for _, torn := range []bool{false, true} {
		t.Run(fmt.Sprintf("torn=%v", torn), func(t *testing.T) {
			dir := t.TempDir()
			s := openSpool(t, dir)
			fw := &failingWrites{torn: torn}
			s.writeBatch = fw.write
			acked := appendBig(t, s, "p0", "a", 50)
			acked = append(acked, appendBig(t, s, "p0", "b", 50)...)
			before, _ := s.OpenBatch("p0")
			buffered, inFile := batchState(t, s, "p0")
			require.Zero(t, inFile)

			fw.armed.Store(true)
			recs := make([]Record, 50)
			for i := range recs {
				recs[i] = bigRec(fmt.Sprintf("p0-c-%d", i))
			}
			added, err := s.Append("p0", recs, t0)
			require.ErrorIs(t, err, errWriteRefused)
			require.NotErrorIs(t, err, ErrDiskFailed, "a failed write fails its call, not the spool")
			assert.Zero(t, added)
			after, _ := s.OpenBatch("p0")
			assert.Equal(t, before, after)
			bufferedAfter, inFileAfter := batchState(t, s, "p0")
			assert.Equal(t, buffered, bufferedAfter, "the buffered frames are kept")
			assert.Zero(t, inFileAfter, "the torn write is cut off")

			fw.armed.Store(false)
			added, err = s.Append("p0", recs, t0)
			require.NoError(t, err)
			assert.Equal(t, 50, added, "the failed call's ids were taken back")
			for _, r := range recs {
				acked = append(acked, string(r.Payload))
			}
			want := map[string]int{}
			for _, line := range acked {
				want[line] = 1
			}
			assert.Equal(t, want, storedCounts(t, openSpool(t, powerLossCopy(t, s, dir, keepTail, true)), "p0"), "after a crash")
			assert.Equal(t, acked, sealedLines(t, s, "p0"), "sealed in order")
		})
	}
}

// TestFailedCheckpointWriteKeepsTheLog: a checkpoint that cannot write a buffer out empties
// no WAL and does not stop the spool; calls go on, and the next checkpoint writes the buffer.
func TestFailedCheckpointWriteKeepsTheLog(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir)
	fw := &failingWrites{torn: true}
	s.writeBatch = fw.write
	acked := ackedRecords(t, s, "a", "p0", "p1")

	fw.armed.Store(true)
	s.appending.Lock()
	err := s.checkpoint()
	s.appending.Unlock()
	require.ErrorIs(t, err, errWriteRefused)
	require.NotErrorIs(t, err, ErrDiskFailed)
	st, err := os.Stat(filepath.Join(dir, walName))
	require.NoError(t, err)
	assert.Positive(t, st.Size(), "the WAL is kept")

	fw.armed.Store(false)
	acked = append(acked, ackedRecords(t, s, "b", "p0", "p1")...)
	checkpointNow(t, s)
	st, err = os.Stat(filepath.Join(dir, walName))
	require.NoError(t, err)
	assert.Zero(t, st.Size())
	found := storedCounts(t, openSpool(t, powerLossCopy(t, s, dir, cutTail, false)), "p0", "p1")
	want := map[string]int{}
	for _, id := range acked {
		want[string(rec(id).Payload)] = 1
	}
	assert.Equal(t, want, found)
}

// TestFailedSyncCutsFramesWhereverTheyWait: the frames of calls whose WAL sync failed are cut
// off whether they wait in the write buffer, were written to the file (a call larger than a
// buffer, or a buffer written out by the next call), or some of each.
func TestFailedSyncCutsFramesWhereverTheyWait(t *testing.T) {
	for _, tc := range []struct {
		name string
		// failing are the sizes of the calls that fail together, in big records.
		failing      []int
		wantBuffered bool // some of the failed frames wait in the buffer
		wantInFile   bool // some reached the file
	}{
		{name: "in the buffer", failing: []int{50}, wantBuffered: true},
		{name: "in the file", failing: []int{150}, wantInFile: true},
		{name: "in both", failing: []int{50, 50}, wantBuffered: true, wantInFile: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openSpool(t, t.TempDir())
			kept := appendBig(t, s, "p0", "kept", 50)
			before, _ := s.OpenBatch("p0")
			gate := gateSync(s)
			var results []<-chan appendResult
			for i, n := range tc.failing {
				recs := make([]Record, n)
				for j := range recs {
					recs[j] = bigRec(fmt.Sprintf("p0-failed%d-%d", i, j))
				}
				results = append(results, appendAsync(s, "p0", recs...))
				if i == 0 {
					<-gate.entered
				}
			}
			waitPending(t, s, "p0", len(tc.failing))
			buffered, inFile := batchState(t, s, "p0")
			require.Equal(t, tc.wantBuffered, buffered > 0)
			require.Equal(t, tc.wantInFile, inFile > before.Bytes)

			fire := errors.New("disk on fire")
			gate.release <- fire
			for _, c := range results {
				r := <-c
				require.ErrorIs(t, r.err, fire)
			}
			after, _ := s.OpenBatch("p0")
			assert.Equal(t, before, after)
			buffered, inFile = batchState(t, s, "p0")
			assert.Equal(t, before.Bytes, int64(buffered)+inFile, "the batch ends after the kept frames")
			assert.Equal(t, kept, sealedLines(t, s, "p0"))
		})
	}
}

// A batch file that refuses the writes of its buffer keeps the WAL at checkpoints; the spool
// goes on, tries again only at every further limit of WAL (not at every call), refuses appends
// past walMaxLimits limits naming the failing write, and takes them again, with everything
// acknowledged kept, once the file takes writes.
func TestUnwritableBufferStallsCheckpointsBoundedly(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir)
	s.wal.limit = 256 << 10
	var refusing atomic.Bool
	var attempts atomic.Int64
	refusing.Store(true)
	s.writeBatch = func(f *os.File, data []byte) (int, error) {
		if strings.Contains(f.Name(), string(filepath.Separator)+"bad"+string(filepath.Separator)) && refusing.Load() {
			attempts.Add(1)
			return 0, errWriteRefused
		}
		return f.Write(data)
	}
	want := appendBig(t, s, "bad", "a", 10) // fits in the buffer: acknowledged
	var good []string
	var full error
	for i := 0; full == nil; i++ {
		require.Less(t, i, 500, "appends never refused")
		recs := make([]Record, 20)
		for j := range recs {
			recs[j] = bigRec(fmt.Sprintf("good-%d-%d", i, j))
		}
		_, err := s.Append("good", recs, t0)
		if err != nil {
			full = err
			break
		}
		for _, r := range recs {
			good = append(good, string(r.Payload))
		}
	}
	require.ErrorIs(t, full, ErrFull)
	assert.Contains(t, full.Error(), errWriteRefused.Error(), "the refusal names the write that fails")
	assert.NoError(t, s.diskFailure(), "a refused write does not stop the spool")
	// One checkpoint at the limit and one at each further limit, up to walMaxLimits.
	assert.LessOrEqual(t, attempts.Load(), int64(walMaxLimits), "checkpoints retried at every call")

	refusing.Store(false)
	checkpointNow(t, s)
	more := appendBig(t, s, "good", "after", 5)
	require.NoError(t, s.Close())
	s = openSpool(t, dir)
	assert.ElementsMatch(t, want, sealedLines(t, s, "bad"))
	assert.ElementsMatch(t, append(good, more...), sealedLines(t, s, "good"))
}
