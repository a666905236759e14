package destination

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/confmap"
)

func TestConfigUnmarshal(t *testing.T) {
	conf := confmap.NewFromStringMap(map[string]any{
		"bucket":              "customer-audit",
		"region":              "auto",
		"endpoint":            "https://s3.example.com",
		"path_style":          true,
		"credentials":         map[string]any{"access_key_id": "AKIAFAKEFAKEFAKEFAKE", "secret_access_key": "s3cr3t"},
		"role_arn":            "arn:aws:iam::123456789012:role/audit-writer",
		"external_id":         "ext-4711",
		"sse":                 "aws:kms",
		"kms_key_id":          "alias/audit",
		"storage_class":       "STANDARD_IA",
		"checksum":            "md5",
		"multipart_threshold": "8MiB",
	})
	var cfg Config
	require.NoError(t, conf.Unmarshal(&cfg))
	want := Config{
		Bucket: "customer-audit", Region: "auto", Endpoint: "https://s3.example.com", PathStyle: true,
		Credentials:  configoptional.Some(CredentialsConfig{AccessKeyID: "AKIAFAKEFAKEFAKEFAKE", SecretAccessKey: "s3cr3t"}),
		RoleARN:      "arn:aws:iam::123456789012:role/audit-writer",
		ExternalID:   "ext-4711",
		SSE:          SSEKMS,
		KMSKeyID:     "alias/audit",
		StorageClass: "STANDARD_IA",
		Checksum:     ChecksumMD5, MultipartThreshold: 8 << 20,
	}
	assert.Equal(t, want, cfg)
	require.NoError(t, cfg.Validate())

	// A number of bytes needs no unit.
	var sized Config
	require.NoError(t, confmap.NewFromStringMap(map[string]any{"bucket": "b12", "multipart_threshold": 1048576}).Unmarshal(&sized))
	assert.Equal(t, ByteSize(1<<20), sized.MultipartThreshold)
}

func TestConfigUnmarshalRefusesUnknownValues(t *testing.T) {
	for key, value := range map[string]any{
		"sse":                 "aws:kms:dsse",
		"storage_class":       "standard",
		"checksum":            "sha256",
		"multipart_threshold": "lots",
	} {
		var cfg Config
		err := confmap.NewFromStringMap(map[string]any{"bucket": "audit", key: value}).Unmarshal(&cfg)
		assert.Error(t, err, key)
	}
}

func TestConfigValidate(t *testing.T) {
	valid := func() Config { return Config{Bucket: "customer-audit"} }
	tests := []struct {
		name   string
		modify func(*Config)
		want   []string // substrings of the error; none means valid
	}{
		{name: "bucket alone", modify: func(*Config) {}},
		{name: "defaults spelled out", modify: func(c *Config) { *c = NewDefaultConfig(); c.Bucket = "customer-audit" }},
		{name: "region auto with endpoint", modify: func(c *Config) { c.Region, c.Endpoint, c.PathStyle = RegionAuto, "http://127.0.0.1:7070", true }},
		{name: "role with external id", modify: func(c *Config) {
			c.RoleARN, c.ExternalID = "arn:aws-us-gov:iam::123456789012:role/path/audit-writer", "vendor:4711/x"
		}},
		{name: "no bucket", modify: func(c *Config) { c.Bucket = "" }, want: []string{"bucket: must be set"}},
		{name: "bad bucket", modify: func(c *Config) { c.Bucket = "Customer_Audit" }, want: []string{`bucket: "Customer_Audit" is not a valid S3 bucket name`}},
		{name: "ip bucket", modify: func(c *Config) { c.Bucket = "192.168.1.1" }, want: []string{"must not look like an IP address"}},
		{name: "bad region", modify: func(c *Config) { c.Region = "EU West" }, want: []string{`region: "EU West" is not a region name`}},
		{name: "endpoint with password", modify: func(c *Config) { c.Endpoint = "https://u:p@s3.example.com" }, want: []string{"endpoint: must not carry user information"}},
		{name: "endpoint without scheme", modify: func(c *Config) { c.Endpoint = "s3.example.com" }, want: []string{"endpoint: must start with http:// or https://"}},
		{name: "half credentials", modify: func(c *Config) {
			c.Credentials = configoptional.Some(CredentialsConfig{SessionToken: "t"})
		}, want: []string{"credentials::access_key_id: must be set", "credentials::secret_access_key: must be set"}},
		{name: "bad role", modify: func(c *Config) { c.RoleARN = "arn:aws:iam::123:role/x" }, want: []string{"role_arn: must be an IAM role ARN such as arn:aws:iam::123456789012:role/audit-writer (the account id is 12 digits)"}},
		{name: "user, not role", modify: func(c *Config) { c.RoleARN = "arn:aws:iam::123456789012:user/x" }, want: []string{"role_arn: must be an IAM role ARN"}},
		{name: "external id without role", modify: func(c *Config) { c.ExternalID = "4711" }, want: []string{"external_id: is only used with role_arn"}},
		{name: "bad external id", modify: func(c *Config) {
			c.RoleARN, c.ExternalID = "arn:aws:iam::123456789012:role/w", "has space"
		}, want: []string{"external_id: may contain only"}},
		{name: "kms key without kms", modify: func(c *Config) { c.SSE, c.KMSKeyID = SSEAES256, "alias/x" }, want: []string{"kms_key_id: is only used with sse: aws:kms"}},
		{name: "bad enums", modify: func(c *Config) { c.SSE, c.StorageClass, c.Checksum = "aes", "COLD", "sha1" },
			want: []string{`sse: "aes" is not one of`, `storage_class: "COLD" is not an S3 storage class`, `checksum: "sha1" is not one of`}},
		{name: "threshold too large", modify: func(c *Config) { c.MultipartThreshold = 6 << 30 }, want: []string{"multipart_threshold: must be at most 5GiB"}},
		{name: "threshold negative", modify: func(c *Config) { c.MultipartThreshold = -1 }, want: []string{"multipart_threshold: must be positive"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid()
			tt.modify(&cfg)
			err := cfg.Validate()
			if len(tt.want) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Len(t, strings.Split(err.Error(), "\n"), len(tt.want), "one line per problem: %v", err)
		})
	}
}

func TestConfigValidateNeverQuotesSecrets(t *testing.T) {
	cfg := Config{
		Bucket:      "x",
		Endpoint:    "ftp://user:hunter22@host",
		RoleARN:     "arn:aws:iam::123456789012:role/w",
		ExternalID:  "secret external id",
		Credentials: configoptional.Some(CredentialsConfig{SecretAccessKey: "hunter22-secret"}),
	}
	err := cfg.Validate()
	require.Error(t, err)
	for _, s := range []string{"hunter22", "secret external id"} {
		assert.NotContains(t, err.Error(), s)
	}
}

func TestByteSize(t *testing.T) {
	tests := []struct {
		text string
		want ByteSize
		ok   bool
	}{
		{"0", 0, true},
		{"1048576", 1 << 20, true},
		{"512B", 512, true},
		{"64MiB", 64 << 20, true},
		{"64 MiB", 64 << 20, true},
		{"2KiB", 2048, true},
		{"1GiB", 1 << 30, true},
		{"100MB", 100_000_000, true},
		{"5KB", 5000, true},
		{"1GB", 1_000_000_000, true},
		{"", 0, false},
		{"MiB", 0, false},
		{"-1", 0, false},
		{"1.5MiB", 0, false},
		{"12TB", 0, false},
		{"99999999999GiB", 0, false},
	}
	for _, tt := range tests {
		var b ByteSize
		err := b.UnmarshalText([]byte(tt.text))
		if !tt.ok {
			assert.Error(t, err, tt.text)
			continue
		}
		require.NoError(t, err, tt.text)
		assert.Equal(t, tt.want, b, tt.text)
	}
	assert.Equal(t, "64MiB", (64 << 20 * ByteSize(1)).String())
	assert.Equal(t, "1000B", ByteSize(1000).String())
	assert.Equal(t, "0B", ByteSize(0).String())
}
