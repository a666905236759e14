package auditlogreceiver

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/auditship/auditship/receiver/auditlogreceiver/internal/metadata"
)

// Events in both shapes, as applications send them.
const (
	goodDataLogin = `{"eventName":"USER_LOGIN","ts":"2023-01-20T18:55:32.466Z","orgId":"org-gd","eventId":"ev-gd-1","userId":"u-1"}`
	goodDataSetup = `{"eventName":"user_setting_changed","ts":"2023-01-20T18:56:00.000Z","orgId":"org-gd","eventId":"ev-gd-2","details":{"parameters":{"a":1}}}`
	airkitLogin   = `{"ORGANIZATION_ID":"org-ak","EVENT_ID":"ev-ak-1","EVENT_TIME":"2026-11-22 02:30:00.123","EVENT_TYPE":"user_login","USER_ID":"u-2"}`
)

// startReceiver starts the receiver through its factory on a free loopback port and returns
// the URL events are posted to and a client for it; both are cleaned up with the test.
func startReceiver(t *testing.T, next consumer.Logs, configure func(*Config)) (string, *http.Client) {
	t.Helper()
	return startReceiverWith(t, receivertest.NewNopSettings(metadata.Type), next, configure)
}

func startReceiverWith(t *testing.T, set receiver.Settings, next consumer.Logs, configure func(*Config)) (string, *http.Client) {
	t.Helper()
	rcv := startReceiverOn(t, set, componenttest.NewNopHost(), next, configure)
	return rcv.url("http"), newClient(t, nil)
}

// startReceiverOn starts the receiver with the given host (for extensions) and returns it; it
// is shut down with the test.
func startReceiverOn(t *testing.T, set receiver.Settings, host component.Host, next consumer.Logs, configure func(*Config)) *auditLogReceiver {
	t.Helper()
	factory := NewFactory()
	cfg := factory.CreateDefaultConfig().(*Config)
	cfg.NetAddr.Endpoint = "127.0.0.1:0"
	if configure != nil {
		configure(cfg)
	}
	require.NoError(t, cfg.Validate())
	rcv, err := factory.CreateLogs(context.Background(), set, cfg, next)
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), host))
	t.Cleanup(func() { require.NoError(t, rcv.Shutdown(context.Background())) })
	return rcv.(*auditLogReceiver)
}

// url is where events are posted to the started receiver.
func (r *auditLogReceiver) url(scheme string) string {
	return scheme + "://" + r.addr.String() + r.cfg.Path
}

// newClient returns a client whose connections are closed with the test, before the receiver
// shuts down (cleanups run last in, first out).
func newClient(t *testing.T, tlsConfig *tls.Config) *http.Client {
	transport := &http.Transport{TLSClientConfig: tlsConfig}
	t.Cleanup(transport.CloseIdleConnections)
	return &http.Client{Transport: transport}
}

// hostWithExtensions offers extensions, such as an authenticator, to the receiver.
type hostWithExtensions struct {
	component.Host
	extensions map[component.ID]component.Component
}

func (h hostWithExtensions) GetExtensions() map[component.ID]component.Component {
	return h.extensions
}

// response is any answer of the receiver.
type response struct {
	Accepted *int      `json:"accepted"`
	Error    string    `json:"error"`
	Problems []problem `json:"problems"`
}

type answer struct {
	status int
	header http.Header
	raw    string
	body   response
}

func do(t *testing.T, client *http.Client, method, url, contentType, body string) answer {
	t.Helper()
	return doWith(t, client, method, url, contentType, body, nil)
}

// doWith sends a request with extra headers, such as an API key.
func doWith(t *testing.T, client *http.Client, method, url, contentType, body string, header map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return send(t, client, req)
}

// send sends req and reads the answer, which must be JSON.
func send(t *testing.T, client *http.Client, req *http.Request) answer {
	t.Helper()
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"), "every answer is JSON: %s", raw)
	require.NoError(t, json.Unmarshal(raw, &a.body), "answer: %s", raw)
	return a
}

func post(t *testing.T, client *http.Client, url, contentType, body string) answer {
	t.Helper()
	return do(t, client, http.MethodPost, url, contentType, body)
}

func intPtr(i int) *int { return &i }
