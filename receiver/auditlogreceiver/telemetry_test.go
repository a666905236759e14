package auditlogreceiver

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/auditship/auditship/internal/auditevent"
	"github.com/auditship/auditship/receiver/auditlogreceiver/internal/metadata"
)

// pointsByOutcome sums an int64 sum's points by their outcome and reason attributes, as
// "accepted" or "refused/<reason>".
func pointsByOutcome(t *testing.T, tel *componenttest.Telemetry, name string) map[string]int64 {
	t.Helper()
	m, err := tel.GetMetric(name)
	require.NoError(t, err, name)
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is an int64 sum", name)
	got := map[string]int64{}
	for _, p := range sum.DataPoints {
		got[outcomeKey(p.Attributes)] += p.Value
	}
	return got
}

func outcomeKey(attrs attribute.Set) string {
	outcome, _ := attrs.Value("outcome")
	key := outcome.AsString()
	if reason, ok := attrs.Value("reason"); ok {
		key += "/" + reason.AsString()
	}
	return key
}

func TestReceiverMetrics(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := receivertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()

	// The pipeline refuses the events of org-busy, as a memory limiter would.
	next, err := consumer.NewLogs(func(_ context.Context, logs plog.Logs) error {
		if auditevent.OrgID(logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)) == "org-busy" {
			return errors.New("data refused due to high memory usage")
		}
		return nil
	})
	require.NoError(t, err)
	path := keysFileOf(t, "writer "+hashOf(billingKey)+" org-gd,org-ak,org-busy")
	url, client := startReceiverWith(t, set, next, func(cfg *Config) {
		cfg.MaxRequestBodySize = 4096
		cfg.Tenants = configoptional.Some(TenantsConfig{KeysFile: path})
	})
	key := map[string]string{"Authorization": "Bearer " + billingKey}
	busyOrg := strings.Replace(goodDataLogin, "org-gd", "org-busy", 1)
	otherOrg := strings.Replace(goodDataLogin, "org-gd", "org-other", 1)

	requests := []struct {
		method, contentType, body string
		header                    map[string]string
		wantStatus                int
	}{
		{http.MethodPost, "application/x-ndjson", goodDataLogin + "\n" + airkitLogin, key, http.StatusOK},
		{http.MethodPost, "application/x-ndjson", goodDataSetup, key, http.StatusOK},
		{http.MethodPost, "application/x-ndjson", goodDataLogin + "\n{}", key, http.StatusBadRequest},
		{http.MethodPost, "application/json", `{"eventName":`, key, http.StatusBadRequest},
		{http.MethodPost, "text/plain", goodDataLogin, key, http.StatusUnsupportedMediaType},
		{http.MethodGet, "", "", key, http.StatusMethodNotAllowed},
		{http.MethodPost, "application/json", goodDataLogin, nil, http.StatusUnauthorized},
		{http.MethodPost, "application/x-ndjson", goodDataLogin + "\n" + otherOrg, key, http.StatusForbidden},
		{http.MethodPost, "application/x-ndjson", strings.Repeat(goodDataLogin+"\n", 50), key, http.StatusRequestEntityTooLarge},
		{http.MethodPost, "application/json", busyOrg, key, http.StatusServiceUnavailable},
	}
	var sent int64
	for _, r := range requests {
		a := doWith(t, client, r.method, url, r.contentType, r.body, r.header)
		require.Equal(t, r.wantStatus, a.status, a.raw)
		sent += int64(len(r.body))
	}

	assert.Equal(t, map[string]int64{
		"accepted":                       2,
		"refused/invalid_event":          1,
		"refused/bad_json":               1,
		"refused/unsupported_media_type": 1,
		"refused/method_not_allowed":     1,
		"refused/unauthorized":           1,
		"refused/forbidden_org":          1,
		"refused/too_large":              1,
		"refused/pipeline_refused":       1,
	}, pointsByOutcome(t, tel, "otelcol_receiver_auditlog_requests"))
	assert.Equal(t, map[string]int64{
		"accepted":                 3,
		"refused/invalid_event":    2,
		"refused/forbidden_org":    2,
		"refused/pipeline_refused": 1,
	}, pointsByOutcome(t, tel, "otelcol_receiver_auditlog_events"))

	received := pointsByOutcome(t, tel, "otelcol_receiver_auditlog_received_bytes")[""]
	assert.Positive(t, received)
	assert.LessOrEqual(t, received, sent, "bodies not read (refused before) are not counted")
	assert.Positive(t, pointsByOutcome(t, tel, "otelcol_receiver_auditlog_body_bytes")[""])
	assert.Equal(t, map[string]int64{"": 0}, pointsByOutcome(t, tel, "otelcol_receiver_auditlog_requests_in_flight"))

	m, err := tel.GetMetric("otelcol_receiver_auditlog_request_duration")
	require.NoError(t, err)
	hist := m.Data.(metricdata.Histogram[float64])
	var count uint64
	for _, p := range hist.DataPoints {
		count += p.Count
		assert.Equal(t, durationBuckets, p.Bounds)
	}
	assert.Equal(t, uint64(len(requests)), count, "one duration per request")
	assert.Equal(t, "s", m.Unit)
}

func TestBusyAndReloadMetrics(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := receivertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	pipeline := newBlockingConsumer(t)
	path := keysFileOf(t, "writer "+hashOf(billingKey)+" *")
	url, client := startReceiverWith(t, set, pipeline, func(cfg *Config) {
		cfg.MaxConcurrentRequests = 1
		cfg.Tenants = configoptional.Some(TenantsConfig{KeysFile: path, ReloadInterval: 10 * time.Millisecond})
	})
	key := map[string]string{"Authorization": "Bearer " + billingKey}
	first := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(goodDataLogin))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", key["Authorization"])
		resp, err := client.Do(req)
		if err != nil {
			first <- 0
			return
		}
		resp.Body.Close()
		first <- resp.StatusCode
	}()
	<-pipeline.entered
	assert.Equal(t, map[string]int64{"": 1}, pointsByOutcome(t, tel, "otelcol_receiver_auditlog_requests_in_flight"))
	assert.Equal(t, http.StatusServiceUnavailable, doWith(t, client, http.MethodPost, url, "application/json", goodDataLogin, key).status)
	close(pipeline.release)
	require.Equal(t, http.StatusOK, <-first)

	rewrite(t, path, "writer "+billingKey+" *")
	require.Eventually(t, func() bool {
		m, err := tel.GetMetric("otelcol_receiver_auditlog_keys_reloads")
		return err == nil && len(m.Data.(metricdata.Sum[int64]).DataPoints) > 0
	}, 5*time.Second, 10*time.Millisecond)
	rewrite(t, path, "writer "+hashOf(adminKey)+" *")
	require.Eventually(t, func() bool {
		return pointsByOutcome(t, tel, "otelcol_receiver_auditlog_keys_reloads")["loaded"] == 1
	}, 5*time.Second, 10*time.Millisecond)

	assert.Equal(t, map[string]int64{"accepted": 1, "refused/busy": 1}, pointsByOutcome(t, tel, "otelcol_receiver_auditlog_requests"))
	assert.Equal(t, map[string]int64{"loaded": 1, "refused": 1}, pointsByOutcome(t, tel, "otelcol_receiver_auditlog_keys_reloads"))
}
