package destination

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"go.uber.org/zap"
)

// maxNames bounds the names one PutNew tries, whatever the key function allows.
const maxNames = 1000

// Result is what PutNew did.
type Result struct {
	// Key is the object's key: where body was written, or where it already was.
	Key string
	// Attempt is the argument of key that gave Key.
	Attempt int
	// AlreadyPresent says that Key already held exactly body (an earlier attempt whose answer
	// was lost), so nothing was written.
	AlreadyPresent bool
	// Multipart says that body is above multipart_threshold: it was (or, when already
	// present, would have been) written with a multipart upload.
	Multipart bool
	// Unverified counts names passed over because they were taken by an object that could
	// not be compared with body: listing is denied (no s3:ListBucket), or ETags are not MD5s
	// (SSE-KMS) or not yet known to be. One of them may hold body itself, from an earlier
	// attempt whose answer was lost: a duplicate, never a loss and never an overwrite.
	Unverified int
}

// PutNew writes body under the first free name of key(0), key(1), ..., never replacing an
// object: every write carries If-None-Match: *, and S3 answers 412 when the key exists. Then,
// if the role may list the bucket, ListObjectsV2 (Prefix=key, MaxKeys=1) gives the existing
// object's ETag: the MD5 of body (or the multipart ETag body would get) means it is body,
// written by an earlier attempt whose answer was lost, and PutNew reports it AlreadyPresent
// without writing again; another ETag means another object, and PutNew moves to the next
// name. key returns "" to stop; PutNew tries at most 1000 names.
//
// When listing is denied (a role with s3:PutObject only), the ETag is not an MD5 (SSE-KMS
// gives an ETag that is not), or no write to this destination in this process has yet shown
// that its ETags are MD5s (a bucket's default KMS encryption is told only in a write's
// answer), a taken name cannot be told apart from our own earlier write: PutNew takes the next
// name and counts it in Result.Unverified. That keeps the promise that
// nothing is lost or overwritten, at the cost of a possible second copy after a lost answer.
//
// Bodies above multipart_threshold go up in parts (see putMultipart). No ACL header is ever
// sent. Errors are *Error: Classify tells what to do next.
func (d *Destination) PutNew(ctx context.Context, key func(attempt int) string, body []byte, contentType string) (Result, error) {
	rc, err := d.client(ctx)
	if err != nil {
		return Result{}, err
	}
	w := &write{d: d, c: rc.client, body: body, contentType: contentType}
	var res Result
	for attempt := 0; attempt < maxNames; attempt++ {
		k := key(attempt)
		if k == "" {
			break
		}
		res.Key, res.Attempt, res.Multipart = k, attempt, w.multipart()
		state, err := w.put(ctx, k)
		if err != nil {
			return res, d.wrap(err, "put s3://%s/%s", d.cfg.Bucket, k)
		}
		switch state {
		case stateWritten:
			return res, nil
		case stateSame:
			res.AlreadyPresent = true
			return res, nil
		case stateUnknown:
			res.Unverified++
		}
	}
	msg := fmt.Sprintf("put s3://%s: the key function gave no name", d.cfg.Bucket)
	if res.Key != "" {
		msg = fmt.Sprintf("put s3://%s/%s: every name tried (%d) is taken by another object", d.cfg.Bucket, res.Key, res.Attempt+1)
	}
	return res, &Error{
		Failure: Failure{Kind: Permanent, Code: "PreconditionFailed", Status: http.StatusPreconditionFailed, Operation: "PutObject", Missing: fixNames},
		msg:     d.redact.replace(msg),
	}
}

// objectState is what a name holds, as far as we can tell.
type objectState int

const (
	// stateWritten: the key was free and now holds body.
	stateWritten objectState = iota
	// stateAbsent: the listing does not show the key.
	stateAbsent
	// stateSame: the key holds body.
	stateSame
	// stateDifferent: the key holds another object.
	stateDifferent
	// stateUnknown: the key holds an object we cannot compare with body.
	stateUnknown
	// stateUnlisted: listing is denied; whether the key exists is not known.
	stateUnlisted
)

// write is one body on its way to one destination; its digests are computed when first needed.
type write struct {
	d           *Destination
	c           *s3.Client
	body        []byte
	contentType string

	sum     []byte
	partMD5 [][]byte
}

func (w *write) multipart() bool {
	return int64(len(w.body)) > int64(w.d.cfg.MultipartThreshold)
}

// put writes body under key unless the key is taken, and says which.
func (w *write) put(ctx context.Context, key string) (objectState, error) {
	if w.multipart() {
		// Before sending a large body, see whether the key is taken (an earlier attempt that
		// completed): that saves uploading it again just to be told 412. Anything but a
		// clear answer leaves it to the conditional write.
		if state, err := w.existing(ctx, key); err == nil && state != stateAbsent && state != stateUnlisted {
			return state, nil
		}
	}
	var err error
	if w.multipart() {
		err = w.putMultipart(ctx, key)
	} else {
		err = w.putObject(ctx, key)
	}
	if err == nil {
		return stateWritten, nil
	}
	if !isPreconditionFailed(err) {
		return 0, err
	}
	state, err := w.existing(ctx, key)
	if err != nil {
		return 0, fmt.Errorf("the key exists, and listing it to compare failed: %w", err)
	}
	if state == stateAbsent || state == stateUnlisted {
		// Denied a listing, or taken a moment ago and not listed now (deleted meanwhile, or
		// a listing that lags): nothing to compare with, and the next name is as good.
		state = stateUnknown
	}
	return state, nil
}

// objectSettings are what every new object is written with, by a single PUT or a multipart
// upload alike. Empty values are left out of the request.
type objectSettings struct {
	contentType  *string
	sse          types.ServerSideEncryption
	kmsKeyID     *string
	storageClass types.StorageClass
	checksum     types.ChecksumAlgorithm
}

func (w *write) settings() objectSettings {
	cfg := &w.d.cfg
	var set objectSettings
	if w.contentType != "" {
		set.contentType = aws.String(w.contentType)
	}
	if cfg.SSE != SSENone {
		set.sse = types.ServerSideEncryption(cfg.SSE)
		if cfg.KMSKeyID != "" {
			set.kmsKeyID = aws.String(cfg.KMSKeyID)
		}
	}
	set.storageClass = types.StorageClass(cfg.StorageClass)
	if cfg.Checksum == ChecksumCRC32C {
		set.checksum = types.ChecksumAlgorithmCrc32c
	}
	return set
}

// putObject is one conditional PutObject.
func (w *write) putObject(ctx context.Context, key string) error {
	cfg := &w.d.cfg
	in := &s3.PutObjectInput{
		Bucket:        aws.String(cfg.Bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(w.body),
		ContentLength: aws.Int64(int64(len(w.body))),
		IfNoneMatch:   aws.String("*"),
	}
	set := w.settings()
	in.ContentType, in.ServerSideEncryption, in.SSEKMSKeyId = set.contentType, set.sse, set.kmsKeyID
	in.StorageClass, in.ChecksumAlgorithm = set.storageClass, set.checksum
	if cfg.Checksum == ChecksumMD5 {
		in.ContentMD5 = aws.String(base64.StdEncoding.EncodeToString(w.md5()))
	}
	out, err := w.c.PutObject(ctx, in)
	if err == nil {
		w.noteWritten(out.ServerSideEncryption, out.ETag)
	}
	return err
}

// existing lists key (s3:ListBucket; HeadObject would need s3:GetObject) and compares its
// ETag with what body would have.
func (w *write) existing(ctx context.Context, key string) (objectState, error) {
	out, err := w.c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket:  aws.String(w.d.cfg.Bucket),
		Prefix:  aws.String(key),
		MaxKeys: aws.Int32(1),
	})
	if err != nil {
		if isAccessDenied(err) {
			w.d.noteListDenied()
			return stateUnlisted, nil
		}
		return 0, err
	}
	if len(out.Contents) == 0 || aws.ToString(out.Contents[0].Key) != key {
		return stateAbsent, nil
	}
	etag := normalETag(out.Contents[0].ETag)
	switch {
	case w.isOwnETag(etag):
		return stateSame, nil
	case w.d.cfg.SSE == SSEKMS || w.d.kmsETags.Load() || !w.d.md5ETags.Load() || !isMD5ETag(etag):
		// An ETag that is not this body's tells another object only where ETags are MD5s of
		// the content, which a write must have shown: after a restart, a bucket that encrypts
		// with KMS by default gives ETags shaped like MD5s that are not.
		return stateUnknown, nil
	default:
		return stateDifferent, nil
	}
}

// normalETag is an ETag as S3 sends it, without quotes, in lower case.
func normalETag(etag *string) string {
	return strings.ToLower(strings.Trim(aws.ToString(etag), `"`))
}

// isOwnETag tells whether etag is the one S3 computes for body: its MD5, or the multipart ETag
// when body goes up in parts. An empty ETag is nobody's.
func (w *write) isOwnETag(etag string) bool {
	return etag != "" && (etag == hex.EncodeToString(w.md5()) || etag == w.multipartETag())
}

// noteWritten learns from a successful write how this destination's ETags can be read: S3
// saying it encrypted with KMS means they are not MD5s; the ETag of body's content means they
// are.
func (w *write) noteWritten(sse types.ServerSideEncryption, etag *string) {
	w.d.noteEncryption(sse)
	if !w.d.md5ETags.Load() && w.isOwnETag(normalETag(etag)) {
		w.d.md5ETags.Store(true)
	}
}

func (w *write) md5() []byte {
	if w.sum == nil {
		s := md5.Sum(w.body)
		w.sum = s[:]
	}
	return w.sum
}

// isMD5ETag tells an ETag S3 computes from content: 32 hex digits, with -<parts> for a
// multipart upload.
func isMD5ETag(etag string) bool {
	hexPart, parts, multi := strings.Cut(etag, "-")
	if multi {
		if n, err := strconv.Atoi(parts); err != nil || n < 1 {
			return false
		}
	}
	_, err := hex.DecodeString(hexPart)
	return err == nil && len(hexPart) == 32
}

func isAccessDenied(err error) bool {
	f := Classify(err)
	return accessDenied[f.Code] || f.Status == http.StatusForbidden && f.Missing == permListBucket
}

// noteEncryption remembers that S3 encrypts with KMS, even when we did not ask (the bucket's
// default encryption), because such objects' ETags cannot be compared with an MD5.
func (d *Destination) noteEncryption(sse types.ServerSideEncryption) {
	if strings.HasPrefix(string(sse), "aws:kms") && d.kmsETags.CompareAndSwap(false, true) {
		d.logger.Info("The bucket encrypts with KMS: its ETags are not MD5s, so a retry after a lost answer "+
			"cannot recognise its own object and may leave a second copy.", zap.String("bucket", d.cfg.Bucket))
	}
}

// noteListDenied logs, once per destination, that duplicates after lost answers cannot be
// recognised.
func (d *Destination) noteListDenied() {
	if d.listDenied.CompareAndSwap(false, true) {
		d.logger.Warn("Listing the bucket is denied (no s3:ListBucket): an object name found taken cannot be "+
			"recognised as this collector's own earlier write, so the next name is used; a retry after a lost "+
			"answer may then leave a second copy of a batch. Grant s3:ListBucket to avoid it.",
			zap.String("bucket", d.cfg.Bucket))
	}
}
