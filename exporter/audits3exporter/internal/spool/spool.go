package spool

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ErrRecordTooLarge is returned by Append for a record the spool cannot frame (its id and
// payload reach maxFrameBytes); nothing of that call is written. Retrying cannot help.
var ErrRecordTooLarge = errors.New("record too large for the spool")

// MaxRecordBytes is the most a record's id and payload may hold together.
const MaxRecordBytes = maxFrameBytes - 1

// Fits tells whether the spool can hold r (see MaxRecordBytes).
func Fits(r Record) bool { return len(r.ID)+len(r.Payload) <= MaxRecordBytes }

// ErrFull is returned by Append and AppendAll, for the whole call, when the records would take
// the spool past its maximum number of bytes: the caller must push back on its sender rather
// than drop anything.
var ErrFull = errors.New("spool is full")

// Record is one record to stage.
type Record struct {
	// ID identifies the record across redeliveries (the audit event id).
	ID        string
	EventTime time.Time
	// Payload is the record as it will appear in the object, already encoded.
	Payload []byte
}

// Options configure a Spool.
type Options struct {
	// Dir holds the spool; it is created if missing.
	Dir string
	// MaxBytes bounds what the spool holds on disk, open and sealed batches together.
	MaxBytes int64
	// NoSync skips fsync, for benchmarks of everything else; never set it in production.
	NoSync bool
}

// Spool is the staging area. It is safe for concurrent use; appends to different partitions
// proceed in parallel, except while a checkpoint runs (every 64 MiB of WAL: one sync per batch
// file written since the one before).
type Spool struct {
	openDir   string
	sealedDir string
	maxBytes  int64
	sync      bool

	bytes atomic.Int64

	// frames are buffers for the frames of a call, reused from call to call.
	frames sync.Pool
	// wal is the write-ahead log that makes appends durable (see wal.go); nil with NoSync.
	wal *wal
	// syncBatch syncs an open batch file at a checkpoint; tests replace it to count syncs.
	syncBatch func(*os.File) error
	// writeBatch writes frames to an open batch file; tests replace it to count or fail writes.
	writeBatch func(*os.File, []byte) (int, error)
	// buffers are the open batches' write buffers (see batchbuf.go).
	buffers bufferPool
	// appending is held for reading by every AppendAll, and for writing by a checkpoint and
	// by Close, which need every call's entries and frames to be settled.
	appending sync.RWMutex
	// closed is set, under appending, by Close; later calls are refused.
	closed bool

	// diskErr, once set, is why the spool stopped taking records (see failDisk).
	diskMu  sync.Mutex
	diskErr error

	mu    sync.Mutex
	parts map[string]*partition

	// lock is held open while the spool is, so that no other process uses the directory.
	lock *os.File

	// recovery is what Open found of a previous run.
	recovery Recovery
}

// Recovery tells what Open found of a previous run, for the collector's log.
type Recovery struct {
	// LogEntries are the write-ahead log's entries written back into their batch files.
	LogEntries int
	// LogBytesSkipped follow the log's last whole entry and were not written back: a write
	// that was not yet synced when the previous run stopped, so never acknowledged, unless
	// the disk damaged the log, which looks the same.
	LogBytesSkipped int64
	// OpenBatches and OpenRecords are the open batches kept and the records they hold.
	OpenBatches, OpenRecords int
	// TornBytes were cut from the ends of open batch files, after their last whole record:
	// records of a call that was not acknowledged, unless the disk damaged the file.
	TornBytes int64
	// SealedBatches wait for delivery.
	SealedBatches int
}

// Cut tells whether Open dropped bytes after the last whole entry of the log or record of a batch:
// harmless after a crash, but what acknowledged records the disk damaged would look like.
func (r Recovery) Cut() bool { return r.LogBytesSkipped > 0 || r.TornBytes > 0 }

// ErrInUse is returned by Open when another process holds the spool directory.
var ErrInUse = errors.New("spool directory is in use by another process (one spool directory per collector)")

// errClosed is returned by AppendAll after Close.
var errClosed = errors.New("spool is closed")

// ErrDiskFailed is returned by AppendAll and Seal once the disk refused a sync, a truncate or a
// removal that the spool's guarantees rest on.
var ErrDiskFailed = errors.New("spool disk failed; the spool takes no more records until the collector restarts")

// failDisk stops the spool: after a failed fsync the file system may have dropped the dirty
// pages and report the next fsync of the file as a success, and after a failed truncate the
// next frames land at the wrong offset, so no file the spool writes can be trusted to hold what
// it believes. From then on appends and seals are refused (backpressure, nothing dropped), and
// the write-ahead log is kept as it is: no checkpoint empties it. The next Open writes it back,
// syncs the files and finds everything that was acknowledged. Batches already sealed are
// delivered as usual. The first reason stays; failDisk returns it.
func (s *Spool) failDisk(err error) error {
	s.diskMu.Lock()
	defer s.diskMu.Unlock()
	if s.diskErr == nil {
		s.diskErr = fmt.Errorf("%w: %w", ErrDiskFailed, err)
	}
	return s.diskErr
}

// diskFailure is the error failDisk recorded, if any.
func (s *Spool) diskFailure() error {
	s.diskMu.Lock()
	defer s.diskMu.Unlock()
	return s.diskErr
}

// maxPooledFrames bounds the buffers kept for reuse: a call that writes more than this to one
// partition allocates its own.
const maxPooledFrames = 1 << 20

type partition struct {
	mu   sync.Mutex
	name string
	open *openBatch
	// ids are those of the open batch's frames, the ones waiting for a sync included; they
	// go to recent when the batch is sealed.
	ids    *idSet
	sealed []*Sealed
	// recent are the ids of recently sealed batches, kept to recognise a redelivery that
	// arrives after its batch was sealed (see recent.go).
	recent []recentIDs
	// openDirUnsynced is set when the removal of a sealed open batch could not be synced yet.
	openDirUnsynced bool
}

type openBatch struct {
	id       string
	path     string
	file     *os.File
	openedAt time.Time
	// records, size and earliest count the frames whose WAL entries are synced: Seal reads
	// size bytes, and a failed sync cuts the file back to them.
	records  int
	size     int64
	earliest time.Time
	// written is where the batch ends: after the counted frames come those of pending, in the
	// order they were written (which is that of their WAL entries), waiting for a sync.
	written int64
	// buf holds the last frames, from fileEnd to written, that are not in the file yet (see
	// batchbuf.go); nil when none wait.
	buf     []byte
	pending []*pendingWrite
	// dirty is set when the file was written or cut since a checkpoint last synced it;
	// synced is its length then, what a power loss cannot take from it.
	dirty  bool
	synced int64
	// recoveredUntil is set on a batch found at start: its ids are remembered until then,
	// however many batches are sealed after it.
	recoveredUntil time.Time
}

// BatchInfo describes a partition's open batch.
type BatchInfo struct {
	Partition     string
	OpenedAt      time.Time
	Records       int
	Bytes         int64
	EarliestEvent time.Time
}

// Open opens (or creates) the spool in opts.Dir and recovers what a previous run left: the
// frames of the write-ahead log are written back into the open batches, open batches are cut
// back to their last whole record, and seals that a crash interrupted are finished or undone.
func Open(opts Options) (*Spool, error) {
	if opts.Dir == "" {
		return nil, errors.New("spool directory is empty")
	}
	s := &Spool{
		openDir:    filepath.Join(opts.Dir, "open"),
		sealedDir:  filepath.Join(opts.Dir, "sealed"),
		maxBytes:   opts.MaxBytes,
		sync:       !opts.NoSync,
		syncBatch:  (*os.File).Sync,
		writeBatch: (*os.File).Write,
		buffers:    bufferPool{limit: batchBufferBudget / batchBufferBytes},
		parts:      make(map[string]*partition),
	}
	for _, d := range []string{s.openDir, s.sealedDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("create spool directory: %w", err)
		}
	}
	// Locked before recovery: recovery rewrites and removes files another process may be using.
	lock, err := lockDir(opts.Dir)
	if err != nil {
		return nil, err
	}
	s.lock = lock
	if err := s.recover(opts.Dir); err != nil {
		return nil, errors.Join(err, s.unlock())
	}
	return s, nil
}

// Recovered returns what Open found of a previous run.
func (s *Spool) Recovered() Recovery { return s.recovery }

func (s *Spool) recover(dir string) error {
	if err := s.recoverSealed(); err != nil {
		return err
	}
	// A log is replayed even with NoSync: it may be left by a run that synced.
	walPath := filepath.Join(dir, walName)
	if err := s.replayWAL(walPath); err != nil {
		return err
	}
	if err := s.recoverOpen(); err != nil {
		return err
	}
	// Only now: recoverOpen has synced every batch file it keeps, the frames written back
	// included.
	if err := s.emptyWAL(walPath); err != nil {
		return err
	}
	if !s.sync {
		return nil
	}
	l, err := openWAL(walPath, s.failDisk)
	if err != nil {
		return err
	}
	// The log, and the directories made above, must outlive a power loss: replay relies on
	// finding them, and on finding a partition's directory when its batch files exist.
	for _, d := range []string{dir, s.openDir, s.sealedDir} {
		if err := syncDir(d); err != nil {
			return errors.Join(err, l.file.Close())
		}
	}
	s.wal = l
	return nil
}

// unlock lets go of the directory lock, if there is one.
func (s *Spool) unlock() error {
	if s.lock == nil {
		return nil
	}
	err := s.lock.Close()
	s.lock = nil
	return err
}

// Close waits for the calls in flight, makes what they wrote durable in the batch files (a
// checkpoint, after which the log is empty) and closes the files; everything stays on disk for
// the next Open. If the checkpoint fails, the log is kept for the next Open to replay.
func (s *Spool) Close() error {
	s.appending.Lock()
	defer s.appending.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	if s.wal != nil {
		if err := s.diskFailure(); err != nil {
			// The log stays as it is, for the next Open to replay.
			errs = append(errs, err)
		} else {
			errs = append(errs, s.checkpoint())
		}
		errs = append(errs, s.wal.file.Close())
	}
	for _, p := range s.partitionList() {
		p.mu.Lock()
		if b := p.open; b != nil && b.file != nil {
			errs = append(errs, b.file.Close())
			b.file = nil
		}
		p.mu.Unlock()
	}
	errs = append(errs, s.unlock())
	return errors.Join(errs...)
}

// Bytes is how much the spool holds on disk.
func (s *Spool) Bytes() int64 { return s.bytes.Load() }

func (s *Spool) partition(name string) *partition {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.parts[name]
	if !ok {
		p = &partition{name: name}
		s.parts[name] = p
	}
	return p
}

// partitionList returns every partition, in no order.
func (s *Spool) partitionList() []*partition {
	s.mu.Lock()
	defer s.mu.Unlock()
	parts := make([]*partition, 0, len(s.parts))
	for _, p := range s.parts {
		parts = append(parts, p)
	}
	return parts
}

// Partitions lists the partitions that hold an open or a sealed batch.
func (s *Spool) Partitions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.parts))
	for name := range s.parts {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Append stages recs in part's open batch and returns once they are on disk. Records whose id
// the partition already holds (see the package doc) are skipped; added counts the rest. part
// must be usable as a file name.
func (s *Spool) Append(part string, recs []Record, now time.Time) (added int, err error) {
	n, err := s.AppendAll([]Batch{{Partition: part, Records: recs}}, now)
	return n[0], err
}

// Batch is one partition's share of an AppendAll.
type Batch struct {
	Partition string
	Records   []Record
}

// AppendAll is Append for several partitions at once: it writes every partition's frames to
// its open batch file and an entry of them to the write-ahead log, then waits for one sync of
// the log, whatever the number of partitions. Calls in flight at the same time share syncs: a
// sync covers every entry buffered before it began, so the calls that buffer while one runs
// wait for the next, and that one sync covers them all (group commit). added[i] counts the
// records of batches[i] that were new; the error joins those of the partitions that failed
// (errors.Is(err, ErrFull) tells a full spool).
func (s *Spool) AppendAll(batches []Batch, now time.Time) (added []int, err error) {
	added = make([]int, len(batches))
	writes := make([]pendingWrite, len(batches))
	total := 0
	var frameBytes int64
	for _, b := range batches {
		if !validPartition(b.Partition) {
			return added, fmt.Errorf("invalid spool partition %q", b.Partition)
		}
		for _, r := range b.Records {
			// Refused before anything is written: a frame this large would be acknowledged
			// and then never read back.
			if !Fits(r) {
				return added, fmt.Errorf("spool partition %s: %w: %d bytes, at most %d", b.Partition, ErrRecordTooLarge, len(r.ID)+len(r.Payload), MaxRecordBytes)
			}
			frameBytes += int64(frameOverhead + len(r.ID) + len(r.Payload))
		}
		total += len(b.Records)
	}
	// A full spool refuses the whole call, before any partition is written: a caller told to
	// retry resends all of it, and records it has no ids for (a receiver makes new ones each
	// time) would otherwise be stored again for every partition that took them. Redeliveries
	// count as new here, and calls in flight together may pass the bound by what they add.
	if s.maxBytes > 0 && s.bytes.Load()+frameBytes > s.maxBytes {
		return added, ErrFull
	}
	if s.wal != nil {
		if err := s.wal.full(); err != nil {
			return added, err
		}
	}
	// The writes go in the order of the partitions' names (a pendingWrite, holding an atomic,
	// is not to be moved once made, so the order is settled first).
	order := make([]int, len(batches))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(batches[a].Partition, batches[b].Partition) })
	for j, i := range order {
		if j > 0 && batches[i].Partition == batches[order[j-1]].Partition {
			return added, fmt.Errorf("spool partition %q given twice", batches[i].Partition)
		}
		writes[j].index, writes[j].p, writes[j].recs = i, s.partition(batches[i].Partition), batches[i].Records
	}
	s.appending.RLock()
	if s.closed {
		s.appending.RUnlock()
		return added, errClosed
	}
	if err := s.diskFailure(); err != nil {
		s.appending.RUnlock()
		return added, err
	}
	// A call holds one partition's lock at a time, never two, and none while it waits for a
	// sync: calls cannot wait on each other in a circle. The new ids of all partitions share
	// one array, and the frames one buffer, used by one partition after the other.
	keys := make([]idKey, total)
	frames, _ := s.frames.Get().(*[]byte)
	if frames == nil {
		frames = new([]byte)
	}
	var head []byte
	var last uint64 // the call's last WAL entry, or the one it waits for
	for i := range writes {
		w := &writes[i]
		w.keys, keys = keys[:0:len(w.recs)], keys[len(w.recs):]
		*frames, head = s.write(w, *frames, head, now)
		last = max(last, w.seq)
	}
	if cap(*frames) <= maxPooledFrames {
		s.frames.Put(frames)
	}
	if last > 0 {
		s.wal.await(last)
		// Every entry up to the call's last is synced or failed: each partition counts (or
		// cuts off) its frames in the order they were written, this call's among them.
		for i := range writes {
			if w := &writes[i]; w.batch != nil {
				w.p.mu.Lock()
				s.advance(w.p)
				w.p.mu.Unlock()
			}
		}
	}
	s.appending.RUnlock()
	var errs []error
	for i := range writes {
		w := &writes[i]
		if w.err != nil {
			errs = append(errs, fmt.Errorf("spool partition %s: %w", w.p.name, w.err))
			continue
		}
		added[w.index] = w.records
	}
	if s.wal != nil {
		s.checkpointIfDue()
	}
	return added, errors.Join(errs...)
}

// pendingWrite is one partition's part of an AppendAll, from writing its frames to their sync.
type pendingWrite struct {
	index int
	p     *partition
	recs  []Record
	// keys are the ids that were new to the partition, taken back if the frames are cut off.
	keys     []idKey
	records  int
	bytes    int64
	earliest time.Time
	// batch is the open batch in whose pending w waits for a sync; nil if it waits for none.
	batch *openBatch
	// seq numbers w's WAL entry; a write that only skipped records has none, follows is set,
	// and seq is that of the entry it waits for, the one of the write before it.
	seq     uint64
	follows bool
	// walState tells (walWaiting, walSynced, walFailed with walErr) what became of the
	// entry; set under the WAL's lock, read under the partition's.
	walState atomic.Int32
	walErr   error
	// done is set (under the partition's lock) once the frames are counted, or cut off with err.
	done bool
	err  error
}

// write appends the new records' frames to the open batch file, building them in buf, and
// buffers a WAL entry of them, built around head. It returns buf and head, to be reused.
func (s *Spool) write(w *pendingWrite, buf, head []byte, now time.Time) ([]byte, []byte) {
	size := 0
	for i := range w.recs {
		size += frameOverhead + len(w.recs[i].ID) + len(w.recs[i].Payload)
	}
	buf = slices.Grow(buf[:0], size)
	p := w.p
	p.mu.Lock()
	defer p.mu.Unlock()
	// Frames cut off by a failed sync go before more are written after them.
	s.advance(p)
	if p.ids == nil {
		p.ids = newIDSet(len(w.recs))
	}
	skipped := false
	for i := range w.recs {
		r := &w.recs[i]
		if r.ID != "" {
			// Added to the open batch's ids at once, an id also finds its duplicates
			// within this call.
			k := keyOf(r.ID)
			if p.recentlySealed(k) || !p.ids.addNew(k) {
				skipped = true
				continue
			}
			w.keys = append(w.keys, k)
		}
		buf = appendFrame(buf, *r)
		w.records++
		if w.earliest.IsZero() || r.EventTime.Before(w.earliest) {
			w.earliest = r.EventTime
		}
	}
	b := p.open
	if w.records == 0 {
		// A skipped record may be one whose frame waits for a sync, and this call must not
		// succeed before that frame is durable: it waits for the same sync.
		if skipped && b != nil && len(b.pending) > 0 {
			w.batch, w.follows, w.seq = b, true, b.pending[len(b.pending)-1].seq
			b.pending = append(b.pending, w)
		} else {
			w.done = true
		}
		return buf, head
	}
	if b == nil {
		if err := s.startBatch(p, now); err != nil {
			w.fail(err)
			return buf, head
		}
		b = p.open
	}
	off := b.written
	if err := s.stage(b, buf); err != nil {
		w.fail(err)
		return buf, head
	}
	w.bytes = int64(len(buf))
	b.written += w.bytes
	s.bytes.Add(w.bytes)
	if !s.sync {
		b.count(w)
		return buf, head
	}
	// The entry is buffered under p.mu, so that the partition's entries are in the order of
	// its frames: a sync of the log covers a prefix of it, and so every earlier frame.
	head = appendWALHead(head[:0], p.name, b.id, off)
	crc := crc32.Update(crc32.Update(0, castagnoli, head), castagnoli, buf)
	w.batch = b
	b.pending = append(b.pending, w)
	if !s.wal.add(w, b.lastEntry(w), head, buf, crc) {
		s.advance(p)
	}
	return buf, head
}

// lastEntry returns the write with a WAL entry that precedes w in b.pending, if any.
func (b *openBatch) lastEntry(w *pendingWrite) *pendingWrite {
	for i := len(b.pending) - 1; i >= 0; i-- {
		if x := b.pending[i]; x != w && !x.follows {
			return x
		}
	}
	return nil
}

// advance counts the pending frames of p's open batch whose WAL entries are synced, in order,
// up to the first still waiting. At a failed one it cuts the file back to the counted frames:
// that write and every one after it fails (their entries failed too, see wal.add and
// wal.flush). The caller holds p.mu.
func (s *Spool) advance(p *partition) {
	b := p.open
	if b == nil {
		return
	}
	n := 0
	for ; n < len(b.pending); n++ {
		w := b.pending[n]
		if w.follows {
			// Its records are those of the writes before it, counted by now.
			b.count(w)
			continue
		}
		state := w.walState.Load()
		if state == walWaiting {
			break
		}
		if state == walSynced {
			b.count(w)
			continue
		}
		// Not acknowledged, so not kept: cut the frames off again. The frames written
		// after them go too, they follow the cut ones in the file.
		err := w.walErr
		s.cut(b, b.size)
		for _, x := range b.pending[n:] {
			s.bytes.Add(-x.bytes)
			x.fail(err)
		}
		clear(b.pending)
		b.pending = b.pending[:0]
		return
	}
	clear(b.pending[:n])
	b.pending = slices.Delete(b.pending, 0, n)
}

// settle returns the open batch (nil if there is none) with every frame counted or cut off:
// it waits for the WAL sync that covers the frames still waiting, without letting go of p.mu,
// so that no frames come meanwhile.
func (s *Spool) settle(p *partition) *openBatch {
	if b := p.open; b != nil && len(b.pending) > 0 {
		s.wal.await(b.pending[len(b.pending)-1].seq)
		s.advance(p)
	}
	return p.open
}

// count adds w's synced frames to the batch.
func (b *openBatch) count(w *pendingWrite) {
	b.size += w.bytes
	b.records += w.records
	if w.records > 0 && (b.earliest.IsZero() || w.earliest.Before(b.earliest)) {
		b.earliest = w.earliest
	}
	w.done = true
}

// fail takes back w's ids and ends it with err.
func (w *pendingWrite) fail(err error) {
	for _, k := range w.keys {
		w.p.ids.remove(k)
	}
	w.records, w.done, w.err = 0, true, err
}

// recentlySealed says whether k is an id of one of the partition's recently sealed batches.
func (p *partition) recentlySealed(k idKey) bool {
	for _, r := range p.recent {
		if r.ids.has(k) {
			return true
		}
	}
	return false
}

// startBatch creates the partition's open batch file. With syncs, its name is durable before
// any WAL entry of it is written: replay takes a batch file that is missing for one that was
// sealed.
func (s *Spool) startBatch(p *partition, now time.Time) error {
	dir := filepath.Join(s.openDir, p.name)
	err := os.Mkdir(dir, 0o700)
	newDir := err == nil
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create spool partition: %w", err)
	}
	if newDir && s.sync {
		// The partition's directory is as much part of the batch file's name. Not synced, it
		// goes again, so that the next start makes it anew and syncs it then.
		if err := syncDir(s.openDir); err != nil {
			_ = os.Remove(dir)
			return s.dirSyncError(err)
		}
	}
	id := newBatchID(now)
	path := filepath.Join(dir, id+".batch")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("start spool batch: %w", err)
	}
	if s.sync {
		if err := syncDir(dir); err != nil {
			// No entry of it is written: the next start makes another.
			f.Close()
			_ = os.Remove(path)
			return s.dirSyncError(err)
		}
	}
	p.open = &openBatch{id: id, path: path, file: f, openedAt: now}
	return nil
}

// OpenBatches describes every open batch, for the caller to decide which to seal.
func (s *Spool) OpenBatches() []BatchInfo {
	s.mu.Lock()
	parts := make([]*partition, 0, len(s.parts))
	for _, p := range s.parts {
		parts = append(parts, p)
	}
	s.mu.Unlock()
	var out []BatchInfo
	for _, p := range parts {
		p.mu.Lock()
		if b := p.open; b != nil {
			out = append(out, b.info(p.name))
		}
		p.mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Partition < out[j].Partition })
	return out
}

// OpenBatch describes part's open batch, if it has one.
func (s *Spool) OpenBatch(part string) (BatchInfo, bool) {
	p := s.partition(part)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.open == nil {
		return BatchInfo{}, false
	}
	return p.open.info(part), true
}

func (b *openBatch) info(part string) BatchInfo {
	return BatchInfo{Partition: part, OpenedAt: b.openedAt, Records: b.records, Bytes: b.size, EarliestEvent: b.earliest}
}

// Builder turns an open batch's payloads, in the order they were appended, into the finished
// object body, and may attach labels (content type, a unique key part) to the sealed batch.
// Each payload is valid only until the next one is yielded.
type Builder func(info BatchInfo, payloads iter.Seq[[]byte]) (body []byte, labels map[string]string, err error)

// Seal closes part's open batch into a sealed one. It returns nil, nil when part has no open
// batch. The sealed file is durable before the open batch is removed.
func (s *Spool) Seal(part string, now time.Time, build Builder) (*Sealed, error) {
	if err := s.diskFailure(); err != nil {
		return nil, err
	}
	p := s.partition(part)
	p.mu.Lock()
	defer p.mu.Unlock()
	// Frames still waiting for a sync belong to this batch; from here on, p.mu is held, so
	// that no more come.
	b := s.settle(p)
	if b == nil {
		return nil, nil
	}
	if b.records == 0 {
		// Every frame of the batch was cut off after a failed write or sync: there is
		// nothing to seal, and an empty object is no use to anyone.
		if b.file != nil {
			b.file.Close()
		}
		if err := os.Remove(b.path); err != nil {
			return nil, fmt.Errorf("remove empty spool batch: %w", err)
		}
		p.open, p.ids = nil, nil
		return nil, nil
	}
	f, err := os.Open(b.path)
	if err != nil {
		return nil, fmt.Errorf("read spool batch: %w", err)
	}
	defer f.Close()
	// The payloads are read one at a time into a reused buffer: a batch is never held in
	// memory twice, only as the body being built. Every frame is counted (settle), so the
	// last of them are those waiting in the write buffer.
	batch := io.MultiReader(io.LimitReader(f, b.fileEnd()), bytes.NewReader(b.buf))
	reader := bufio.NewReaderSize(batch, 256<<10)
	records := 0
	var ids []byte // the records' ids, one a line, for the sealed file
	var readErr error
	payloads := func(yield func([]byte) bool) {
		var scratch []byte
		for {
			fr, _, err := readFrame(reader, &scratch)
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				readErr = err
				return
			}
			records++
			if len(fr.id) > 0 {
				if ids == nil {
					ids = make([]byte, 0, b.records*(len(fr.id)+1))
				}
				ids = append(append(ids, fr.id...), '\n')
			}
			if !yield(fr.payload) {
				return
			}
		}
	}
	body, labels, err := build(b.info(part), payloads)
	if err == nil {
		err = readErr
	}
	if err != nil {
		return nil, fmt.Errorf("build object of %s: %w", part, err)
	}
	sealed := &Sealed{
		Partition: part, BatchID: b.id, SealedAt: now.UTC(), EarliestEvent: b.earliest.UTC(),
		Records: records, Labels: labels,
	}
	if err := s.writeSealed(sealed, body, ids); err != nil {
		return nil, err
	}
	// The sealed file is durable: the open batch can go.
	if b.file != nil {
		b.file.Close()
	}
	if err := os.Remove(b.path); err != nil {
		// Left in place, the open batch would be sealed a second time into another object.
		return nil, s.failDisk(fmt.Errorf("remove sealed spool batch: %w", err))
	}
	if s.sync {
		// Durably gone before the sealed file is: were the removal lost and the sealed file
		// delivered and removed, replay would fill the batch file again from the log and it
		// would be delivered twice. If the directory cannot be synced now, Delivered syncs it
		// before it removes the sealed file.
		if err := syncDir(filepath.Dir(b.path)); err != nil {
			p.openDirUnsynced = s.dirSyncError(err) != nil
		}
	}
	s.bytes.Add(-b.size)
	s.dropBuffer(b)
	p.open = nil
	s.remember(p, recentIDs{until: b.recoveredUntil, batchID: b.id, ids: sealIDs(p.ids)}, now)
	p.ids = nil
	p.sealed = append(p.sealed, sealed)
	return sealed, nil
}

// Pending returns part's sealed batches, oldest first.
func (s *Spool) Pending(part string) []*Sealed {
	p := s.partition(part)
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.sealed)
}

// Delivered removes a sealed batch once its object is safely stored.
func (s *Spool) Delivered(sb *Sealed) error {
	p := s.partition(sb.Partition)
	p.mu.Lock()
	defer p.mu.Unlock()
	// The ids outlive the batch for a while, on disk too, so that a redelivery after a
	// restart is still recognised.
	if err := s.keepIDsOfDelivered(p, sb); err != nil {
		return err
	}
	if p.openDirUnsynced {
		// See Seal: the removal of a sealed open batch is durable before its sealed file goes.
		if err := syncDir(filepath.Join(s.openDir, p.name)); err != nil {
			return s.dirSyncError(err)
		}
		p.openDirUnsynced = false
	}
	if err := os.Remove(sb.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove delivered spool batch: %w", err)
	}
	s.bytes.Add(-sb.fileSize)
	p.sealed = slices.DeleteFunc(p.sealed, func(x *Sealed) bool { return x == sb })
	return nil
}

func newBatchID(now time.Time) string {
	var r [4]byte
	_, _ = rand.Read(r[:])
	return fmt.Sprintf("%019d-%s", now.UnixNano(), hex.EncodeToString(r[:]))
}

// validPartition accepts names that are one safe path segment.
func validPartition(name string) bool {
	if name == "" || name == "." || name == ".." || len(name) > 200 {
		return false
	}
	return !strings.ContainsAny(name, "/\\\x00")
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync spool directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return &syncFailed{fmt.Errorf("sync spool directory: %w", err)}
	}
	return nil
}

// syncFailed is an fsync that failed, as opposed to a directory that could not be opened to be
// synced (too many open files, say), which leaves nothing in doubt and can be tried again.
type syncFailed struct{ err error }

func (e *syncFailed) Error() string { return e.err.Error() }
func (e *syncFailed) Unwrap() error { return e.err }

// dirSyncError returns err, a failure of syncDir, after stopping the spool if an fsync failed.
func (s *Spool) dirSyncError(err error) error {
	var sf *syncFailed
	if errors.As(err, &sf) {
		return s.failDisk(err)
	}
	return err
}

// recoverOpen reopens the open batches a previous run left, cut back to their last whole frame.
func (s *Spool) recoverOpen() error {
	return s.eachPartition(s.openDir, func(p *partition, dir string, files []os.DirEntry) error {
		for _, f := range files {
			if !strings.HasSuffix(f.Name(), ".batch") {
				continue
			}
			if err := s.recoverBatch(p, filepath.Join(dir, f.Name())); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Spool) recoverBatch(p *partition, path string) error {
	id := strings.TrimSuffix(filepath.Base(path), ".batch")
	for _, sb := range p.sealed {
		if sb.BatchID == id {
			// Sealed before the crash; only the removal of the open batch was lost.
			return os.Remove(path)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("recover spool batch: %w", err)
	}
	frames, whole := parseFrames(data)
	if whole < len(data) {
		if err := os.Truncate(path, int64(whole)); err != nil {
			return fmt.Errorf("cut torn spool batch: %w", err)
		}
		s.recovery.TornBytes += int64(len(data) - whole)
	}
	if len(frames) == 0 {
		return os.Remove(path)
	}
	if p.open != nil {
		// One run keeps one open batch per partition, so this is left from an earlier crash
		// in an unusual place; nothing in it may be lost, so it joins the open batch.
		return s.foldInto(p, frames, path)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("recover spool batch: %w", err)
	}
	if s.sync {
		// What the batch holds now may have been only in the page cache: frames the WAL
		// replay wrote back, which must be durable before the WAL is emptied, and frames of a
		// call a kill -9 interrupted, which no WAL entry covers, and behind which replay after
		// a power loss could not restore the frames appended next. The cut of a torn tail
		// becomes durable too.
		if err := f.Sync(); err != nil {
			f.Close()
			return fmt.Errorf("recover spool batch: %w", err)
		}
	}
	b := &openBatch{id: id, path: path, file: f, size: int64(whole), written: int64(whole),
		synced: int64(whole), recoveredUntil: time.Now().Add(recoveredWindow)}
	if nanos, err := strconv.ParseInt(strings.SplitN(id, "-", 2)[0], 10, 64); err == nil {
		b.openedAt = time.Unix(0, nanos)
	}
	p.ids = newIDSet(len(frames))
	for _, fr := range frames {
		b.records++
		if len(fr.id) > 0 {
			p.ids.addNew(keyOfBytes(fr.id))
		}
		if b.earliest.IsZero() || fr.eventTime.Before(b.earliest) {
			b.earliest = fr.eventTime
		}
	}
	p.open = b
	s.bytes.Add(b.size)
	s.recovery.OpenBatches++
	s.recovery.OpenRecords += b.records
	return nil
}

// foldInto appends the frames of a second open batch file to the partition's open batch and
// removes that file.
func (s *Spool) foldInto(p *partition, frames []frame, path string) error {
	var buf []byte
	for _, fr := range frames {
		if len(fr.id) > 0 && !p.ids.addNew(keyOfBytes(fr.id)) {
			continue
		}
		buf = appendFrame(buf, Record{ID: string(fr.id), EventTime: fr.eventTime, Payload: fr.payload})
		p.open.records++
		s.recovery.OpenRecords++
		if fr.eventTime.Before(p.open.earliest) {
			p.open.earliest = fr.eventTime
		}
	}
	if _, err := p.open.file.Write(buf); err != nil {
		return fmt.Errorf("recover spool batch: %w", err)
	}
	if err := p.open.file.Sync(); err != nil {
		return fmt.Errorf("recover spool batch: %w", err)
	}
	p.open.size += int64(len(buf))
	p.open.written = p.open.size
	p.open.synced = p.open.size
	s.bytes.Add(int64(len(buf)))
	return os.Remove(path)
}
