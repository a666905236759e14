// Package s3test runs a real S3 server (versitygw with its posix backend) for tests: on a free
// loopback port, with its data and IAM directories under the test's temporary directory, and
// stopped when the test ends. Objects land as plain files under DataDir/<bucket>/<key>, so a
// test can also look at what was written without going through S3.
//
// It knows nothing of auditship's components; it only starts, stops and talks to the server.
package s3test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

const (
	// Region is the region the server answers for and Client signs with.
	Region = "us-east-1"
	// EnvBinary names the environment variable that overrides where versitygw is found.
	EnvBinary = "VERSITYGW"

	healthPath   = "/health"
	startTimeout = 20 * time.Second
	stopTimeout  = 10 * time.Second
	startTries   = 3
)

// Server is one running versitygw process.
type Server struct {
	// Endpoint is the server's base URL, http://127.0.0.1:PORT.
	Endpoint string
	// AccessKey and SecretKey are the root user's credentials.
	AccessKey string
	SecretKey string
	// DataDir is the posix backend's top directory: buckets are its subdirectories.
	DataDir string
	// IAMDir holds the server's internal IAM database (users created with the admin CLI).
	IAMDir string

	t    testing.TB
	bin  string
	addr string

	mu     sync.Mutex
	proc   *exec.Cmd
	exited chan struct{}
	output *syncBuffer

	transport *http.Transport
}

// Start starts versitygw for the test and stops it in t.Cleanup. It fails the test (never
// skips it) when the binary cannot be found, so that a missing tool is noticed.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := findBinary()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	s := &Server{
		AccessKey: "ROOTKEY",
		SecretKey: "ROOTSECRET",
		DataDir:   filepath.Join(root, "data"),
		IAMDir:    filepath.Join(root, "iam"),
		t:         t,
		bin:       bin,
		transport: awshttp.NewBuildableClient().GetTransport(),
	}
	for _, dir := range []string{s.DataDir, s.IAMDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		s.Stop()
		s.transport.CloseIdleConnections()
	})

	// Between picking a free port and the server binding it another process may take it;
	// try a few ports before giving up.
	for try := 1; ; try++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		s.addr = "127.0.0.1:" + strconv.Itoa(port)
		s.Endpoint = "http://" + s.addr
		err = s.start()
		if err == nil {
			return s
		}
		if try == startTries {
			t.Fatalf("s3test: %v", err)
		}
		t.Logf("s3test: retrying on another port: %v", err)
	}
}

// Stop stops the server and waits for it to exit. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return
	}
	s.transport.CloseIdleConnections()
	_ = s.proc.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
		_ = s.proc.Process.Kill()
		<-s.exited
	}
	s.proc = nil
}

// Restart stops the server, if it runs, and starts it again on the same port with the same
// data and IAM directories, for tests of outages and recoveries.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	// The port was ours a moment ago; it can stay in use briefly after the process exits.
	deadline := time.Now().Add(startTimeout)
	for {
		err := s.start()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("s3test: restart: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Running tells whether the server process is up (started and not stopped).
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc != nil
}

// Client returns an S3 client for the root user: path style, region us-east-1.
func (s *Server) Client() *s3.Client {
	return s.ClientFor(s.AccessKey, s.SecretKey)
}

// ClientFor returns an S3 client signing with the given credentials (for users created on the
// server), path style, region us-east-1. It shares the server's connection pool, whose idle
// connections are closed when the test ends.
func (s *Server) ClientFor(accessKey, secretKey string) *s3.Client {
	return s3.New(s3.Options{
		Region:       Region,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
		HTTPClient:   &http.Client{Transport: s.transport},
		// Failures must show at once in tests, not after the SDK's own retries.
		RetryMaxAttempts: 1,
	})
}

// CreateBucket creates a bucket owned by the root user.
func (s *Server) CreateBucket(t testing.TB, name string) {
	t.Helper()
	_, err := s.Client().CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)})
	if err != nil {
		t.Fatalf("s3test: create bucket %s: %v", name, err)
	}
}

// CreateUser creates a user with role "user" in the server's IAM directory, through
// versitygw's admin CLI. Such a user can do nothing on a root-owned bucket until a bucket
// policy lets it (see PutBucketPolicy and WriterPolicy).
func (s *Server) CreateUser(t testing.TB, accessKey, secretKey string) {
	t.Helper()
	cmd := exec.Command(s.bin, "admin",
		"--access", s.AccessKey, "--secret", s.SecretKey, "--endpoint-url", s.Endpoint,
		"create-user", "--access", accessKey, "--secret", secretKey, "--role", "user")
	cmd.Env = serverEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("s3test: create user: %v\n%s", err, out)
	}
}

// PutBucketPolicy sets bucket's policy, as root.
func (s *Server) PutBucketPolicy(t testing.TB, bucket, policy string) {
	t.Helper()
	_, err := s.Client().PutBucketPolicy(context.Background(), &s3.PutBucketPolicyInput{
		Bucket: aws.String(bucket),
		Policy: aws.String(policy),
	})
	if err != nil {
		t.Fatalf("s3test: put bucket policy on %s: %v", bucket, err)
	}
}

// WriterPolicy is the bucket policy GoodData asks its customers for: principal may put objects,
// list the bucket, get its location and abort multipart uploads, and nothing else (in
// particular not s3:GetObject).
func WriterPolicy(bucket, principal string) string {
	return `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Principal":{"AWS":["` + principal + `"]},` +
		`"Action":["s3:PutObject","s3:AbortMultipartUpload"],"Resource":["arn:aws:s3:::` + bucket + `/*"]},` +
		`{"Effect":"Allow","Principal":{"AWS":["` + principal + `"]},` +
		`"Action":["s3:ListBucket","s3:GetBucketLocation"],"Resource":["arn:aws:s3:::` + bucket + `"]}]}`
}

// ListKeys returns the keys under prefix in bucket, in S3's (lexical) order.
func (s *Server) ListKeys(t testing.TB, bucket, prefix string) []string {
	t.Helper()
	keys := []string{}
	p := s3.NewListObjectsV2Paginator(s.Client(), &s3.ListObjectsV2Input{
		Bucket: aws.String(bucket),
		Prefix: aws.String(prefix),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("s3test: list %s/%s: %v", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

// GetObject returns the stored bytes of bucket/key, as written (no decompression).
func (s *Server) GetObject(t testing.TB, bucket, key string) []byte {
	t.Helper()
	out, err := s.Client().GetObject(context.Background(), &s3.GetObjectInput{
		Bucket: aws.String(bucket),
		Key:    aws.String(key),
	})
	if err != nil {
		t.Fatalf("s3test: get %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("s3test: read %s/%s: %v", bucket, key, err)
	}
	return b
}

// Output returns what the server has printed so far (for failure messages).
func (s *Server) Output() string {
	return s.output.String()
}

// start runs the process and waits until it answers on its health endpoint.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd := exec.Command(s.bin,
		"--access", s.AccessKey,
		"--secret", s.SecretKey,
		"--port", s.addr,
		"--region", Region,
		"--iam-dir", s.IAMDir,
		"--health", healthPath,
		"--quiet",
		"posix", s.DataDir,
	)
	cmd.Env = serverEnv()
	if s.output == nil {
		s.output = &syncBuffer{}
	}
	cmd.Stdout = s.output
	cmd.Stderr = s.output
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.bin, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	if err := waitHealthy(s.Endpoint+healthPath, exited); err != nil {
		_ = cmd.Process.Kill()
		<-exited
		return fmt.Errorf("versitygw on %s: %w; output:\n%s", s.addr, err, s.output.String())
	}
	s.proc, s.exited = cmd, exited
	return nil
}

func waitHealthy(url string, exited <-chan struct{}) error {
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-exited:
			return errors.New("exited during start-up")
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not healthy after %s (last error: %v)", startTimeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// serverEnv is the test's environment without versitygw's own settings, so that a developer's
// VGW_* or ROOT_* variables cannot change the server under test.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "VGW_") || strings.HasPrefix(name, "ROOT_") || name == "LOGFILE" || name == "WEBHOOK" {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// findBinary looks in $VERSITYGW, then <module root>/.tools/bin/versitygw, then PATH.
func findBinary() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("versitygw not found at $%s=%s: %w", EnvBinary, p, err)
		}
		return p, nil
	}
	if root, ok := moduleRoot(); ok {
		p := filepath.Join(root, ".tools", "bin", "versitygw")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	return "", errors.New("versitygw not found: run `make tools`")
}

func moduleRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// syncBuffer collects the server's output; the process writes while a test may read.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
