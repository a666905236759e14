// Package filepoll reads a file that another process rewrites (a control plane's routes, a
// keys file), by polling, and hands over its contents only when they are whole.
//
// A file rewritten in place (truncated, then written) can be read half-way, and a file cut
// inside a value may still parse: a bucket name cut short is another tenant's bucket, an org
// list cut short grants another org. So new contents are handed over only once two polls in a
// row have read them, compared as parsed values, so that a file regenerated at every poll with
// another comment or order still takes effect. Contents are hashed to skip the ones in use and
// the one refused last, since a rewrite of the same size within one modification-time tick
// changes neither. A writer that replaces the file by an atomic rename is never read half-way;
// the two reads are for those that do not.
package filepoll

import (
	"crypto/sha256"
	"os"
)

// Poller polls one file. It is not safe for concurrent use: one goroutine loads and polls.
type Poller[T any] struct {
	path  string
	parse func([]byte) (T, error)
	same  func(a, b T) bool

	// applied is the content whose value is in use; candidate a new content read at the last
	// poll, waiting to be read again, with its value when it parsed; refused the content (or
	// read error) refused last, so that each is reported once.
	applied, candidate, refused [sha256.Size]byte
	value                       *T
}

// New returns a poller of the file at path, whose contents parse turns into values that same
// compares.
func New[T any](path string, parse func([]byte) (T, error), same func(a, b T) bool) *Poller[T] {
	return &Poller[T]{path: path, parse: parse, same: same}
}

// Applied says that data, the file's content read at start-up, is the one in use.
func (p *Poller[T]) Applied(data []byte) { p.applied = sha256.Sum256(data) }

// Poll reads the file. It returns a new value when two polls in a row read it (changed), and
// an error to report when the file cannot be read, or was read twice in a row and does not
// parse: once per distinct content (the file system's or parse's error, as it is). Otherwise
// the value in use stays.
func (p *Poller[T]) Poll() (v T, changed bool, err error) {
	data, err := os.ReadFile(p.path)
	if err != nil {
		return v, false, p.refuse(sha256.Sum256([]byte(err.Error())), err)
	}
	sum := sha256.Sum256(data)
	switch sum {
	case p.applied:
		p.candidate, p.value, p.refused = [sha256.Size]byte{}, nil, [sha256.Size]byte{}
		return v, false, nil
	case p.refused:
		p.candidate, p.value = [sha256.Size]byte{}, nil
		return v, false, nil
	}
	parsed, err := p.parse(data)
	switch {
	case err != nil && sum == p.candidate:
		return v, false, p.refuse(sum, err)
	case err != nil:
		// Perhaps a write in progress: refused if it reads the same at the next poll.
		p.candidate, p.value = sum, nil
		return v, false, nil
	case p.value == nil || !p.same(*p.value, parsed):
		p.candidate, p.value = sum, &parsed
		return v, false, nil
	}
	p.applied, p.candidate, p.value, p.refused = sum, [sha256.Size]byte{}, nil, [sha256.Size]byte{}
	return parsed, true, nil
}

// refuse returns err to report, unless the content sum was the one refused last.
func (p *Poller[T]) refuse(sum [sha256.Size]byte, err error) error {
	p.candidate, p.value = [sha256.Size]byte{}, nil
	if sum == p.refused {
		return nil
	}
	p.refused = sum
	return err
}
