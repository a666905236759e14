package errorscrubextension

import (
	"bytes"
	"context"
	"io"
	"mime"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// plantedSecret stands for a secret a sender put in a request; no piece of it may come back in
// a scrubbed answer.
const plantedSecret = "LEAKCHECKs3cr3tV4lu3xq7wz9kd2mf5hb8np1rt"

// leaksSecret tells whether text holds any 10 bytes of plantedSecret: an error quoting part of a
// value leaks it too.
func leaksSecret(text []byte) bool {
	for i := 0; i+10 <= len(plantedSecret); i++ {
		if bytes.Contains(text, []byte(plantedSecret[i:i+10])) {
			return true
		}
	}
	return false
}

// answer is an HTTP answer as the client got it.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// post sends body to url and returns the answer.
func post(t *testing.T, url string, header http.Header, body []byte) answer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header = header
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return answer{status: res.StatusCode, header: res.Header, body: got}
}

// assertScrubbed checks that a is a scrubbed answer of status, in format f, with the gRPC code
// code (unused for text): the fixed body, a Content-Length that is its length, and nothing of
// the planted secret.
func assertScrubbed(t *testing.T, a answer, status int, f format, code int32) {
	t.Helper()
	assert.Equal(t, status, a.status, "status")
	assert.False(t, leaksSecret(a.body), "the answer quotes the secret: %q", a.body)
	assert.Equal(t, strconv.Itoa(len(a.body)), a.header.Get("Content-Length"), "Content-Length")
	assert.Empty(t, a.header.Values("Content-Encoding"), "Content-Encoding")
	// JSON and protobuf keep the handler's Content-Type, parameters and all.
	mediaType, _, _ := mime.ParseMediaType(a.header.Get("Content-Type"))
	var got spb.Status
	switch f {
	case formatJSON:
		assert.Equal(t, "application/json", mediaType)
		require.NoError(t, protojson.Unmarshal(a.body, &got), "a google.rpc.Status in JSON: %q", a.body)
	case formatProtobuf:
		assert.Equal(t, "application/x-protobuf", mediaType)
		require.NoError(t, proto.Unmarshal(a.body, &got), "a google.rpc.Status in protobuf: %q", a.body)
	default:
		assert.Equal(t, "text/plain; charset=utf-8", a.header.Get("Content-Type"))
		assert.Equal(t, refusal(status)+"\n", string(a.body))
		return
	}
	assert.Equal(t, code, got.GetCode(), "gRPC code")
	assert.Equal(t, refusal(status), got.GetMessage())
	assert.Empty(t, got.GetDetails())
}
