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
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFindVersitygw(t *testing.T) {
	t.Setenv("VERSITYGW", filepath.Join(t.TempDir(), "missing"))
	_, err := FindVersitygw()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "versitygw not found")

	// Without the variable it falls back to <module root>/.tools/bin or PATH.
	t.Setenv("VERSITYGW", "")
	p, err := FindVersitygw()
	require.NoError(t, err, "run `make tools`")
	assert.FileExists(t, p)
}

func TestS3ServerSurvivesRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	bin, err := FindVersitygw()
	require.NoError(t, err)
	// A relative directory must work too: the demo passes one.
	wd, err := os.Getwd()
	require.NoError(t, err)
	dir, err := filepath.Rel(wd, t.TempDir())
	require.NoError(t, err)
	srv, err := StartS3(ctx, bin, dir)
	require.NoError(t, err)
	defer func() { _ = srv.Stop(5 * time.Second) }()

	require.NoError(t, srv.CreateBucket(ctx, "bucket-one"))
	_, err = srv.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket-one"), Key: aws.String("a/one.json"), Body: bytes.NewReader([]byte("{}\n{}\n"))})
	require.NoError(t, err)

	endpoint := srv.Endpoint
	require.NoError(t, srv.Stop(5*time.Second))
	_, err = srv.Objects(ctx, "bucket-one", "")
	require.Error(t, err, "a stopped server must not answer")

	require.NoError(t, srv.Restart(ctx))
	assert.Equal(t, endpoint, srv.Endpoint)
	objects, err := srv.Objects(ctx, "bucket-one", "a/")
	require.NoError(t, err)
	require.Len(t, objects, 1)
	lines, err := objects[0].Lines()
	require.NoError(t, err)
	require.Equal(t, []string{"{}", "{}"}, lines)
}
