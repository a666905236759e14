package destination

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Kind is what a failure means for the next attempt.
type Kind int

const (
	// Transient failures (5xx, timeouts, dropped connections) may pass on the next attempt:
	// retry with backoff.
	Transient Kind = iota
	// Throttled failures (503 SlowDown, 429) ask us to slow down: wait RetryAfter when given,
	// else back off.
	Throttled
	// Permanent failures (access denied, no such bucket, bad credentials, wrong region) will
	// not pass until someone changes the bucket, the policy or the config. The exporter keeps
	// the data and retries slowly; nothing is dropped.
	Permanent
)

func (k Kind) String() string {
	switch k {
	case Transient:
		return "transient"
	case Throttled:
		return "throttled"
	case Permanent:
		return "permanent"
	default:
		return "kind(" + strconv.Itoa(int(k)) + ")"
	}
}

// Failure is a classified error.
type Failure struct {
	Kind Kind
	// Code is S3's error code (AccessDenied, NoSuchBucket, SlowDown, ...) or, for errors
	// without one, a short name of our own (Timeout, ConnectionReset, EOF, HTTP 502).
	Code string
	// Status is the HTTP status of the answer, 0 when there was none.
	Status int
	// Operation is the API call that failed (PutObject, ListObjectsV2, AssumeRole, ...).
	Operation string
	// RetryAfter is the server's Retry-After, 0 when it sent none.
	RetryAfter time.Duration
	// Missing is what most likely has to change for the call to pass: the permission the
	// policy lacks, or the setting that is wrong. Empty when there is nothing to say.
	Missing string
}

// Permissions and fixes named in Failure.Missing.
const (
	permPutObject     = "s3:PutObject"
	permListBucket    = "s3:ListBucket"
	permBucketLoc     = "s3:GetBucketLocation (or set region to the bucket's region instead of auto)"
	permAbortUpload   = "s3:AbortMultipartUpload"
	permAssumeRole    = "sts:AssumeRole on role_arn (the role's trust policy must name this principal, and external_id when it asks for one)"
	fixNoBucket       = "the bucket does not exist (check bucket, endpoint and region)"
	fixAccessKey      = "a valid access key: S3 does not know this access key id"
	fixSecret         = "the secret access key that belongs to the access key id"
	fixToken          = "valid credentials: the session token is invalid or has expired"
	fixRegion         = "the bucket's region: set region to it, or to auto"
	fixKMS            = "a usable KMS key: check kms_key_id, the key's state and its key policy"
	fixStorageClass   = "a storage class the bucket accepts (storage_class)"
	fixNotImplemented = "a feature this S3-compatible server lacks: try checksum: when_required, or drop sse and storage_class; it must support If-None-Match"
	fixObjectLock     = "a checksum: the bucket has Object Lock, which needs checksum: md5 or crc32c"
	fixChecksum       = "a checksum setting this server accepts: try checksum: md5 or when_required"
	fixCredentials    = "credentials: set credentials or role_arn, or give the AWS default chain some (AWS_* environment, shared config, web identity, instance role)"
	fixCertificate    = "a TLS certificate the collector trusts for the endpoint (AWS_CA_BUNDLE)"
	fixNames          = "a free object name: every name tried is taken by another object"
	fixClock          = "a correct system clock"
)

// permissionFor names the permission an operation needs.
var permissionFor = map[string]string{
	"PutObject":               permPutObject,
	"CreateMultipartUpload":   permPutObject,
	"UploadPart":              permPutObject,
	"CompleteMultipartUpload": permPutObject,
	"AbortMultipartUpload":    permAbortUpload,
	"ListObjectsV2":           permListBucket,
	"GetBucketLocation":       permBucketLoc,
	"AssumeRole":              permAssumeRole,
}

// codeRules classify S3 error codes whose meaning does not depend on the operation.
var codeRules = map[string]struct {
	kind    Kind
	missing string
}{
	"SlowDown":                           {Throttled, ""},
	"Throttling":                         {Throttled, ""},
	"ThrottlingException":                {Throttled, ""},
	"TooManyRequests":                    {Throttled, ""},
	"TooManyRequestsException":           {Throttled, ""},
	"RequestLimitExceeded":               {Throttled, ""},
	"RequestThrottled":                   {Throttled, ""},
	"ServiceUnavailable":                 {Throttled, ""},
	"InternalError":                      {Transient, ""},
	"RequestTimeout":                     {Transient, ""},
	"OperationAborted":                   {Transient, ""},
	"ConditionalRequestConflict":         {Transient, ""},
	"NoSuchUpload":                       {Transient, ""},
	"BadDigest":                          {Transient, ""},
	"XAmzContentSHA256Mismatch":          {Transient, ""},
	"IncompleteBody":                     {Transient, ""},
	"TemporaryRedirect":                  {Transient, ""},
	"RequestTimeTooSkewed":               {Transient, fixClock},
	"NoSuchBucket":                       {Permanent, fixNoBucket},
	"InvalidAccessKeyId":                 {Permanent, fixAccessKey},
	"SignatureDoesNotMatch":              {Permanent, fixSecret},
	"InvalidToken":                       {Permanent, fixToken},
	"ExpiredToken":                       {Permanent, fixToken},
	"TokenRefreshRequired":               {Permanent, fixToken},
	"PermanentRedirect":                  {Permanent, fixRegion},
	"AuthorizationHeaderMalformed":       {Permanent, fixRegion},
	"IllegalLocationConstraintException": {Permanent, fixRegion},
	"InvalidStorageClass":                {Permanent, fixStorageClass},
	"NotImplemented":                     {Permanent, fixNotImplemented},
	"InvalidDigest":                      {Permanent, fixChecksum},
	"PreconditionFailed":                 {Permanent, fixNames},
}

// accessDenied are the codes of a policy that does not let us.
var accessDenied = map[string]bool{
	"AccessDenied": true, "AccessDeniedException": true, "AllAccessDisabled": true, "Forbidden": true,
}

// Classify tells what err means for the next attempt. Errors from a Destination carry their
// classification; others (raw SDK or network errors) are classified here.
func Classify(err error) Failure {
	if err == nil {
		return Failure{}
	}
	var de *Error
	if errors.As(err, &de) {
		return de.Failure
	}
	f := Failure{Operation: operationOf(err)}
	var header http.Header
	var resp interface{ HTTPResponse() *smithyhttp.Response }
	if errors.As(err, &resp) && resp.HTTPResponse() != nil && resp.HTTPResponse().Response != nil {
		f.Status = resp.HTTPResponse().StatusCode
		header = resp.HTTPResponse().Header
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		f.Code = api.ErrorCode()
		classifyAPIError(&f, api.ErrorMessage(), header)
	} else if f.Status != 0 {
		f.Code = "HTTP " + strconv.Itoa(f.Status)
		classifyStatus(&f)
	} else {
		classifyTransport(&f, err)
	}
	if f.Kind == Throttled {
		f.RetryAfter = retryAfter(header, time.Now())
	}
	return f
}

func classifyAPIError(f *Failure, message string, header http.Header) {
	code := f.Code
	switch {
	case strings.HasPrefix(code, "KMS."):
		f.Kind, f.Missing = Permanent, fixKMS
		if strings.Contains(code, "Throttl") || strings.Contains(code, "LimitExceeded") {
			f.Kind, f.Missing = Throttled, ""
		}
		return
	case code == "Forbidden":
		// The SDK's name for a 403 that carried no S3 error (a proxy's page, or a body lost on
		// the way): nothing says whether the policy or the credentials refused.
		f.Kind, f.Missing = Permanent, deniedWithoutCode(f.Operation)
		return
	case accessDenied[code]:
		f.Kind, f.Missing = Permanent, deniedPermission(f.Operation, message)
		return
	case (code == "InvalidRequest" || code == "InvalidArgument") && strings.Contains(message, "Object Lock"):
		f.Kind, f.Missing = Permanent, fixObjectLock
		return
	case (code == "InvalidRequest" || code == "InvalidArgument") && mentionsChecksum(message):
		f.Kind, f.Missing = Permanent, fixChecksum
		return
	}
	if rule, ok := codeRules[code]; ok {
		f.Kind, f.Missing = rule.kind, rule.missing
		if rule.missing == fixRegion {
			if r := regionOf(header, message); r != "" {
				f.Missing = "the bucket's region: it is in " + r + " (set region: " + r + ", or auto)"
			}
		}
		return
	}
	if f.Status == http.StatusForbidden {
		f.Kind, f.Missing = Permanent, deniedPermission(f.Operation, message)
		return
	}
	classifyStatus(f)
}

// classifyStatus decides by HTTP status alone, for codes we do not know.
func classifyStatus(f *Failure) {
	switch s := f.Status; {
	case s == http.StatusTooManyRequests || s == http.StatusServiceUnavailable:
		f.Kind = Throttled
	case s >= 500, s == http.StatusRequestTimeout, s == http.StatusConflict:
		f.Kind = Transient
	case s == http.StatusForbidden:
		f.Kind, f.Missing = Permanent, deniedWithoutCode(f.Operation)
	case s == http.StatusNotFound:
		f.Kind, f.Missing = Permanent, fixNoBucket
	case s == http.StatusMovedPermanently:
		f.Kind, f.Missing = Permanent, fixRegion
	case s >= 400:
		f.Kind = Permanent
	default:
		f.Kind = Transient
	}
}

// deniedPermission is what an access denial most likely lacks: the action IAM named in its
// message ("... is not authorized to perform: kms:GenerateDataKey ..."), else the one the
// operation needs.
func deniedPermission(op, message string) string {
	if op == "AssumeRole" {
		return permAssumeRole
	}
	if _, after, ok := strings.Cut(message, "not authorized to perform: "); ok {
		if action, _, _ := strings.Cut(after, " "); strings.Contains(action, ":") {
			return strings.TrimRight(action, ".,;")
		}
	}
	if strings.Contains(strings.ToLower(message), "kms") {
		return "kms:GenerateDataKey on the KMS key (kms:Decrypt too for multipart uploads)"
	}
	if p, ok := permissionFor[op]; ok {
		return p
	}
	return ""
}

// deniedWithoutCode is what a 403 that names no S3 error most likely lacks: the permission, or,
// as S3 would have said with SignatureDoesNotMatch or InvalidAccessKeyId, valid credentials.
func deniedWithoutCode(op string) string {
	const credentials = "valid credentials (the answer named no S3 error, so a wrong access key or secret cannot be ruled out)"
	if p := deniedPermission(op, ""); p != "" {
		return p + ", or " + credentials
	}
	return credentials
}

func mentionsChecksum(message string) bool {
	m := strings.ToLower(message)
	for _, s := range []string{"checksum", "content-md5", "aws-chunked", "trailer"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// classifyTransport names errors that got no HTTP answer.
func classifyTransport(f *Failure, err error) {
	f.Kind = Transient
	var netErr net.Error
	var dnsErr *net.DNSError
	var authorityErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidErr x509.CertificateInvalidError
	var verifyErr *tls.CertificateVerificationError
	var sendErr *smithyhttp.RequestSendError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		f.Code = "Timeout"
	case errors.Is(err, context.Canceled):
		f.Code = "Canceled"
	case errors.As(err, &authorityErr), errors.As(err, &hostErr), errors.As(err, &invalidErr), errors.As(err, &verifyErr):
		f.Code, f.Kind, f.Missing = "Certificate", Permanent, fixCertificate
	case errors.Is(err, syscall.ECONNRESET):
		f.Code = "ConnectionReset"
	case errors.Is(err, syscall.ECONNREFUSED):
		f.Code = "ConnectionRefused"
	case errors.Is(err, syscall.EPIPE):
		f.Code = "BrokenPipe"
	case errors.Is(err, net.ErrClosed):
		f.Code = "ConnectionClosed"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		f.Code = "EOF"
	case errors.As(err, &dnsErr):
		f.Code = "DNS"
	case errors.As(err, &netErr) && netErr.Timeout():
		f.Code = "Timeout"
	case errors.As(err, &sendErr):
		f.Code = "Connection"
	case strings.Contains(err.Error(), "get credentials:") || strings.Contains(err.Error(), "failed to retrieve credentials"):
		f.Code, f.Kind, f.Missing = "Credentials", Permanent, fixCredentials
	default:
		f.Code = "Error"
	}
}

// operationOf is the innermost API call in err's chain: for S3 signing with assumed-role
// credentials that could not be had, AssumeRole rather than PutObject.
func operationOf(err error) string {
	op := ""
	for e := err; e != nil; e = errors.Unwrap(e) {
		if oe, ok := e.(*smithy.OperationError); ok {
			op = oe.OperationName
		}
	}
	return op
}

// maxRetryAfter caps what a server may ask for, so that a wrong header cannot park a tenant.
const maxRetryAfter = time.Hour

// retryAfter reads Retry-After as seconds or an HTTP date.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		d = time.Duration(min(secs, int64(maxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// bucketRegionOf is the region S3 named in an error: in its x-amz-bucket-region header, or in
// the message of AuthorizationHeaderMalformed ("... is wrong; expecting 'eu-west-1'").
func bucketRegionOf(err error) string {
	var header http.Header
	var resp interface{ HTTPResponse() *smithyhttp.Response }
	if errors.As(err, &resp) && resp.HTTPResponse() != nil && resp.HTTPResponse().Response != nil {
		header = resp.HTTPResponse().Header
	}
	message := ""
	var api smithy.APIError
	if errors.As(err, &api) {
		message = api.ErrorMessage()
	}
	return regionOf(header, message)
}

func regionOf(header http.Header, message string) string {
	if r := header.Get("X-Amz-Bucket-Region"); isRegion(r) {
		return r
	}
	if _, after, ok := strings.Cut(message, "expecting "); ok {
		if r := strings.Trim(strings.TrimRight(after, "."), `'"`); isRegion(r) {
			return r
		}
	}
	return ""
}

// isPreconditionFailed tells a conditional write refused because the key exists.
func isPreconditionFailed(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "PreconditionFailed" {
		return true
	}
	var resp interface{ HTTPStatusCode() int }
	return errors.As(err, &resp) && resp.HTTPStatusCode() == http.StatusPreconditionFailed
}
