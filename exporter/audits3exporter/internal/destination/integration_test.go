package destination

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"

	"github.com/auditship/auditship/internal/s3test"
)

// These tests run against a real S3 server (versitygw, posix backend) with real IAM users
// and bucket policies.

// user is an IAM user of versitygw with the bucket whose policy lets it in.
type user struct {
	access, secret, bucket string
}

var (
	// gooddata has GoodData's four permissions (s3test.WriterPolicy, from deploy/aws).
	gooddata = user{"gooddata-writer", "gooddata-writer-secret", "gooddata-audit"}
	// airkit has Airkit's s3:PutObject alone (s3test.PutObjectOnlyPolicy, from deploy/aws).
	airkit = user{"airkit-writer", "airkit-writer-secret", "airkit-audit"}
	// putAbort has s3:PutObject and s3:AbortMultipartUpload, and may not list.
	putAbort = user{"put-abort-writer", "put-abort-writer-secret", "put-abort-audit"}
)

// startS3 starts versitygw with one bucket per user, each with its policy.
func startS3(t *testing.T) *s3test.Server {
	srv := s3test.Start(t)
	for _, u := range []user{gooddata, airkit, putAbort} {
		srv.CreateBucket(t, u.bucket)
		srv.CreateUser(t, u.access, u.secret)
	}
	srv.PutBucketPolicy(t, gooddata.bucket, s3test.WriterPolicy(gooddata.bucket, gooddata.access))
	srv.PutBucketPolicy(t, airkit.bucket, s3test.PutObjectOnlyPolicy(airkit.bucket, airkit.access))
	srv.PutBucketPolicy(t, putAbort.bucket, objectPolicy(putAbort, "s3:PutObject", "s3:AbortMultipartUpload"))
	return srv
}

// objectPolicy lets u do actions on the objects of its bucket, and nothing on the bucket.
func objectPolicy(u user, actions ...string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["` + u.access + `"]},` +
		`"Action":["` + strings.Join(actions, `","`) + `"],"Resource":["arn:aws:s3:::` + u.bucket + `/*"]}]}`
}

func itConfig(srv *s3test.Server, u user) Config {
	return Config{
		Bucket:      u.bucket,
		Endpoint:    srv.Endpoint,
		PathStyle:   true,
		Credentials: configoptional.Some(CredentialsConfig{AccessKeyID: configopaque.String(u.access), SecretAccessKey: configopaque.String(u.secret)}),
	}
}

// rootOf is the root user, on u's bucket.
func rootOf(srv *s3test.Server, u user) user {
	return user{srv.AccessKey, srv.SecretKey, u.bucket}
}

func TestIntegrationPutNewAndDedupe(t *testing.T) {
	srv := startS3(t)
	d := destOn(t, itConfig(srv, rootOf(srv, gooddata)))
	ctx := context.Background()
	body := []byte(`{"eventName":"user_login"}` + "\n")

	res, err := d.PutNew(ctx, keyN, body, "application/x-ndjson")
	require.NoError(t, err)
	assert.Equal(t, Result{Key: keyN(0)}, res)

	res, err = d.PutNew(ctx, keyN, body, "application/x-ndjson")
	require.NoError(t, err)
	assert.Equal(t, Result{Key: keyN(0), AlreadyPresent: true}, res, "a retry recognises its own object")

	other := []byte(`{"eventName":"user_logout"}` + "\n")
	res, err = d.PutNew(ctx, keyN, other, "application/x-ndjson")
	require.NoError(t, err)
	assert.Equal(t, Result{Key: keyN(1), Attempt: 1}, res, "another object's name is passed over")

	assert.Equal(t, []string{keyN(0), keyN(1)}, srv.ListKeys(t, gooddata.bucket, "auditlog/"))
	assert.Equal(t, body, srv.GetObject(t, gooddata.bucket, keyN(0)))
	assert.Equal(t, other, srv.GetObject(t, gooddata.bucket, keyN(1)))
}

// TestIntegrationSettings writes with each checksum mode, SSE-S3 and a storage class.
func TestIntegrationSettings(t *testing.T) {
	srv := startS3(t)
	tests := []struct {
		name   string
		modify func(*Config)
	}{
		{"crc32c", func(c *Config) { c.Checksum = ChecksumCRC32C }},
		{"md5", func(c *Config) { c.Checksum = ChecksumMD5 }},
		{"when_required", func(c *Config) { c.Checksum = ChecksumWhenRequired }},
		{"sse and storage class", func(c *Config) { c.SSE, c.StorageClass = SSEAES256, "STANDARD_IA" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := itConfig(srv, gooddata)
			tt.modify(&cfg)
			d := destOn(t, cfg)
			key := func(a int) string { return fmt.Sprintf("settings/%s-%d", tt.name, a) }
			body := []byte("batch for " + tt.name + "\n")
			res, err := d.PutNew(context.Background(), key, body, "")
			require.NoError(t, err)
			assert.Equal(t, key(0), res.Key)
			assert.Equal(t, body, srv.GetObject(t, gooddata.bucket, key(0)))
		})
	}
}

// TestIntegrationGoodDataWriter: with exactly GoodData's four permissions the destination
// finds the region, verifies, writes and recognises its own objects; reading stays denied.
func TestIntegrationGoodDataWriter(t *testing.T) {
	srv := startS3(t)
	cfg := itConfig(srv, gooddata)
	cfg.Region = RegionAuto
	d := destOn(t, cfg)
	ctx := context.Background()

	verifyKey := "airkit-verify-test-" + time.Now().UTC().Format("20060102150405")
	require.NoError(t, d.Verify(ctx, verifyKey))
	assert.Equal(t, "us-east-1", d.Region(), "found with GetBucketLocation")
	assert.Equal(t, []string{verifyKey}, srv.ListKeys(t, gooddata.bucket, "airkit-verify-test-"))

	body := []byte("gooddata batch\n")
	res, err := d.PutNew(ctx, keyN, body, "")
	require.NoError(t, err)
	assert.Equal(t, Result{Key: keyN(0)}, res)
	res, err = d.PutNew(ctx, keyN, body, "")
	require.NoError(t, err)
	assert.Equal(t, Result{Key: keyN(0), AlreadyPresent: true}, res)

	_, err = srv.ClientAs(gooddata.access, gooddata.secret).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(gooddata.bucket), Key: aws.String(keyN(0))})
	require.Error(t, err, "the writer may not read")
	assert.Equal(t, "AccessDenied", Classify(err).Code)
}

// TestIntegrationPutOnlyWriter: Airkit's role has s3:PutObject alone. It ships and verifies;
// a 412 cannot be compared, so the same batch sent again after a lost answer lands under the
// next name (a duplicate, never a loss or an overwrite); region auto cannot work.
func TestIntegrationPutOnlyWriter(t *testing.T) {
	srv := startS3(t)
	d := destOn(t, itConfig(srv, airkit))
	ctx := context.Background()

	require.NoError(t, d.Verify(ctx, "airkit-verify-test-20261122101500"))
	require.NoError(t, d.Verify(ctx, "airkit-verify-test-20261122101500"), "an existing key proves write access too")

	body := []byte("airkit batch\n")
	res, err := d.PutNew(ctx, keyN, body, "")
	require.NoError(t, err)
	assert.Equal(t, Result{Key: keyN(0)}, res)
	res, err = d.PutNew(ctx, keyN, body, "")
	require.NoError(t, err)
	assert.Equal(t, Result{Key: keyN(1), Attempt: 1, Unverified: 1}, res)
	assert.Equal(t, body, srv.GetObject(t, airkit.bucket, keyN(0)))
	assert.Equal(t, body, srv.GetObject(t, airkit.bucket, keyN(1)))

	auto := itConfig(srv, airkit)
	auto.Region = RegionAuto
	_, err = destOn(t, auto).PutNew(ctx, keyN, body, "")
	require.Error(t, err)
	got := Classify(err)
	assert.Equal(t, Permanent, got.Kind)
	assert.Equal(t, "AccessDenied", got.Code)
	assert.Equal(t, permBucketLoc, got.Missing)
}

// TestIntegrationMultipart: a body above the threshold goes up in parts and lands intact; a
// retry finds it by its multipart ETag; a refused complete is aborted.
func TestIntegrationMultipart(t *testing.T) {
	srv := startS3(t)
	ctx := context.Background()
	body := make([]byte, 11<<20+123)
	rng := rand.New(rand.NewChaCha8([32]byte{7}))
	for i := range body {
		body[i] = byte(rng.Uint32())
	}
	dest := func(u user) *Destination {
		cfg := itConfig(srv, u)
		cfg.MultipartThreshold = 1 << 20
		d := destOn(t, cfg)
		d.partSize = 5 << 20 // S3's smallest part
		return d
	}

	t.Run("GoodData's permissions", func(t *testing.T) {
		d := dest(gooddata)
		key := func(a int) string { return fmt.Sprintf("mp/gooddata-%d.json.gz", a) }
		res, err := d.PutNew(ctx, key, body, "application/gzip")
		require.NoError(t, err)
		assert.Equal(t, Result{Key: key(0), Multipart: true}, res)
		assert.Equal(t, body, srv.GetObject(t, gooddata.bucket, key(0)))

		res, err = d.PutNew(ctx, key, body, "application/gzip")
		require.NoError(t, err)
		assert.Equal(t, Result{Key: key(0), Multipart: true, AlreadyPresent: true}, res, "versitygw's multipart ETag is the one we compute")
		assert.Zero(t, openUploads(t, srv, gooddata.bucket))
	})

	t.Run("no listing: 412 on complete, aborted", func(t *testing.T) {
		d := dest(putAbort)
		key := func(a int) string { return fmt.Sprintf("mp/put-abort-%d.json.gz", a) }
		_, err := d.PutNew(ctx, key, body, "")
		require.NoError(t, err)
		res, err := d.PutNew(ctx, key, body, "")
		require.NoError(t, err)
		assert.Equal(t, Result{Key: key(1), Attempt: 1, Multipart: true, Unverified: 1}, res)
		assert.Equal(t, body, srv.GetObject(t, putAbort.bucket, key(0)), "the complete was refused: never overwritten")
		assert.Zero(t, openUploads(t, srv, putAbort.bucket), "the refused upload was aborted")
	})

	t.Run("s3:PutObject alone: the refused upload cannot be aborted", func(t *testing.T) {
		d := dest(airkit)
		key := func(a int) string { return fmt.Sprintf("mp/put-only-%d.json.gz", a) }
		_, err := d.PutNew(ctx, key, body, "")
		require.NoError(t, err)
		res, err := d.PutNew(ctx, key, body, "")
		require.NoError(t, err)
		assert.Equal(t, Result{Key: key(1), Attempt: 1, Multipart: true, Unverified: 1}, res)
		// The abort needs s3:AbortMultipartUpload: the parts stay until a lifecycle rule
		// (AbortIncompleteMultipartUpload) removes them.
		assert.Equal(t, 1, openUploads(t, srv, airkit.bucket))
	})
}

func openUploads(t *testing.T, srv *s3test.Server, bucket string) int {
	out, err := srv.Client().ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	require.NoError(t, err)
	return len(out.Uploads)
}

// withErrorCode calls call, which must fail, until its error carries S3's error code, at most
// five times. versitygw refuses a request before reading its body and closes the connection,
// and now and then the client loses the answer's body with it ("failed to copy error response
// body"): the status is then all there is to read, which is not what these tests are about.
func withErrorCode(t *testing.T, call func() error) error {
	t.Helper()
	var err error
	for range 5 {
		err = call()
		require.Error(t, err)
		if !strings.Contains(err.Error(), "failed to copy error response body") {
			return err
		}
	}
	return err
}

// TestIntegrationPermanentFailures: what a broken destination answers, and how it is read.
func TestIntegrationPermanentFailures(t *testing.T) {
	srv := startS3(t)
	srv.CreateUser(t, "no-policy", "no-policy-secret")
	tests := []struct {
		name        string
		cfg         func() Config
		wantCode    string
		wantMissing string
	}{
		{"no such bucket", func() Config {
			c := itConfig(srv, rootOf(srv, gooddata))
			c.Bucket = "no-such-bucket"
			return c
		}, "NoSuchBucket", fixNoBucket},
		{"no policy for the user", func() Config { return itConfig(srv, user{"no-policy", "no-policy-secret", gooddata.bucket}) }, "AccessDenied", permPutObject},
		{"wrong secret", func() Config { return itConfig(srv, user{gooddata.access, "not-the-secret", gooddata.bucket}) }, "SignatureDoesNotMatch", fixSecret},
		{"unknown access key", func() Config { return itConfig(srv, user{"nobody-at-all", "whatever", gooddata.bucket}) }, "InvalidAccessKeyId", fixAccessKey},
		{"wrong region", func() Config {
			c := itConfig(srv, gooddata)
			c.Region = "eu-west-1"
			return c
		}, "AuthorizationHeaderMalformed", "the bucket's region: it is in us-east-1 (set region: us-east-1, or auto)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := destOn(t, tt.cfg())
			err := withErrorCode(t, func() error {
				_, err := d.PutNew(context.Background(), keyN, []byte("x"), "")
				return err
			})
			got := Classify(err)
			assert.Equal(t, Permanent, got.Kind)
			assert.Equal(t, tt.wantCode, got.Code)
			assert.Equal(t, tt.wantMissing, got.Missing)

			verr := withErrorCode(t, func() error { return d.Verify(context.Background(), "airkit-verify-test-1") })
			for _, want := range []string{"s3://" + d.Bucket() + "/airkit-verify-test-1", "(region " + d.Region() + ")", tt.wantCode, tt.wantMissing} {
				assert.Contains(t, verr.Error(), want)
			}
		})
	}
}
