package harness

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"
)

func versitygwBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("VERSITYGW"); p != "" {
		return p
	}
	p, err := filepath.Abs("../../.tools/bin/versitygw")
	require.NoError(t, err)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("versitygw not found at %s: run `make tools`", p)
	}
	return p
}

func TestS3ServerSurvivesRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := StartS3(ctx, versitygwBinary(t), t.TempDir())
	require.NoError(t, err)
	defer srv.Stop(5 * time.Second)

	require.NoError(t, srv.CreateBucket(ctx, "bucket-one"))
	_, err = srv.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket-one"), Key: aws.String("a/one.json"), Body: bytes.NewReader([]byte("{}\n{}\n"))})
	require.NoError(t, err)

	require.NoError(t, srv.Stop(5*time.Second))
	_, err = srv.Objects(ctx, "bucket-one", "")
	require.Error(t, err, "a stopped server must not answer")

	require.NoError(t, srv.Restart(ctx))
	objects, err := srv.Objects(ctx, "bucket-one", "a/")
	require.NoError(t, err)
	require.Len(t, objects, 1)
	lines, err := objects[0].Lines()
	require.NoError(t, err)
	require.Equal(t, []string{"{}", "{}"}, lines)
}
