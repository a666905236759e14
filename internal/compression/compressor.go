package compression

import "fmt"

// Compressor compresses object bodies of one Type. It is safe for concurrent use and meant to
// be built once per exporter: the zstd encoder is expensive to create and holds its state for
// reuse.
type Compressor struct {
	typ         Type
	extension   string
	contentType string
	codec       codec
}

// codec is one compression algorithm. Both methods append to dst and may be called
// concurrently.
type codec interface {
	compress(dst, src []byte) ([]byte, error)
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
		z, err := newZstdCodec()
		if err != nil {
			return nil, fmt.Errorf("compression zstd: %w", err)
		}
		return &Compressor{typ: Zstd, extension: ".zst", contentType: "application/zstd", codec: z}, nil
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
	return c.codec.compress(dst, src)
}

// Decompress appends the decompressed form of src to dst.
func (c *Compressor) Decompress(dst, src []byte) ([]byte, error) {
	return c.codec.decompress(dst, src)
}

// maxDecodedSize bounds what Decompress produces, so that a stream claiming a huge size cannot
// exhaust memory; it is far above any batch the exporter writes.
const maxDecodedSize = 1 << 30

// identity is None: the body is copied as it is.
type identity struct{}

func (identity) compress(dst, src []byte) ([]byte, error)   { return append(dst, src...), nil }
func (identity) decompress(dst, src []byte) ([]byte, error) { return append(dst, src...), nil }
