package auditlogreceiver

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditship/auditship/internal/auditevent"
)

// records are the records the sink received, in order.
func records(sink *consumertest.LogsSink) []plog.LogRecord {
	var out []plog.LogRecord
	for _, logs := range sink.AllLogs() {
		for _, rl := range logs.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					out = append(out, lr)
				}
			}
		}
	}
	return out
}

// Over HTTP: camelCase Airkit events, a mapped source and epoch times, in one request.
func TestInputShapesOverHTTP(t *testing.T) {
	sink := new(consumertest.LogsSink)
	url, client := startReceiver(t, sink, func(cfg *Config) {
		cfg.Mapping = map[string]string{"event_name": "action", "time": "at", "org_id": "tenant.id", "user_id": "actor.id"}
	})
	body := strings.Join([]string{
		`{"organizationId":"org-ak","eventId":"ev-ak-2","eventTime":"2026-11-22 02:30:00.123","type":"user_login","kind":"Audit","userId":"u-2","sessionId":"s-1"}`,
		`{"action":"login","at":1733212345,"tenant":{"id":"acme","plan":"pro"},"actor":{"id":"u1"}}`,
		`{"action":"export","at":1733212345678,"tenant":{"id":"acme"},"actor":{"id":42}}`,
		`{"eventName":"USER_LOGIN","ts":1733212345123456789,"orgId":"org-gd"}`,
		`{"EVENT_TYPE":"user_logout","EVENT_TIME":"1733212345","ORGANIZATION_ID":"org-ak"}`,
	}, "\n")
	a := post(t, client, url, "application/x-ndjson", body)
	require.Equal(t, http.StatusOK, a.status, a.raw)
	require.Equal(t, 5, *a.body.Accepted)

	got := records(sink)
	require.Len(t, got, 5)
	type view struct {
		name, org, user, format, kind string
		time                          time.Time
		body                          any
	}
	viewOf := func(lr plog.LogRecord) view {
		return view{
			name: lr.EventName(), org: auditevent.OrgID(lr), user: auditevent.StrAttr(lr, auditevent.AttrUserID),
			format: auditevent.StrAttr(lr, auditevent.AttrSourceFormat), kind: auditevent.StrAttr(lr, auditevent.AttrType),
			time: lr.Timestamp().AsTime(), body: lr.Body().AsRaw(),
		}
	}
	want := []view{
		{"user_login", "org-ak", "u-2", auditevent.FormatAirkit, "Audit", time.Date(2026, 11, 22, 2, 30, 0, 123e6, time.UTC), map[string]any{"sessionId": "s-1"}},
		{"login", "acme", "u1", auditevent.FormatMapped, "", time.Unix(1733212345, 0).UTC(), map[string]any{"tenant": map[string]any{"plan": "pro"}}},
		{"export", "acme", "42", auditevent.FormatMapped, "", time.UnixMilli(1733212345678).UTC(), nil},
		{"USER_LOGIN", "org-gd", "", auditevent.FormatGoodData, "", time.Unix(0, 1733212345123456789).UTC(), nil},
		{"user_logout", "org-ak", "", auditevent.FormatAirkit, "", time.Unix(1733212345, 0).UTC(), nil},
	}
	for i, lr := range got {
		assert.Equal(t, want[i], viewOf(lr), "record %d", i)
		assert.Equal(t, "ev-ak-2", auditevent.EventID(got[0]))
		assert.NotEmpty(t, auditevent.EventID(lr), "record %d has an id", i)
		assert.NotZero(t, lr.ObservedTimestamp())
	}
}

func TestInputProblemsOverHTTP(t *testing.T) {
	const secret = "s3cr3t-value"
	tests := []struct {
		name      string
		configure func(*Config)
		body      string
		want      []problem
	}{
		{
			name: "camelCase Airkit without its time",
			body: `{"organizationId":"org-ak","type":"user_login","userId":"` + secret + `"}`,
			want: []problem{{Line: 1, Field: "eventTime", Reason: "is required"}},
		},
		{
			name: "a mapped source without a required field",
			configure: func(cfg *Config) {
				cfg.Mapping = map[string]string{"event_name": "action", "time": "at", "org_id": "tenant.id"}
			},
			body: `[{"action":"login","at":1733212345,"tenant":{"name":"` + secret + `"}}]`,
			want: []problem{{Index: intPtr(0), Field: "tenant.id", Reason: "is required"}},
		},
		{
			name: "an epoch time out of range",
			body: `{"eventName":"x","ts":-1733212345,"orgId":"o"}`,
			want: []problem{{Line: 1, Field: "ts", Reason: "is out of range: must be after 1970-01-01 and before 2262-04-11"}},
		},
		{
			name:      "too many events",
			configure: func(cfg *Config) { cfg.MaxEventsPerRequest = 1 },
			body:      goodDataLogin + "\n" + goodDataLogin,
			want:      []problem{{Line: 2, Reason: "one event too many: a request may hold at most 1 events (max_events_per_request); split it"}},
		},
		{
			name:      "an event too large",
			configure: func(cfg *Config) { cfg.MaxEventBytes = 64 },
			body:      `{"eventName":"x","ts":"2023-01-20T18:55:32.466Z","orgId":"o","details":{"k":"` + secret + `"}}`,
			want:      []problem{{Line: 1, Reason: "is larger than max_event_bytes (64 bytes)"}},
		},
		{
			name:      "a required field configured",
			configure: func(cfg *Config) { cfg.RequiredFields = []string{"event_name", "org_id", "user_id"} },
			body:      airkitLogin + "\n" + `{"eventName":"x","ts":"2023-01-20T18:55:32.466Z","orgId":"` + secret + `"}`,
			want:      []problem{{Line: 2, Field: "userId", Reason: "is required"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := new(consumertest.LogsSink)
			url, client := startReceiver(t, sink, tt.configure)
			a := post(t, client, url, "application/json", tt.body)
			assert.Equal(t, http.StatusBadRequest, a.status, a.raw)
			assert.Equal(t, tt.want, a.body.Problems)
			assert.NotContains(t, a.raw, secret, "answers never quote the event")
			assert.Empty(t, sink.AllLogs(), "nothing is forwarded")
		})
	}
}

func TestDefaultTimeReceivedOverHTTP(t *testing.T) {
	sink := new(consumertest.LogsSink)
	url, client := startReceiver(t, sink, func(cfg *Config) { cfg.DefaultTime = DefaultTimeReceived })
	before := time.Now()
	a := post(t, client, url, "application/json", `{"eventName":"x","orgId":"o"}`)
	require.Equal(t, http.StatusOK, a.status, a.raw)
	lr := records(sink)[0]
	assert.Equal(t, lr.ObservedTimestamp(), lr.Timestamp())
	assert.False(t, lr.Timestamp().AsTime().Before(before.Truncate(time.Second)))
}
