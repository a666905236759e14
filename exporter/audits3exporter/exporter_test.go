package audits3exporter

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/auditship/auditship/internal/auditevent"
)

const (
	keyOrgA = "auditlog/default/org-a/20261122023000.json"
	keyOrgB = "auditlog/default/org-b/20261122023000.json"
)

func twoTenants() plog.Logs {
	return newTestLogs(
		testEvent{org: "org-a", id: "a1"},
		testEvent{org: "org-b", id: "b1"},
		testEvent{org: "org-a", id: "a2"},
	)
}

func TestPushWritesOneObjectPerTenant(t *testing.T) {
	tests := []struct {
		name        string
		compression Compression
		keys        []string
		contentType string
	}{
		{name: "none", compression: CompressionNone, keys: []string{keyOrgA, keyOrgB}, contentType: "application/x-ndjson"},
		{name: "gzip", compression: CompressionGzip, keys: []string{keyOrgA + ".gz", keyOrgB + ".gz"}, contentType: "application/gzip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeS3(t)
			cfg := testConfig(fake.srv.URL, fake.bucket)
			cfg.Compression = tt.compression
			e := startExporter(t, cfg, zap.NewNop())

			require.NoError(t, e.pushLogs(context.Background(), twoTenants()))

			assert.Equal(t, tt.keys, fake.keys())
			wantIDs := map[string][]string{tt.keys[0]: {"a1", "a2"}, tt.keys[1]: {"b1"}}
			for key, ids := range wantIDs {
				obj, _ := fake.object(key)
				assert.Equal(t, tt.contentType, obj.contentType)
				body := obj.body
				if tt.compression == CompressionGzip {
					zr, err := gzip.NewReader(bytes.NewReader(body))
					require.NoError(t, err)
					body, err = io.ReadAll(zr)
					require.NoError(t, err)
				}
				assert.Equal(t, ids, eventIDsOf(t, parseEntries(t, body)), key)
			}
			for _, req := range fake.recorded() {
				assert.Equal(t, http.MethodPut, req.method, "a clean write needs nothing but PUT")
				assert.Empty(t, req.header.Values("X-Amz-Acl"), "no ACL header, ever: buckets have ACLs disabled")
				assert.Empty(t, req.header.Values("Content-Encoding"), "a .gz object is stored as gzip, not decoded on download")
				assert.Equal(t, "*", req.header.Get("If-None-Match"))
			}
		})
	}
}

func TestPushSameETagIsOurEarlierWrite(t *testing.T) {
	fake := newFakeS3(t)
	e := startExporter(t, testConfig(fake.srv.URL, fake.bucket), zap.NewNop())
	ld := newTestLogs(testEvent{org: "org-a", id: "a1"})
	// The earlier attempt's object: the same records, so the same bytes.
	batches, _ := splitByTenant(ld)
	fake.put(keyOrgA, batches[0].body)

	require.NoError(t, e.pushLogs(context.Background(), ld))

	assert.Equal(t, []string{keyOrgA}, fake.keys())
	reqs := fake.recorded()
	require.Len(t, reqs, 2)
	assert.Equal(t, http.MethodPut, reqs[0].method)
	assert.Equal(t, http.MethodGet, reqs[1].method, "the ETag comes from ListObjectsV2, never from GetObject or HeadObject")
	assert.Contains(t, reqs[1].query, "list-type=2")
}

func TestPushDifferentETagTakesNextName(t *testing.T) {
	fake := newFakeS3(t)
	e := startExporter(t, testConfig(fake.srv.URL, fake.bucket), zap.NewNop())
	fake.put(keyOrgA, []byte("someone else's batch\n"))

	require.NoError(t, e.pushLogs(context.Background(), newTestLogs(testEvent{org: "org-a", id: "a1"})))

	next := "auditlog/default/org-a/20261122023001.json"
	assert.Equal(t, []string{keyOrgA, next}, fake.keys())
	old, _ := fake.object(keyOrgA)
	assert.Equal(t, []byte("someone else's batch\n"), old.body, "an existing object is never replaced")
	obj, _ := fake.object(next)
	assert.Equal(t, []string{"a1"}, eventIDsOf(t, parseEntries(t, obj.body)))
}

func TestPushAllNamesTakenIsRetryable(t *testing.T) {
	fake := newFakeS3(t)
	e := startExporter(t, testConfig(fake.srv.URL, fake.bucket), zap.NewNop())
	for i := range maxNameTries {
		fake.put(e.format.key("org-a", t0.Add(secondsOf(i))), []byte("other\n"))
	}

	err := e.pushLogs(context.Background(), newTestLogs(testEvent{org: "org-a", id: "a1"}))

	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err))
	assert.Contains(t, err.Error(), "names up to this one are all taken")
	var logsErr consumererror.Logs
	require.ErrorAs(t, err, &logsErr)
	assert.Equal(t, 1, logsErr.Data().LogRecordCount())
	assert.Len(t, fake.keys(), maxNameTries, "nothing written beyond the bound")
}

func TestPushRetriesOnlyFailedTenants(t *testing.T) {
	fake := newFakeS3(t)
	e := startExporter(t, testConfig(fake.srv.URL, fake.bucket), zap.NewNop())
	fake.setFailPut(func(key string) (int, string, string) {
		if strings.Contains(key, "/org-b/") {
			return http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again."
		}
		return 0, "", ""
	})
	ld := twoTenants()

	err := e.pushLogs(context.Background(), ld)

	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err), "a server error must be retried")
	assert.Contains(t, err.Error(), "upload "+keyOrgB)
	var logsErr consumererror.Logs
	require.ErrorAs(t, err, &logsErr)
	retry := logsErr.Data()
	require.Equal(t, 1, retry.LogRecordCount(), "only org-b's record is retried")
	lr := retry.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	assert.Equal(t, "org-b", auditevent.OrgID(lr))
	assert.Equal(t, "auditship-test", retry.ResourceLogs().At(0).Resource().Attributes().AsRaw()["service.name"])
	assert.Equal(t, []string{keyOrgA}, fake.keys())

	// The retry, as exporterhelper makes it once org-b's bucket is back.
	fake.setFailPut(nil)
	require.NoError(t, e.pushLogs(context.Background(), retry))
	assert.Equal(t, []string{keyOrgA, keyOrgB}, fake.keys(), "no second object for org-a")
}

func TestPushLostAnswerLeavesOneObject(t *testing.T) {
	fake := newFakeS3(t)
	e := startExporter(t, testConfig(fake.srv.URL, fake.bucket), zap.NewNop())
	lost := true
	fake.setLosePut(func(string) bool { l := lost; lost = false; return l })
	ld := newTestLogs(testEvent{org: "org-a", id: "a1"})

	err := e.pushLogs(context.Background(), ld)
	require.Error(t, err, "the write happened, but we could not know")
	assert.False(t, consumererror.IsPermanent(err))

	require.NoError(t, e.pushLogs(context.Background(), ld))
	assert.Equal(t, []string{keyOrgA}, fake.keys(), "the retry recognised its own object")
}

func TestPushRejectsRecordsWithoutValidOrgID(t *testing.T) {
	tests := []struct {
		name string
		set  func(lr plog.LogRecord)
	}{
		{name: "missing", set: func(lr plog.LogRecord) { lr.Attributes().Remove(auditevent.AttrOrgID) }},
		{name: "empty", set: func(lr plog.LogRecord) { lr.Attributes().PutStr(auditevent.AttrOrgID, "") }},
		{name: "dot", set: func(lr plog.LogRecord) { lr.Attributes().PutStr(auditevent.AttrOrgID, ".") }},
		{name: "dotdot", set: func(lr plog.LogRecord) { lr.Attributes().PutStr(auditevent.AttrOrgID, "..") }},
		{name: "slash", set: func(lr plog.LogRecord) { lr.Attributes().PutStr(auditevent.AttrOrgID, "secret-token/../x") }},
		{name: "space", set: func(lr plog.LogRecord) { lr.Attributes().PutStr(auditevent.AttrOrgID, "secret token") }},
		{name: "too long", set: func(lr plog.LogRecord) { lr.Attributes().PutStr(auditevent.AttrOrgID, strings.Repeat("s", 129)) }},
		{name: "not a string", set: func(lr plog.LogRecord) { lr.Attributes().PutInt(auditevent.AttrOrgID, 42) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeS3(t)
			core, logs := observer.New(zap.InfoLevel)
			e := startExporter(t, testConfig(fake.srv.URL, fake.bucket), zap.New(core))
			ld := newTestLogs(testEvent{org: "org-a", id: "a1"})
			tt.set(appendEvent(ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords(), testEvent{org: "placeholder", id: "bad1"}))

			err := e.pushLogs(context.Background(), ld)

			require.Error(t, err)
			assert.True(t, consumererror.IsPermanent(err), "no retry can give a record a valid org id")
			assert.Contains(t, err.Error(), "1 records dropped")
			assert.NotContains(t, err.Error(), "secret")
			assert.Equal(t, []string{keyOrgA}, fake.keys(), "the valid tenant is written")
			require.Equal(t, 1, logs.Len())
			entry := logs.All()[0]
			assert.Equal(t, int64(1), entry.ContextMap()["dropped_records"])
			assert.NotContains(t, entry.Message+toString(entry.ContextMap()), "secret")
			for _, key := range fake.keys() {
				assert.NotContains(t, key, "..")
			}
		})
	}
}

func TestPushRejectedAndFailedIsRetryable(t *testing.T) {
	fake := newFakeS3(t)
	e := startExporter(t, testConfig(fake.srv.URL, fake.bucket), zap.NewNop())
	fake.setFailPut(func(string) (int, string, string) {
		return http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate."
	})
	ld := newTestLogs(testEvent{org: "org-a", id: "a1"}, testEvent{id: "no-org"})

	err := e.pushLogs(context.Background(), ld)

	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err), "org-a's records must still be retried")
	var logsErr consumererror.Logs
	require.ErrorAs(t, err, &logsErr)
	assert.Equal(t, 1, logsErr.Data().LogRecordCount(), "only the valid record is retried")
	assert.Contains(t, err.Error(), "1 records dropped")
}

func TestErrorsNeverCarryCredentials(t *testing.T) {
	fake := newFakeS3(t)
	cfg := testConfig(fake.srv.URL, fake.bucket)
	cfg.Credentials.Get().SessionToken = "session-token-value"
	core, logs := observer.New(zap.DebugLevel)
	e := startExporter(t, cfg, zap.New(core))
	// A server that echoes what it was given.
	fake.setFailPut(func(string) (int, string, string) {
		return http.StatusForbidden, "InvalidAccessKeyId", "key AKIDTESTEXAMPLE secret s3cr3t-never-printed token session-token-value"
	})

	err := e.pushLogs(context.Background(), twoTenants())

	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err), "a bucket that denies us keeps the data for retry")
	for _, secret := range []string{"AKIDTESTEXAMPLE", "s3cr3t-never-printed", "session-token-value"} {
		assert.NotContains(t, err.Error(), secret)
		for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(u) {
			assert.NotContains(t, u.Error(), secret)
		}
		for _, entry := range logs.All() {
			assert.NotContains(t, entry.Message+toString(entry.ContextMap()), secret)
		}
	}
	assert.Contains(t, err.Error(), "[REDACTED]")
}

func toString(m map[string]any) string {
	var b strings.Builder
	for k, v := range m {
		b.WriteString(k)
		b.WriteString("=")
		if s, ok := v.(string); ok {
			b.WriteString(s)
		}
		b.WriteString(" ")
	}
	return b.String()
}
