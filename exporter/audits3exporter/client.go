package audits3exporter

import (
	"context"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/logging"
	"go.uber.org/zap"
)

// sdkMaxAttempts is 1: exporterhelper's retry_on_failure is the one retry policy, with its
// backoff, its seven-day limit and its log lines. SDK retries underneath would multiply it.
const sdkMaxAttempts = 1

// newS3Client builds the S3 client from the config, with a transport of its own so that
// shutdown can close its idle connections.
func newS3Client(ctx context.Context, cfg *Config, logger *zap.Logger) (*s3.Client, *http.Transport, error) {
	sdkLogger := logging.LoggerFunc(func(_ logging.Classification, format string, v ...any) {
		logger.Debug("AWS SDK: " + fmt.Sprintf(format, v...))
	})
	var transport *http.Transport
	apply := func(o *s3.Options) {
		o.Region = cfg.Region
		o.HTTPClient = &http.Client{
			Transport: transport,
			// Like the SDK's own client: an S3 redirect is an answer, not something to follow.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
		o.UsePathStyle = cfg.PathStyle
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.RetryMaxAttempts = sdkMaxAttempts
		o.Logger = sdkLogger
		// The SDK's default: a CRC32 checksum on every PutObject (a header over http, an
		// aws-chunked trailer over https). It works with AWS S3 and, over http, with versitygw
		// v1.8.0 (tested). Content-MD5 is sent as well.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenSupported
	}
	if creds := cfg.Credentials.Get(); creds != nil {
		transport = awshttp.NewBuildableClient().GetTransport()
		provider := credentials.NewStaticCredentialsProvider(
			string(creds.AccessKeyID), string(creds.SecretAccessKey), string(creds.SessionToken))
		return s3.New(s3.Options{Credentials: provider}, apply), transport, nil
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx,
		awsconfig.WithRegion(cfg.Region),
		awsconfig.WithLogger(sdkLogger),
	)
	if err != nil {
		return nil, nil, fmt.Errorf("load the AWS default credential chain: %w", err)
	}
	// The loaded client carries what the shared config asks of TLS (AWS_CA_BUNDLE, ca_bundle);
	// S3 requests use a copy of its transport that shutdown can close. The credential providers
	// (STS, SSO, instance metadata) keep the SDK's client; their idle connections time out.
	if bc, ok := awsCfg.HTTPClient.(*awshttp.BuildableClient); ok {
		transport = bc.GetTransport()
	} else {
		transport = awshttp.NewBuildableClient().GetTransport()
	}
	return s3.NewFromConfig(awsCfg, apply), transport, nil
}
