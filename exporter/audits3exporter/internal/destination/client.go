package destination

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"
	"go.uber.org/zap"
)

const (
	// s3MaxAttempts is 1: the exporter owns retrying (its spool, its backoff, its log lines);
	// SDK retries underneath would multiply them and hide throttling from it.
	s3MaxAttempts = 1
	// credentialsExpiryWindow refreshes assumed-role credentials this long (less up to half,
	// as jitter) before they expire, so that no request is signed with credentials that run
	// out on the way.
	credentialsExpiryWindow = 3 * time.Minute
	// sessionNamePrefix starts every AssumeRole session name, so the customer's CloudTrail
	// shows who wrote and for which tenant.
	sessionNamePrefix = "auditship"
	maxSessionName    = 64
	// assumeRoleTimeout bounds one fetch of assumed-role credentials (AssumeRole, with the STS
	// client's retries). The SDK's credentials cache runs a fetch once for all callers, under
	// a context that no caller's deadline or cancellation reaches, and the STS client's HTTP
	// client has no timeout: without this bound, one STS request that is never answered
	// would hold every later upload of the destination on it until the collector restarts.
	assumeRoleTimeout = 30 * time.Second
)

var errPoolClosed = errors.New("destination pool is closed")

// Pool builds one Destination per distinct Config and keeps it for the process's life, so that
// every tenant going to the same bucket with the same credentials shares one S3 client, its
// connections and its cached credentials. A Pool is safe for concurrent use.
type Pool struct {
	logger    *zap.Logger
	sdkLogger logging.Logger
	// stsEndpoint, when set, is where AssumeRole is sent (tests point it at a fake STS).
	stsEndpoint string
	// assumeRoleTimeout bounds one fetch of assumed-role credentials (tests shorten it).
	assumeRoleTimeout time.Duration

	mu     sync.Mutex
	dests  map[poolKey]*Destination
	closed bool
}

// poolKey tells destinations apart. The org id counts only when a role is assumed, since it
// names the role session; otherwise every tenant of a bucket shares one client.
type poolKey struct {
	cfg Config
	org string
}

// NewPool returns an empty pool. The AWS SDK's own log lines go to logger at debug level.
func NewPool(logger *zap.Logger) *Pool {
	if logger == nil {
		logger = zap.NewNop()
	}
	return &Pool{
		logger: logger,
		sdkLogger: logging.LoggerFunc(func(_ logging.Classification, format string, v ...any) {
			logger.Debug("AWS SDK: " + fmt.Sprintf(format, v...))
		}),
		dests:             map[poolKey]*Destination{},
		assumeRoleTimeout: assumeRoleTimeout,
	}
}

// Get returns the destination for cfg, building it on first use. orgID is the tenant it is for;
// it names the AssumeRole session when cfg has a role_arn. Get does no network I/O except what
// the AWS default credential chain does to load its configuration.
func (p *Pool) Get(ctx context.Context, orgID string, cfg Config) (*Destination, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		// Validate never quotes a credential.
		return nil, &Error{Failure: Failure{Kind: Permanent, Code: "InvalidConfig", Missing: "a valid destination config"}, msg: err.Error(), err: err}
	}
	key := poolKey{cfg: cfg}
	if cfg.RoleARN != "" {
		key.org = orgID
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errPoolClosed
	}
	if d, ok := p.dests[key]; ok {
		return d, nil
	}
	d, err := p.build(ctx, orgID, cfg)
	if err != nil {
		return nil, &Error{Failure: Failure{Kind: Permanent, Code: "Credentials", Missing: fixCredentials}, msg: newRedactor(cfg).replace(err.Error())}
	}
	p.dests[key] = d
	return d, nil
}

// Close closes the idle connections of every destination and refuses later Gets. Destinations
// already handed out keep working (opening new connections) until they are dropped.
func (p *Pool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for k, d := range p.dests {
		d.transport.CloseIdleConnections()
		delete(p.dests, k)
	}
}

// Destination writes objects into one bucket with one set of credentials. It is safe for
// concurrent use.
type Destination struct {
	cfg       Config
	logger    *zap.Logger
	awsCfg    aws.Config
	transport *http.Transport
	redact    *redactor
	// partSize is the size of a multipart upload's parts (tests make it small).
	partSize int64

	// resolved is set once the region is known: at once, or after the first successful
	// GetBucketLocation for region auto.
	resolved atomic.Pointer[resolvedClient]
	// discoverMu lets one caller at a time ask for the region.
	discoverMu sync.Mutex
	// listDenied is set once listing was denied, so that it is logged once.
	listDenied atomic.Bool
	// kmsETags is set once S3 said it encrypted an object with KMS (the bucket's default
	// encryption may do so unasked): its ETags are then not MD5s.
	kmsETags atomic.Bool
	// md5ETags is set once a write in this process came back with the ETag its body's content
	// gives: only then does an ETag that differs from a body's tell another object. Until
	// then the bucket may encrypt with KMS by default, which we learn only from a write.
	md5ETags atomic.Bool
}

type resolvedClient struct {
	client *s3.Client
	region string
}

func (p *Pool) build(ctx context.Context, orgID string, cfg Config) (*Destination, error) {
	awsCfg, transport, err := p.baseConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if cfg.RoleARN != "" {
		stsClient := sts.NewFromConfig(awsCfg, func(o *sts.Options) {
			if p.stsEndpoint != "" {
				o.BaseEndpoint = aws.String(p.stsEndpoint)
			}
		})
		assume := stscreds.NewAssumeRoleProvider(stsClient, cfg.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = SessionName(orgID)
			if cfg.ExternalID != "" {
				o.ExternalID = aws.String(string(cfg.ExternalID))
			}
		})
		bounded := boundedCredentials{provider: assume, timeout: p.assumeRoleTimeout}
		awsCfg.Credentials = aws.NewCredentialsCache(bounded, func(o *aws.CredentialsCacheOptions) {
			o.ExpiryWindow = credentialsExpiryWindow
			o.ExpiryWindowJitterFrac = 0.5
		})
	}
	d := &Destination{
		cfg:       cfg,
		logger:    p.logger,
		awsCfg:    awsCfg,
		transport: transport,
		redact:    newRedactor(cfg),
		partSize:  defaultPartSize,
	}
	if cfg.Region != RegionAuto {
		d.resolved.Store(&resolvedClient{client: d.newClient(cfg.Region), region: cfg.Region})
	}
	return d, nil
}

// boundedCredentials gives every fetch of the provider it wraps a deadline of its own (see
// assumeRoleTimeout).
type boundedCredentials struct {
	provider aws.CredentialsProvider
	timeout  time.Duration
}

func (b boundedCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	return b.provider.Retrieve(ctx)
}

// baseConfig is the AWS configuration before any role is assumed: static credentials, or the
// default chain. Either way requests go through a transport of the destination's own, so
// that Close can close its idle connections.
func (p *Pool) baseConfig(ctx context.Context, cfg Config) (aws.Config, *http.Transport, error) {
	// The region signs STS requests; S3 clients set their own. With auto, STS's us-east-1
	// endpoint answers for every commercial region.
	region := cfg.Region
	if region == RegionAuto {
		region = defaultRegion
	}
	if creds := cfg.Credentials.Get(); creds != nil {
		transport := awshttp.NewBuildableClient().GetTransport()
		return aws.Config{
			Region: region,
			Credentials: credentials.NewStaticCredentialsProvider(
				string(creds.AccessKeyID), string(creds.SecretAccessKey), string(creds.SessionToken)),
			HTTPClient: newHTTPClient(transport),
			Logger:     p.sdkLogger,
		}, transport, nil
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(region), awsconfig.WithLogger(p.sdkLogger))
	if err != nil {
		return aws.Config{}, nil, fmt.Errorf("load the AWS default credential chain: %w", err)
	}
	// The loaded client carries what the shared config asks of TLS (AWS_CA_BUNDLE); we use a
	// copy of its transport. Providers of the chain (SSO, instance metadata) keep the SDK's
	// client; their idle connections time out on their own.
	transport := awshttp.NewBuildableClient().GetTransport()
	if bc, ok := awsCfg.HTTPClient.(*awshttp.BuildableClient); ok {
		transport = bc.GetTransport()
	}
	awsCfg.HTTPClient = newHTTPClient(transport)
	return awsCfg, transport, nil
}

func newHTTPClient(transport *http.Transport) *http.Client {
	return &http.Client{
		Transport: transport,
		// As the SDK's own client does: an S3 redirect is an answer (the bucket is in another
		// region), not something to follow.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// newClient is an S3 client for region with the destination's endpoint and checksum mode.
func (d *Destination) newClient(region string) *s3.Client {
	return s3.NewFromConfig(d.awsCfg, func(o *s3.Options) {
		o.Region = region
		o.UsePathStyle = d.cfg.PathStyle
		if d.cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(d.cfg.Endpoint)
		}
		o.RetryMaxAttempts = s3MaxAttempts
		if d.cfg.Checksum == ChecksumCRC32C {
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenSupported
		} else {
			// md5 sets Content-MD5 itself; when_required sends nothing the operation does
			// not demand. Either way the SDK must not add its default CRC32.
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		}
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
}

// Bucket is the destination's bucket.
func (d *Destination) Bucket() string { return d.cfg.Bucket }

// Region is the bucket's region: as configured, as discovered, or "auto" while not yet known.
func (d *Destination) Region() string {
	if r := d.resolved.Load(); r != nil {
		return r.region
	}
	return d.cfg.Region
}

// client returns the S3 client, asking S3 for the bucket's region first when the config says
// auto and it is not known yet. A failed lookup is not remembered: the next call asks again.
func (d *Destination) client(ctx context.Context) (*resolvedClient, error) {
	if r := d.resolved.Load(); r != nil {
		return r, nil
	}
	d.discoverMu.Lock()
	defer d.discoverMu.Unlock()
	if r := d.resolved.Load(); r != nil {
		return r, nil
	}
	region, err := d.discoverRegion(ctx)
	if err != nil {
		return nil, d.wrap(err, "find the region of s3://%s (region: auto)", d.cfg.Bucket)
	}
	r := &resolvedClient{client: d.newClient(region), region: region}
	d.resolved.Store(r)
	d.logger.Info("Found the bucket's region.", zap.String("bucket", d.cfg.Bucket), zap.String("region", region))
	return r, nil
}

// discoverRegion asks GetBucketLocation (s3:GetBucketLocation), signed for us-east-1. When
// S3 answers with a redirect instead, its x-amz-bucket-region header names the region.
func (d *Destination) discoverRegion(ctx context.Context) (string, error) {
	out, err := d.newClient(defaultRegion).GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(d.cfg.Bucket)})
	if err != nil {
		if r := bucketRegionOf(err); r != "" {
			return r, nil
		}
		return "", err
	}
	switch loc := string(out.LocationConstraint); loc {
	case "":
		return "us-east-1", nil
	case "EU":
		return "eu-west-1", nil
	default:
		return loc, nil
	}
}

// SessionName is the AssumeRole session name for a tenant: auditship-<org id>, keeping only
// the characters STS allows ([\w+=,.@-]) and at most 64 of them.
func SessionName(orgID string) string {
	var b strings.Builder
	b.WriteString(sessionNamePrefix)
	if orgID != "" {
		b.WriteByte('-')
	}
	for i := 0; i < len(orgID) && b.Len() < maxSessionName; i++ {
		if isSTSNameChar(orgID[i]) {
			b.WriteByte(orgID[i])
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
