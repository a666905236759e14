package schema

import (
	"io"
	"iter"
	"slices"

	"go.opentelemetry.io/collector/pdata/plog"
)

// Encoder writes records of one schema and format. A file is
//
//	Header, record, Terminator, Separator, record, Terminator, ..., Footer
//
// with Separator only between records; AppendFile assembles it. The byte slices it returns are
// shared: callers must not modify them.
type Encoder interface {
	// AppendRecord appends lr as one record, without separator or terminator.
	AppendRecord(buf []byte, lr plog.LogRecord) []byte
	// Header opens a file (the CSV header row; the array's bracket).
	Header() []byte
	// Separator goes between two records.
	Separator() []byte
	// Terminator follows every record (the newline of NDJSON and CSV).
	Terminator() []byte
	// Footer closes a file.
	Footer() []byte
	// ContentType is the Content-Type of an uncompressed file.
	ContentType() string
	// Extension is the file name's extension, with its dot.
	Extension() string
}

// Content types of the files.
const (
	contentTypeNDJSON = "application/x-ndjson"
	contentTypeJSON   = "application/json"
	contentTypeCSV    = "text/csv; charset=utf-8"
)

// framing is the part of an Encoder that does not depend on the records.
type framing struct {
	header, separator, terminator, footer []byte
	contentType, extension                string
}

func (f *framing) Header() []byte      { return f.header }
func (f *framing) Separator() []byte   { return f.separator }
func (f *framing) Terminator() []byte  { return f.terminator }
func (f *framing) Footer() []byte      { return f.footer }
func (f *framing) ContentType() string { return f.contentType }
func (f *framing) Extension() string   { return f.extension }

var (
	ndjsonFraming = framing{terminator: []byte("\n"), contentType: contentTypeNDJSON}
	// The array puts one record per line, so that a file stays readable with line tools.
	jsonArrayFraming = framing{header: []byte("["), separator: []byte(",\n"), footer: []byte("]\n"), contentType: contentTypeJSON}
)

// New returns the Encoder c describes, or an error naming each key that is wrong.
func New(c Config) (Encoder, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	json := c.Format == JSON
	switch {
	case c.Schema == Airkit && c.Format == CSV:
		return newAirkitCSV(c.OCSFColumns), nil
	case c.Schema == Airkit:
		return newAirkitJSON(json, c.OCSFColumns), nil
	case c.Schema == OCSF:
		return newOCSF(), nil
	default:
		return newGoodData(json), nil
	}
}

// AppendFile appends a whole file of records, each as AppendRecord made it, with the
// encoder's framing.
func AppendFile(buf []byte, enc Encoder, records [][]byte) []byte {
	size := len(enc.Header()) + len(enc.Footer()) + len(records)*(len(enc.Separator())+len(enc.Terminator()))
	for _, r := range records {
		size += len(r)
	}
	buf, _ = appendFile(slices.Grow(buf, size), enc, slices.Values(records), nil)
	return buf
}

// fileChunk is about how much of a file WriteFileSeq assembles before handing it on: enough that
// a compressor gets long writes, little next to a batch.
const fileChunk = 256 << 10

// WriteFileSeq writes to w the file AppendFile would build, for records read one at a time
// (from a spool file, say; each record need only stay valid until the next is yielded). The
// file is assembled in pieces in scratch, which is returned for reuse, so that a batch is
// never held whole: written to a compressor, only its compressed form is.
func WriteFileSeq(w io.Writer, enc Encoder, records iter.Seq[[]byte], scratch []byte) ([]byte, error) {
	buf, err := appendFile(scratch[:0], enc, records, w)
	if err == nil {
		_, err = w.Write(buf)
	}
	return buf[:0], err
}

// appendFile appends the file of records to buf. When w is set, it hands buf to w and starts
// buf again whenever buf reaches fileChunk.
func appendFile(buf []byte, enc Encoder, records iter.Seq[[]byte], w io.Writer) ([]byte, error) {
	buf = append(buf, enc.Header()...)
	first := true
	for r := range records {
		if w != nil && len(buf) >= fileChunk {
			if _, err := w.Write(buf); err != nil {
				return buf, err
			}
			buf = buf[:0]
		}
		if !first {
			buf = append(buf, enc.Separator()...)
		}
		first = false
		buf = append(buf, r...)
		buf = append(buf, enc.Terminator()...)
	}
	return append(buf, enc.Footer()...), nil
}
