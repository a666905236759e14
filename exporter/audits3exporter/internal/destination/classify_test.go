package destination

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClassifyAnswers sends a PutObject to a fake that answers with an error and checks the
// classification, with the permission most likely missing.
func TestClassifyAnswers(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		code        string
		message     string
		header      map[string]string
		sse         SSE
		html        bool // answered by a proxy, not S3: no XML error
		empty       bool // no body at all
		wantKind    Kind
		wantCode    string
		wantRetry   time.Duration
		wantMissing string
	}{
		{name: "503 SlowDown with Retry-After", status: 503, code: "SlowDown", message: "Please reduce your request rate.",
			header: map[string]string{"Retry-After": "7"}, wantKind: Throttled, wantCode: "SlowDown", wantRetry: 7 * time.Second},
		{name: "503 SlowDown without Retry-After", status: 503, code: "SlowDown", wantKind: Throttled, wantCode: "SlowDown"},
		{name: "429", status: 429, code: "TooManyRequests", header: map[string]string{"Retry-After": "2"},
			wantKind: Throttled, wantCode: "TooManyRequests", wantRetry: 2 * time.Second},
		{name: "500", status: 500, code: "InternalError", wantKind: Transient, wantCode: "InternalError"},
		{name: "502 of unknown code", status: 502, code: "BadGateway", wantKind: Transient, wantCode: "BadGateway"},
		{name: "504 of unknown code", status: 504, code: "GatewayTimeout", wantKind: Transient, wantCode: "GatewayTimeout"},
		{name: "409 conflicting conditional writes", status: 409, code: "ConditionalRequestConflict", wantKind: Transient, wantCode: "ConditionalRequestConflict"},
		{name: "AccessDenied on PUT", status: 403, code: "AccessDenied", message: "Access Denied",
			wantKind: Permanent, wantCode: "AccessDenied", wantMissing: "s3:PutObject"},
		{name: "AccessDenied on PUT with SSE-KMS", status: 403, code: "AccessDenied", message: "Access Denied", sse: SSEKMS,
			wantKind: Permanent, wantCode: "AccessDenied", wantMissing: "s3:PutObject and kms:GenerateDataKey (kms:Decrypt too for multipart uploads) on the KMS key"},
		{name: "AccessDenied naming the action", status: 403, code: "AccessDenied",
			message:  "User: arn:aws:sts::123456789012:assumed-role/w/s is not authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:eu-west-1:123456789012:key/k",
			wantKind: Permanent, wantCode: "AccessDenied", wantMissing: "kms:GenerateDataKey"},
		{name: "NoSuchBucket", status: 404, code: "NoSuchBucket", wantKind: Permanent, wantCode: "NoSuchBucket", wantMissing: fixNoBucket},
		{name: "InvalidAccessKeyId", status: 403, code: "InvalidAccessKeyId", wantKind: Permanent, wantCode: "InvalidAccessKeyId", wantMissing: fixAccessKey},
		{name: "SignatureDoesNotMatch", status: 403, code: "SignatureDoesNotMatch", wantKind: Permanent, wantCode: "SignatureDoesNotMatch", wantMissing: fixSecret},
		{name: "ExpiredToken", status: 400, code: "ExpiredToken", wantKind: Permanent, wantCode: "ExpiredToken", wantMissing: fixToken},
		{name: "KMS key disabled", status: 400, code: "KMS.DisabledException", wantKind: Permanent, wantCode: "KMS.DisabledException", wantMissing: fixKMS},
		{name: "KMS throttling", status: 400, code: "KMS.ThrottlingException", wantKind: Throttled, wantCode: "KMS.ThrottlingException"},
		{name: "wrong region, redirect", status: 301, code: "PermanentRedirect", header: map[string]string{"X-Amz-Bucket-Region": "eu-west-1"},
			wantKind: Permanent, wantCode: "PermanentRedirect", wantMissing: "the bucket's region: it is in eu-west-1 (set region: eu-west-1, or auto)"},
		{name: "wrong region, signature", status: 400, code: "AuthorizationHeaderMalformed",
			message:  "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-central-1'",
			wantKind: Permanent, wantCode: "AuthorizationHeaderMalformed", wantMissing: "the bucket's region: it is in eu-central-1 (set region: eu-central-1, or auto)"},
		{name: "wrong region, nothing said where", status: 400, code: "AuthorizationHeaderMalformed", message: "The authorization header is malformed",
			wantKind: Permanent, wantCode: "AuthorizationHeaderMalformed", wantMissing: fixRegion},
		{name: "server without If-None-Match", status: 501, code: "NotImplemented", wantKind: Permanent, wantCode: "NotImplemented", wantMissing: fixNotImplemented},
		{name: "Object Lock wants a checksum", status: 400, code: "InvalidRequest",
			message:  "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters",
			wantKind: Permanent, wantCode: "InvalidRequest", wantMissing: fixObjectLock},
		{name: "checksum refused", status: 400, code: "InvalidArgument", message: "unsupported checksum algorithm CRC32C",
			wantKind: Permanent, wantCode: "InvalidArgument", wantMissing: fixChecksum},
		{name: "502 from a proxy", status: 502, html: true, wantKind: Transient, wantCode: "BadGateway"},
		{name: "503 from a proxy", status: 503, html: true, wantKind: Throttled, wantCode: "ServiceUnavailable"},
		{name: "403 from a proxy", status: 403, html: true, wantKind: Permanent, wantCode: "Forbidden",
			wantMissing: "s3:PutObject, or valid credentials (the answer named no S3 error, so a wrong access key or secret cannot be ruled out)"},
		{name: "403 whose body was lost", status: 403, empty: true, wantKind: Permanent, wantCode: "Forbidden",
			wantMissing: "s3:PutObject, or valid credentials (the answer named no S3 error, so a wrong access key or secret cannot be ruled out)"},
		{name: "unknown 400", status: 400, code: "Weird", wantKind: Permanent, wantCode: "Weird"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeS3(t)
			f.setFault(func(w http.ResponseWriter, r *http.Request, op, _ string) bool {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				if tt.empty {
					w.WriteHeader(tt.status)
					return true
				}
				if tt.html {
					w.Header().Set("Content-Type", "text/html")
					w.WriteHeader(tt.status)
					_, _ = w.Write([]byte("<html><body>proxy error</body></html>"))
					return true
				}
				message := tt.message
				if message == "" {
					message = "fake " + tt.code
				}
				writeS3Error(w, tt.status, tt.code, message)
				return true
			})
			cfg := f.config()
			cfg.SSE = tt.sse
			d := destOn(t, cfg)
			_, err := d.PutNew(context.Background(), keyN, []byte("x"), "")
			require.Error(t, err)
			got := Classify(err)
			assert.Equal(t, tt.wantKind, got.Kind, "kind of %v", err)
			assert.Equal(t, tt.wantCode, got.Code)
			assert.Equal(t, tt.status, got.Status)
			assert.Equal(t, "PutObject", got.Operation)
			assert.Equal(t, tt.wantRetry, got.RetryAfter)
			assert.Equal(t, tt.wantMissing, got.Missing)
			assert.Contains(t, err.Error(), "put s3://audit/"+keyN(0)+": ")
		})
	}
}

// TestClassifyNoAnswer covers failures that get no HTTP answer.
func TestClassifyNoAnswer(t *testing.T) {
	hungUp := []string{"ConnectionReset", "EOF", "ConnectionClosed", "BrokenPipe"}
	tests := []struct {
		name     string
		fault    func(w http.ResponseWriter)
		timeout  time.Duration
		wantCode []string
	}{
		// Which one the client sees depends on whether it was still writing the request.
		{name: "connection reset", fault: func(w http.ResponseWriter) { hangUp(w, true) }, wantCode: hungUp},
		{name: "connection closed", fault: func(w http.ResponseWriter) { hangUp(w, false) }, wantCode: hungUp},
		{name: "timeout", fault: func(http.ResponseWriter) { time.Sleep(300 * time.Millisecond) }, timeout: 50 * time.Millisecond, wantCode: []string{"Timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeS3(t)
			f.setFault(func(w http.ResponseWriter, _ *http.Request, _, _ string) bool {
				tt.fault(w)
				return true
			})
			d := destOn(t, f.config())
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			_, err := d.PutNew(ctx, keyN, []byte("x"), "")
			require.Error(t, err)
			got := Classify(err)
			assert.Equal(t, Transient, got.Kind, err.Error())
			assert.Contains(t, tt.wantCode, got.Code, err.Error())
		})
	}

	t.Run("connection refused", func(t *testing.T) {
		f := newFakeS3(t)
		cfg := f.config()
		f.srv.Close()
		_, err := destOn(t, cfg).PutNew(context.Background(), keyN, []byte("x"), "")
		require.Error(t, err)
		got := Classify(err)
		assert.Equal(t, Transient, got.Kind)
		assert.Equal(t, "ConnectionRefused", got.Code)
	})
}

func TestClassifyPlainErrors(t *testing.T) {
	tests := []struct {
		err      error
		wantKind Kind
		wantCode string
	}{
		{nil, Transient, ""},
		{context.DeadlineExceeded, Transient, "Timeout"},
		{context.Canceled, Transient, "Canceled"},
		{fmt.Errorf("send: %w", syscall.ECONNRESET), Transient, "ConnectionReset"},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), Transient, "EOF"},
		{fmt.Errorf("write: %w", net.ErrClosed), Transient, "ConnectionClosed"},
		{fmt.Errorf("write: %w", syscall.EPIPE), Transient, "BrokenPipe"},
		{fmt.Errorf("dial: %w", syscall.ECONNREFUSED), Transient, "ConnectionRefused"},
		{fmt.Errorf("dial: %w", &net.DNSError{Err: "no such host", Name: "s3.example.com"}), Transient, "DNS"},
		{fmt.Errorf("tls: %w", x509.UnknownAuthorityError{}), Permanent, "Certificate"},
		{errors.New("operation error S3: PutObject, get identity: get credentials: failed to refresh cached credentials, no EC2 IMDS role found"), Permanent, "Credentials"},
		{errors.New("something else"), Transient, "Error"},
		{&Error{Failure: Failure{Kind: Throttled, Code: "SlowDown"}, msg: "x"}, Throttled, "SlowDown"},
		{fmt.Errorf("outer: %w", &Error{Failure: Failure{Kind: Permanent, Code: "AccessDenied"}, msg: "x"}), Permanent, "AccessDenied"},
	}
	for _, tt := range tests {
		got := Classify(tt.err)
		assert.Equal(t, tt.wantKind, got.Kind, "%v", tt.err)
		assert.Equal(t, tt.wantCode, got.Code, "%v", tt.err)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"12", 12 * time.Second},
		{" 3 ", 3 * time.Second},
		{"-5", 0},
		{"999999999999", maxRetryAfter},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		h := http.Header{}
		h.Set("Retry-After", tt.value)
		assert.Equal(t, tt.want, retryAfter(h, now), tt.value)
	}
}

func TestKindString(t *testing.T) {
	assert.Equal(t, "transient", Transient.String())
	assert.Equal(t, "throttled", Throttled.String())
	assert.Equal(t, "permanent", Permanent.String())
	assert.Equal(t, "kind(9)", Kind(9).String())
}

// TestClassifyStatusAlone covers answers that carried no error the SDK could read, decided by
// their HTTP status.
func TestClassifyStatusAlone(t *testing.T) {
	for _, tt := range []struct {
		status      int
		op          string
		wantKind    Kind
		wantMissing string
	}{
		{503, "PutObject", Throttled, ""},
		{500, "PutObject", Transient, ""},
		{404, "PutObject", Permanent, fixNoBucket},
		{403, "PutObject", Permanent, "s3:PutObject, or valid credentials (the answer named no S3 error, so a wrong access key or secret cannot be ruled out)"},
		{403, "Unknown", Permanent, "valid credentials (the answer named no S3 error, so a wrong access key or secret cannot be ruled out)"},
		{400, "PutObject", Permanent, ""},
	} {
		f := Failure{Status: tt.status, Operation: tt.op}
		classifyStatus(&f)
		assert.Equal(t, tt.wantKind, f.Kind, "%d %s", tt.status, tt.op)
		assert.Equal(t, tt.wantMissing, f.Missing, "%d %s", tt.status, tt.op)
	}
}
