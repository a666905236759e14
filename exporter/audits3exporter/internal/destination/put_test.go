package destination

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPutNewWritesNewObject(t *testing.T) {
	f := newFakeS3(t)
	d := destOn(t, f.config())
	body := []byte(`{"eventName":"user_login"}` + "\n")

	res, err := d.PutNew(context.Background(), keyN, body, "application/x-ndjson")
	require.NoError(t, err)
	assert.Equal(t, Result{Key: keyN(0)}, res)
	got, ok := f.object(keyN(0))
	require.True(t, ok)
	assert.Equal(t, body, got)
	assert.Equal(t, []string{"PutObject"}, f.ops())
	put := f.requestsOf("PutObject")[0]
	assert.Equal(t, "*", put.header.Get("If-None-Match"))
	assert.Equal(t, "application/x-ndjson", put.header.Get("Content-Type"))
}

// existingOrigin is how the object found at a taken name got there.
type existingOrigin int

const (
	// byAnotherWriter: stored directly, with the MD5 ETag of its content.
	byAnotherWriter existingOrigin = iota
	// byThisDestination: written through S3 by the destination under test, earlier.
	byThisDestination
	// byEarlierProcess: written through S3 by a destination of a previous run, as after a
	// restart; the destination under test has written nothing yet.
	byEarlierProcess
)

// TestPutNewTakenName covers the 412 answers: our own earlier write is recognised by its
// ETag; another object sends us to the next name; an object that cannot be compared (no
// listing, KMS ETags, or ETags not yet shown to be MD5s) too, counted as unverified.
func TestPutNewTakenName(t *testing.T) {
	body := []byte("batch one\n")
	tests := []struct {
		name     string
		existing []byte
		origin   existingOrigin
		// shownMD5 writes another batch first, which shows that the bucket's ETags are MD5s.
		shownMD5     bool
		denyList     bool
		sse          SSE
		kmsByDefault bool
		want         Result
		wantOps      []string
	}{
		{
			name:     "same body: an earlier attempt whose answer was lost",
			existing: body,
			want:     Result{Key: keyN(0), AlreadyPresent: true},
			wantOps:  []string{"PutObject", "ListObjectsV2"},
		},
		{
			name:     "different body, ETags shown to be MD5s: next name",
			existing: []byte("another batch\n"),
			shownMD5: true,
			want:     Result{Key: keyN(1), Attempt: 1},
			wantOps:  []string{"PutObject", "ListObjectsV2", "PutObject"},
		},
		{
			name:     "different body before any write showed MD5 ETags: cannot compare, next name",
			existing: []byte("another batch\n"),
			want:     Result{Key: keyN(1), Attempt: 1, Unverified: 1},
			wantOps:  []string{"PutObject", "ListObjectsV2", "PutObject"},
		},
		{
			name:     "listing denied: cannot compare, next name",
			existing: body,
			denyList: true,
			want:     Result{Key: keyN(1), Attempt: 1, Unverified: 1},
			wantOps:  []string{"PutObject", "ListObjectsV2", "PutObject"},
		},
		{
			name:     "SSE-KMS: the ETag is no MD5, next name",
			existing: body,
			origin:   byThisDestination,
			sse:      SSEKMS,
			want:     Result{Key: keyN(1), Attempt: 1, Unverified: 1},
			wantOps:  []string{"PutObject", "ListObjectsV2", "PutObject"},
		},
		{
			name:         "the bucket encrypts with KMS unasked: noticed, next name",
			existing:     body,
			origin:       byThisDestination,
			kmsByDefault: true,
			want:         Result{Key: keyN(1), Attempt: 1, Unverified: 1},
			wantOps:      []string{"PutObject", "ListObjectsV2", "PutObject"},
		},
		{
			name:         "the bucket encrypts with KMS unasked, first write after a restart: next name, unverified",
			existing:     body,
			origin:       byEarlierProcess,
			kmsByDefault: true,
			want:         Result{Key: keyN(1), Attempt: 1, Unverified: 1},
			wantOps:      []string{"PutObject", "ListObjectsV2", "PutObject"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeS3(t)
			f.denyList = tt.denyList
			f.defaultKMS = tt.kmsByDefault
			cfg := f.config()
			cfg.SSE = tt.sse
			d := destOn(t, cfg)
			switch tt.origin {
			case byAnotherWriter:
				f.put(keyN(0), tt.existing)
			case byThisDestination:
				_, err := d.PutNew(context.Background(), keyN, tt.existing, "")
				require.NoError(t, err)
			case byEarlierProcess:
				_, err := destOn(t, cfg).PutNew(context.Background(), keyN, tt.existing, "")
				require.NoError(t, err)
			}
			if tt.shownMD5 {
				showMD5ETags(t, d)
			}
			f.forget()

			res, err := d.PutNew(context.Background(), keyN, body, "")
			require.NoError(t, err)
			assert.Equal(t, tt.want, res)
			assert.Equal(t, tt.wantOps, f.ops())
			got, _ := f.object(res.Key)
			assert.Equal(t, body, got)
			old, _ := f.object(keyN(0))
			assert.Equal(t, tt.existing, old, "the existing object is never replaced")
		})
	}
}

func TestPutNewEveryNameTaken(t *testing.T) {
	f := newFakeS3(t)
	d := destOn(t, f.config())
	for i := range 3 {
		f.put(keys(3)(i), []byte("someone else's"))
	}
	res, err := d.PutNew(context.Background(), keys(3), []byte("ours"), "")
	require.Error(t, err)
	assert.Equal(t, keys(3)(2), res.Key)
	fl := Classify(err)
	assert.Equal(t, Permanent, fl.Kind)
	assert.Equal(t, "PreconditionFailed", fl.Code)
	assert.Contains(t, err.Error(), "every name tried (3) is taken")
}

// TestPutNewLostAnswer: the object is stored but the answer never arrives; the retry
// recognises it instead of writing a second copy.
func TestPutNewLostAnswer(t *testing.T) {
	f := newFakeS3(t)
	d := destOn(t, f.config())
	body := []byte("batch\n")
	f.setFault(func(w http.ResponseWriter, r *http.Request, op, key string) bool {
		if op != "PutObject" {
			return false
		}
		data, _ := io.ReadAll(r.Body)
		f.put(key, data)
		f.setFault(nil)
		hangUp(w, false)
		return true
	})

	_, err := d.PutNew(context.Background(), keyN, body, "")
	require.Error(t, err)
	assert.Equal(t, Transient, Classify(err).Kind, err.Error())

	res, err := d.PutNew(context.Background(), keyN, body, "")
	require.NoError(t, err)
	assert.Equal(t, Result{Key: keyN(0), AlreadyPresent: true}, res)
	assert.Equal(t, []string{keyN(0)}, f.keys())
}

// TestPutNewHeaders checks what each setting sends, and that no ACL is ever sent.
func TestPutNewHeaders(t *testing.T) {
	body := []byte("batch\n")
	sum := md5.Sum(body)
	md5B64 := base64.StdEncoding.EncodeToString(sum[:])
	tests := []struct {
		name   string
		modify func(*Config)
		want   map[string]string // "" means absent
	}{
		{
			name:   "defaults: crc32c, no encryption or class header",
			modify: func(*Config) {},
			want: map[string]string{
				"X-Amz-Checksum-Crc32c": "*", "Content-Md5": "", "X-Amz-Server-Side-Encryption": "", "X-Amz-Storage-Class": "",
			},
		},
		{
			name:   "md5",
			modify: func(c *Config) { c.Checksum = ChecksumMD5 },
			want:   map[string]string{"Content-Md5": md5B64, "X-Amz-Checksum-Crc32c": "", "X-Amz-Checksum-Crc32": "", "X-Amz-Sdk-Checksum-Algorithm": ""},
		},
		{
			name:   "when_required",
			modify: func(c *Config) { c.Checksum = ChecksumWhenRequired },
			want:   map[string]string{"Content-Md5": "", "X-Amz-Checksum-Crc32c": "", "X-Amz-Checksum-Crc32": "", "X-Amz-Sdk-Checksum-Algorithm": ""},
		},
		{
			name:   "SSE-S3 and a storage class",
			modify: func(c *Config) { c.SSE, c.StorageClass = SSEAES256, "STANDARD_IA" },
			want:   map[string]string{"X-Amz-Server-Side-Encryption": "AES256", "X-Amz-Storage-Class": "STANDARD_IA", "X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id": ""},
		},
		{
			name:   "SSE-KMS with a key",
			modify: func(c *Config) { c.SSE, c.KMSKeyID = SSEKMS, "alias/audit" },
			want:   map[string]string{"X-Amz-Server-Side-Encryption": "aws:kms", "X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id": "alias/audit"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeS3(t)
			cfg := f.config()
			tt.modify(&cfg)
			d := destOn(t, cfg)
			_, err := d.PutNew(context.Background(), keyN, body, "")
			require.NoError(t, err)
			puts := f.requestsOf("PutObject")
			require.Len(t, puts, 1)
			h := puts[0].header
			for name, want := range tt.want {
				switch want {
				case "":
					assert.Empty(t, h.Values(name), name)
				case "*":
					assert.NotEmpty(t, h.Get(name), name)
				default:
					assert.Equal(t, want, h.Get(name), name)
				}
			}
			assert.Equal(t, "*", h.Get("If-None-Match"))
			for name := range h {
				lower := strings.ToLower(name)
				assert.False(t, lower == "x-amz-acl" || strings.HasPrefix(lower, "x-amz-grant-"), "ACL header %s sent", name)
			}
		})
	}
}
