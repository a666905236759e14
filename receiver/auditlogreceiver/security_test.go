package auditlogreceiver

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/extensionauth"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/auditship/auditship/receiver/auditlogreceiver/internal/metadata"
)

// selfSignedCert writes a certificate for 127.0.0.1 and its key to files for the receiver, and
// returns the pool a client trusts it with.
func selfSignedCert(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	template := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "auditlog test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600))
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestTLS(t *testing.T) {
	certFile, keyFile, pool := selfSignedCert(t)
	sink := new(consumertest.LogsSink)
	rcv := startReceiverOn(t, receivertest.NewNopSettings(metadata.Type), componenttest.NewNopHost(), sink, func(cfg *Config) {
		cfg.TLS = configoptional.Some(configtls.ServerConfig{Config: configtls.Config{CertFile: certFile, KeyFile: keyFile}})
	})

	a := post(t, newClient(t, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}), rcv.url("https"), "application/json", goodDataLogin)
	assert.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Equal(t, 1, sink.LogRecordCount())

	_, err := newClient(t, nil).Post(rcv.url("https"), "application/json", strings.NewReader(goodDataLogin))
	assert.Error(t, err, "a client that does not trust the certificate")
	resp, err := newClient(t, nil).Post(rcv.url("http"), "application/json", strings.NewReader(goodDataLogin))
	if err == nil {
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "plain HTTP on the TLS port")
	}
	assert.Equal(t, 1, sink.LogRecordCount(), "only the request over TLS got through")
}

// testAuthData is what testAuthenticator gives an authenticated caller.
type testAuthData map[string]any

func (d testAuthData) GetAttribute(name string) any { return d[name] }
func (d testAuthData) GetAttributeNames() []string {
	names := make([]string, 0, len(d))
	for name := range d {
		names = append(names, name)
	}
	return names
}

// testAuthenticator stands for any auth extension: it knows a few bearer tokens, each with the
// authentication data it gives its caller.
type testAuthenticator struct {
	component.StartFunc
	component.ShutdownFunc
	tokens map[string]testAuthData
}

var _ extensionauth.Server = testAuthenticator{}

func (a testAuthenticator) Authenticate(ctx context.Context, sources map[string][]string) (context.Context, error) {
	for _, value := range sources["Authorization"] {
		if data, ok := a.tokens[strings.TrimPrefix(value, "Bearer ")]; ok {
			info := client.FromContext(ctx)
			info.Auth = data
			return client.NewContext(ctx, info), nil
		}
	}
	return ctx, errors.New("missing or unknown bearer token")
}

func TestAuthExtension(t *testing.T) {
	authID := component.MustNewID("testauth")
	host := hostWithExtensions{Host: componenttest.NewNopHost(), extensions: map[component.ID]component.Component{
		authID: testAuthenticator{tokens: map[string]testAuthData{
			"t-gd":      {"orgs": []string{"org-gd"}},
			"t-any":     {"orgs": "*"},
			"t-mixed":   {"orgs": []any{"org-gd", "org-ak"}},
			"t-no-orgs": {"subject": "svc"},
		}},
	}}
	withAuth := func(cfg *Config) {
		cfg.Auth = configoptional.Some(confighttp.AuthConfig{Config: configauth.Config{AuthenticatorID: authID}})
	}
	bindToOrgs := func(cfg *Config) {
		withAuth(cfg)
		cfg.Tenants = configoptional.Some(TenantsConfig{AuthAttribute: "orgs"})
	}
	tests := []struct {
		name       string
		configure  func(*Config)
		token      string
		body       string
		wantStatus int
		wantError  string
	}{
		{name: "no token", configure: withAuth, body: goodDataLogin, wantStatus: http.StatusUnauthorized, wantError: "missing or unknown bearer token"},
		{name: "unknown token", configure: withAuth, token: "t-guess", body: goodDataLogin, wantStatus: http.StatusUnauthorized},
		{name: "known token", configure: withAuth, token: "t-no-orgs", body: goodDataLogin + "\n" + airkitLogin, wantStatus: http.StatusOK},
		{name: "bound: own org", configure: bindToOrgs, token: "t-gd", body: goodDataLogin, wantStatus: http.StatusOK},
		{name: "bound: another org", configure: bindToOrgs, token: "t-gd", body: goodDataLogin + "\n" + airkitLogin,
			wantStatus: http.StatusForbidden, wantError: "1 of 2 events are for orgs this caller may not write; no event was accepted"},
		{name: "bound: list of orgs", configure: bindToOrgs, token: "t-mixed", body: goodDataLogin + "\n" + airkitLogin, wantStatus: http.StatusOK},
		{name: "bound: any org", configure: bindToOrgs, token: "t-any", body: goodDataLogin + "\n" + airkitLogin, wantStatus: http.StatusOK},
		{name: "bound: no attribute", configure: bindToOrgs, token: "t-no-orgs", body: goodDataLogin, wantStatus: http.StatusForbidden},
		{name: "bound: no token", configure: bindToOrgs, body: goodDataLogin, wantStatus: http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := new(consumertest.LogsSink)
			rcv := startReceiverOn(t, receivertest.NewNopSettings(metadata.Type), host, sink, tt.configure)
			header := map[string]string{}
			if tt.token != "" {
				header["Authorization"] = "Bearer " + tt.token
			}
			a := doWith(t, newClient(t, nil), http.MethodPost, rcv.url("http"), "application/x-ndjson", tt.body, header)
			assert.Equal(t, tt.wantStatus, a.status, a.raw)
			if tt.wantError != "" {
				assert.Equal(t, tt.wantError, a.body.Error)
			}
			if tt.wantStatus == http.StatusOK {
				assert.Equal(t, strings.Count(tt.body, "\n")+1, sink.LogRecordCount())
			} else {
				assert.Zero(t, sink.LogRecordCount())
			}
		})
	}
}

func compressWith(t *testing.T, encoding string, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	var err error
	switch encoding {
	case "gzip":
		w = gzip.NewWriter(&buf)
	case "deflate", "zlib": // HTTP's deflate is the zlib format (RFC 9110, 8.4.1.2)
		w = zlib.NewWriter(&buf)
	case "zstd":
		w, err = zstd.NewWriter(&buf)
		require.NoError(t, err)
	default:
		t.Fatalf("no compressor for %s", encoding)
	}
	_, err = w.Write(data)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func postEncoded(t *testing.T, client *http.Client, url, encoding string, body []byte) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Content-Encoding", encoding)
	return send(t, client, req)
}

// TestRefusedHeadersAreNotEchoed checks that the answers refusing a Content-Type or a
// Content-Encoding do not quote it: a header may carry anything, a secret too.
func TestRefusedHeadersAreNotEchoed(t *testing.T) {
	const planted = "sk_live_0123456789abcdefghij"
	url, client := startReceiver(t, new(consumertest.LogsSink), nil)

	a := post(t, client, url, "application/"+planted, goodDataLogin)
	assert.Equal(t, http.StatusUnsupportedMediaType, a.status)
	assert.Equal(t, "unsupported Content-Type; send application/json or application/x-ndjson", a.body.Error)

	a = postEncoded(t, client, url, planted, []byte(goodDataLogin))
	assert.Equal(t, http.StatusBadRequest, a.status)
	assert.Equal(t, "unsupported Content-Encoding; send the body uncompressed or in an encoding of compression_algorithms "+
		"(by default gzip, zstd, zlib, snappy, deflate)", a.body.Error)
	assert.NotContains(t, a.raw, planted)
}

func TestCompressedBodiesOfEachEncoding(t *testing.T) {
	events := []byte(strings.Repeat(goodDataLogin+"\n"+airkitLogin+"\n", 20))
	for _, encoding := range []string{"gzip", "zstd", "deflate", "zlib"} {
		t.Run(encoding, func(t *testing.T) {
			sink := new(consumertest.LogsSink)
			url, client := startReceiver(t, sink, nil)
			a := postEncoded(t, client, url, encoding, compressWith(t, encoding, events))
			assert.Equal(t, http.StatusOK, a.status, a.raw)
			assert.Equal(t, 40, sink.LogRecordCount())
		})
	}
}

// Every body over max_request_body_size is answered 413, however it is compressed. confighttp
// refuses a snappy block whose header declares more bytes before the handler reads it, with a
// 400 of its own that the receiver turns into the same 413.
func TestCompressedBodiesOverTheLimit(t *testing.T) {
	const limit = 64 << 10
	events := []byte(strings.Repeat(goodDataLogin+"\n", 2*limit/len(goodDataLogin)))
	var framed bytes.Buffer
	fw := s2.NewWriter(&framed, s2.WriterSnappyCompat())
	_, err := fw.Write(events)
	require.NoError(t, err)
	require.NoError(t, fw.Close())
	tests := []struct {
		name, encoding string
		body           []byte
	}{
		{"gzip", "gzip", compressWith(t, "gzip", events)},
		{"zstd", "zstd", compressWith(t, "zstd", events)},
		{"deflate", "deflate", compressWith(t, "deflate", events)},
		{"snappy block", "snappy", s2.EncodeSnappy(nil, events)},
		{"snappy framed", "snappy", framed.Bytes()},
	}
	sink := new(consumertest.LogsSink)
	url, client := startReceiver(t, sink, func(cfg *Config) { cfg.MaxRequestBodySize = limit })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := postEncoded(t, client, url, tt.encoding, tt.body)
			assert.Equal(t, http.StatusRequestEntityTooLarge, a.status, a.raw)
			assert.Equal(t, fmt.Sprintf("request body is larger than max_request_body_size (%d bytes); send fewer events per request", limit), a.body.Error)
		})
	}
	assert.Zero(t, sink.LogRecordCount())
}

// zeroBomb returns about 1 KiB per MiB of zeros it expands to, built without compressing
// 1 GiB: gzip and zstd streams may hold many members (frames), and a deflate stream flushed
// after each MiB of zeros repeats the same bytes once its window holds only zeros.
func zeroBomb(t *testing.T, encoding string, mib int) []byte {
	t.Helper()
	zeros := make([]byte, 1<<20)
	switch encoding {
	case "gzip", "zstd":
		return bytes.Repeat(compressWith(t, encoding, zeros), mib)
	case "deflate":
		var buf bytes.Buffer
		buf.Write([]byte{0x78, 0xda}) // zlib header: deflate, 32 KiB window, best compression
		fw, err := flate.NewWriter(&buf, flate.BestCompression)
		require.NoError(t, err)
		var chunk []byte
		for range 3 {
			start := buf.Len()
			_, err = fw.Write(zeros)
			require.NoError(t, err)
			require.NoError(t, fw.Flush())
			chunk = append(chunk[:0], buf.Bytes()[start:]...)
		}
		// The stream never ends: the limit must stop reading long before the end would matter.
		return append(buf.Bytes(), bytes.Repeat(chunk, mib-3)...)
	}
	t.Fatalf("no bomb for %s", encoding)
	return nil
}

// A small body that expands beyond max_request_body_size is refused when the limit is reached,
// without decompressing (or allocating) the rest: confighttp applies the limit to the
// decompressed stream as the handler reads it.
func TestDecompressionBombs(t *testing.T) {
	const limit = 1 << 20
	// What refusing may allocate: the body buffer, doubling up to the limit (twice the limit in
	// all), zstd's window (8 MiB, as its streaming encoder declares), decoder state and HTTP
	// plumbing. Far below the GiB an unbounded read would take.
	const allowance = limit + 15<<20
	for _, encoding := range []string{"gzip", "zstd", "deflate"} {
		t.Run(encoding, func(t *testing.T) {
			bomb := zeroBomb(t, encoding, 1024)
			require.Less(t, len(bomb), 2<<20, "1 GiB of zeros compresses to about 1 MiB")
			require.Equal(t, int64(4*limit), expandsTo(t, encoding, bomb, 4*limit), "the bomb expands beyond the limit")

			sink := new(consumertest.LogsSink)
			url, client := startReceiver(t, sink, func(cfg *Config) { cfg.MaxRequestBodySize = limit })
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			a := postEncoded(t, client, url, encoding, bomb)
			runtime.ReadMemStats(&after)

			assert.Equal(t, http.StatusRequestEntityTooLarge, a.status, a.raw)
			assert.Equal(t, fmt.Sprintf("request body is larger than max_request_body_size (%d bytes); send fewer events per request", limit), a.body.Error)
			allocated := after.TotalAlloc - before.TotalAlloc
			t.Logf("allocated %d KiB while refusing the bomb", allocated>>10)
			assert.Less(t, allocated, uint64(allowance))
			assert.Zero(t, sink.LogRecordCount())
		})
	}
}

// expandsTo reads up to n bytes of data decompressed, and returns how many there were.
func expandsTo(t *testing.T, encoding string, data []byte, n int64) int64 {
	t.Helper()
	var r io.ReadCloser
	var err error
	switch encoding {
	case "gzip":
		r, err = gzip.NewReader(bytes.NewReader(data))
	case "deflate":
		r, err = zlib.NewReader(bytes.NewReader(data))
	case "zstd":
		var zr *zstd.Decoder
		zr, err = zstd.NewReader(bytes.NewReader(data), zstd.WithDecoderConcurrency(1))
		r = zr.IOReadCloser()
	}
	require.NoError(t, err)
	defer r.Close()
	expanded, err := io.Copy(io.Discard, io.LimitReader(r, n))
	require.NoError(t, err)
	return expanded
}

// A zstd frame declares its window in its header, and a decoder allocates the window before it
// produces a byte: ten bytes asking for 512 MiB must be refused, not served.
func TestZstdWindowIsBounded(t *testing.T) {
	frame := []byte{
		0x28, 0xb5, 0x2f, 0xfd, // magic
		0x00,           // no content size, no checksum, no dictionary, not single-segment
		(29 - 10) << 3, // window descriptor: 2^29 bytes (512 MiB), the format's maximum
	}
	const rleLast = 64<<3 | 1<<1 | 1 // last block, run-length encoded, 64 bytes
	frame = append(frame, rleLast&0xff, rleLast>>8&0xff, rleLast>>16, '\n')

	sink := new(consumertest.LogsSink)
	url, client := startReceiver(t, sink, nil)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	a := postEncoded(t, client, url, "zstd", frame)
	runtime.ReadMemStats(&after)
	assert.Equal(t, http.StatusBadRequest, a.status, a.raw)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(16<<20), "the window was never allocated")

	// Within the bound, the same frame is fine.
	frame[5] = (23 - 10) << 3
	assert.Equal(t, http.StatusOK, postEncoded(t, client, url, "zstd", frame).status)
}

// Nothing the receiver logs may hold event values or credentials: not on success, not on the
// refusals, and not when the pipeline's error quotes the events.
func TestLogsHoldNoSecrets(t *testing.T) {
	const secret = "AKIAPLANTEDSECRET0042"
	event := `{"eventName":"USER_LOGIN","ts":"2023-01-20T18:55:32.466Z","orgId":"org-gd","details":{"password":"` + secret + `"}}`
	forbidden := `{"eventName":"USER_LOGIN","ts":"2023-01-20T18:55:32.466Z","orgId":"org-other","details":{"token":"` + secret + `"}}`
	invalid := `{"eventName":"USER_LOGIN","ts":"` + secret + `","orgId":"org-gd"}`
	malformed := `{"eventName":"USER_LOGIN","password":` + secret + `}`
	path := keysFileOf(t, "billing "+hashOf(billingKey)+" org-gd")
	pipelineErr := errors.New("cannot write event with password " + secret)

	tests := []struct {
		name       string
		pipeline   error
		key        string
		body       string
		wantStatus int
	}{
		{name: "accepted", key: billingKey, body: event, wantStatus: http.StatusOK},
		{name: "invalid event", key: billingKey, body: invalid, wantStatus: http.StatusBadRequest},
		{name: "malformed JSON", key: billingKey, body: malformed, wantStatus: http.StatusBadRequest},
		{name: "forbidden org", key: billingKey, body: forbidden, wantStatus: http.StatusForbidden},
		{name: "unknown key", key: secret, body: event, wantStatus: http.StatusUnauthorized},
		{name: "pipeline refuses", key: billingKey, pipeline: pipelineErr, body: event, wantStatus: http.StatusServiceUnavailable},
		{name: "pipeline fails", key: billingKey, pipeline: consumererror.NewPermanent(pipelineErr), body: event, wantStatus: http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core, logs := observer.New(zapcore.DebugLevel)
			set := receivertest.NewNopSettings(metadata.Type)
			set.Logger = zap.New(core)
			next := consumertest.NewErr(tt.pipeline)
			url, client := startReceiverWith(t, set, next, func(cfg *Config) {
				cfg.Tenants = configoptional.Some(TenantsConfig{KeysFile: path})
			})
			a := doWith(t, client, http.MethodPost, url, "application/json", tt.body, map[string]string{"Authorization": "Bearer " + tt.key})
			require.Equal(t, tt.wantStatus, a.status, a.raw)
			assert.NotContains(t, a.raw, secret, "nor do answers")

			require.NotZero(t, logs.Len(), "the receiver logged something to check")
			for _, entry := range logs.All() {
				line := entry.Message + fmt.Sprint(entry.ContextMap())
				for _, leak := range []string{secret, billingKey, hashOf(billingKey), hashOf(billingKey)[:16]} {
					assert.NotContains(t, line, leak)
				}
			}
		})
	}
}
