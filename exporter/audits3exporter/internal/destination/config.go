package destination

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
)

// Config is one destination: the bucket a tenant's objects go to and how we sign in to it.
// The exporter uses it for its default destination and for every route. An empty value of an
// optional key means its default, so a route may leave out what it does not change.
type Config struct {
	// Bucket is the S3 bucket objects are written to. Required.
	Bucket string `mapstructure:"bucket"`
	// Region is the bucket's AWS region, or "auto" to ask S3 (GetBucketLocation, which needs
	// s3:GetBucketLocation) at first use and remember the answer. Default: us-east-1.
	Region string `mapstructure:"region"`
	// Endpoint is the base URL of an S3-compatible server (http or https). Default: empty,
	// AWS S3's endpoint for the region.
	Endpoint string `mapstructure:"endpoint"`
	// PathStyle puts the bucket in the path (http://host/bucket/key) rather than in the host
	// name, as most S3-compatible servers need. Default: false.
	PathStyle bool `mapstructure:"path_style"`
	// Credentials is a static access key. Default: absent, the AWS default credential chain
	// (environment, shared files, web identity, ECS or EC2 role).
	Credentials configoptional.Optional[CredentialsConfig] `mapstructure:"credentials"`
	// RoleARN is an IAM role to assume (sts:AssumeRole) with the credentials above, as a vendor
	// does to write into a customer's account. The session is named auditship-<org id>.
	// Default: empty, no role.
	RoleARN string `mapstructure:"role_arn"`
	// ExternalID is the external id the role's trust policy asks for. Only with role_arn.
	// Default: empty.
	ExternalID configopaque.String `mapstructure:"external_id"`
	// SSE is the server-side encryption asked for on every object: "" (the bucket's default),
	// "AES256" (SSE-S3) or "aws:kms" (SSE-KMS). Default: "".
	SSE SSE `mapstructure:"sse"`
	// KMSKeyID is the KMS key (id, alias or ARN) for sse: aws:kms. Default: empty, the
	// account's aws/s3 key. Writing then needs kms:GenerateDataKey (and kms:Decrypt for
	// multipart uploads) on the key.
	KMSKeyID string `mapstructure:"kms_key_id"`
	// StorageClass is the S3 storage class of every object (STANDARD, STANDARD_IA,
	// INTELLIGENT_TIERING, GLACIER_IR, ...). Default: empty, the bucket's default (STANDARD).
	StorageClass StorageClass `mapstructure:"storage_class"`
	// Checksum is the integrity check sent with every write: crc32c (x-amz-checksum-crc32c),
	// md5 (Content-MD5) or when_required (none, for S3-compatible servers that refuse the
	// SDK's checksums). Object Lock buckets need one of the first two. Default: crc32c.
	Checksum Checksum `mapstructure:"checksum"`
	// MultipartThreshold is the body size above which an object is written with a multipart
	// upload ("64MiB", "100MB" or a number of bytes; at most 5GiB, S3's limit for one PUT).
	// Default: 64MiB.
	MultipartThreshold ByteSize `mapstructure:"multipart_threshold"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// CredentialsConfig is a static AWS access key. The values are opaque: never printed, logged
// or put in an error.
type CredentialsConfig struct {
	// AccessKeyID is the access key id. Required when credentials is given.
	AccessKeyID configopaque.String `mapstructure:"access_key_id"`
	// SecretAccessKey is the secret access key. Required when credentials is given.
	SecretAccessKey configopaque.String `mapstructure:"secret_access_key"`
	// SessionToken is the session token of temporary credentials. Default: empty.
	SessionToken configopaque.String `mapstructure:"session_token"`

	// prevent unkeyed literal initialization
	_ struct{}
}

const (
	// RegionAuto asks S3 for the bucket's region.
	RegionAuto    = "auto"
	defaultRegion = "us-east-1"

	// DefaultMultipartThreshold is multipart_threshold's default.
	DefaultMultipartThreshold ByteSize = 64 << 20
	// maxSinglePut is the largest body S3 takes in one PutObject.
	maxSinglePut ByteSize = 5 << 30
)

// NewDefaultConfig returns a Config with every default filled in and no bucket.
func NewDefaultConfig() Config {
	return Config{Region: defaultRegion, Checksum: ChecksumCRC32C, MultipartThreshold: DefaultMultipartThreshold}
}

// withDefaults fills the keys left empty and normalises what has no meaning (credentials
// given as "absent" in two ways), so that equal destinations compare equal.
func (cfg Config) withDefaults() Config {
	if cfg.Region == "" {
		cfg.Region = defaultRegion
	}
	if cfg.Checksum == "" {
		cfg.Checksum = ChecksumCRC32C
	}
	if cfg.MultipartThreshold == 0 {
		cfg.MultipartThreshold = DefaultMultipartThreshold
	}
	if !cfg.Credentials.HasValue() {
		cfg.Credentials = configoptional.None[CredentialsConfig]()
	}
	return cfg
}

// Equal tells whether two configs describe the same destination: the same bucket, reached and
// written the same way, with defaults spelled out or left out alike (as Pool tells them apart).
func (cfg Config) Equal(other Config) bool {
	return cfg.withDefaults() == other.withDefaults()
}

// Validate reports every problem at once, each naming its key as the user wrote it (relative
// to this section: the caller adds the route's path).
func (cfg *Config) Validate() error {
	var errs []error
	add := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{key}, args...)...))
	}
	if cfg.Bucket == "" {
		add("bucket", "must be set to the name of the S3 bucket to write to")
	} else if reason := bucketNameProblem(cfg.Bucket); reason != "" {
		add("bucket", "%q is not a valid S3 bucket name: %s", cfg.Bucket, reason)
	}
	if cfg.Region != "" && cfg.Region != RegionAuto && !isRegion(cfg.Region) {
		add("region", "%q is not a region name: use lower-case letters, digits and '-', or %q", cfg.Region, RegionAuto)
	}
	if cfg.Endpoint != "" {
		if reason := endpointProblem(cfg.Endpoint); reason != "" {
			add("endpoint", "%s", reason)
		}
	}
	if creds := cfg.Credentials.Get(); creds != nil {
		const hint = "must be set when credentials is given (remove the credentials section to use the AWS default credential chain)"
		if creds.AccessKeyID == "" {
			add("credentials::access_key_id", hint)
		}
		if creds.SecretAccessKey == "" {
			add("credentials::secret_access_key", hint)
		}
	}
	if cfg.RoleARN != "" {
		if reason := roleARNProblem(cfg.RoleARN); reason != "" {
			add("role_arn", "%s", reason)
		}
	}
	if cfg.ExternalID != "" {
		if cfg.RoleARN == "" {
			add("external_id", "is only used with role_arn")
		}
		// The value is not quoted back: it is not a secret, but it need not travel either.
		if reason := externalIDProblem(string(cfg.ExternalID)); reason != "" {
			add("external_id", "%s", reason)
		}
	}
	if !cfg.SSE.valid() {
		add("sse", "%q is not one of %q, %q, %q", cfg.SSE, SSENone, SSEAES256, SSEKMS)
	}
	if cfg.KMSKeyID != "" && cfg.SSE != SSEKMS {
		add("kms_key_id", "is only used with sse: %s", SSEKMS)
	}
	if !cfg.StorageClass.valid() {
		add("storage_class", "%q is not an S3 storage class (%s)", cfg.StorageClass, storageClassList())
	}
	if !cfg.Checksum.valid() {
		add("checksum", "%q is not one of %q, %q, %q", cfg.Checksum, ChecksumCRC32C, ChecksumMD5, ChecksumWhenRequired)
	}
	switch {
	case cfg.MultipartThreshold < 0:
		add("multipart_threshold", "must be positive, got %d", cfg.MultipartThreshold)
	case cfg.MultipartThreshold > maxSinglePut:
		add("multipart_threshold", "must be at most 5GiB (the largest single PUT S3 takes), got %s", cfg.MultipartThreshold)
	}
	return errors.Join(errs...)
}

// bucketNameProblem checks S3's naming rules for general purpose buckets; "" means valid.
func bucketNameProblem(name string) string {
	if len(name) < 3 || len(name) > 63 {
		return "must be 3 to 63 characters long"
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isLowerAlnum(c) && c != '.' && c != '-' {
			return "may contain only lower-case letters, digits, '.' and '-'"
		}
	}
	if !isLowerAlnum(name[0]) || !isLowerAlnum(name[len(name)-1]) {
		return "must begin and end with a letter or digit"
	}
	if strings.Contains(name, "..") || strings.Contains(name, ".-") || strings.Contains(name, "-.") {
		return "must not contain '..', '.-' or '-.'"
	}
	if looksLikeIPv4(name) {
		return "must not look like an IP address"
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return "must not begin with " + p
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, s) {
			return "must not end with " + s
		}
	}
	return ""
}

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

func looksLikeIPv4(name string) bool {
	parts := strings.Split(name, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if _, err := strconv.ParseUint(p, 10, 8); err != nil {
			return false
		}
	}
	return true
}

func isRegion(r string) bool {
	for i := 0; i < len(r); i++ {
		c := r[i]
		if !isLowerAlnum(c) && c != '-' {
			return false
		}
	}
	return r != ""
}

// endpointProblem never quotes the endpoint back: a URL may carry a password.
func endpointProblem(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "must be a URL such as https://s3.example.com or http://127.0.0.1:7070"
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "must start with http:// or https://"
	case u.User != nil:
		return "must not carry user information: use the credentials section"
	case u.Host == "":
		return "must name a host, as in https://s3.example.com"
	case u.RawQuery != "" || u.Fragment != "":
		return "must not have a query or fragment"
	}
	return ""
}

// roleARNProblem checks the shape arn:<partition>:iam::<account>:role/<name>.
func roleARNProblem(arn string) string {
	const want = "must be an IAM role ARN such as arn:aws:iam::123456789012:role/audit-writer"
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || !strings.HasPrefix(parts[1], "aws") || parts[2] != "iam" || parts[3] != "" {
		return want
	}
	if len(parts[4]) != 12 || strings.Trim(parts[4], "0123456789") != "" {
		return want + " (the account id is 12 digits)"
	}
	name, ok := strings.CutPrefix(parts[5], "role/")
	if !ok || name == "" || strings.HasSuffix(name, "/") {
		return want
	}
	return ""
}

// externalIDProblem applies STS's rules: 2 to 1224 characters from [\w+=,.@:/-].
func externalIDProblem(id string) string {
	if len(id) < 2 || len(id) > 1224 {
		return "must be 2 to 1224 characters long"
	}
	for i := 0; i < len(id); i++ {
		if !isSTSNameChar(id[i]) && id[i] != ':' && id[i] != '/' {
			return "may contain only letters, digits and _+=,.@:/-"
		}
	}
	return ""
}

// isSTSNameChar is the character set STS allows in a role session name: [\w+=,.@-].
func isSTSNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_+=,.@-", c) >= 0
}
