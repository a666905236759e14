package destination

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/auditship/auditship/internal/configenum"
)

// SSE is the server-side encryption asked for on each object.
type SSE string

const (
	// SSENone sends no encryption header: the bucket's default encryption applies.
	SSENone SSE = ""
	// SSEAES256 is SSE-S3.
	SSEAES256 SSE = "AES256"
	// SSEKMS is SSE-KMS, with kms_key_id or the account's aws/s3 key.
	SSEKMS SSE = "aws:kms"
)

// sseValues are the values sse takes; empty, listed last, means none.
var sseValues = []SSE{SSEAES256, SSEKMS, SSENone}

func (s SSE) valid() bool { return slices.Contains(sseValues, s) }

// UnmarshalText refuses any value but "", "AES256" and "aws:kms".
func (s *SSE) UnmarshalText(text []byte) error {
	v, err := configenum.Parse("sse", text, sseValues...)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// StorageClass is an S3 storage class; empty means the bucket's default.
type StorageClass string

// storageClasses are the SDK's storage class names, as S3 spells them, and then empty.
var storageClasses = func() []StorageClass {
	var classes []StorageClass
	for _, v := range types.StorageClass("").Values() {
		classes = append(classes, StorageClass(v))
	}
	return append(classes, "")
}()

func (c StorageClass) valid() bool { return slices.Contains(storageClasses, c) }

func storageClassList() string {
	var names []string
	for _, v := range storageClasses {
		if v != "" {
			names = append(names, string(v))
		}
	}
	return strings.Join(names, ", ")
}

// UnmarshalText refuses anything but S3's storage class names, as S3 spells them.
func (c *StorageClass) UnmarshalText(text []byte) error {
	v, err := configenum.Parse("storage_class", text, storageClasses...)
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// Checksum is the integrity check sent with each write.
type Checksum string

const (
	// ChecksumCRC32C sends x-amz-checksum-crc32c (in a trailer over https). S3 checks it and
	// keeps it with the object.
	ChecksumCRC32C Checksum = "crc32c"
	// ChecksumMD5 sends Content-MD5 and nothing else: what older S3-compatible servers and
	// Object Lock buckets know best.
	ChecksumMD5 Checksum = "md5"
	// ChecksumWhenRequired sends no checksum unless the operation requires one, for
	// S3-compatible servers that reject the SDK's checksum headers or aws-chunked bodies.
	ChecksumWhenRequired Checksum = "when_required"
)

// checksums are the values checksum takes; empty, listed last, means the default.
var checksums = []Checksum{ChecksumCRC32C, ChecksumMD5, ChecksumWhenRequired, ""}

func (c Checksum) valid() bool { return slices.Contains(checksums, c) }

// UnmarshalText refuses any value but "crc32c", "md5", "when_required" and "".
func (c *Checksum) UnmarshalText(text []byte) error {
	v, err := configenum.Parse("checksum", text, checksums...)
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// ByteSize is a number of bytes, written as a number or with a unit: B, KB, MB, GB (powers
// of 1000) or KiB, MiB, GiB (powers of 1024).
type ByteSize int64

var byteUnits = []struct {
	suffix string
	factor int64
}{
	// Longer suffixes first, so that "MiB" is not read as "M" + "iB".
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9},
	{"B", 1},
}

// UnmarshalText reads "64MiB", "100MB", "1048576" or "1048576B".
func (b *ByteSize) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	factor := int64(1)
	for _, u := range byteUnits {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			s, factor = strings.TrimSpace(num), u.factor
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/factor {
		return fmt.Errorf("%q is not a size: write a whole number of bytes, optionally with a unit (KiB, MiB, GiB, KB, MB, GB)", text)
	}
	*b = ByteSize(n * factor)
	return nil
}

// String writes the size with the largest binary unit that divides it.
func (b ByteSize) String() string {
	for _, u := range []struct {
		suffix string
		factor ByteSize
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if b != 0 && b%u.factor == 0 {
			return strconv.FormatInt(int64(b/u.factor), 10) + u.suffix
		}
	}
	return strconv.FormatInt(int64(b), 10) + "B"
}
