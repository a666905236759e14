package harness

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3Server is a running versitygw with a posix backend under Dir/data.
type S3Server struct {
	*Process
	Endpoint  string
	Port      int
	AccessKey string
	SecretKey string
	Dir       string
	bin       string
}

// StartS3 starts versitygw (binary bin) on a free loopback port with its data and IAM files
// under dir, and waits until it answers.
func StartS3(ctx context.Context, bin, dir string) (*S3Server, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	s := &S3Server{
		Port:      port,
		Endpoint:  "http://127.0.0.1:" + strconv.Itoa(port),
		AccessKey: "auditship-root",
		SecretKey: "auditship-root-secret",
		Dir:       dir,
		bin:       bin,
	}
	return s, s.start(ctx)
}

func (s *S3Server) start(ctx context.Context) error {
	for _, sub := range []string{"data", "iam"} {
		if err := os.MkdirAll(filepath.Join(s.Dir, sub), 0o755); err != nil {
			return fmt.Errorf("versitygw dirs: %w", err)
		}
	}
	args := []string{
		"--access", s.AccessKey, "--secret", s.SecretKey,
		"--port", "127.0.0.1:" + strconv.Itoa(s.Port),
		"--iam-dir", filepath.Join(s.Dir, "iam"),
		"posix", filepath.Join(s.Dir, "data"),
	}
	p, err := StartProcess("versitygw", filepath.Join(s.Dir, "versitygw.log"), s.bin, args, nil)
	if err != nil {
		return err
	}
	s.Process = p
	readyCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// Unauthenticated requests are refused, which is enough to know it is serving.
	if err := p.WaitReady(readyCtx, HTTPAnswers(s.Endpoint+"/", http.StatusForbidden, http.StatusOK)); err != nil {
		p.Kill()
		return err
	}
	return nil
}

// Restart starts the server again on the same port and data, after Stop or Kill.
func (s *S3Server) Restart(ctx context.Context) error {
	return s.start(ctx)
}

// Client returns an S3 client for the root user.
func (s *S3Server) Client() *s3.Client {
	return s.ClientAs(s.AccessKey, s.SecretKey)
}

// ClientAs returns an S3 client for the given credentials.
func (s *S3Server) ClientAs(accessKey, secretKey string) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
	})
}

// CreateBucket creates a bucket as root.
func (s *S3Server) CreateBucket(ctx context.Context, bucket string) error {
	if _, err := s.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	return nil
}

// Object is one stored object and its content.
type Object struct {
	Key  string
	Size int64
	Body []byte
}

// Objects lists and reads, as root, every object under prefix.
func (s *S3Server) Objects(ctx context.Context, bucket, prefix string) ([]Object, error) {
	client := s.Client()
	var out []Object
	pages := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s/%s: %w", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			got, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: o.Key})
			if err != nil {
				return nil, fmt.Errorf("get %s: %w", aws.ToString(o.Key), err)
			}
			body, err := readAllClose(got.Body)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", aws.ToString(o.Key), err)
			}
			out = append(out, Object{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size), Body: body})
		}
	}
	return out, nil
}
