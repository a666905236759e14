package auditlogreceiver

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/auditship/auditship/internal/auditevent"
	"github.com/auditship/auditship/receiver/auditlogreceiver/internal/metadata"
)

type wantRecord struct {
	eventName, orgID, eventID, format string
}

var (
	wantGoodDataLogin = wantRecord{"USER_LOGIN", "org-gd", "ev-gd-1", auditevent.FormatGoodData}
	wantGoodDataSetup = wantRecord{"user_setting_changed", "org-gd", "ev-gd-2", auditevent.FormatGoodData}
	wantAirkitLogin   = wantRecord{"user_login", "org-ak", "ev-ak-1", auditevent.FormatAirkit}
)

func TestAccepted(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		want        []wantRecord
	}{
		{
			name:        "one object",
			contentType: "application/json",
			body:        goodDataLogin,
			want:        []wantRecord{wantGoodDataLogin},
		},
		{
			name:        "one object over several lines",
			contentType: "application/json; charset=utf-8",
			body:        "{\n  \"EVENT_TYPE\": \"user_login\",\n  \"EVENT_TIME\": \"2026-11-22 02:30:00.123\",\n  \"ORGANIZATION_ID\": \"org-ak\",\n  \"EVENT_ID\": \"ev-ak-1\"\n}\n",
			want:        []wantRecord{wantAirkitLogin},
		},
		{
			name:        "array of both shapes",
			contentType: "application/json",
			body:        "[" + goodDataLogin + ",\n" + airkitLogin + "," + goodDataSetup + "]",
			want:        []wantRecord{wantGoodDataLogin, wantAirkitLogin, wantGoodDataSetup},
		},
		{
			name:        "ndjson of both shapes with blank lines and CRLF",
			contentType: "application/x-ndjson",
			body:        goodDataLogin + "\r\n\r\n" + airkitLogin + "\n   \n" + goodDataSetup + "\n",
			want:        []wantRecord{wantGoodDataLogin, wantAirkitLogin, wantGoodDataSetup},
		},
		{
			name:        "ndjson sent as application/json",
			contentType: "application/json",
			body:        airkitLogin + "\n" + goodDataLogin,
			want:        []wantRecord{wantAirkitLogin, wantGoodDataLogin},
		},
		{
			name:        "empty array",
			contentType: "application/json",
			body:        "[]",
		},
		{
			name:        "empty ndjson",
			contentType: "application/x-ndjson",
			body:        "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := new(consumertest.LogsSink)
			url, client := startReceiver(t, sink, nil)
			before := time.Now()
			a := post(t, client, url, tt.contentType, tt.body)
			after := time.Now()

			require.Equal(t, http.StatusOK, a.status, a.raw)
			require.NotNil(t, a.body.Accepted)
			assert.Equal(t, len(tt.want), *a.body.Accepted)
			if len(tt.want) == 0 {
				assert.Empty(t, sink.AllLogs(), "nothing to forward")
				return
			}
			require.Len(t, sink.AllLogs(), 1, "one request is forwarded as one plog.Logs")
			logs := sink.AllLogs()[0]
			require.Equal(t, 1, logs.ResourceLogs().Len())
			require.Equal(t, 1, logs.ResourceLogs().At(0).ScopeLogs().Len())
			sl := logs.ResourceLogs().At(0).ScopeLogs().At(0)
			assert.Equal(t, metadata.ScopeName, sl.Scope().Name())
			require.Equal(t, len(tt.want), sl.LogRecords().Len())
			for i, want := range tt.want {
				lr := sl.LogRecords().At(i)
				assert.Equal(t, want, wantRecord{
					eventName: lr.EventName(),
					orgID:     auditevent.OrgID(lr),
					eventID:   auditevent.EventID(lr),
					format:    auditevent.StrAttr(lr, auditevent.AttrSourceFormat),
				}, "record %d", i)
				observed := lr.ObservedTimestamp().AsTime()
				assert.False(t, observed.Before(before.Truncate(time.Microsecond)) || observed.After(after), "observed timestamp %v is the receive time", observed)
				assert.NotZero(t, lr.Timestamp(), "the event's own time")
			}
		})
	}
}

func TestAttributesOfBothShapes(t *testing.T) {
	sink := new(consumertest.LogsSink)
	url, client := startReceiver(t, sink, nil)
	a := post(t, client, url, "application/x-ndjson", goodDataSetup+"\n"+airkitLogin)
	require.Equal(t, http.StatusOK, a.status, a.raw)

	records := sink.AllLogs()[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	gd, ak := records.At(0), records.At(1)
	assert.Equal(t, map[string]any{"parameters": map[string]any{"a": int64(1)}}, gd.Body().Map().AsRaw(), "details stay nested in the body")
	assert.Equal(t, time.Date(2023, 1, 20, 18, 56, 0, 0, time.UTC), gd.Timestamp().AsTime())
	assert.Equal(t, "u-2", auditevent.StrAttr(ak, auditevent.AttrUserID))
	assert.Equal(t, time.Date(2026, 11, 22, 2, 30, 0, 123_000_000, time.UTC), ak.Timestamp().AsTime())
}

func TestEventWithoutIDGetsOne(t *testing.T) {
	sink := new(consumertest.LogsSink)
	url, client := startReceiver(t, sink, nil)
	a := post(t, client, url, "application/json", `{"eventName":"USER_LOGOUT","ts":"2023-01-20T18:55:32Z","orgId":"o"}`)
	require.Equal(t, http.StatusOK, a.status, a.raw)
	lr := sink.AllLogs()[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	assert.Len(t, auditevent.EventID(lr), 36, "a generated UUID")
}

func TestInvalidEventsRefuseTheWholeRequest(t *testing.T) {
	const secret = "hunter2-do-not-echo"
	tests := []struct {
		name        string
		contentType string
		body        string
		wantError   string
		want        []problem
	}{
		{
			name:        "ndjson: several bad events, by line and field",
			contentType: "application/x-ndjson",
			body: strings.Join([]string{
				goodDataLogin, // line 1 is fine
				`{"eventName":"USER_LOGIN","ts":"2023-01-20T18:55:32.466Z","password":"` + secret + `"}`,
				``,
				`{"user":"` + secret + `"}`,
				`{"ORGANIZATION_ID":"o","EVENT_TYPE":"user_login","EMAIL":"` + secret + `"}`,
				`["` + secret + `"]`,
				`{"eventName":"x","ts":"2023-01-20T18:55:32.466Z","orgId":"o","success":"` + secret + `"}`,
				airkitLogin,
			}, "\n"),
			wantError: "5 of 7 events are invalid; no event was accepted",
			want: []problem{
				{Line: 2, Field: "orgId", Reason: "is required"},
				{Line: 4, Reason: reasonUnknownShape},
				{Line: 5, Field: "EVENT_TIME", Reason: "is required"},
				{Line: 6, Reason: "must be a JSON object, got an array"},
				{Line: 7, Field: "success", Reason: "must be true or false, got a string"},
			},
		},
		{
			name:        "array: bad events by index",
			contentType: "application/json",
			body:        "[\n" + goodDataLogin + ",\n" + `{"eventName":"x","orgId":"o","ts":"` + secret + `"}` + ",\n" + `"` + secret + `"` + ",\n" + airkitLogin + "]",
			wantError:   "2 of 4 events are invalid; no event was accepted",
			want: []problem{
				{Index: intPtr(1), Field: "ts", Reason: "must be an RFC 3339 time such as 2023-01-20T18:55:32.466Z"},
				{Index: intPtr(2), Reason: "must be a JSON object, got a string"},
			},
		},
		{
			name:        "one object",
			contentType: "application/json",
			body:        `{"EVENT_TYPE":"x","EVENT_TIME":"2026-01-01 00:00:00","ORGANIZATION_ID":"o","USER_ID":5}`,
			wantError:   "1 of 1 events are invalid; no event was accepted",
			want:        []problem{{Line: 1, Field: "USER_ID", Reason: "must be a string, got a number"}},
		},
		{
			name:        "a scalar body",
			contentType: "application/json",
			body:        `42`,
			wantError:   "1 of 1 events are invalid; no event was accepted",
			want:        []problem{{Line: 1, Reason: "must be a JSON object, got a number"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := new(consumertest.LogsSink)
			url, client := startReceiver(t, sink, nil)
			a := post(t, client, url, tt.contentType, tt.body)
			assert.Equal(t, http.StatusBadRequest, a.status)
			assert.Equal(t, tt.wantError, a.body.Error)
			assert.Equal(t, tt.want, a.body.Problems)
			assert.NotContains(t, a.raw, secret, "values are never echoed")
			assert.Empty(t, sink.AllLogs(), "nothing is forwarded")
		})
	}
}

func TestInvalidJSON(t *testing.T) {
	const secret = "s3cr3t"
	tests := []struct {
		name string
		body string
		// want is the last problem: where the JSON broke. encoding/json places some errors at the
		// start of the bad value and others at the bad character, so the column and offset may
		// be one byte before the one given here.
		want problem
	}{
		{
			name: "broken ndjson line",
			body: goodDataLogin + "\n" + airkitLogin + "\n" + `{"eventName":"x" "token":"` + secret + `"}` + "\n" + goodDataLogin,
			want: problem{Line: 3, Column: 18, Offset: intPtr(len(goodDataLogin) + len(airkitLogin) + 2 + 17), Reason: "invalid JSON: invalid character after object key:value pair"},
		},
		{
			name: "secret at the error",
			body: `{"eventName":` + secret + `}`,
			want: problem{Line: 1, Column: 14, Offset: intPtr(13), Reason: "invalid JSON: invalid character looking for beginning of value"},
		},
		{
			name: "truncated array",
			body: "[" + goodDataLogin + ",\n" + `{"eventName":`,
			want: problem{Line: 2, Column: 14, Offset: intPtr(len(goodDataLogin) + 3 + 13), Reason: "unexpected end of the body"},
		},
		{
			name: "trailing comma in array",
			body: "[" + goodDataLogin + ",]",
			want: problem{Line: 1, Column: len(goodDataLogin) + 3, Offset: intPtr(len(goodDataLogin) + 2), Reason: "invalid JSON: invalid character looking for beginning of value"},
		},
		{
			name: "data after the array",
			body: "[" + goodDataLogin + "]\n" + goodDataLogin,
			want: problem{Line: 2, Column: 1, Offset: intPtr(len(goodDataLogin) + 3), Reason: "unexpected data after the array"},
		},
		{
			name: "stray closing bracket",
			body: goodDataLogin + "\n]",
			want: problem{Line: 2, Column: 1, Offset: intPtr(len(goodDataLogin) + 1), Reason: "invalid JSON: invalid character looking for beginning of value"},
		},
		{
			name: "number out of range",
			body: `{"eventName":"x","n":1e999}`,
			want: problem{Line: 1, Column: 27, Offset: intPtr(26), Reason: "invalid JSON value, such as a number out of range"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := new(consumertest.LogsSink)
			url, client := startReceiver(t, sink, nil)
			a := post(t, client, url, "application/json", tt.body)
			assert.Equal(t, http.StatusBadRequest, a.status)
			assert.Equal(t, "the body is not valid JSON; no event was accepted", a.body.Error)
			require.NotEmpty(t, a.body.Problems)
			got := a.body.Problems[len(a.body.Problems)-1]
			assert.Equal(t, tt.want.Line, got.Line)
			assert.Equal(t, tt.want.Reason, got.Reason)
			assert.InDelta(t, tt.want.Column, got.Column, 1)
			require.NotNil(t, got.Offset)
			assert.InDelta(t, *tt.want.Offset, *got.Offset, 1)
			assert.Equal(t, *got.Offset-*tt.want.Offset, got.Column-tt.want.Column, "column and offset agree")
			assert.NotContains(t, a.raw, secret)
			assert.Empty(t, sink.AllLogs())
		})
	}
}

func TestProblemsAreBounded(t *testing.T) {
	sink := new(consumertest.LogsSink)
	url, client := startReceiver(t, sink, nil)
	body := strings.Repeat(`{"eventName":"x"}`+"\n", 250)
	a := post(t, client, url, "application/x-ndjson", body)
	assert.Equal(t, http.StatusBadRequest, a.status)
	assert.Len(t, a.body.Problems, maxProblems)
	assert.Equal(t, "250 of 250 events are invalid; no event was accepted (the first 100 invalid events are listed)", a.body.Error)
	assert.Equal(t, 100, a.body.Problems[99].Line)
}

func TestRefusedRequests(t *testing.T) {
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		configure   func(*Config)
		wantStatus  int
		wantError   string
		wantHeader  map[string]string
	}{
		{name: "other path", method: http.MethodPost, path: "/v1/other", contentType: "application/json", body: goodDataLogin,
			wantStatus: http.StatusNotFound, wantError: "not found: events are posted to /v1/audit"},
		{name: "GET", method: http.MethodGet, wantStatus: http.StatusMethodNotAllowed, wantError: "method not allowed: use POST",
			wantHeader: map[string]string{"Allow": "POST"}},
		{name: "PUT", method: http.MethodPut, contentType: "application/json", body: goodDataLogin,
			wantStatus: http.StatusMethodNotAllowed, wantHeader: map[string]string{"Allow": "POST"}},
		{name: "text/plain", method: http.MethodPost, contentType: "text/plain", body: goodDataLogin,
			wantStatus: http.StatusUnsupportedMediaType, wantError: "unsupported Content-Type; send application/json or application/x-ndjson"},
		{name: "no Content-Type", method: http.MethodPost, body: goodDataLogin,
			wantStatus: http.StatusUnsupportedMediaType, wantError: "missing Content-Type; send application/json or application/x-ndjson"},
		{name: "latin-1", method: http.MethodPost, contentType: "application/json; charset=iso-8859-1", body: goodDataLogin,
			wantStatus: http.StatusUnsupportedMediaType, wantError: "unsupported charset: JSON must be UTF-8"},
		{name: "body over max_request_body_size", method: http.MethodPost, contentType: "application/x-ndjson",
			body:       strings.Repeat(goodDataLogin+"\n", 20),
			configure:  func(cfg *Config) { cfg.MaxRequestBodySize = 512 },
			wantStatus: http.StatusRequestEntityTooLarge,
			wantError:  "request body is larger than max_request_body_size (512 bytes); send fewer events per request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := new(consumertest.LogsSink)
			url, client := startReceiver(t, sink, tt.configure)
			if tt.path != "" {
				url = strings.TrimSuffix(url, defaultPath) + tt.path
			}
			a := do(t, client, tt.method, url, tt.contentType, tt.body)
			assert.Equal(t, tt.wantStatus, a.status, a.raw)
			if tt.wantError != "" {
				assert.Equal(t, tt.wantError, a.body.Error)
			}
			for k, v := range tt.wantHeader {
				assert.Equal(t, v, a.header.Get(k), k)
			}
			assert.Empty(t, sink.AllLogs())
		})
	}
}

func TestPipelineErrors(t *testing.T) {
	tests := []struct {
		name           string
		err            error
		retryAfter     time.Duration
		wantStatus     int
		wantRetryAfter string
		wantError      string
	}{
		{
			name:           "retryable",
			err:            errors.New("data refused due to high memory usage"),
			wantStatus:     http.StatusServiceUnavailable,
			wantRetryAfter: "5",
			wantError:      "the pipeline cannot take events right now; retry after 5s",
		},
		{
			name:           "retryable with retry_after rounded up to seconds",
			err:            errors.New("queue is full"),
			retryAfter:     1500 * time.Millisecond,
			wantStatus:     http.StatusServiceUnavailable,
			wantRetryAfter: "2",
			wantError:      "the pipeline cannot take events right now; retry after 2s",
		},
		{
			name:       "permanent",
			err:        consumererror.NewPermanent(errors.New("cannot encode org-gd")),
			wantStatus: http.StatusInternalServerError,
			wantError:  "the pipeline permanently refused these events; resending them will not help",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, client := startReceiver(t, consumertest.NewErr(tt.err), func(cfg *Config) {
				if tt.retryAfter != 0 {
					cfg.RetryAfter = tt.retryAfter
				}
			})
			a := post(t, client, url, "application/x-ndjson", goodDataLogin+"\n"+airkitLogin)
			assert.Equal(t, tt.wantStatus, a.status, a.raw)
			assert.Equal(t, tt.wantRetryAfter, a.header.Get("Retry-After"))
			assert.Equal(t, tt.wantError, a.body.Error)
			assert.Nil(t, a.body.Accepted)
			assert.NotContains(t, a.raw, "org-gd", "the pipeline's error is not passed on")
		})
	}
}

// A 200 must come after the pipeline took the events, not before.
func TestAnswerWaitsForThePipeline(t *testing.T) {
	release := make(chan struct{})
	consumed := make(chan struct{})
	blocking, err := consumer.NewLogs(func(context.Context, plog.Logs) error {
		close(consumed)
		<-release
		return nil
	})
	require.NoError(t, err)
	url, client := startReceiver(t, blocking, nil)
	answered := make(chan int, 1)
	go func() {
		resp, err := client.Post(url, "application/json", strings.NewReader(goodDataLogin))
		if err != nil {
			answered <- 0
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	<-consumed
	select {
	case status := <-answered:
		t.Fatalf("answered %d before the pipeline returned", status)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	assert.Equal(t, http.StatusOK, <-answered)
}

func TestObservedTimestampIsShared(t *testing.T) {
	sink := new(consumertest.LogsSink)
	url, client := startReceiver(t, sink, nil)
	require.Equal(t, http.StatusOK, post(t, client, url, "application/json", "["+goodDataLogin+","+airkitLogin+"]").status)
	records := sink.AllLogs()[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	assert.NotEqual(t, pcommon.Timestamp(0), records.At(0).ObservedTimestamp())
	assert.Equal(t, records.At(0).ObservedTimestamp(), records.At(1).ObservedTimestamp(), "one receive time per request")
}

func TestCompressedBodies(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, err := zw.Write([]byte(strings.Repeat(goodDataLogin+"\n", 40)))
	require.NoError(t, err)
	require.NoError(t, zw.Close())

	tests := []struct {
		name       string
		body       []byte
		maxBody    int64
		wantStatus int
	}{
		{name: "gzip", body: gz.Bytes(), wantStatus: http.StatusOK},
		// The limit applies to the decompressed body: a small gzip cannot expand past it.
		{name: "gzip expanding past the limit", body: gz.Bytes(), maxBody: 1024, wantStatus: http.StatusRequestEntityTooLarge},
		{name: "not gzip", body: []byte(goodDataLogin), wantStatus: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := new(consumertest.LogsSink)
			url, client := startReceiver(t, sink, func(cfg *Config) { cfg.MaxRequestBodySize = tt.maxBody })
			req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(tt.body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/x-ndjson")
			req.Header.Set("Content-Encoding", "gzip")
			resp, err := client.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			raw, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, tt.wantStatus, resp.StatusCode, string(raw))
			var body response
			require.NoError(t, json.Unmarshal(raw, &body), "JSON even when confighttp answers: %s", raw)
			if tt.wantStatus == http.StatusOK {
				assert.Equal(t, 40, sink.LogRecordCount())
			} else {
				assert.NotEmpty(t, body.Error)
				assert.Zero(t, sink.LogRecordCount())
			}
		})
	}
}

// slowReader hands out its body a few bytes at a time, pausing before each: a sender on a slow
// link.
type slowReader struct {
	body  io.Reader
	pause time.Duration
}

func (r *slowReader) Read(p []byte) (int, error) {
	time.Sleep(r.pause)
	return r.body.Read(p[:min(len(p), 8)])
}

// A body that takes longer than read_timeout to arrive is answered 408, which senders retry:
// the link is slow, the request is not wrong.
func TestSlowBodyIsRequestTimeout(t *testing.T) {
	events := []byte(strings.Repeat(goodDataLogin+"\n", 4))
	tests := []struct {
		name, encoding string
		body           []byte
	}{
		{"plain", "", events},
		{"gzip", "gzip", compressWith(t, "gzip", events)},
		// confighttp reads a snappy block body before the handler, and reports its errors.
		{"snappy block", "snappy", s2.EncodeSnappy(nil, events)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tel := componenttest.NewTelemetry()
			t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
			set := receivertest.NewNopSettings(metadata.Type)
			set.TelemetrySettings = tel.NewTelemetrySettings()
			sink := new(consumertest.LogsSink)
			url, client := startReceiverWith(t, set, sink, func(cfg *Config) {
				cfg.ReadTimeout = 200 * time.Millisecond
				cfg.WriteTimeout = 5 * time.Second
			})
			req, err := http.NewRequest(http.MethodPost, url, &slowReader{body: bytes.NewReader(tt.body), pause: 20 * time.Millisecond})
			require.NoError(t, err)
			req.ContentLength = int64(len(tt.body))
			req.Header.Set("Content-Type", "application/x-ndjson")
			if tt.encoding != "" {
				req.Header.Set("Content-Encoding", tt.encoding)
			}
			a := send(t, client, req)
			assert.Equal(t, http.StatusRequestTimeout, a.status, a.raw)
			assert.Equal(t, "the request body did not arrive within read_timeout; resend the request", a.body.Error)
			assert.Zero(t, sink.LogRecordCount())
			assert.Equal(t, map[string]int64{"refused/body_timeout": 1}, pointsByOutcome(t, tel, "otelcol_receiver_auditlog_requests"))
		})
	}
}
