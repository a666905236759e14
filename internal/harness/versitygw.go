package harness

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	deployaws "github.com/auditship/auditship/deploy/aws"
)

const (
	// S3Region is the region the server answers for and its clients sign with.
	S3Region = "us-east-1"

	s3HealthPath   = "/health"
	s3StartTimeout = 30 * time.Second
	s3StartTries   = 3
)

// S3Server is a running versitygw with its posix backend: objects land as plain files under
// DataDir/<bucket>/<key>, so what was written can be looked at without going through S3.
type S3Server struct {
	*Process
	Endpoint  string
	AccessKey string
	SecretKey string
	DataDir   string
	IAMDir    string

	dir       string
	bin       string
	addr      string
	transport *http.Transport
}

// FindVersitygw returns the pinned versitygw binary: $VERSITYGW, else
// <module root>/.tools/bin/versitygw (where the Makefile installs it), else PATH.
func FindVersitygw() (string, error) {
	if p := os.Getenv("VERSITYGW"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("versitygw not found at $VERSITYGW=%s: %w", p, err)
		}
		return p, nil
	}
	if root, err := ModuleRoot(); err == nil {
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

// ModuleRoot is the directory of go.mod above the working directory.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// StartS3 starts versitygw (binary bin) on a free loopback port, with its data and IAM files
// under dir, and waits until it is healthy.
func StartS3(ctx context.Context, bin, dir string) (*S3Server, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	s := &S3Server{
		AccessKey: "auditship-root",
		SecretKey: "auditship-root-secret",
		DataDir:   filepath.Join(dir, "data"),
		IAMDir:    filepath.Join(dir, "iam"),
		dir:       dir,
		bin:       bin,
		transport: awshttp.NewBuildableClient().GetTransport(),
	}
	for _, d := range []string{s.DataDir, s.IAMDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("versitygw dirs: %w", err)
		}
	}
	// Between picking a free port and the server binding it another process may take it.
	for try := 1; ; try++ {
		port, err := FreePort()
		if err != nil {
			return nil, err
		}
		s.addr = "127.0.0.1:" + strconv.Itoa(port)
		s.Endpoint = "http://" + s.addr
		err = s.start(ctx)
		if err == nil || try == s3StartTries || ctx.Err() != nil {
			return s, err
		}
	}
}

func (s *S3Server) start(ctx context.Context) error {
	args := []string{
		"--access", s.AccessKey, "--secret", s.SecretKey,
		"--port", s.addr, "--region", S3Region,
		"--iam-dir", s.IAMDir, "--health", s3HealthPath, "--quiet",
		"posix", s.DataDir,
	}
	p, err := startProcessEnv("versitygw", filepath.Join(s.dir, "versitygw.log"), s.bin, args, versitygwEnv())
	if err != nil {
		return err
	}
	s.Process = p
	readyCtx, cancel := context.WithTimeout(ctx, s3StartTimeout)
	defer cancel()
	if err := p.WaitReady(readyCtx, HTTPAnswers(s.Endpoint+s3HealthPath, http.StatusOK)); err != nil {
		p.Kill()
		return err
	}
	return nil
}

// Stop stops the server gracefully and closes the clients' idle connections.
func (s *S3Server) Stop(grace time.Duration) error {
	s.transport.CloseIdleConnections()
	return s.Process.Stop(grace)
}

// Restart starts the server again on the same port and data, after Stop or Kill. The port was
// ours a moment ago, but may stay busy briefly after the process exits.
func (s *S3Server) Restart(ctx context.Context) error {
	if exited, _ := s.Exited(); !exited {
		if err := s.Stop(10 * time.Second); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(s3StartTimeout)
	for {
		err := s.start(ctx)
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Client returns an S3 client for the root user.
func (s *S3Server) Client() *s3.Client {
	return s.ClientAs(s.AccessKey, s.SecretKey)
}

// ClientAs returns an S3 client signing with the given credentials (for users created with
// CreateUser): path style, no SDK retries, so that failures show at once.
func (s *S3Server) ClientAs(accessKey, secretKey string) *s3.Client {
	return s3.New(s3.Options{
		Region:           S3Region,
		BaseEndpoint:     aws.String(s.Endpoint),
		UsePathStyle:     true,
		Credentials:      credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
		HTTPClient:       &http.Client{Transport: s.transport},
		RetryMaxAttempts: 1,
	})
}

// CreateBucket creates a bucket owned by root.
func (s *S3Server) CreateBucket(ctx context.Context, bucket string) error {
	if _, err := s.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	return nil
}

// CreateUser creates a user with role "user" through versitygw's admin CLI. Such a user can do
// nothing on a root-owned bucket until a bucket policy lets it (see WriterPolicy).
func (s *S3Server) CreateUser(ctx context.Context, accessKey, secretKey string) error {
	cmd := exec.CommandContext(ctx, s.bin, "admin",
		"--access", s.AccessKey, "--secret", s.SecretKey, "--endpoint-url", s.Endpoint,
		"create-user", "--access", accessKey, "--secret", secretKey, "--role", "user")
	cmd.Env = versitygwEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("create user: %w: %s", err, out)
	}
	return nil
}

// PutBucketPolicy sets bucket's policy, as root.
func (s *S3Server) PutBucketPolicy(ctx context.Context, bucket, policy string) error {
	_, err := s.Client().PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(policy)})
	if err != nil {
		return fmt.Errorf("put bucket policy on %s: %w", bucket, err)
	}
	return nil
}

// WriterPolicy is the bucket policy GoodData asks its customers for, as deploy/aws gives it to
// customers (bucket-policy-four-permissions.json): principal may put objects, list the bucket,
// get its location and abort multipart uploads, and nothing else (in particular not
// s3:GetObject).
func WriterPolicy(bucket, principal string) string {
	return mustRender(deployaws.Render(deployaws.BucketPolicyFourPermissions,
		map[string]string{"BUCKET": bucket, "VENDOR_PRINCIPAL": principal}))
}

// PutObjectOnlyPolicy is Airkit's s3:PutObject-only role policy of deploy/aws
// (customer-role-policy-putobject-only.json), given to principal as a bucket policy, since
// versitygw has users but no roles.
func PutObjectOnlyPolicy(bucket, principal string) string {
	return mustRender(deployaws.AsBucketPolicy(deployaws.CustomerRolePolicyPutObjectOnly, principal,
		map[string]string{"BUCKET": bucket}))
}

// mustRender panics on an error: the policies are embedded and their tests render them, so
// an error here is a bug in a policy file.
func mustRender(policy string, err error) string {
	if err != nil {
		panic(err)
	}
	return policy
}

// Object is one stored object and its content.
type Object struct {
	Key  string
	Size int64
	Body []byte
}

// Keys lists, as root, the keys under prefix in S3's (lexical) order.
func (s *S3Server) Keys(ctx context.Context, bucket, prefix string) ([]string, error) {
	keys := []string{}
	pages := s3.NewListObjectsV2Paginator(s.Client(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s/%s: %w", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys, nil
}

// Get returns, as root, the stored bytes of bucket/key (no decompression).
func (s *S3Server) Get(ctx context.Context, bucket, key string) ([]byte, error) {
	out, err := s.Client().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("get %s/%s: %w", bucket, key, err)
	}
	body, err := readAllClose(out.Body)
	if err != nil {
		return nil, fmt.Errorf("read %s/%s: %w", bucket, key, err)
	}
	return body, nil
}

// Objects lists and reads, as root, every object under prefix.
func (s *S3Server) Objects(ctx context.Context, bucket, prefix string) ([]Object, error) {
	keys, err := s.Keys(ctx, bucket, prefix)
	if err != nil {
		return nil, err
	}
	out := make([]Object, 0, len(keys))
	for _, k := range keys {
		body, err := s.Get(ctx, bucket, k)
		if err != nil {
			return nil, err
		}
		out = append(out, Object{Key: k, Size: int64(len(body)), Body: body})
	}
	return out, nil
}

// versitygwEnv is this process's environment without versitygw's own settings, so that a
// developer's VGW_* or ROOT_* variables cannot change the server.
func versitygwEnv() []string {
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

// WaitForLines polls bucket until its objects hold at least want NDJSON lines (events), and
// returns them; it gives up when ctx ends, saying how many it saw.
func (s *S3Server) WaitForLines(ctx context.Context, bucket string, want int, poll time.Duration) ([]Object, error) {
	for {
		objects, err := s.Objects(ctx, bucket, "")
		if err != nil {
			return nil, err
		}
		got := 0
		for _, o := range objects {
			lines, err := o.Lines()
			if err != nil {
				return nil, err
			}
			got += len(lines)
		}
		if got >= want {
			return objects, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("only %d of %d events in s3://%s: %w", got, want, bucket, ctx.Err())
		case <-time.After(poll):
		}
	}
}
