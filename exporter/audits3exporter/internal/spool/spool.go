package spool

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
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

// ErrFull is returned by Append when the spool holds its maximum number of bytes: the caller
// must push back on its sender rather than drop anything.
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
// proceed in parallel.
type Spool struct {
	openDir   string
	sealedDir string
	maxBytes  int64
	sync      bool

	bytes atomic.Int64

	mu    sync.Mutex
	parts map[string]*partition
}

type partition struct {
	mu     sync.Mutex
	name   string
	open   *openBatch
	sealed []*Sealed
	// recent are the ids of recently sealed batches, kept to recognise a redelivery that
	// arrives after its batch was sealed (see recentWindow).
	recent []recentIDs
}

type openBatch struct {
	id       string
	path     string
	file     *os.File
	openedAt time.Time
	records  int
	size     int64
	earliest time.Time
	ids      idSet
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

// Open opens (or creates) the spool in opts.Dir and recovers what a previous run left: open
// batches are cut back to their last whole record, and seals that a crash interrupted are
// finished or undone.
func Open(opts Options) (*Spool, error) {
	if opts.Dir == "" {
		return nil, errors.New("spool directory is empty")
	}
	s := &Spool{
		openDir:   filepath.Join(opts.Dir, "open"),
		sealedDir: filepath.Join(opts.Dir, "sealed"),
		maxBytes:  opts.MaxBytes,
		sync:      !opts.NoSync,
		parts:     make(map[string]*partition),
	}
	for _, d := range []string{s.openDir, s.sealedDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("create spool directory: %w", err)
		}
	}
	if err := s.recoverSealed(); err != nil {
		return nil, err
	}
	if err := s.recoverOpen(); err != nil {
		return nil, err
	}
	return s, nil
}

// Close closes the open batch files; everything stays on disk for the next Open.
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, p := range s.parts {
		p.mu.Lock()
		if p.open != nil && p.open.file != nil {
			errs = append(errs, p.open.file.Close())
			p.open.file = nil
		}
		p.mu.Unlock()
	}
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

// AppendAll is Append for several partitions at once: it writes every partition's frames, then
// syncs the files together, which lets the file system commit them in one journal transaction
// instead of one per file. added[i] counts the records of batches[i] that were new; the error
// joins those of the partitions that failed (errors.Is(err, ErrFull) tells a full spool).
func (s *Spool) AppendAll(batches []Batch, now time.Time) (added []int, err error) {
	added = make([]int, len(batches))
	writes := make([]*pendingWrite, 0, len(batches))
	for i, b := range batches {
		if !validPartition(b.Partition) {
			return added, fmt.Errorf("invalid spool partition %q", b.Partition)
		}
		writes = append(writes, &pendingWrite{index: i, p: s.partition(b.Partition), recs: b.Records})
	}
	// Partitions are locked in name order, so that two pushes never wait on each other in a
	// circle; a partition's lock is held until its frames are synced and counted.
	sort.Slice(writes, func(i, j int) bool { return writes[i].p.name < writes[j].p.name })
	for i := 1; i < len(writes); i++ {
		if writes[i].p == writes[i-1].p {
			return added, fmt.Errorf("spool partition %q given twice", writes[i].p.name)
		}
	}
	for _, w := range writes {
		w.p.mu.Lock()
		defer w.p.mu.Unlock()
		w.err = s.write(w, now)
	}
	s.syncWrites(writes)
	var errs []error
	for _, w := range writes {
		if w.err != nil {
			errs = append(errs, fmt.Errorf("spool partition %s: %w", w.p.name, w.err))
			continue
		}
		added[w.index] = w.commit(s)
	}
	return added, errors.Join(errs...)
}

// pendingWrite is one partition's part of an AppendAll between writing and committing.
type pendingWrite struct {
	index    int
	p        *partition
	recs     []Record
	buf      []byte
	fresh    []string
	earliest time.Time
	err      error
}

// write appends the new records' frames to the open batch file, without syncing.
func (s *Spool) write(w *pendingWrite, now time.Time) error {
	p := w.p
	size := 0
	for _, r := range w.recs {
		size += frameOverhead + len(r.ID) + len(r.Payload)
	}
	w.buf = make([]byte, 0, size)
	w.fresh = make([]string, 0, len(w.recs))
	seen := make(map[string]struct{}, len(w.recs))
	for _, r := range w.recs {
		if r.ID != "" {
			if _, dup := seen[r.ID]; dup || p.holds(r.ID) {
				continue
			}
			seen[r.ID] = struct{}{}
		}
		w.buf = appendFrame(w.buf, r)
		w.fresh = append(w.fresh, r.ID)
		if w.earliest.IsZero() || r.EventTime.Before(w.earliest) {
			w.earliest = r.EventTime
		}
	}
	if len(w.fresh) == 0 {
		return nil
	}
	if s.maxBytes > 0 && s.bytes.Load()+int64(len(w.buf)) > s.maxBytes {
		return ErrFull
	}
	if p.open == nil {
		if err := s.startBatch(p, now); err != nil {
			return err
		}
	}
	if _, err := p.open.file.Write(w.buf); err != nil {
		// A short write leaves a torn frame; cut it so the batch stays whole.
		p.open.rewind()
		return fmt.Errorf("append to spool: %w", err)
	}
	return nil
}

// syncWrites syncs the files written, concurrently, and records each failure.
func (s *Spool) syncWrites(writes []*pendingWrite) {
	if !s.sync {
		return
	}
	var wg sync.WaitGroup
	for _, w := range writes {
		if w.err != nil || len(w.fresh) == 0 {
			continue
		}
		wg.Go(func() {
			if err := w.p.open.file.Sync(); err != nil {
				// Not acknowledged, so not kept: cut the frames off again.
				w.p.open.rewind()
				w.err = fmt.Errorf("sync spool: %w", err)
			}
		})
	}
	wg.Wait()
}

// commit counts a written and synced write into its open batch.
func (w *pendingWrite) commit(s *Spool) int {
	if len(w.fresh) == 0 {
		return 0
	}
	b := w.p.open
	b.size += int64(len(w.buf))
	s.bytes.Add(int64(len(w.buf)))
	b.records += len(w.fresh)
	if b.earliest.IsZero() || w.earliest.Before(b.earliest) {
		b.earliest = w.earliest
	}
	for _, id := range w.fresh {
		if id != "" {
			b.ids.add(id)
		}
	}
	return len(w.fresh)
}

// rewind cuts the file back to the batch's committed size.
func (b *openBatch) rewind() {
	_ = b.file.Truncate(b.size)
	_, _ = b.file.Seek(b.size, 0)
}

func (p *partition) holds(id string) bool {
	if id == "" {
		return false
	}
	if p.open != nil {
		if p.open.ids.has(id) {
			return true
		}
	}
	for _, r := range p.recent {
		if r.ids.has(id) {
			return true
		}
	}
	return false
}

func (s *Spool) startBatch(p *partition, now time.Time) error {
	dir := filepath.Join(s.openDir, p.name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create spool partition: %w", err)
	}
	id := newBatchID(now)
	path := filepath.Join(dir, id+".batch")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("start spool batch: %w", err)
	}
	if s.sync {
		if err := syncDir(dir); err != nil {
			f.Close()
			return err
		}
	}
	p.open = &openBatch{id: id, path: path, file: f, openedAt: now, ids: idSet{}}
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
	p := s.partition(part)
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.open
	if b == nil {
		return nil, nil
	}
	f, err := os.Open(b.path)
	if err != nil {
		return nil, fmt.Errorf("read spool batch: %w", err)
	}
	defer f.Close()
	// The payloads are read one at a time into a reused buffer: a batch is never held in
	// memory twice, only as the body being built.
	reader := bufio.NewReaderSize(io.LimitReader(f, b.size), 256<<10)
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
		return nil, fmt.Errorf("remove sealed spool batch: %w", err)
	}
	s.bytes.Add(-b.size)
	p.open = nil
	s.remember(p, recentIDs{until: b.recoveredUntil, batchID: b.id, ids: b.ids}, now)
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
		return fmt.Errorf("sync spool directory: %w", err)
	}
	return nil
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
	b := &openBatch{id: id, path: path, file: f, size: int64(whole), ids: idSet{},
		recoveredUntil: time.Now().Add(recoveredWindow)}
	if nanos, err := strconv.ParseInt(strings.SplitN(id, "-", 2)[0], 10, 64); err == nil {
		b.openedAt = time.Unix(0, nanos)
	}
	for _, fr := range frames {
		b.records++
		b.ids.add(string(fr.id))
		if b.earliest.IsZero() || fr.eventTime.Before(b.earliest) {
			b.earliest = fr.eventTime
		}
	}
	p.open = b
	s.bytes.Add(b.size)
	return nil
}

// foldInto appends the frames of a second open batch file to the partition's open batch and
// removes that file.
func (s *Spool) foldInto(p *partition, frames []frame, path string) error {
	var buf []byte
	for _, fr := range frames {
		if p.open.ids.has(string(fr.id)) {
			continue
		}
		buf = appendFrame(buf, Record{ID: string(fr.id), EventTime: fr.eventTime, Payload: fr.payload})
		p.open.ids.add(string(fr.id))
		p.open.records++
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
	s.bytes.Add(int64(len(buf)))
	return os.Remove(path)
}
