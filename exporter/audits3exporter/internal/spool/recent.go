package spool

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Redelivery comes soon after the fact: a persistent queue replays what it had not yet
// acknowledged right after a restart, a client retries within seconds. So the ids of every
// batch sealed within recentWindow are kept, in memory and, once the batch is delivered and
// its file removed, in a small file of ids beside the sealed ones; after recentWindow they are
// let go, which bounds what this takes. A restart keeps them all for another recentWindow.
const (
	recentWindow = 2 * time.Minute
	// recentMaxBatches bounds the memory of a partition sealing many tiny batches.
	recentMaxBatches = 256
	idsSuffix        = ".ids"
)

type recentIDs struct {
	since   time.Time
	batchID string
	ids     map[string]struct{}
	// stub is the file holding ids after the batch was delivered; empty before.
	stub string
}

// remember keeps r, and forgets (and removes the files of) the entries past the window.
func (s *Spool) remember(p *partition, r recentIDs, now time.Time) {
	kept := p.recent[:0]
	for i, old := range p.recent {
		if now.Sub(old.since) < recentWindow && len(p.recent)-i < recentMaxBatches {
			kept = append(kept, old)
			continue
		}
		if old.stub != "" {
			_ = os.Remove(old.stub)
		}
	}
	p.recent = append(kept, r)
}

// keepIDsOfDelivered writes the ids of a delivered batch that is still within the window to
// a file of their own, so that they survive the removal of the sealed file and a restart.
func (s *Spool) keepIDsOfDelivered(p *partition, sb *Sealed) error {
	for i := range p.recent {
		r := &p.recent[i]
		if r.batchID != sb.BatchID || r.stub != "" {
			continue
		}
		path := filepath.Join(filepath.Dir(sb.path), sb.BatchID+idsSuffix)
		var buf bytes.Buffer
		for id := range r.ids {
			buf.WriteString(id)
			buf.WriteByte('\n')
		}
		if err := writeFileAtomic(path, buf.Bytes(), s.sync); err != nil {
			return fmt.Errorf("keep ids of delivered batch: %w", err)
		}
		r.stub = path
		return nil
	}
	return nil
}

func readIDsFile(path string) (map[string]struct{}, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read ids of delivered batch: %w", err)
	}
	defer f.Close()
	ids := map[string]struct{}{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if len(sc.Bytes()) > 0 {
			ids[sc.Text()] = struct{}{}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read ids of delivered batch: %w", err)
	}
	return ids, nil
}

// writeFileAtomic writes data under a temporary name and renames it into place.
func writeFileAtomic(path string, data []byte, sync bool) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
