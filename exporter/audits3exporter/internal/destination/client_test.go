package destination

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configoptional"
)

func TestSessionName(t *testing.T) {
	tests := []struct {
		org  string
		want string
	}{
		{"org-1", "auditship-org-1"},
		{"", "auditship"},
		{"(default)", "auditship-default"},
		{"acme corp/eu", "auditship-acmecorpeu"},
		{"a_b+c=d,e.f@g", "auditship-a_b+c=d,e.f@g"},
		{"ünïcode", "auditship-ncode"},
		{"%%%", "auditship"},
		{strings.Repeat("x", 100), "auditship-" + strings.Repeat("x", 54)},
	}
	for _, tt := range tests {
		got := SessionName(tt.org)
		assert.Equal(t, tt.want, got, tt.org)
		assert.LessOrEqual(t, len(got), 64)
	}
}

func TestPoolReusesDestinations(t *testing.T) {
	ctx := context.Background()
	p := newPool(t)
	base := Config{Bucket: "audit", Credentials: configoptional.Some(CredentialsConfig{AccessKeyID: "AKIAFAKEFAKEFAKEFAKE", SecretAccessKey: "s3cr3t"})}
	a, err := p.Get(ctx, "org-1", base)
	require.NoError(t, err)

	withDefaults := base
	withDefaults.Region, withDefaults.Checksum, withDefaults.MultipartThreshold = "us-east-1", ChecksumCRC32C, DefaultMultipartThreshold
	b, err := p.Get(ctx, "org-2", withDefaults)
	require.NoError(t, err)
	assert.Same(t, a, b, "defaults spelled out and another org without a role: same destination")

	other := base
	other.SSE = SSEAES256
	c, err := p.Get(ctx, "org-1", other)
	require.NoError(t, err)
	assert.NotSame(t, a, c)

	role := base
	role.RoleARN = "arn:aws:iam::123456789012:role/audit-writer"
	r1, err := p.Get(ctx, "org-1", role)
	require.NoError(t, err)
	r2, err := p.Get(ctx, "org-2", role)
	require.NoError(t, err)
	r1again, err := p.Get(ctx, "org-1", role)
	require.NoError(t, err)
	assert.NotSame(t, r1, r2, "the org names the role session")
	assert.Same(t, r1, r1again)

	_, err = p.Get(ctx, "org-1", Config{})
	require.ErrorContains(t, err, "bucket: must be set")
	assert.Equal(t, Permanent, Classify(err).Kind)
	assert.Equal(t, "InvalidConfig", Classify(err).Code)

	p.Close()
	_, err = p.Get(ctx, "org-1", base)
	require.ErrorIs(t, err, errPoolClosed)
}

// fakeSTS answers AssumeRole with temporary credentials, or with an error when denied. The
// first `hang` requests get no answer until the test ends.
type fakeSTS struct {
	srv     *httptest.Server
	release chan struct{}
	mu      sync.Mutex
	calls   []url.Values
	auth    []string
	denied  bool
	hang    int
}

func newFakeSTS(t *testing.T) *fakeSTS {
	s := &fakeSTS{release: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		s.mu.Lock()
		s.calls = append(s.calls, form)
		s.auth = append(s.auth, r.Header.Get("Authorization"))
		denied, hang := s.denied, s.hang > 0
		if hang {
			s.hang--
		}
		s.mu.Unlock()
		if hang {
			select {
			case <-s.release:
			case <-r.Context().Done():
			}
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		if denied {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code>`+
				`<Message>User: arn:aws:iam::111122223333:user/vendor is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/audit-writer</Message>`+
				`</Error><RequestId>r1</RequestId></ErrorResponse>`)
			return
		}
		fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>`+
			`<Credentials><AccessKeyId>ASIAFAKEFAKEFAKEFAKE</AccessKeyId><SecretAccessKey>assumed-secret</SecretAccessKey>`+
			`<SessionToken>assumed-session-token</SessionToken><Expiration>%s</Expiration></Credentials>`+
			`<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/audit-writer/%s</Arn><AssumedRoleId>AROAFAKE:%[2]s</AssumedRoleId></AssumedRoleUser>`+
			`</AssumeRoleResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></AssumeRoleResponse>`,
			time.Now().Add(time.Hour).UTC().Format(time.RFC3339), form.Get("RoleSessionName"))
	}))
	t.Cleanup(s.srv.Close)
	// Runs before Close, which waits for the requests being served.
	t.Cleanup(func() { close(s.release) })
	return s
}

func (s *fakeSTS) requests() ([]url.Values, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.calls...), append([]string(nil), s.auth...)
}

// roleDest is a destination on f that assumes a role through sts, from a pool that modify
// (when not nil) adjusts first.
func roleDest(t *testing.T, f *fakeS3, sts *fakeSTS, modify func(*Pool)) *Destination {
	cfg := f.config()
	cfg.RoleARN = "arn:aws:iam::123456789012:role/audit-writer"
	cfg.ExternalID = "ext-id-4711"
	p := newPool(t)
	p.stsEndpoint = sts.srv.URL
	if modify != nil {
		modify(p)
	}
	d, err := p.Get(context.Background(), "org-1", cfg)
	require.NoError(t, err)
	return d
}

func TestAssumeRole(t *testing.T) {
	f := newFakeS3(t)
	sts := newFakeSTS(t)
	d := roleDest(t, f, sts, nil)

	for i := range 2 {
		_, err := d.PutNew(context.Background(), func(a int) string { return fmt.Sprintf("k%d-%d", i, a) }, []byte("x"), "")
		require.NoError(t, err)
	}

	calls, auth := sts.requests()
	require.Len(t, calls, 1, "the assumed credentials are cached")
	assert.Equal(t, "AssumeRole", calls[0].Get("Action"))
	assert.Equal(t, "arn:aws:iam::123456789012:role/audit-writer", calls[0].Get("RoleArn"))
	assert.Equal(t, "auditship-org-1", calls[0].Get("RoleSessionName"))
	assert.Equal(t, "ext-id-4711", calls[0].Get("ExternalId"))
	assert.Contains(t, auth[0], "Credential=AKIAFAKEFAKEFAKEFAKE/", "AssumeRole is signed with the configured key")

	for _, put := range f.requestsOf("PutObject") {
		assert.Contains(t, put.header.Get("Authorization"), "Credential=ASIAFAKEFAKEFAKEFAKE/", "S3 requests are signed with the role's credentials")
		assert.Equal(t, "assumed-session-token", put.header.Get("X-Amz-Security-Token"))
	}
}

// TestAssumeRoleUnanswered: an AssumeRole that STS never answers holds the destination's
// credentials for at most assumeRoleTimeout; then the role is assumed again and uploads work.
func TestAssumeRoleUnanswered(t *testing.T) {
	f := newFakeS3(t)
	sts := newFakeSTS(t)
	sts.hang = 1
	d := roleDest(t, f, sts, func(p *Pool) { p.assumeRoleTimeout = time.Second })
	upload := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		_, err := d.PutNew(ctx, keyN, []byte("x"), "")
		return err
	}

	require.Error(t, upload(), "the first upload waits for credentials STS does not send")
	assert.Eventually(t, func() bool { return upload() == nil }, 5*time.Second, 100*time.Millisecond,
		"after the bound, the role is assumed again")
	calls, _ := sts.requests()
	assert.Len(t, calls, 2, "one unanswered AssumeRole, one answered")
}

func TestAssumeRoleDenied(t *testing.T) {
	f := newFakeS3(t)
	sts := newFakeSTS(t)
	sts.denied = true
	d := roleDest(t, f, sts, nil)

	_, err := d.PutNew(context.Background(), keyN, []byte("x"), "")
	require.Error(t, err)
	got := Classify(err)
	assert.Equal(t, Permanent, got.Kind)
	assert.Equal(t, "AccessDenied", got.Code)
	assert.Equal(t, "AssumeRole", got.Operation)
	assert.Equal(t, permAssumeRole, got.Missing)
	assert.Empty(t, f.requestsOf("PutObject"), "nothing reaches S3 unsigned")
	for _, secret := range []string{"AKIAFAKEFAKEFAKEFAKE", "fake-secret-access-key", "ext-id-4711"} {
		assert.NotContains(t, err.Error(), secret)
	}
}

func TestDefaultCredentialChain(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAENVENVENVENVENV1")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	f := newFakeS3(t)
	cfg := f.config()
	cfg.Credentials = configoptional.None[CredentialsConfig]()
	d := destOn(t, cfg)

	_, err := d.PutNew(context.Background(), keyN, []byte("x"), "")
	require.NoError(t, err)
	assert.Contains(t, f.requestsOf("PutObject")[0].header.Get("Authorization"), "Credential=AKIAENVENVENVENVENV1/")
}

func TestRegionAuto(t *testing.T) {
	t.Run("GetBucketLocation once, then signed for the region", func(t *testing.T) {
		f := newFakeS3(t)
		f.location = "EU"
		cfg := f.config()
		cfg.Region = RegionAuto
		d := destOn(t, cfg)
		assert.Equal(t, "auto", d.Region())

		for i := range 2 {
			_, err := d.PutNew(context.Background(), func(a int) string { return fmt.Sprintf("k%d-%d", i, a) }, []byte("x"), "")
			require.NoError(t, err)
		}
		assert.Equal(t, "eu-west-1", d.Region())
		assert.Equal(t, []string{"GetBucketLocation", "PutObject", "PutObject"}, f.ops())
		assert.Contains(t, f.requestsOf("PutObject")[0].header.Get("Authorization"), "/eu-west-1/s3/aws4_request")
	})

	t.Run("a redirect names the region", func(t *testing.T) {
		f := newFakeS3(t)
		f.setFault(func(w http.ResponseWriter, _ *http.Request, op, _ string) bool {
			if op != "GetBucketLocation" {
				return false
			}
			w.Header().Set("X-Amz-Bucket-Region", "ap-south-1")
			writeS3Error(w, http.StatusMovedPermanently, "PermanentRedirect", "The bucket you are attempting to access must be addressed using the specified endpoint.")
			return true
		})
		cfg := f.config()
		cfg.Region = RegionAuto
		d := destOn(t, cfg)
		_, err := d.PutNew(context.Background(), keyN, []byte("x"), "")
		require.NoError(t, err)
		assert.Equal(t, "ap-south-1", d.Region())
	})

	t.Run("denied, then granted: a failure is not remembered", func(t *testing.T) {
		f := newFakeS3(t)
		f.setFault(func(w http.ResponseWriter, _ *http.Request, op, _ string) bool {
			if op != "GetBucketLocation" {
				return false
			}
			writeS3Error(w, http.StatusForbidden, "AccessDenied", "Access Denied")
			return true
		})
		cfg := f.config()
		cfg.Region = RegionAuto
		d := destOn(t, cfg)
		_, err := d.PutNew(context.Background(), keyN, []byte("x"), "")
		require.Error(t, err)
		got := Classify(err)
		assert.Equal(t, Permanent, got.Kind)
		assert.Equal(t, "GetBucketLocation", got.Operation)
		assert.Equal(t, permBucketLoc, got.Missing)
		assert.Contains(t, err.Error(), "find the region of s3://audit (region: auto)")

		f.setFault(nil)
		_, err = d.PutNew(context.Background(), keyN, []byte("x"), "")
		require.NoError(t, err)
		assert.Equal(t, "us-east-1", d.Region())
	})
}

// TestErrorsHoldNoCredentials: a server that echoes credentials in its error message.
func TestErrorsHoldNoCredentials(t *testing.T) {
	f := newFakeS3(t)
	f.setFault(func(w http.ResponseWriter, _ *http.Request, _, _ string) bool {
		writeS3Error(w, http.StatusForbidden, "SignatureDoesNotMatch",
			"key AKIAFAKEFAKEFAKEFAKE secret fake-secret-access-key token fake-session-token temp ASIAOTHEROTHEROTHER1")
		return true
	})
	cfg := f.config()
	cfg.Credentials.Get().SessionToken = "fake-session-token"
	d := destOn(t, cfg)

	_, err := d.PutNew(context.Background(), keyN, []byte("x"), "")
	require.Error(t, err)
	for _, secret := range []string{"AKIAFAKEFAKEFAKEFAKE", "fake-secret-access-key", "fake-session-token", "ASIAOTHEROTHEROTHER1"} {
		assert.NotContains(t, err.Error(), secret)
	}
	assert.Contains(t, err.Error(), redacted)
	assert.Nil(t, errors.Unwrap(err), "unwrapping must not give the credentials back")
	assert.Equal(t, "SignatureDoesNotMatch", Classify(err).Code, "classified before redaction")
}

func TestScrubAccessKeyIDs(t *testing.T) {
	tests := map[string]string{
		"no key here":                                "no key here",
		"key AKIAIOSFODNN7EXAMPLE.":                  "key [REDACTED].",
		"ASIAIOSFODNN7EXAMPLE":                       "[REDACTED]",
		"two AKIAIOSFODNN7EXAMPLE ASIAIOSFODNN7EXAM": "two [REDACTED] ASIAIOSFODNN7EXAM",
		"XAKIAIOSFODNN7EXAMPLE":                      "XAKIAIOSFODNN7EXAMPLE",
		"AKIAIOSFODNN7EXAMPLEX":                      "AKIAIOSFODNN7EXAMPLEX",
		"AKIAiosfodnn7example":                       "AKIAiosfodnn7example",
	}
	for in, want := range tests {
		assert.Equal(t, want, scrubAccessKeyIDs(in), in)
	}
}
