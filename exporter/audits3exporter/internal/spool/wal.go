package spool

import (
	"bufio"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// The write-ahead log (WAL) is what makes an append durable. A call adds its frames to the
// open batches of the partitions it touches (to their write buffers, or to their files without
// syncing them), and an entry per partition to the one WAL; one sync of the WAL then covers
// calls in flight together, however many partitions they wrote to. The batch files are synced
// only at checkpoints, after which the WAL starts empty again. After a crash, replaying the WAL
// writes every acknowledged frame back where it was, whatever the batch files lost.
//
// An entry is framed like a record in a batch file, with a text header, but with a checksum,
// since the WAL is read back after power losses that may leave a garbled tail:
//
//	W <body length> <CRC-32C of body>\n<body>
//
// and the body says where the frames were written:
//
//	<offset> <partition length> <batch id length>\n<partition><batch id><frames>

const walName = "wal"

// walCheckpointBytes is the WAL size past which a checkpoint syncs the batch files and empties
// the WAL. Smaller costs more syncs: a checkpoint syncs every batch file written since the one
// before, so at 64 MiB (about 140 pushes of 1,000 records of 400 bytes) its one sync per
// tenant adds up to a tenth of a sync per push for 20 tenants, and stays below one per push
// for 1,000 tenants. Larger costs disk (the WAL is not counted in Options.MaxBytes) and
// recovery time, since Open reads and writes back the whole WAL.
const walCheckpointBytes = 64 << 20

// maxPooledWAL bounds the WAL buffers kept for reuse, as maxPooledFrames does for frames.
const maxPooledWAL = 4 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// The state of a write's WAL entry, kept in pendingWrite.walState.
const (
	walWaiting int32 = iota
	walSynced
	walFailed
)

// wal is the log and its group commit. Lock order: a partition's mu, then wal.mu; a goroutine
// that holds wal.mu never takes a partition's lock, and the one that writes and syncs the log
// holds neither while the file system works.
type wal struct {
	file *os.File
	// sync syncs the log; tests replace it to make syncs fail.
	sync func(*os.File) error
	// limit is the size at which a checkpoint is due; tests lower it.
	limit int64
	// failDisk stops the spool when the log cannot be cut back (see Spool.failDisk).
	failDisk func(error) error

	mu sync.Mutex
	// ended is signalled (under mu) when a write and sync of the log ends.
	ended sync.Cond
	// buf holds the entries buffered since the last write began, and writes their writes, in
	// the same order; spare are the buffers of the previous round, kept for reuse.
	buf         []byte
	writes      []*pendingWrite
	spareBuf    []byte
	spareWrites []*pendingWrite
	// buffered numbers the entries buffered so far; every entry up to resolved is synced or
	// failed.
	buffered, resolved uint64
	syncing            bool
	// size is how much of the file is synced; a failed write or sync cuts it back to this.
	size int64
	// stuck is why the last checkpoint could not empty the log, nil once one has; the next
	// is then due only when the log has grown by another limit from stuckAt, so that a batch
	// file that refuses writes does not turn every call into a checkpoint.
	stuck   error
	stuckAt int64
}

// openWAL opens the log for appending; emptyWAL has emptied it. failDisk is the spool's.
func openWAL(path string, failDisk func(error) error) (*wal, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open spool log: %w", err)
	}
	l := &wal{file: f, sync: (*os.File).Sync, limit: walCheckpointBytes, failDisk: failDisk}
	l.ended.L = &l.mu
	return l, nil
}

// appendWALHead appends the start of an entry's body, up to the frames.
func appendWALHead(buf []byte, part, batch string, off int64) []byte {
	buf = strconv.AppendInt(buf, off, 10)
	buf = append(buf, ' ')
	buf = strconv.AppendInt(buf, int64(len(part)), 10)
	buf = append(buf, ' ')
	buf = strconv.AppendInt(buf, int64(len(batch)), 10)
	buf = append(buf, '\n')
	buf = append(buf, part...)
	return append(buf, batch...)
}

// add buffers w's entry (head and frames, whose checksum is crc). It refuses when after, the
// write before w in its batch, failed: w's frames follow frames that are being cut off, so
// they go too, and an entry of them must never reach the log (replay would write them back).
// The entry is numbered in w.seq.
func (l *wal) add(w, after *pendingWrite, head, frames []byte, crc uint32) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if after != nil && after.walState.Load() == walFailed {
		w.walErr = after.walErr
		w.walState.Store(walFailed)
		return false
	}
	l.buf = append(l.buf, 'W', ' ')
	l.buf = strconv.AppendInt(l.buf, int64(len(head)+len(frames)), 10)
	l.buf = append(l.buf, ' ')
	l.buf = strconv.AppendUint(l.buf, uint64(crc), 10)
	l.buf = append(l.buf, '\n')
	l.buf = append(append(l.buf, head...), frames...)
	l.buffered++
	w.seq = l.buffered
	l.writes = append(l.writes, w)
	return true
}

// await returns once entry seq (and so every entry before it) is synced or failed. While no
// write of the log runs, a waiting call runs one, for every entry buffered so far: the calls
// that buffer entries meanwhile wait for the next, which covers them together.
func (l *wal) await(seq uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.resolved < seq {
		if l.syncing {
			l.ended.Wait()
			continue
		}
		l.flush()
	}
}

// flush writes and syncs the buffered entries, with l.mu held but let go while the file system
// works. On failure the log is cut back to what was synced, durably (if the cut cannot be
// synced, the spool stops), and every entry not synced fails, those buffered during the
// attempt too: their frames follow failed ones in their batch files.
func (l *wal) flush() {
	buf, writes, last := l.buf, l.writes, l.buffered
	l.buf, l.writes = l.spareBuf[:0], l.spareWrites[:0]
	l.spareBuf, l.spareWrites = nil, nil
	l.syncing = true
	l.mu.Unlock()
	_, err := l.file.Write(buf)
	if err == nil {
		err = l.sync(l.file)
	}
	l.mu.Lock()
	l.syncing = false
	if err != nil {
		// The cut is synced: writeback may have put the failed entries on disk already, and
		// a power loss would bring them back, the frames of calls that were told they failed.
		if terr := l.file.Truncate(l.size); terr != nil {
			// The failed entries stay in the log, and the next ones would follow them.
			l.failDisk(fmt.Errorf("cut spool log: %w", terr))
		} else if serr := l.sync(l.file); serr != nil {
			l.failDisk(fmt.Errorf("sync the cut of the spool log: %w", serr))
		}
		err = fmt.Errorf("sync spool log: %w", err)
		for _, group := range [][]*pendingWrite{writes, l.writes} {
			for _, w := range group {
				w.walErr = err
				w.walState.Store(walFailed)
			}
		}
		clear(l.writes)
		l.buf, l.writes = l.buf[:0], l.writes[:0]
		last = l.buffered
	} else {
		l.size += int64(len(buf))
		for _, w := range writes {
			w.walState.Store(walSynced)
		}
	}
	l.resolved = last
	clear(writes)
	if cap(buf) <= maxPooledWAL {
		l.spareBuf, l.spareWrites = buf[:0], writes[:0]
	}
	l.ended.Broadcast()
}

// walMaxLimits bounds the log at this many times its checkpoint limit: past it, while no
// checkpoint can empty it, appends are refused (ErrFull), so that a batch file refusing writes
// cannot fill the disk with the log of every tenant's traffic.
const walMaxLimits = 4

// checkpointDue says whether the log has grown past the size at which a checkpoint is due.
func (l *wal) checkpointDue() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.size >= l.limit+l.stuckAt
}

// stall records that a checkpoint could not empty the log, and why.
func (l *wal) stall(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stuck, l.stuckAt = err, l.size
}

// full returns why appends are refused: a checkpoint could not empty the log, which has since
// grown to walMaxLimits limits. Otherwise nil.
func (l *wal) full() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stuck == nil || l.size < walMaxLimits*l.limit {
		return nil
	}
	return fmt.Errorf("%w: its write-ahead log holds %d bytes, which no checkpoint could write to the batch files: %w", ErrFull, l.size, l.stuck)
}

// reset empties the log after a checkpoint; nothing may be buffered.
func (l *wal) reset() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.file.Truncate(0); err != nil {
		return fmt.Errorf("empty spool log: %w", err)
	}
	// Empty now, whether or not that is durable yet: a later failed write cuts back to it.
	l.size, l.stuck, l.stuckAt = 0, nil, 0
	if err := l.sync(l.file); err != nil {
		return fmt.Errorf("empty spool log: %w", err)
	}
	return nil
}

// walEntry is one decoded entry; frames point into the reader's scratch buffer.
type walEntry struct {
	partition, batch string
	offset           int64
	frames           []byte
}

var errTornEntry = errors.New("torn spool log entry")

// readWALEntry reads the next entry from r, of which at most remaining bytes are left. It
// returns io.EOF at the end of whole entries, errTornEntry at an entry that is cut short or
// fails its checksum: where the last write before a crash stopped.
func readWALEntry(r *bufio.Reader, scratch *[]byte, remaining int64) (walEntry, int64, error) {
	header, err := r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, io.EOF) && len(header) == 0 {
			return walEntry{}, 0, io.EOF
		}
		return walEntry{}, 0, errTornEntry
	}
	if len(header) < 2 || header[0] != 'W' || header[1] != ' ' {
		return walEntry{}, 0, errTornEntry
	}
	size, rest, ok := parseDecimal(header[2:len(header)-1], false)
	if !ok || len(rest) == 0 || rest[0] != ' ' {
		return walEntry{}, 0, errTornEntry
	}
	crc, rest, ok := parseDecimal(rest[1:], false)
	// A length beyond the file is a damaged header: refused before it is allocated.
	if !ok || len(rest) != 0 || crc > 1<<32-1 || size > remaining-int64(len(header)) {
		return walEntry{}, 0, errTornEntry
	}
	if int64(cap(*scratch)) < size {
		*scratch = make([]byte, size)
	}
	body := (*scratch)[:size]
	if _, err := io.ReadFull(r, body); err != nil || crc32.Checksum(body, castagnoli) != uint32(crc) {
		return walEntry{}, 0, errTornEntry
	}
	e, ok := parseWALBody(body)
	if !ok {
		return walEntry{}, 0, errTornEntry
	}
	return e, int64(len(header)) + size, nil
}

// parseWALBody decodes an entry's body whose checksum matched. The names are checked all the
// same, since they become a path.
func parseWALBody(body []byte) (walEntry, bool) {
	nl := -1
	for i, c := range body {
		if c == '\n' {
			nl = i
			break
		}
	}
	if nl < 0 {
		return walEntry{}, false
	}
	off, rest, ok := parseDecimal(body[:nl], false)
	if !ok || len(rest) == 0 || rest[0] != ' ' {
		return walEntry{}, false
	}
	plen, rest, ok := parseDecimal(rest[1:], false)
	if !ok || len(rest) == 0 || rest[0] != ' ' {
		return walEntry{}, false
	}
	blen, rest, ok := parseDecimal(rest[1:], false)
	names := body[nl+1:]
	if !ok || len(rest) != 0 || plen > int64(len(names)) || blen > int64(len(names))-plen {
		return walEntry{}, false
	}
	e := walEntry{
		partition: string(names[:plen]),
		batch:     string(names[plen : plen+blen]),
		offset:    off,
		frames:    names[plen+blen:],
	}
	if !validPartition(e.partition) || !validPartition(e.batch) {
		return walEntry{}, false
	}
	return e, true
}

// maxReplayFiles bounds the batch files replay keeps open at once.
const maxReplayFiles = 256

// replayWAL writes the frames of every whole entry of the log at path back into its batch
// file; recoverOpen then syncs the batch files it keeps, and emptyWAL empties the log after
// that. It stops at the first torn entry:
// the log is synced as a whole, so what follows was never acknowledged. An entry whose batch
// file is gone belongs to a batch that was sealed, and is skipped: startBatch makes a batch
// file's existence durable before any entry of it is written, so a missing file is never one
// that a crash lost.
func (s *Spool) replayWAL(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open spool log: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("read spool log: %w", err)
	}
	// Handles of the batch files written to, and whether a batch file exists.
	open := map[string]*os.File{}
	closeAll := func() error {
		var errs []error
		for p, bf := range open {
			errs = append(errs, bf.Close())
			delete(open, p)
		}
		return errors.Join(errs...)
	}
	defer closeAll()
	exists := map[string]bool{}
	r := bufio.NewReaderSize(f, 1<<20)
	remaining := st.Size()
	var scratch []byte
	for {
		e, n, err := readWALEntry(r, &scratch, remaining)
		if err != nil {
			// io.EOF, or the torn tail of the last write
			s.recovery.LogBytesSkipped = remaining
			break
		}
		remaining -= n
		batchPath := filepath.Join(s.openDir, e.partition, e.batch+".batch")
		if there, seen := exists[batchPath]; seen && !there {
			continue
		}
		bf := open[batchPath]
		if bf == nil {
			bf, err = os.OpenFile(batchPath, os.O_WRONLY, 0)
			if errors.Is(err, fs.ErrNotExist) {
				exists[batchPath] = false
				continue
			}
			if err != nil {
				return fmt.Errorf("replay spool log: %w", err)
			}
			if len(open) == maxReplayFiles {
				if err := closeAll(); err != nil {
					return fmt.Errorf("replay spool log: %w", err)
				}
			}
			open[batchPath] = bf
			exists[batchPath] = true
		}
		if _, err := bf.WriteAt(e.frames, e.offset); err != nil {
			return fmt.Errorf("replay spool log: %w", err)
		}
		s.recovery.LogEntries++
	}
	if err := closeAll(); err != nil {
		return fmt.Errorf("replay spool log: %w", err)
	}
	return nil
}

// emptyWAL empties the log at path, if there is one, once what replayWAL wrote back is
// durable in the batch files.
func (s *Spool) emptyWAL(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil {
		err = f.Truncate(0)
		if err == nil && s.sync {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("empty spool log: %w", err)
	}
	return nil
}

// checkpoint writes out the batches' write buffers, makes the batch files durable and empties
// the log, whose entries they then no longer need. The caller holds s.appending for writing, so
// that no call is in flight: every entry is synced or failed, and every frame of the batch
// files is counted or cut off. If a buffer cannot be written, it is kept and so is the log,
// which holds its frames; the spool goes on (a write that failed was cut off, so the files
// are as they were) and a checkpoint tries again once the log has grown by another limit
// (the partition's next Seal, which reads the buffer rather than writing it, also ends the
// stall); past walMaxLimits limits, appends are refused meanwhile. If a batch file or the emptied log
// cannot be synced, the spool stops (see failDisk) with the log kept: a sync retried after a
// failure may report success for pages that never reached the disk, so the log stays the
// only copy to trust.
func (s *Spool) checkpoint() error {
	var errs, unwritten []error
	for _, p := range s.partitionList() {
		p.mu.Lock()
		if b := p.open; b != nil && b.file != nil {
			if err := s.writeBuffer(b); err != nil {
				unwritten = append(unwritten, fmt.Errorf("write spool batch %s: %w", p.name, err))
			} else if b.dirty {
				if err := s.syncBatch(b.file); err != nil {
					errs = append(errs, fmt.Errorf("sync spool batch %s: %w", p.name, err))
				} else {
					b.dirty, b.synced = false, b.written
				}
			}
		}
		p.mu.Unlock()
	}
	if len(errs) == 0 && len(unwritten) == 0 {
		errs = append(errs, s.wal.reset())
	}
	if err := errors.Join(errs...); err != nil {
		return s.failDisk(err)
	}
	if err := errors.Join(unwritten...); err != nil {
		s.wal.stall(err)
		return err
	}
	return nil
}

// checkpointIfDue runs a checkpoint if the log has grown past its limit. It waits for the calls
// in flight to end, and holds new ones back meanwhile; so does a seal in progress, whose
// partition the checkpoint waits for. A checkpoint that fails stops the spool, and the calls
// after it learn why.
func (s *Spool) checkpointIfDue() {
	if !s.wal.checkpointDue() {
		return
	}
	s.appending.Lock()
	defer s.appending.Unlock()
	// Another call may have run it while this one waited.
	if s.closed || s.diskFailure() != nil || !s.wal.checkpointDue() {
		return
	}
	_ = s.checkpoint()
}
