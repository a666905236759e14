package spool

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Redelivery comes soon after the fact. While the collector runs, a push that failed part-way
// or a client that lost our answer sends again within seconds, when the tenant's batch is
// still open or was just sealed: the ids of the open batch and of the batch sealed last
// suffice. After a restart, a persistent queue replays what it had not acknowledged, and may
// do so after many new batches: so everything found on disk at start (open and sealed
// batches, and the ids kept of recently delivered ones) is remembered for recoveredWindow.
// Ids outlive a delivered batch in a small file of their own, so that they survive one more
// restart. Memory stays bounded: one batch's ids per tenant while running, plus what the
// previous run left.
const (
	recoveredWindow = 2 * time.Minute
	idsSuffix       = ".ids"
)

type recentIDs struct {
	// until is when a batch found at start is forgotten; zero for the batch sealed last,
	// which is forgotten when the next one is sealed.
	until   time.Time
	batchID string
	ids     sealedIDs
	// stub is the file holding ids after the batch was delivered; empty before.
	stub string
}

// remember keeps r, and forgets (and removes the files of) the entries it replaces or that
// are past their time.
func (s *Spool) remember(p *partition, r recentIDs, now time.Time) {
	kept := p.recent[:0]
	for _, old := range p.recent {
		replaced := old.until.IsZero() && r.until.IsZero()
		expired := !old.until.IsZero() && now.After(old.until)
		if !replaced && !expired {
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
		text, err := sb.idsText()
		if err == nil {
			err = writeFileAtomic(path, text, s.sync)
		}
		if err != nil {
			return fmt.Errorf("keep ids of delivered batch: %w", err)
		}
		r.stub = path
		return nil
	}
	return nil
}

func readIDsFile(path string) (sealedIDs, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return sealedIDs{}, fmt.Errorf("read ids of delivered batch: %w", err)
	}
	return parseIDs(text), nil
}

// parseIDs reads ids written one a line.
func parseIDs(text []byte) sealedIDs {
	keys := make([]idKey, 0, bytes.Count(text, []byte{'\n'})+1)
	for len(text) > 0 {
		line, rest, _ := bytes.Cut(text, []byte{'\n'})
		if len(line) > 0 {
			keys = append(keys, keyOfBytes(line))
		}
		text = rest
	}
	return groupIDs(len(keys), slices.Values(keys))
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
