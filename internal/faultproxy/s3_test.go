package faultproxy

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auditship/auditship/internal/harness"
	"github.com/auditship/auditship/internal/s3test"
)

// s3Via returns a root client of srv that sends its requests to endpoint, making up to
// attempts attempts with no pause between them.
func s3Via(t *testing.T, srv *s3test.Server, endpoint string, attempts int) *s3.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return s3.New(s3.Options{
		Region:       harness.S3Region,
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, ""),
		HTTPClient:   &http.Client{Transport: tr, Timeout: 30 * time.Second},
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = attempts
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		}),
	})
}

func putObject(ctx context.Context, c *s3.Client, key, body string) error {
	_, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket:      aws.String("audit"),
		Key:         aws.String(key),
		Body:        bytes.NewReader([]byte(body)),
		IfNoneMatch: aws.String("*"),
	})
	return err
}

// TestSigV4ThroughProxy proves that SigV4-signed calls made to the proxy's address verify at
// a real S3 server, and shows how the SDK sees each fault.
func TestSigV4ThroughProxy(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "audit")
	p := startProxy(t, srv.Endpoint, Options{})
	ctx := t.Context()
	once := s3Via(t, srv, p.URL, 1)

	require.NoError(t, putObject(ctx, once, "auditlog/default/org1/20261122023000.json", "a\n"))
	_, err := once.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("audit")})
	require.NoError(t, err)
	out, err := once.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("audit"), Prefix: aws.String("auditlog/")})
	require.NoError(t, err)
	require.Len(t, out.Contents, 1)
	assert.Equal(t, []string{"auditlog/default/org1/20261122023000.json"}, srv.ListKeys(t, "audit", ""))

	// A conditional PUT on a taken key: the target's own 412 comes back through the proxy.
	err = putObject(ctx, once, "auditlog/default/org1/20261122023000.json", "b\n")
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "PreconditionFailed", apiErr.ErrorCode())

	t.Run("SlowDown", func(t *testing.T) {
		require.NoError(t, p.SetFaults(Faults{Methods: []string{"PUT"}, SlowDown: Fault{First: 1}, RetryAfter: time.Second}))
		err := putObject(ctx, once, "slow-1", "x")
		var apiErr smithy.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, "SlowDown", apiErr.ErrorCode())
		var respErr *awshttp.ResponseError
		require.ErrorAs(t, err, &respErr)
		assert.Equal(t, http.StatusServiceUnavailable, respErr.HTTPStatusCode())
		assert.Equal(t, "1", respErr.Response.Header.Get("Retry-After"))

		// The SDK's retryer treats SlowDown as throttling and tries again.
		require.NoError(t, p.SetFaults(Faults{Methods: []string{"PUT"}, SlowDown: Fault{First: 1}}))
		before := p.Stats()
		require.NoError(t, putObject(ctx, s3Via(t, srv, p.URL, 3), "slow-2", "x"))
		after := p.Stats()
		assert.Equal(t, int64(2), after.Requests-before.Requests)
		assert.Equal(t, int64(1), after.SlowDowns-before.SlowDowns)
	})

	t.Run("Reset", func(t *testing.T) {
		require.NoError(t, p.SetFaults(Faults{Methods: []string{"PUT"}, Reset: Fault{First: 1}}))
		err := putObject(ctx, once, "reset-1", "x")
		require.Error(t, err)
		assert.True(t, isReset(err), "%v", err)
		var apiErr smithy.APIError
		assert.False(t, errors.As(err, &apiErr), "a connection error, not an S3 answer: %v", err)

		require.NoError(t, p.SetFaults(Faults{Methods: []string{"PUT"}, Reset: Fault{First: 1}}))
		require.NoError(t, putObject(ctx, s3Via(t, srv, p.URL, 3), "reset-2", "x"), "the SDK retries a reset")
	})

	t.Run("LargeBodyWithExpectContinue", func(t *testing.T) {
		// Above 2 MiB the SDK asks for 100 Continue before sending the body.
		big := string(bytes.Repeat([]byte("0123456789abcdef"), 3<<16))
		require.NoError(t, p.SetFaults(Faults{Methods: []string{"PUT"}, SlowDown: Fault{First: 1}}))
		var apiErr smithy.APIError
		require.ErrorAs(t, putObject(ctx, once, "big", big), &apiErr, "the 503, not a reset")
		assert.Equal(t, "SlowDown", apiErr.ErrorCode())

		require.NoError(t, p.SetFaults(Faults{Methods: []string{"PUT"}, SlowDown: Fault{First: 1}}))
		require.NoError(t, putObject(ctx, s3Via(t, srv, p.URL, 3), "big", big))
		assert.Len(t, srv.GetObject(t, "audit", "big"), len(big))
	})

	t.Run("Down", func(t *testing.T) {
		require.NoError(t, p.SetFaults(Faults{}))
		p.Down()
		require.Error(t, putObject(ctx, once, "down-1", "x"))
		require.NoError(t, p.Up())
		require.NoError(t, putObject(ctx, once, "down-2", "x"))
	})

	assert.ElementsMatch(t, []string{
		"auditlog/default/org1/20261122023000.json", "big", "down-2", "reset-2", "slow-2",
	}, srv.ListKeys(t, "audit", ""), "no faulted request reached the server")
}

// TestRewritingHostBreaksSigV4 pins why the proxy keeps the client's Host: a proxy that sends
// the target's host instead makes every signature fail.
func TestRewritingHostBreaksSigV4(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "audit")
	target, err := url.Parse(srv.Endpoint)
	require.NoError(t, err)
	rewriting := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(target) // Host becomes the target's
	}})
	t.Cleanup(rewriting.Close)

	err = putObject(t.Context(), s3Via(t, srv, rewriting.URL, 1), "k", "x")
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "SignatureDoesNotMatch", apiErr.ErrorCode())
	assert.Empty(t, srv.ListKeys(t, "audit", ""))
}
