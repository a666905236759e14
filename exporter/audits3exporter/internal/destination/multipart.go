package destination

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"go.uber.org/zap"
)

const (
	// defaultPartSize is the size of every part but the last.
	defaultPartSize = 16 << 20
	// maxParts is S3's limit on parts per upload; larger bodies get larger parts.
	maxParts = 10_000
	// abortTimeout bounds the clean-up of a failed upload, which runs even when the caller's
	// context has ended.
	abortTimeout = 30 * time.Second
)

// putMultipart writes body with CreateMultipartUpload, UploadPart (in order, one at a time:
// a batch is rarely more than a few parts) and CompleteMultipartUpload carrying
// If-None-Match: *, so that completing refuses (412) a key that exists. AWS S3 and versitygw
// v1.8.0 both honour the condition on complete. On any failure, 412 included, the upload is
// aborted (s3:AbortMultipartUpload) so that no parts are left behind.
func (w *write) putMultipart(ctx context.Context, key string) (err error) {
	cfg := &w.d.cfg
	create := &s3.CreateMultipartUploadInput{
		Bucket: aws.String(cfg.Bucket),
		Key:    aws.String(key),
	}
	set := w.settings()
	create.ContentType, create.ServerSideEncryption, create.SSEKMSKeyId = set.contentType, set.sse, set.kmsKeyID
	create.StorageClass, create.ChecksumAlgorithm = set.storageClass, set.checksum
	out, err := w.c.CreateMultipartUpload(ctx, create)
	if err != nil {
		return err
	}
	uploadID := out.UploadId
	defer func() {
		if err != nil {
			w.abort(ctx, key, uploadID)
		}
	}()
	parts := w.parts()
	completed := make([]types.CompletedPart, 0, len(parts))
	for i, part := range parts {
		num := aws.Int32(int32(i + 1))
		in := &s3.UploadPartInput{
			Bucket:        aws.String(cfg.Bucket),
			Key:           aws.String(key),
			UploadId:      uploadID,
			PartNumber:    num,
			Body:          bytes.NewReader(part),
			ContentLength: aws.Int64(int64(len(part))),
		}
		switch cfg.Checksum {
		case ChecksumCRC32C:
			in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32c
		case ChecksumMD5:
			in.ContentMD5 = aws.String(base64.StdEncoding.EncodeToString(w.partMD5s()[i]))
		}
		up, err := w.c.UploadPart(ctx, in)
		if err != nil {
			return err
		}
		completed = append(completed, types.CompletedPart{ETag: up.ETag, PartNumber: num, ChecksumCRC32C: up.ChecksumCRC32C})
	}
	done, err := w.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket:          aws.String(cfg.Bucket),
		Key:             aws.String(key),
		UploadId:        uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: completed},
		IfNoneMatch:     aws.String("*"),
	})
	if err == nil {
		w.noteWritten(done.ServerSideEncryption, done.ETag)
	}
	return err
}

// abort cancels an upload. A failure is logged, not returned: the write's own error is what
// the caller must act on, and the parts left behind cost storage only until the bucket's
// lifecycle rule (AbortIncompleteMultipartUpload) removes them.
func (w *write) abort(ctx context.Context, key string, uploadID *string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	_, err := w.c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket:   aws.String(w.d.cfg.Bucket),
		Key:      aws.String(key),
		UploadId: uploadID,
	})
	if err != nil {
		e := w.d.wrap(err, "abort the multipart upload of s3://%s/%s", w.d.cfg.Bucket, key)
		w.d.logger.Warn("A failed multipart upload could not be aborted; its parts stay in the bucket until a lifecycle rule removes them.",
			zap.String("bucket", w.d.cfg.Bucket), zap.String("key", key), zap.String("missing", e.Failure.Missing), zap.Error(e))
	}
}

// partSize is the destination's part size, grown when body would need more than 10,000 parts.
func (w *write) partSize() int {
	size := w.d.partSize
	if need := (int64(len(w.body)) + maxParts - 1) / maxParts; need > size {
		size = need
	}
	return int(size)
}

// parts cuts body into parts of partSize, the last one shorter.
func (w *write) parts() [][]byte {
	size := w.partSize()
	parts := make([][]byte, 0, len(w.body)/size+1)
	for off := 0; off < len(w.body); off += size {
		parts = append(parts, w.body[off:min(off+size, len(w.body))])
	}
	return parts
}

func (w *write) partMD5s() [][]byte {
	if w.partMD5 == nil {
		for _, p := range w.parts() {
			s := md5.Sum(p)
			w.partMD5 = append(w.partMD5, s[:])
		}
	}
	return w.partMD5
}

// multipartETag is the ETag S3 gives body uploaded in our parts: the MD5 of the parts' MD5s,
// then "-" and the number of parts.
func (w *write) multipartETag() string {
	if !w.multipart() {
		return ""
	}
	h := md5.New()
	sums := w.partMD5s()
	for _, s := range sums {
		h.Write(s)
	}
	return hex.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(sums))
}
