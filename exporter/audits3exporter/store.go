package audits3exporter

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// maxNameTries bounds how many names (one per second after the first) an object may try
// before the write fails, to be retried later.
const maxNameTries = 60

// object is one body to write.
type object struct {
	body        []byte
	contentType string
}

// objectStore writes objects that never replace another one. It needs only s3:PutObject and
// s3:ListBucket on the bucket.
type objectStore struct {
	client *s3.Client
	bucket string
}

// putNew writes obj under the first free name of nameAt(0), nameAt(1), ... A name that is
// taken by an object with obj's MD5 is obj itself, written by an earlier attempt whose answer
// was lost: putNew then reports it (dup) without writing again. It returns the key used.
func (s *objectStore) putNew(ctx context.Context, obj object, nameAt func(int) string) (key string, dup bool, err error) {
	sum := md5.Sum(obj.body)
	md5Hex := hex.EncodeToString(sum[:])
	md5B64 := base64.StdEncoding.EncodeToString(sum[:])
	for i := range maxNameTries {
		key = nameAt(i)
		_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket:        aws.String(s.bucket),
			Key:           aws.String(key),
			Body:          bytes.NewReader(obj.body),
			ContentLength: aws.Int64(int64(len(obj.body))),
			ContentType:   aws.String(obj.contentType),
			// The server checks the body against it, and it makes the ETag we compare below
			// the MD5 of what we meant to write.
			ContentMD5: aws.String(md5B64),
			// Never replace an object: the server answers 412 if the key exists.
			IfNoneMatch: aws.String("*"),
		})
		if err == nil {
			return key, false, nil
		}
		if !isPreconditionFailed(err) {
			return key, false, fmt.Errorf("upload %s: %w", key, err)
		}
		etag, err := s.etagOf(ctx, key)
		if err != nil {
			return key, false, fmt.Errorf("upload %s: key exists, and listing it failed: %w", key, err)
		}
		if strings.EqualFold(etag, md5Hex) {
			return key, true, nil
		}
	}
	return key, false, fmt.Errorf("upload %s: the %d names up to this one are all taken by other objects", key, maxNameTries)
}

// etagOf lists key (ListObjectsV2 needs s3:ListBucket; HeadObject would need s3:GetObject) and
// returns its ETag without quotes.
func (s *objectStore) etagOf(ctx context.Context, key string) (string, error) {
	out, err := s.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket:  aws.String(s.bucket),
		Prefix:  aws.String(key),
		MaxKeys: aws.Int32(1),
	})
	if err != nil {
		return "", err
	}
	if len(out.Contents) == 0 || aws.ToString(out.Contents[0].Key) != key {
		return "", errors.New("the object is not listed")
	}
	return strings.Trim(aws.ToString(out.Contents[0].ETag), `"`), nil
}

func isPreconditionFailed(err error) bool {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "PreconditionFailed" {
		return true
	}
	var statusErr interface{ HTTPStatusCode() int }
	return errors.As(err, &statusErr) && statusErr.HTTPStatusCode() == http.StatusPreconditionFailed
}

func secondsOf(i int) time.Duration { return time.Duration(i) * time.Second }
