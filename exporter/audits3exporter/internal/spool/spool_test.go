package spool

import (
	"bufio"
	"fmt"
	"iter"
	"os"
	"os/exec"
	"strconv"
	"strings"
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
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillNineLosesNothing$")
		cmd.Env = append(os.Environ(), "SPOOL_CHILD_DIR="+dir)
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		acked := map[string]bool{}
		sc := bufio.NewScanner(out)
		limit := 300 + round*250
		for sc.Scan() && len(acked) < limit {
			if id, ok := strings.CutPrefix(sc.Text(), "acked "); ok {
				acked[id] = true
			}
		}
		require.NoError(t, cmd.Process.Kill())
		_ = cmd.Wait()
		require.GreaterOrEqual(t, len(acked), limit, "the child stopped early")

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
