package spool

import (
	"bufio"
	"errors"
	"fmt"
	"iter"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 11, 22, 2, 30, 0, 0, time.UTC)

func rec(id string) Record {
	return Record{ID: id, EventTime: t0, Payload: []byte(`{"eventId":"` + id + `"}`)}
}

// joinLines is a Builder that writes one payload per line.
func joinLines(_ BatchInfo, payloads iter.Seq[[]byte]) ([]byte, map[string]string, error) {
	var body []byte
	for p := range payloads {
		body = append(append(body, p...), '\n')
	}
	return body, map[string]string{"content_type": "application/x-ndjson"}, nil
}

func openSpool(t *testing.T, dir string) *Spool {
	t.Helper()
	s, err := Open(Options{Dir: dir, MaxBytes: 1 << 30})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestAppendSealDeliver(t *testing.T) {
	s := openSpool(t, t.TempDir())
	added, err := s.Append("acme", []Record{rec("a"), rec("b")}, t0)
	require.NoError(t, err)
	assert.Equal(t, 2, added)
	_, err = s.Append("globex", []Record{rec("c")}, t0)
	require.NoError(t, err)
	require.Len(t, s.OpenBatches(), 2)
	assert.Equal(t, 2, s.OpenBatches()[0].Records)

	sb, err := s.Seal("acme", t0.Add(time.Minute), joinLines)
	require.NoError(t, err)
	require.NotNil(t, sb)
	assert.Equal(t, 2, sb.Records)
	assert.Equal(t, "application/x-ndjson", sb.Labels["content_type"])
	body, err := sb.Body()
	require.NoError(t, err)
	assert.Equal(t, "{\"eventId\":\"a\"}\n{\"eventId\":\"b\"}\n", string(body))
	require.Len(t, s.Pending("acme"), 1)
	require.Len(t, s.OpenBatches(), 1, "acme has no open batch after sealing")

	none, err := s.Seal("acme", t0, joinLines)
	require.NoError(t, err)
	assert.Nil(t, none, "nothing to seal")

	require.NoError(t, s.Delivered(sb))
	assert.Empty(t, s.Pending("acme"))
	_, err = s.Seal("globex", t0, joinLines)
	require.NoError(t, err)
	require.NoError(t, s.Delivered(s.Pending("globex")[0]))
	assert.Zero(t, s.Bytes(), "everything delivered, nothing held")
}

func TestAppendSkipsRedeliveries(t *testing.T) {
	s := openSpool(t, t.TempDir())
	added, err := s.Append("acme", []Record{rec("a"), rec("b"), rec("a")}, t0)
	require.NoError(t, err)
	assert.Equal(t, 2, added, "a duplicate inside one append")
	added, err = s.Append("acme", []Record{rec("b"), rec("c")}, t0)
	require.NoError(t, err)
	assert.Equal(t, 1, added, "a duplicate of the open batch")
	_, err = s.Seal("acme", t0, joinLines)
	require.NoError(t, err)
	added, err = s.Append("acme", []Record{rec("c"), rec("d")}, t0)
	require.NoError(t, err)
	assert.Equal(t, 1, added, "a duplicate of the batch sealed last")
	added, err = s.Append("acme", []Record{{Payload: []byte("x")}, {Payload: []byte("y")}}, t0)
	require.NoError(t, err)
	assert.Equal(t, 2, added, "records without ids are never taken for duplicates")

	// While running, only the batch sealed last is remembered besides the open one.
	_, err = s.Seal("acme", t0, joinLines)
	require.NoError(t, err)
	added, err = s.Append("acme", []Record{rec("a")}, t0)
	require.NoError(t, err)
	assert.Equal(t, 1, added, "ids of older batches are let go while running")
}

// TestRestartRemembersWhatWasOnDisk: a persistent queue replays after a restart, possibly after
// many new batches; everything found on disk at start, including the ids of batches delivered
// just before, is recognised for the window.
func TestRestartRemembersWhatWasOnDisk(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir)
	_, err := s.Append("acme", []Record{rec("sealed")}, t0)
	require.NoError(t, err)
	_, err = s.Seal("acme", t0, joinLines)
	require.NoError(t, err)
	_, err = s.Append("acme", []Record{rec("delivered")}, t0)
	require.NoError(t, err)
	sb, err := s.Seal("acme", t0, joinLines)
	require.NoError(t, err)
	require.NoError(t, s.Delivered(sb), "delivered just before the crash: only its ids remain")
	_, err = s.Append("acme", []Record{rec("open")}, t0)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	s2 := openSpool(t, dir)
	now := time.Now()
	for i := 0; i < 5; i++ { // many batches after the restart
		_, err = s2.Seal("acme", now, joinLines)
		require.NoError(t, err)
		_, err = s2.Append("acme", []Record{rec("new-" + strconv.Itoa(i))}, now)
		require.NoError(t, err)
	}
	added, err := s2.Append("acme", []Record{rec("delivered"), rec("sealed"), rec("open")}, now)
	require.NoError(t, err)
	assert.Zero(t, added, "what the previous run held is recognised")
	_, err = s2.Seal("acme", now.Add(recoveredWindow+time.Second), joinLines)
	require.NoError(t, err)
	added, err = s2.Append("acme", []Record{rec("sealed")}, now.Add(recoveredWindow+time.Second))
	require.NoError(t, err)
	assert.Equal(t, 1, added, "past the window, it is let go")
}

func TestAppendRefusesWhenFull(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir(), MaxBytes: 200})
	require.NoError(t, err)
	defer s.Close()
	_, err = s.Append("acme", []Record{rec("a")}, t0)
	require.NoError(t, err)
	_, err = s.Append("acme", []Record{rec("b"), rec("c"), rec("d"), rec("e")}, t0)
	require.ErrorIs(t, err, ErrFull)
	assert.Equal(t, 1, s.OpenBatches()[0].Records, "a refused append adds nothing")
}

// TestAppendAllRefusesAWholeCallWhenFull: a call that would fill the spool is refused whole,
// not partition by partition: its caller resends all of it, and partitions written the first
// time would take their records again (under new ids, when a receiver made them).
func TestAppendAllRefusesAWholeCallWhenFull(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir(), MaxBytes: 300})
	require.NoError(t, err)
	defer s.Close()
	small := []Record{rec("a")}
	var big []Record
	for _, id := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		big = append(big, rec(id))
	}
	added, err := s.AppendAll([]Batch{{Partition: "aaa", Records: small}, {Partition: "zzz", Records: big}}, t0)
	require.ErrorIs(t, err, ErrFull)
	assert.Equal(t, []int{0, 0}, added)
	assert.Empty(t, s.OpenBatches(), "the partition that would have fitted took nothing either")
	assert.Zero(t, s.Bytes())

	added, err = s.AppendAll([]Batch{{Partition: "aaa", Records: small}}, t0)
	require.NoError(t, err, "what fits is taken")
	assert.Equal(t, []int{1}, added)
}

func TestAppendRefusesRecordsTooLargeToFrame(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir()})
	require.NoError(t, err)
	defer s.Close()
	huge := Record{ID: "big", EventTime: t0, Payload: make([]byte, maxFrameBytes)}
	_, err = s.AppendAll([]Batch{{Partition: "acme", Records: []Record{rec("a")}}, {Partition: "zeta", Records: []Record{huge}}}, t0)
	require.ErrorIs(t, err, ErrRecordTooLarge)
	assert.Empty(t, s.OpenBatches(), "nothing of the call is written, the other partition's records neither")
	_, err = s.Append("acme", []Record{{ID: "edge", EventTime: t0, Payload: make([]byte, maxFrameBytes-1-len("edge"))}}, t0)
	require.NoError(t, err, "the largest record a frame holds is taken")
}

func TestAppendRefusesUnsafePartitions(t *testing.T) {
	s := openSpool(t, t.TempDir())
	for _, bad := range []string{"", ".", "..", "a/b", `a\b`, "../x"} {
		_, err := s.Append(bad, []Record{rec("a")}, t0)
		assert.Error(t, err, bad)
	}
}

func TestRecoveryAfterRestart(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir)
	_, err := s.Append("acme", []Record{rec("a"), rec("b")}, t0)
	require.NoError(t, err)
	_, err = s.Seal("acme", t0.Add(time.Second), joinLines)
	require.NoError(t, err)
	_, err = s.Append("acme", []Record{rec("c")}, t0)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	s2 := openSpool(t, dir)
	assert.Equal(t, Recovery{OpenBatches: 1, OpenRecords: 1, SealedBatches: 1}, s2.Recovered(),
		"a clean stop leaves the log empty and nothing torn")
	assert.False(t, s2.Recovered().Cut())
	require.Len(t, s2.Pending("acme"), 1)
	require.Len(t, s2.OpenBatches(), 1)
	assert.Equal(t, 1, s2.OpenBatches()[0].Records)
	assert.Equal(t, s.Bytes(), s2.Bytes())
	added, err := s2.Append("acme", []Record{rec("a"), rec("c"), rec("d")}, t0)
	require.NoError(t, err)
	assert.Equal(t, 1, added, "ids of the open batch and of the newest sealed one survive a restart")
}

func TestRecoveryCutsTornTail(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir)
	_, err := s.Append("acme", []Record{rec("a"), rec("b")}, t0)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	path := s.parts["acme"].open.path
	whole, err := os.ReadFile(path)
	require.NoError(t, err)

	for cut := 1; cut < 40; cut += 3 {
		// A crash in the middle of the next append leaves a torn frame behind.
		torn := appendFrame(nil, rec("c"))
		require.NoError(t, os.WriteFile(path, append(append([]byte{}, whole...), torn[:cut]...), 0o600))
		s2, err := Open(Options{Dir: dir})
		require.NoError(t, err)
		assert.Equal(t, 2, s2.OpenBatches()[0].Records, "cut at %d", cut)
		assert.Equal(t, Recovery{OpenBatches: 1, OpenRecords: 2, TornBytes: int64(cut)}, s2.Recovered(), "cut at %d", cut)
		assert.True(t, s2.Recovered().Cut())
		sb, err := s2.Seal("acme", t0, joinLines)
		require.NoError(t, err)
		body, err := sb.Body()
		require.NoError(t, err)
		assert.Equal(t, "{\"eventId\":\"a\"}\n{\"eventId\":\"b\"}\n", string(body))
		// Undo the seal for the next round.
		require.NoError(t, s2.Delivered(sb))
		require.NoError(t, s2.Close())
		require.NoError(t, os.WriteFile(path, whole, 0o600))
	}
}

func TestRecoveryFinishesInterruptedSeal(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir)
	_, err := s.Append("acme", []Record{rec("a")}, t0)
	require.NoError(t, err)
	openPath := s.parts["acme"].open.path
	openBytes, err := os.ReadFile(openPath)
	require.NoError(t, err)
	sb, err := s.Seal("acme", t0, joinLines)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	// Crash after the sealed file was renamed into place but before the open batch was removed.
	require.NoError(t, os.WriteFile(openPath, openBytes, 0o600))
	// And a crash in the middle of writing another seal.
	require.NoError(t, os.WriteFile(sb.path+".tmp", []byte("partial"), 0o600))

	s2 := openSpool(t, dir)
	assert.Empty(t, s2.OpenBatches(), "the open batch of a finished seal is removed")
	require.Len(t, s2.Pending("acme"), 1, "the batch is delivered once, not twice")
	_, err = os.Stat(sb.path + ".tmp")
	assert.True(t, os.IsNotExist(err), "an interrupted seal's temporary file is removed")
}

// TestKillNineLosesNothing appends from a child process that is killed with SIGKILL at a random
// moment while appending and sealing; every id whose Append returned must be in the spool
// afterwards, exactly once.
func TestKillNineLosesNothing(t *testing.T) {
	if os.Getenv("SPOOL_CHILD_DIR") != "" {
		spoolChild(os.Getenv("SPOOL_CHILD_DIR"))
		return
	}
	for round := 0; round < 3; round++ {
		dir := t.TempDir()
		acked := killChildAfterAcks(t, "TestKillNineLosesNothing", "SPOOL_CHILD_DIR", dir, 300+round*250)

		s, err := Open(Options{Dir: dir})
		require.NoError(t, err)
		found := map[string]int{}
		for _, sb := range s.Pending("acme") {
			body, err := sb.Body()
			require.NoError(t, err)
			for _, line := range strings.Fields(string(body)) {
				found[line]++
			}
		}
		if _, err := s.Seal("acme", time.Now(), joinLines); err != nil {
			t.Fatal(err)
		}
		ps := s.Pending("acme")
		if len(ps) > 0 {
			body, err := ps[len(ps)-1].Body()
			require.NoError(t, err)
			for _, line := range strings.Fields(string(body)) {
				found[line]++
			}
		}
		for id := range acked {
			assert.Equal(t, 1, found[`{"eventId":"`+id+`"}`], "acknowledged record %s", id)
		}
		for line, n := range found {
			assert.Equal(t, 1, n, "record %s stored %d times", line, n)
		}
		require.NoError(t, s.Close())
	}
}

func spoolChild(dir string) {
	s, err := Open(Options{Dir: dir})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	for i := 0; ; i++ {
		batch := []Record{rec(strconv.Itoa(2 * i)), rec(strconv.Itoa(2*i + 1))}
		if _, err := s.Append("acme", batch, time.Now()); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Printf("acked %d\nacked %d\n", 2*i, 2*i+1)
		if i%37 == 36 {
			if _, err := s.Seal("acme", time.Now(), joinLines); err != nil {
				fmt.Println("error", err)
				os.Exit(1)
			}
		}
	}
}

func TestFramesRoundTrip(t *testing.T) {
	payloads := []string{"", "plain", "with\nnewlines\r\n,\"quotes\"", strings.Repeat("x", 5000)}
	var buf []byte
	for i, p := range payloads {
		buf = appendFrame(buf, Record{ID: strconv.Itoa(i), EventTime: t0.Add(time.Duration(i)), Payload: []byte(p)})
	}
	frames, n := parseFrames(buf)
	require.Equal(t, len(buf), n)
	require.Len(t, frames, len(payloads))
	for i, f := range frames {
		assert.Equal(t, payloads[i], string(f.payload))
		assert.Equal(t, strconv.Itoa(i), string(f.id))
		assert.True(t, t0.Add(time.Duration(i)).Equal(f.eventTime))
	}
}

// syncGate makes the first sync of the WAL wait until released, and fail with what it is
// released with.
type syncGate struct {
	syncs   atomic.Int32
	entered chan struct{}
	release chan error
}

func gateSync(s *Spool) *syncGate {
	g := &syncGate{entered: make(chan struct{}), release: make(chan error)}
	s.wal.sync = func(f *os.File) error {
		if g.syncs.Add(1) == 1 {
			close(g.entered)
			if err := <-g.release; err != nil {
				return err
			}
		}
		return f.Sync()
	}
	return g
}

type appendResult struct {
	added int
	err   error
}

func appendAsync(s *Spool, part string, recs ...Record) <-chan appendResult {
	c := make(chan appendResult, 1)
	go func() {
		n, err := s.Append(part, recs, t0)
		c <- appendResult{n, err}
	}()
	return c
}

// waitPending waits until n writes to part's open batch wait for a sync (or run it).
func waitPending(t *testing.T, s *Spool, part string, n int) {
	t.Helper()
	p := s.partition(part)
	require.Eventually(t, func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.open != nil && len(p.open.pending) == n
	}, 10*time.Second, time.Millisecond)
}

// sealedLines seals part and returns the lines of every sealed batch's body.
func sealedLines(t *testing.T, s *Spool, part string) []string {
	t.Helper()
	_, err := s.Seal(part, t0, joinLines)
	require.NoError(t, err)
	var lines []string
	for _, sb := range s.Pending(part) {
		body, err := sb.Body()
		require.NoError(t, err)
		lines = append(lines, strings.Fields(string(body))...)
	}
	return lines
}

func payloads(ids ...string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(rec(id).Payload)
	}
	return out
}

// TestConcurrentAppendsShareSyncs: calls that write while a sync runs all wait for the next
// one, which covers them together.
func TestConcurrentAppendsShareSyncs(t *testing.T) {
	s := openSpool(t, t.TempDir())
	gate := gateSync(s)
	first := appendAsync(s, "acme", rec("a"))
	<-gate.entered
	second, third := appendAsync(s, "acme", rec("b")), appendAsync(s, "acme", rec("c"), rec("a"))
	waitPending(t, s, "acme", 3)
	info, _ := s.OpenBatch("acme")
	assert.Zero(t, info.Records, "nothing is counted before it is synced")
	gate.release <- nil
	for _, c := range []<-chan appendResult{first, second, third} {
		r := <-c
		require.NoError(t, r.err)
		assert.Equal(t, 1, r.added)
	}
	assert.Equal(t, int32(2), gate.syncs.Load(), "one sync for the first call, one for the two after it")
	info, _ = s.OpenBatch("acme")
	assert.Equal(t, 3, info.Records)
	assert.ElementsMatch(t, payloads("a", "b", "c"), sealedLines(t, s, "acme"))
}

// TestFailedSyncCutsEveryFrameWaiting: when a sync fails, the frames it covered and the ones
// written after them are cut off, their calls fail, and their ids are taken back; so does a
// call that skipped an id of theirs, since it was not stored after all.
func TestFailedSyncCutsEveryFrameWaiting(t *testing.T) {
	s := openSpool(t, t.TempDir())
	_, err := s.Append("acme", []Record{rec("kept")}, t0)
	require.NoError(t, err)
	before, _ := s.OpenBatch("acme")
	held := s.Bytes()

	gate := gateSync(s)
	covered := appendAsync(s, "acme", rec("a"), rec("x"))
	<-gate.entered
	later := appendAsync(s, "acme", rec("b"))
	skipping := appendAsync(s, "acme", rec("x"), rec("kept"))
	waitPending(t, s, "acme", 3)
	fire := errors.New("disk on fire")
	gate.release <- fire
	for _, c := range []<-chan appendResult{covered, later, skipping} {
		r := <-c
		require.ErrorIs(t, r.err, fire)
		assert.Zero(t, r.added)
	}

	after, _ := s.OpenBatch("acme")
	assert.Equal(t, before, after, "the batch counts what it did before")
	assert.Equal(t, held, s.Bytes())
	checkpointNow(t, s) // writes out what waits in memory
	st, err := os.Stat(s.parts["acme"].open.path)
	require.NoError(t, err)
	assert.Equal(t, before.Bytes, st.Size(), "the file is cut back")

	added, err := s.Append("acme", []Record{rec("a"), rec("x"), rec("b"), rec("kept")}, t0)
	require.NoError(t, err)
	assert.Equal(t, 3, added, "the ids of the cut frames are taken back")
	assert.ElementsMatch(t, payloads("kept", "a", "x", "b"), sealedLines(t, s, "acme"))
}

// TestSealOfAnEmptyBatch: a batch whose every frame was cut off is dropped, not sealed.
func TestSealOfAnEmptyBatch(t *testing.T) {
	s := openSpool(t, t.TempDir())
	fire := errors.New("disk on fire")
	failed := false
	s.wal.sync = func(f *os.File) error {
		if !failed { // the append's sync; that of the log's cut succeeds
			failed = true
			return fire
		}
		return f.Sync()
	}
	_, err := s.Append("acme", []Record{rec("a")}, t0)
	require.ErrorIs(t, err, fire)
	info, ok := s.OpenBatch("acme")
	require.True(t, ok)
	assert.Zero(t, info.Records)
	path := s.parts["acme"].open.path

	sb, err := s.Seal("acme", t0, joinLines)
	require.NoError(t, err)
	assert.Nil(t, sb)
	assert.Empty(t, s.OpenBatches())
	_, err = os.Stat(path)
	assert.True(t, os.IsNotExist(err), "the empty batch file is removed")
	added, err := s.Append("acme", []Record{rec("a")}, t0)
	require.NoError(t, err)
	assert.Equal(t, 1, added)
}

// TestSealAndCloseTakeFramesWaitingForASync: frames written before a seal or a close are synced
// and kept by it, and their calls succeed.
func TestSealAndCloseTakeFramesWaitingForASync(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(t *testing.T, s *Spool)
	}{
		{name: "seal", end: func(t *testing.T, s *Spool) {
			sb, err := s.Seal("acme", t0, joinLines)
			require.NoError(t, err)
			assert.Equal(t, 2, sb.Records)
		}},
		{name: "close", end: func(t *testing.T, s *Spool) {
			require.NoError(t, s.Close())
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openSpool(t, dir)
			gate := gateSync(s)
			first := appendAsync(s, "acme", rec("a"))
			<-gate.entered
			second := appendAsync(s, "acme", rec("b"))
			waitPending(t, s, "acme", 2)
			ended := make(chan struct{})
			go func() {
				tc.end(t, s)
				close(ended)
			}()
			time.Sleep(10 * time.Millisecond) // let it wait for the sync
			gate.release <- nil
			<-ended
			for _, c := range []<-chan appendResult{first, second} {
				r := <-c
				require.NoError(t, r.err)
				assert.Equal(t, 1, r.added)
			}
			require.NoError(t, s.Close())
			assert.ElementsMatch(t, payloads("a", "b"), sealedLines(t, openSpool(t, dir), "acme"))
		})
	}
}

// TestConcurrentAppendsAndSeals runs calls over overlapping partitions with shared ids, seals
// meanwhile, and syncs that fail now and then (run it with -race). Every record of a call that
// succeeded must be stored, none twice in a batch, and nothing of a call that failed.
func TestConcurrentAppendsAndSeals(t *testing.T) {
	s := openSpool(t, t.TempDir())
	var syncs atomic.Int32
	fire := errors.New("disk on fire")
	s.wal.sync = func(f *os.File) error {
		if syncs.Add(1)%7 == 0 {
			return fire
		}
		return f.Sync()
	}
	parts := []string{"p0", "p1", "p2", "p3"}
	const workers, calls = 6, 40
	var mu sync.Mutex
	added := map[string]int{}                // records added by the calls that succeeded, by partition
	mustHave := map[string]map[string]bool{} // payloads of the calls that succeeded
	failed := map[string]bool{}              // unique payloads of failed calls
	for _, p := range parts {
		mustHave[p] = map[string]bool{}
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for c := range calls {
				var batches []Batch
				for i, p := range parts {
					if (w+c+i)%3 == 0 {
						continue
					}
					unique := fmt.Sprintf("%s-w%d-c%d", p, w, c)
					shared := fmt.Sprintf("%s-shared-%d", p, (w*7+c)%5)
					batches = append(batches, Batch{Partition: p, Records: []Record{rec(unique), rec(shared), rec(unique)}})
				}
				n, err := s.AppendAll(batches, t0)
				mu.Lock()
				for i, b := range batches {
					if n[i] == 0 { // the unique id is new: only a failure adds nothing
						assert.ErrorIs(t, err, fire)
						failed[string(b.Records[0].Payload)] = true
						continue
					}
					added[b.Partition] += n[i]
					for _, r := range b.Records {
						mustHave[b.Partition][string(r.Payload)] = true
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Go(func() {
		for range calls {
			for _, p := range parts {
				_, err := s.Seal(p, t0, joinLines)
				assert.NoError(t, err)
			}
			time.Sleep(time.Millisecond)
		}
	})
	wg.Wait()
	require.NotEmpty(t, failed, "some syncs failed")
	for _, p := range parts {
		_, err := s.Seal(p, t0, joinLines)
		require.NoError(t, err)
		stored := map[string]bool{}
		total := 0
		for _, sb := range s.Pending(p) {
			body, err := sb.Body()
			require.NoError(t, err)
			lines := strings.Fields(string(body))
			assert.Equal(t, sb.Records, len(lines))
			total += len(lines)
			inBatch := map[string]bool{}
			for _, l := range lines {
				assert.False(t, inBatch[l], "%s twice in a batch of %s", l, p)
				inBatch[l] = true
				stored[l] = true
				assert.False(t, failed[l], "%s of a failed call stored", l)
			}
		}
		assert.Equal(t, added[p], total, "%s stores what the calls added", p)
		for l := range mustHave[p] {
			assert.True(t, stored[l], "%s of %s lost", l, p)
		}
	}
}

// TestRecoveryFoldsASecondOpenBatch: two open batches of one partition, left by an earlier
// crash, become one; a record that has an id is kept once, and every record without one is kept.
func TestRecoveryFoldsASecondOpenBatch(t *testing.T) {
	dir := t.TempDir()
	partDir := dir + "/open/acme"
	require.NoError(t, os.MkdirAll(partDir, 0o700))
	noID := func(payload string) Record { return Record{EventTime: t0, Payload: []byte(payload)} }
	for i, recs := range [][]Record{
		{rec("a"), noID("x"), rec("b")},
		{rec("b"), noID("y"), rec("c"), noID("x")},
	} {
		var data []byte
		for _, r := range recs {
			data = appendFrame(data, r)
		}
		name := fmt.Sprintf("%019d-0000000%d.batch", t0.UnixNano()+int64(i), i)
		require.NoError(t, os.WriteFile(partDir+"/"+name, data, 0o600))
	}

	s := openSpool(t, dir)
	info, ok := s.OpenBatch("acme")
	require.True(t, ok)
	assert.Equal(t, 6, info.Records)
	assert.Equal(t, Recovery{OpenBatches: 1, OpenRecords: 6}, s.Recovered(), "the folded batch's records count, its duplicate id not")
	files, err := os.ReadDir(partDir)
	require.NoError(t, err)
	assert.Len(t, files, 1, "the second batch is folded into the first")
	added, err := s.Append("acme", []Record{rec("a"), rec("b"), rec("c"), noID("z")}, t0)
	require.NoError(t, err)
	assert.Equal(t, 1, added, "the ids of both batches are remembered")
	assert.Equal(t, []string{`{"eventId":"a"}`, "x", `{"eventId":"b"}`, "y", `{"eventId":"c"}`, "x", "z"}, sealedLines(t, s, "acme"))
}

// killChildAfterAcks runs test in a child process that spools into dir (named by env), reads
// the ids it prints as acknowledged, and kills it with SIGKILL once limit of them came.
func killChildAfterAcks(t *testing.T, test, env, dir string, limit int) map[string]bool {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(os.Environ(), env+"="+dir)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	acked := map[string]bool{}
	sc := bufio.NewScanner(out)
	for sc.Scan() && len(acked) < limit {
		if id, ok := strings.CutPrefix(sc.Text(), "acked "); ok {
			acked[id] = true
		}
	}
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	require.GreaterOrEqual(t, len(acked), limit, "the child stopped early")
	return acked
}

// TestKillNineLosesNothingConcurrently is TestKillNineLosesNothing with concurrent calls over
// several partitions, which share their syncs, and seals meanwhile.
func TestKillNineLosesNothingConcurrently(t *testing.T) {
	if dir := os.Getenv("SPOOL_CONCURRENT_CHILD_DIR"); dir != "" {
		concurrentSpoolChild(dir)
		return
	}
	parts := []string{"p0", "p1", "p2"}
	for round := 0; round < 3; round++ {
		dir := t.TempDir()
		acked := killChildAfterAcks(t, "TestKillNineLosesNothingConcurrently", "SPOOL_CONCURRENT_CHILD_DIR", dir, 600+round*500)

		s, err := Open(Options{Dir: dir})
		require.NoError(t, err)
		found := map[string]int{}
		for _, p := range parts {
			for _, line := range sealedLines(t, s, p) {
				found[line]++
			}
		}
		for id := range acked {
			assert.Equal(t, 1, found[`{"eventId":"`+id+`"}`], "acknowledged record %s", id)
		}
		for line, n := range found {
			assert.Equal(t, 1, n, "record %s stored %d times", line, n)
		}
		require.NoError(t, s.Close())
	}
}

func concurrentSpoolChild(dir string) {
	s, err := Open(Options{Dir: dir})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	for w := range 4 {
		go func() {
			for i := 0; ; i++ {
				var batches []Batch
				var acks strings.Builder
				for _, p := range []string{"p0", "p1", "p2"} {
					id := fmt.Sprintf("%s-%d-%d", p, w, i)
					batches = append(batches, Batch{Partition: p, Records: []Record{rec(id + "a"), rec(id + "b")}})
					fmt.Fprintf(&acks, "acked %sa\nacked %sb\n", id, id)
				}
				if _, err := s.AppendAll(batches, time.Now()); err != nil {
					fmt.Println("error", err)
					os.Exit(1)
				}
				fmt.Print(acks.String())
			}
		}()
	}
	for i := 0; ; i++ {
		time.Sleep(3 * time.Millisecond)
		if _, err := s.Seal([]string{"p0", "p1", "p2"}[i%3], time.Now(), joinLines); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
	}
}

// TestOneSpoolPerDirectory: a second spool on a directory in use is refused before it recovers
// anything, and the directory is free again once the first is closed.
func TestOneSpoolPerDirectory(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no flock(2)")
	}
	dir := t.TempDir()
	first, err := Open(Options{Dir: dir})
	require.NoError(t, err)
	_, err = first.Append("acme", []Record{rec("a")}, t0)
	require.NoError(t, err)

	_, err = Open(Options{Dir: dir})
	require.ErrorIs(t, err, ErrInUse)
	assert.Contains(t, err.Error(), dir)
	assert.Equal(t, 1, first.OpenBatches()[0].Records, "the refused spool touched nothing")

	require.NoError(t, first.Close())
	second := openSpool(t, dir)
	assert.Equal(t, 1, second.OpenBatches()[0].Records)
}
