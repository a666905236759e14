package compression

import (
	"fmt"
	"io"
)

// Compressor compresses object bodies of one Type. It is safe for concurrent use and meant to
// be built once per exporter: compressor state is expensive to create and is kept for reuse.
type Compressor struct {
	typ         Type
	extension   string
	contentType string
	codec       codec
}

// codec is one compression algorithm. Its methods may be called concurrently.
type codec interface {
	// writer returns a stream writing to out, and a release to call once the stream is closed
	// (or abandoned), which hands the stream's state back for reuse.
	writer(out io.Writer) (stream io.WriteCloser, release func())
	decompress(dst, src []byte) ([]byte, error)
}

// New returns the Compressor of t; the empty Type is None.
func New(t Type) (*Compressor, error) {
	switch t {
	case "", None:
		return &Compressor{typ: None, codec: identity{}}, nil
	case Gzip:
		return &Compressor{typ: Gzip, extension: ".gz", contentType: "application/gzip", codec: newGzipCodec()}, nil
	case Zstd:
		return &Compressor{typ: Zstd, extension: ".zst", contentType: "application/zstd", codec: newZstdCodec()}, nil
	default:
		return nil, fmt.Errorf("unknown compression %q: use %q, %q or %q", string(t), None, Gzip, Zstd)
	}
}

// Type is the compression c applies.
func (c *Compressor) Type() Type { return c.typ }

// Extension is the suffix added to the schema's extension: "", ".gz" or ".zst".
func (c *Compressor) Extension() string { return c.extension }

// ContentType is the object's Content-Type, or "" for None, where the schema's applies.
func (c *Compressor) ContentType() string { return c.contentType }

// Compress appends the compressed form of src to dst. The same src always gives the same bytes
// (for a given version of this package and of klauspost/compress).
func (c *Compressor) Compress(dst, src []byte) ([]byte, error) {
	w := c.NewWriter(dst)
	if _, err := w.Write(src); err != nil {
		w.Abandon()
		return dst, err
	}
	return w.Close()
}

// Writer compresses one stream written in pieces, appending the compressed bytes to a slice:
// a body can be compressed as it is built, without first holding all of it uncompressed. The
// bytes depend only on the concatenation of what was written, not on how it was cut.
type Writer struct {
	out     appendWriter
	stream  io.WriteCloser
	release func()
}

// NewWriter starts a stream whose compressed bytes are appended to dst. Finish it with Close,
// or Abandon it.
func (c *Compressor) NewWriter(dst []byte) *Writer {
	w := &Writer{out: appendWriter{buf: dst}}
	w.stream, w.release = c.codec.writer(&w.out)
	return w
}

// Write compresses p.
func (w *Writer) Write(p []byte) (int, error) { return w.stream.Write(p) }

// Close ends the stream and returns dst with the whole compressed stream appended.
func (w *Writer) Close() ([]byte, error) {
	err := w.stream.Close()
	w.release()
	if err != nil {
		return nil, err
	}
	return w.out.buf, nil
}

// Abandon drops the stream without finishing it.
func (w *Writer) Abandon() { w.release() }

// Decompress appends the decompressed form of src to dst.
func (c *Compressor) Decompress(dst, src []byte) ([]byte, error) {
	return c.codec.decompress(dst, src)
}

// maxDecodedSize bounds what Decompress produces, so that a stream claiming a huge size cannot
// exhaust memory; it is far above any batch the exporter writes.
const maxDecodedSize = 1 << 30

// identity is None: the body is copied as it is.
type identity struct{}

func (identity) writer(out io.Writer) (io.WriteCloser, func()) { return nopCloser{out}, func() {} }

func (identity) decompress(dst, src []byte) ([]byte, error) { return append(dst, src...), nil }

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// appendWriter is an io.Writer that appends to buf, so a stream compressor can write straight
// into the caller's slice.
type appendWriter struct {
	buf []byte
}

func (w *appendWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	return len(p), nil
}
