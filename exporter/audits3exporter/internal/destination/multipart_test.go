package destination

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// multipartDest is a destination on f that uploads bodies above 1 KiB in 1 KiB parts.
func multipartDest(t *testing.T, f *fakeS3, modify func(*Config)) *Destination {
	cfg := f.config()
	cfg.MultipartThreshold = 1 << 10
	if modify != nil {
		modify(&cfg)
	}
	d := destOn(t, cfg)
	d.partSize = 1 << 10
	return d
}

// bigBody is 2.5 parts of 1 KiB.
var bigBody = bytes.Repeat([]byte("0123456789abcdef"), 160)

func TestMultipartLandsIntact(t *testing.T) {
	tests := []struct {
		name       string
		checksum   Checksum
		wantHeader map[string]bool // header name → present on every UploadPart
	}{
		{"crc32c", ChecksumCRC32C, map[string]bool{"X-Amz-Checksum-Crc32c": true, "Content-Md5": false}},
		{"md5", ChecksumMD5, map[string]bool{"X-Amz-Checksum-Crc32c": false, "Content-Md5": true}},
		{"when_required", ChecksumWhenRequired, map[string]bool{"X-Amz-Checksum-Crc32c": false, "Content-Md5": false, "X-Amz-Checksum-Crc32": false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeS3(t)
			d := multipartDest(t, f, func(c *Config) { c.Checksum = tt.checksum; c.SSE = SSEAES256; c.StorageClass = "GLACIER_IR" })
			res, err := d.PutNew(context.Background(), keyN, bigBody, "application/gzip")
			require.NoError(t, err)
			assert.Equal(t, Result{Key: keyN(0), Multipart: true}, res)
			got, ok := f.object(keyN(0))
			require.True(t, ok)
			assert.Equal(t, bigBody, got)
			assert.Equal(t, []string{"ListObjectsV2", "CreateMultipartUpload", "UploadPart", "UploadPart", "UploadPart", "CompleteMultipartUpload"}, f.ops())

			create := f.requestsOf("CreateMultipartUpload")[0].header
			assert.Equal(t, "AES256", create.Get("X-Amz-Server-Side-Encryption"))
			assert.Equal(t, "GLACIER_IR", create.Get("X-Amz-Storage-Class"))
			assert.Equal(t, "application/gzip", create.Get("Content-Type"))
			assert.Empty(t, create.Get("X-Amz-Acl"))
			for _, part := range f.requestsOf("UploadPart") {
				for name, present := range tt.wantHeader {
					assert.Equal(t, present, part.header.Get(name) != "", "%s on UploadPart", name)
				}
			}
			assert.Equal(t, "*", f.requestsOf("CompleteMultipartUpload")[0].header.Get("If-None-Match"))
			assert.Zero(t, f.openUploads())
		})
	}
}

func TestMultipartAbortsOnFailure(t *testing.T) {
	tests := []struct {
		name     string
		failOp   string
		wantKind Kind
	}{
		{"a part fails", "UploadPart", Transient},
		{"complete fails", "CompleteMultipartUpload", Transient},
		{"complete denied", "CompleteMultipartUpload", Permanent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeS3(t)
			f.setFault(func(w http.ResponseWriter, _ *http.Request, op, _ string) bool {
				if op != tt.failOp {
					return false
				}
				if tt.wantKind == Permanent {
					writeS3Error(w, http.StatusForbidden, "AccessDenied", "Access Denied")
				} else {
					writeS3Error(w, http.StatusInternalServerError, "InternalError", "We encountered an internal error")
				}
				return true
			})
			d := multipartDest(t, f, nil)
			_, err := d.PutNew(context.Background(), keyN, bigBody, "")
			require.Error(t, err)
			assert.Equal(t, tt.wantKind, Classify(err).Kind)
			assert.Equal(t, tt.failOp, Classify(err).Operation)
			assert.Len(t, f.requestsOf("AbortMultipartUpload"), 1)
			assert.Zero(t, f.openUploads(), "the upload is aborted")
			assert.Empty(t, f.keys())
		})
	}
}

// TestMultipartTakenName: a complete refused with 412 is aborted and then compared like a PUT;
// a key found taken before uploading is not uploaded again. Another object is told apart once
// a write has shown that the bucket's ETags are MD5s; before, it is counted as unverified.
func TestMultipartTakenName(t *testing.T) {
	tests := []struct {
		name          string
		existing      []byte
		failFirstList bool // the check before uploading gets no answer
		firstWrite    bool // no write of this destination has shown MD5 ETags yet
		want          Result
		wantCreates   int
	}{
		{name: "found before uploading: same", existing: bigBody, want: Result{Key: keyN(0), Multipart: true, AlreadyPresent: true}},
		{name: "found before uploading: different", existing: []byte("other"), want: Result{Key: keyN(1), Attempt: 1, Multipart: true}, wantCreates: 1},
		{name: "found before uploading: different, first write", existing: []byte("other"), firstWrite: true, want: Result{Key: keyN(1), Attempt: 1, Multipart: true, Unverified: 1}, wantCreates: 1},
		{name: "412 on complete: same", existing: bigBody, failFirstList: true, want: Result{Key: keyN(0), Multipart: true, AlreadyPresent: true}, wantCreates: 1},
		{name: "412 on complete: different", existing: []byte("other"), failFirstList: true, want: Result{Key: keyN(1), Attempt: 1, Multipart: true}, wantCreates: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeS3(t)
			d := multipartDest(t, f, nil)
			if bytes.Equal(tt.existing, bigBody) {
				// Uploaded the same way, so that its ETag is a multipart one.
				_, err := d.PutNew(context.Background(), keyN, bigBody, "")
				require.NoError(t, err)
				f.forget()
			} else {
				f.put(keyN(0), tt.existing)
				if !tt.firstWrite {
					showMD5ETags(t, d)
				}
			}
			if tt.failFirstList {
				f.setFault(func(w http.ResponseWriter, _ *http.Request, op, _ string) bool {
					if op != "ListObjectsV2" {
						return false
					}
					f.setFault(nil)
					writeS3Error(w, http.StatusInternalServerError, "InternalError", "try again")
					return true
				})
			}
			res, err := d.PutNew(context.Background(), keyN, bigBody, "")
			require.NoError(t, err)
			assert.Equal(t, tt.want, res)
			assert.Len(t, f.requestsOf("CreateMultipartUpload"), tt.wantCreates)
			assert.Zero(t, f.openUploads())
			if tt.failFirstList {
				assert.Len(t, f.requestsOf("AbortMultipartUpload"), 1, "the refused upload is aborted")
			}
			got, _ := f.object(res.Key)
			assert.Equal(t, bigBody, got)
		})
	}
}

func TestPartsAndETag(t *testing.T) {
	w := &write{d: &Destination{cfg: Config{MultipartThreshold: 10}, partSize: 4}, body: []byte("0123456789")}
	assert.False(t, w.multipart())
	assert.Empty(t, w.multipartETag())
	w.body = []byte("0123456789a")
	assert.True(t, w.multipart())
	assert.Equal(t, [][]byte{[]byte("0123"), []byte("4567"), []byte("89a")}, w.parts())
	assert.Regexp(t, `^[0-9a-f]{32}-3$`, w.multipartETag())

	// More than 10,000 parts of partSize: the parts grow.
	w = &write{d: &Destination{cfg: Config{MultipartThreshold: 1}, partSize: 1}, body: make([]byte, 25_000)}
	assert.Equal(t, 3, w.partSize())
	assert.Len(t, w.parts(), 8334)
}

func TestIsMD5ETag(t *testing.T) {
	for etag, want := range map[string]bool{
		"d41d8cd98f00b204e9800998ecf8427e":    true,
		"d41d8cd98f00b204e9800998ecf8427e-12": true,
		"d41d8cd98f00b204e9800998ecf8427e-":   false,
		"d41d8cd98f00b204e9800998ecf8427e-x":  false,
		"d41d8cd98f00b204e9800998ecf8427":     false,
		"zz1d8cd98f00b204e9800998ecf8427e":    false,
		"":                                    false,
	} {
		assert.Equal(t, want, isMD5ETag(etag), etag)
	}
}
