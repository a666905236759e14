package s3test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestServerPutListGet(t *testing.T) {
	srv := Start(t)
	srv.CreateBucket(t, "audit")
	ctx := context.Background()
	client := srv.Client()

	body := []byte(`{"eventName":"USER_LOGIN"}` + "\n")
	_, err := client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("audit"),
		Key:    aws.String("auditlog/default/org1/20261122023000.json"),
		Body:   bytes.NewReader(body),
	})
	require.NoError(t, err)

	assert.Equal(t, []string{"auditlog/default/org1/20261122023000.json"}, srv.ListKeys(t, "audit", "auditlog/"))
	assert.Empty(t, srv.ListKeys(t, "audit", "other/"))
	assert.Equal(t, body, srv.GetObject(t, "audit", "auditlog/default/org1/20261122023000.json"))

	onDisk, err := os.ReadFile(filepath.Join(srv.DataDir, "audit", "auditlog", "default", "org1", "20261122023000.json"))
	require.NoError(t, err)
	assert.Equal(t, body, onDisk)
}

// TestServerFacts pins the behaviour the exporter relies on: a conditional PUT on an existing
// key answers 412, and the listing's ETag is the MD5 of a single-part body.
func TestServerFacts(t *testing.T) {
	srv := Start(t)
	srv.CreateBucket(t, "audit")
	ctx := context.Background()
	client := srv.Client()
	body := []byte("first\n")
	put := func(b []byte) error {
		_, err := client.PutObject(ctx, &s3.PutObjectInput{
			Bucket:      aws.String("audit"),
			Key:         aws.String("k.json"),
			Body:        bytes.NewReader(b),
			IfNoneMatch: aws.String("*"),
		})
		return err
	}
	require.NoError(t, put(body))

	err := put([]byte("second\n"))
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "PreconditionFailed", apiErr.ErrorCode())
	assert.Equal(t, body, srv.GetObject(t, "audit", "k.json"), "the first object must stay")

	out, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket: aws.String("audit"), Prefix: aws.String("k.json"), MaxKeys: aws.Int32(1),
	})
	require.NoError(t, err)
	require.Len(t, out.Contents, 1)
	sum := md5.Sum(body)
	assert.Equal(t, `"`+hex.EncodeToString(sum[:])+`"`, aws.ToString(out.Contents[0].ETag))
}

func TestServerRestartKeepsDataAndPort(t *testing.T) {
	srv := Start(t)
	srv.CreateBucket(t, "audit")
	endpoint := srv.Endpoint
	ctx := context.Background()

	srv.Stop()
	assert.False(t, srv.Running())
	_, err := srv.Client().ListBuckets(ctx, &s3.ListBucketsInput{})
	require.Error(t, err, "a stopped server must not answer")

	srv.Restart()
	assert.True(t, srv.Running())
	assert.Equal(t, endpoint, srv.Endpoint)
	_, err = srv.Client().PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("audit"), Key: aws.String("after-restart"), Body: bytes.NewReader([]byte("x")),
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"after-restart"}, srv.ListKeys(t, "audit", ""))
}

func TestWriterPolicyGrantsOnlyTheFourActions(t *testing.T) {
	srv := Start(t)
	srv.CreateBucket(t, "audit")
	srv.CreateUser(t, "WRITER", "WRITERSECRET")
	writer := srv.ClientAs("WRITER", "WRITERSECRET")
	ctx := context.Background()
	put := func() error {
		_, err := writer.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String("audit"), Key: aws.String("w.json"), Body: bytes.NewReader([]byte("w\n")),
			IfNoneMatch: aws.String("*"),
		})
		return err
	}
	require.Error(t, put(), "without the policy the writer may not write")

	srv.PutBucketPolicy(t, "audit", WriterPolicy("audit", "WRITER"))

	require.NoError(t, put())
	_, err := writer.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("audit")})
	require.NoError(t, err)
	_, err = writer.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("audit")})
	require.NoError(t, err)
	_, err = writer.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("audit"), Key: aws.String("w.json")})
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "AccessDenied", apiErr.ErrorCode())
}
