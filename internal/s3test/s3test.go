// Package s3test runs a real S3 server (versitygw with its posix backend) for tests: on a free
// loopback port, with its data and IAM directories under the test's temporary directory, and
// stopped when the test ends. It wraps internal/harness, which does the work, with helpers that
// fail the test instead of returning errors.
package s3test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/auditship/auditship/internal/harness"
)

const stopGrace = 10 * time.Second

// WriterPolicy is GoodData's four-permission bucket policy for principal
// (deploy/aws/bucket-policy-four-permissions.json).
var WriterPolicy = harness.WriterPolicy

// PutObjectOnlyPolicy is Airkit's s3:PutObject-only policy for principal, as a bucket policy
// (deploy/aws/customer-role-policy-putobject-only.json).
var PutObjectOnlyPolicy = harness.PutObjectOnlyPolicy

// Server is one running versitygw for one test.
type Server struct {
	*harness.S3Server
	t testing.TB
}

// Start starts versitygw for the test and stops it in t.Cleanup. It fails the test (never
// skips it) when the binary cannot be found, so that a missing tool is noticed.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := harness.FindVersitygw()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := harness.StartS3(context.Background(), bin, t.TempDir())
	if err != nil {
		t.Fatalf("s3test: %v", err)
	}
	s := &Server{S3Server: srv, t: t}
	t.Cleanup(s.Stop)
	return s
}

// Stop stops the server and waits for it to exit. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	if err := s.S3Server.Stop(stopGrace); err != nil {
		s.t.Errorf("s3test: stop: %v", err)
	}
}

// Restart starts the server again on the same port with the same data and IAM directories.
func (s *Server) Restart() {
	s.t.Helper()
	if err := s.S3Server.Restart(context.Background()); err != nil {
		s.t.Fatalf("s3test: restart: %v", err)
	}
}

// Running tells whether the server process is up.
func (s *Server) Running() bool {
	exited, _ := s.Exited()
	return !exited
}

// CreateBucket creates a bucket owned by the root user.
func (s *Server) CreateBucket(t testing.TB, name string) {
	t.Helper()
	if err := s.S3Server.CreateBucket(context.Background(), name); err != nil {
		t.Fatalf("s3test: %v", err)
	}
}

// CreateUser creates a user with role "user".
func (s *Server) CreateUser(t testing.TB, accessKey, secretKey string) {
	t.Helper()
	if err := s.S3Server.CreateUser(context.Background(), accessKey, secretKey); err != nil {
		t.Fatalf("s3test: %v", err)
	}
}

// PutBucketPolicy sets bucket's policy, as root.
func (s *Server) PutBucketPolicy(t testing.TB, bucket, policy string) {
	t.Helper()
	if err := s.S3Server.PutBucketPolicy(context.Background(), bucket, policy); err != nil {
		t.Fatalf("s3test: %v", err)
	}
}

// ListKeys returns the keys under prefix in bucket, in S3's (lexical) order.
func (s *Server) ListKeys(t testing.TB, bucket, prefix string) []string {
	t.Helper()
	keys, err := s.Keys(context.Background(), bucket, prefix)
	if err != nil {
		t.Fatalf("s3test: %v", err)
	}
	return keys
}

// GetObject returns the stored bytes of bucket/key, as written (no decompression).
func (s *Server) GetObject(t testing.TB, bucket, key string) []byte {
	t.Helper()
	body, err := s.Get(context.Background(), bucket, key)
	if err != nil {
		t.Fatalf("s3test: %v", err)
	}
	return body
}

// Output returns what the server has printed so far (for failure messages).
func (s *Server) Output() string {
	b, _ := os.ReadFile(s.LogPath)
	return string(b)
}
