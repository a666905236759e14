package spool

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Sealed is a closed batch waiting for delivery. Its file holds a JSON header line, the
// finished object body, and the ids of its records (to recognise redeliveries after a restart).
type Sealed struct {
	Partition     string            `json:"partition"`
	BatchID       string            `json:"batch"`
	SealedAt      time.Time         `json:"sealed_at"`
	EarliestEvent time.Time         `json:"earliest_event"`
	Records       int               `json:"records"`
	BodySize      int64             `json:"body_size"`
	Labels        map[string]string `json:"labels,omitempty"`

	path     string
	fileSize int64
}

// Body reads the object body from disk.
func (sb *Sealed) Body() ([]byte, error) {
	f, err := os.Open(sb.path)
	if err != nil {
		return nil, fmt.Errorf("read sealed batch: %w", err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	if _, err := r.ReadBytes('\n'); err != nil {
		return nil, fmt.Errorf("read sealed batch header: %w", err)
	}
	body := make([]byte, sb.BodySize)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, fmt.Errorf("read sealed batch body: %w", err)
	}
	return body, nil
}

func sealedName(sb *Sealed) string {
	return fmt.Sprintf("%019d-%s.sealed", sb.SealedAt.UnixNano(), sb.BatchID)
}

// writeSealed writes the sealed file under a temporary name, syncs it and renames it into
// place, so that a crash leaves either no sealed file or a whole one. The parts are written
// straight to the file: a batch can be large, and one more copy of it in memory would be
// waste.
func (s *Spool) writeSealed(sb *Sealed, body, ids []byte) error {
	dir := filepath.Join(s.sealedDir, sb.Partition)
	err := os.Mkdir(dir, 0o700)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create spool partition: %w", err)
	}
	if err == nil && s.sync {
		// The partition's directory is as much part of the sealed file's name. Not synced, it
		// goes again, so that the next seal makes it anew and syncs it then.
		if err := syncDir(s.sealedDir); err != nil {
			_ = os.Remove(dir)
			return s.dirSyncError(err)
		}
	}
	sb.BodySize = int64(len(body))
	header, err := json.Marshal(sb)
	if err != nil {
		return fmt.Errorf("encode sealed batch header: %w", err)
	}
	final := filepath.Join(dir, sealedName(sb))
	tmp := final + ".tmp"
	size, err := writeSealedFile(tmp, header, body, ids, s.sync)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("seal spool batch: %w", err)
	}
	if s.sync {
		if err := syncDir(dir); err != nil {
			// The sealed file may or may not outlive a power loss. Taken back, the seal can
			// be tried again; left, a second seal of the open batch would make a second
			// object of it.
			if rerr := os.Remove(final); rerr != nil {
				return s.failDisk(errors.Join(err, rerr))
			}
			return s.dirSyncError(err)
		}
	}
	sb.path = final
	sb.fileSize = size
	s.bytes.Add(size)
	return nil
}

func writeSealedFile(path string, header, body, ids []byte, sync bool) (int64, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, fmt.Errorf("write sealed batch: %w", err)
	}
	w := bufio.NewWriterSize(f, 256<<10)
	w.Write(header)
	w.WriteByte('\n')
	w.Write(body)
	w.Write(ids)
	err = w.Flush()
	if err == nil && sync {
		err = f.Sync()
	}
	var size int64
	if err == nil {
		var st os.FileInfo
		if st, err = f.Stat(); err == nil {
			size = st.Size()
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("write sealed batch: %w", err)
	}
	return size, nil
}

// recoverSealed loads the sealed batches a previous run left, drops temporary files of seals a
// crash interrupted (their open batch is still there), and keeps the ids of each partition's
// newest sealed batches.
func (s *Spool) recoverSealed() error {
	return s.eachPartition(s.sealedDir, func(p *partition, dir string, files []os.DirEntry) error {
		for _, f := range files {
			path := filepath.Join(dir, f.Name())
			switch {
			case strings.HasSuffix(f.Name(), ".tmp"):
				if err := os.Remove(path); err != nil {
					return fmt.Errorf("remove interrupted seal: %w", err)
				}
			case strings.HasSuffix(f.Name(), idsSuffix):
				ids, err := readIDsFile(path)
				if err != nil {
					return err
				}
				now := time.Now()
				s.remember(p, recentIDs{until: now.Add(recoveredWindow), batchID: strings.TrimSuffix(f.Name(), idsSuffix), ids: ids, stub: path}, now)
			case strings.HasSuffix(f.Name(), ".sealed"):
				sb, err := readSealedHeader(path)
				if err != nil {
					return err
				}
				p.sealed = append(p.sealed, sb)
				s.bytes.Add(sb.fileSize)
				s.recovery.SealedBatches++
			}
		}
		sort.Slice(p.sealed, func(i, j int) bool { return p.sealed[i].path < p.sealed[j].path })
		// What a queue replays after this restart may be in any batch still waiting here.
		for _, sb := range p.sealed {
			ids, err := sb.ids()
			if err != nil {
				return err
			}
			now := time.Now()
			s.remember(p, recentIDs{until: now.Add(recoveredWindow), batchID: sb.BatchID, ids: ids}, now)
		}
		return nil
	})
}

// eachPartition calls fn with the files of every partition directory under root.
func (s *Spool) eachPartition(root string, fn func(p *partition, dir string, files []os.DirEntry) error) error {
	parts, err := os.ReadDir(root)
	if err != nil {
		return fmt.Errorf("read spool: %w", err)
	}
	for _, pd := range parts {
		if !pd.IsDir() {
			continue
		}
		dir := filepath.Join(root, pd.Name())
		files, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("read spool: %w", err)
		}
		if err := fn(s.partition(pd.Name()), dir, files); err != nil {
			return err
		}
	}
	return nil
}

func readSealedHeader(path string) (*Sealed, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read sealed batch: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read sealed batch: %w", err)
	}
	line, err := bufio.NewReader(f).ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("read sealed batch header of %s: %w", filepath.Base(path), err)
	}
	sb := &Sealed{}
	if err := json.Unmarshal(line, sb); err != nil {
		return nil, fmt.Errorf("decode sealed batch header of %s: %w", filepath.Base(path), err)
	}
	if int64(len(line))+sb.BodySize > st.Size() {
		return nil, errors.New("sealed batch " + filepath.Base(path) + " is shorter than its header says")
	}
	sb.path = path
	sb.fileSize = st.Size()
	return sb, nil
}

// idsText returns the ids section of the sealed file, one id a line. Only that section is
// read: it follows the header line and the body.
func (sb *Sealed) idsText() ([]byte, error) {
	f, err := os.Open(sb.path)
	if err != nil {
		return nil, fmt.Errorf("read sealed batch ids: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read sealed batch ids: %w", err)
	}
	header, err := bufio.NewReader(f).ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("read sealed batch ids: %w", err)
	}
	start := int64(len(header)) + sb.BodySize
	if start > st.Size() {
		return nil, errors.New("sealed batch " + filepath.Base(sb.path) + " is shorter than its header says")
	}
	text := make([]byte, st.Size()-start)
	if _, err := f.ReadAt(text, start); err != nil {
		return nil, fmt.Errorf("read sealed batch ids: %w", err)
	}
	return text, nil
}

func (sb *Sealed) ids() (sealedIDs, error) {
	text, err := sb.idsText()
	if err != nil {
		return sealedIDs{}, err
	}
	return parseIDs(text), nil
}
