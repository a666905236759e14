package compression

import "github.com/auditship/auditship/internal/configenum"

// Type is how an object's body is compressed. It is a collector config value: unmarshalling
// refuses anything but the constants below.
type Type string

const (
	// None stores the body as encoded; the object keeps the schema's extension and
	// Content-Type. The empty Type means None.
	None Type = "none"
	// Gzip stores a gzip stream (RFC 1952): `.gz`, application/gzip.
	Gzip Type = "gzip"
	// Zstd stores a Zstandard frame (RFC 8878): `.zst`, application/zstd.
	Zstd Type = "zstd"
)

// UnmarshalText accepts "none", "gzip", "zstd", or an empty value for none.
func (t *Type) UnmarshalText(text []byte) error {
	v, err := configenum.Parse("compression", text, None, Gzip, Zstd, "")
	if err != nil {
		return err
	}
	*t = v
	return nil
}
