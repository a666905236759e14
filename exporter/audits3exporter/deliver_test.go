package audits3exporter

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	backoffv7 "github.com/cenkalti/backoff/v7"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auditship/auditship/internal/faultproxy"
	"github.com/auditship/auditship/internal/s3test"
)

// blockIDsFile makes the spool's removal of part's open batch, once sealed and stored, fail
// (as a full or failing disk would): a directory sits where the ids of the delivered batch
// are written. It returns the directory, to be removed to let the removal succeed.
func blockIDsFile(t *testing.T, spoolDir, part string) string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(spoolDir, "open", part))
	require.NoError(t, err)
	require.Len(t, entries, 1)
	id := strings.TrimSuffix(entries[0].Name(), ".batch")
	block := filepath.Join(spoolDir, "sealed", part, id+".ids.tmp")
	require.NoError(t, os.MkdirAll(block, 0o700))
	return block
}

// TestStoredBatchIsNotUploadedAgain: when S3 stored a batch but the spool cannot remove it,
// only the removal is retried (with backoff): no upload loop, and, for a writer that may not
// list the bucket (which cannot tell its own object from another's), no second copy.
func TestStoredBatchIsNotUploadedAgain(t *testing.T) {
	for _, tc := range []struct {
		name    string
		putOnly bool
	}{
		{"four permissions", false},
		{"PutObject only", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := s3test.Start(t)
			srv.CreateBucket(t, "audit")
			cfg := testConfig(t, srv, "audit")
			if tc.putOnly {
				srv.CreateUser(t, "PUTONLY", "PUTONLYSECRET")
				srv.PutBucketPolicy(t, "audit", s3test.PutObjectOnlyPolicy("audit", "PUTONLY"))
				cfg.DestinationConfig = DestinationConfig(destOf(srv, "audit", "PUTONLY", "PUTONLYSECRET"))
			}
			proxy, err := faultproxy.Start(srv.Endpoint, faultproxy.Options{})
			require.NoError(t, err)
			defer proxy.Close()
			cfg.Endpoint = proxy.URL
			cfg.FlushInterval = time.Second
			cfg.Key = "logs/{org_id}/{upload_ts14}-{unique}"
			exp := startExporter(t, cfg)
			want := ids("s", 5)
			require.NoError(t, exp.ConsumeLogs(context.Background(), auditLogs("acme", want...)))
			block := blockIDsFile(t, cfg.Spool.Directory, "acme")
			waitForKeys(t, srv, "audit", 1, 10*time.Second)

			before := proxy.Stats().Requests
			time.Sleep(2 * time.Second)
			assert.Less(t, proxy.Stats().Requests-before, int64(3), "requests to S3 while the removal fails")
			assert.Len(t, srv.ListKeys(t, "audit", ""), 1, "one batch, one object")

			require.NoError(t, os.Remove(block))
			sealed := filepath.Join(cfg.Spool.Directory, "sealed", "acme", "*.sealed")
			require.Eventually(t, func() bool {
				left, err := filepath.Glob(sealed)
				return err == nil && len(left) == 0
			}, 10*time.Second, 50*time.Millisecond, "the batch leaves the spool once removal works")
			counts, _ := eventIDsIn(t, srv, "audit", "")
			requireExactlyOnce(t, counts, want)
		})
	}
}

// TestRetryAfterHoldsForNewBatches: a throttled tenant waits S3's Retry-After before its next
// upload, even while it keeps closing batches (each of which used to wake it at once).
func TestRetryAfterHoldsForNewBatches(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "audit")
	proxy, err := faultproxy.Start(srv.Endpoint, faultproxy.Options{Faults: faultproxy.Faults{
		Methods:  []string{"PUT"},
		SlowDown: faultproxy.Fault{Probability: 1}, RetryAfter: 10 * time.Second,
	}})
	require.NoError(t, err)
	defer proxy.Close()
	cfg := testConfig(t, srv, "audit")
	cfg.Endpoint = proxy.URL
	cfg.FlushInterval = time.Hour
	cfg.MaxEvents = 5
	exp := startExporter(t, cfg)
	for i := range 20 {
		require.NoError(t, exp.ConsumeLogs(context.Background(), auditLogs("acme", ids("t"+strconv.Itoa(i)+"-", 5)...)))
		time.Sleep(200 * time.Millisecond)
	}
	// One upload before the first SlowDown, and none in the 10 s after it.
	assert.Equal(t, int64(1), proxy.Stats().SlowDowns, "PUTs answered SlowDown in 4 s, with Retry-After: 10s")
	// The shutdown drain may try once more; S3 is let through for it.
	require.NoError(t, proxy.SetFaults(faultproxy.Faults{}))
}

// TestUploadSlotsBoundBodiesInMemory: with S3 hanging, tenants waiting for one of
// upload_concurrency's slots do not hold their batches in memory meanwhile.
func TestUploadSlotsBoundBodiesInMemory(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "audit")
	proxy, err := faultproxy.Start(srv.Endpoint, faultproxy.Options{DownMode: faultproxy.DownHang})
	require.NoError(t, err)
	defer proxy.Close()
	cfg := testConfig(t, srv, "audit")
	cfg.Endpoint = proxy.URL
	cfg.UploadConcurrency = 1
	cfg.TimeoutConfig.Timeout = 20 * time.Second
	cfg.FlushInterval = 200 * time.Millisecond
	proxy.Down()
	exp := startExporter(t, cfg)
	defer func() { require.NoError(t, proxy.Up()) }()
	const tenants, perTenant = 30, 400
	pad := strings.Repeat("x", 2500) // about 2 MiB a tenant's batch, as the file is written
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.HeapAlloc
	for i := range tenants {
		batch := make([]string, perTenant)
		for j := range batch {
			batch[j] = pad + strconv.Itoa(i) + "-" + strconv.Itoa(j)
		}
		require.NoError(t, exp.ConsumeLogs(context.Background(), auditLogs("t"+strconv.Itoa(i), batch...)))
	}
	require.Eventually(t, func() bool {
		sealed, err := filepath.Glob(filepath.Join(cfg.Spool.Directory, "sealed", "*", "*.sealed"))
		return err == nil && len(sealed) == tenants
	}, 10*time.Second, 50*time.Millisecond, "every tenant's batch closed")
	time.Sleep(time.Second) // for the deliverers to reach their upload
	runtime.GC()
	runtime.ReadMemStats(&ms)
	grew := int64(ms.HeapAlloc) - int64(before)
	t.Logf("heap grew by %.1f MiB with %d tenants' batches of about 2 MiB waiting for 1 upload slot", float64(grew)/(1<<20), tenants)
	// The 30 bodies held at once came to about 70 MiB; the one in flight is about 3 MiB, the
	// rest is the spool's and the pushes' own.
	assert.Less(t, grew, int64(30<<20), "more than the one body being uploaded is held")
}

// TestBurstWithoutUniqueClosesABatchASecond: with GoodData's layout (a name a second, no
// {unique}), a tenant that fills 75 batches within a second closes one a second, each under
// a name of its own, and a restart right after does not find its names taken. Each batch used
// to be closed at once: they all tried the same 60 names and ran out of them, holding the
// tenant's delivery for good.
func TestBurstWithoutUniqueClosesABatchASecond(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "audit")
	cfg := testConfig(t, srv, "audit")
	cfg.MaxEvents = 1
	cfg.FlushInterval = time.Hour
	exp, err := NewFactory().CreateLogs(context.Background(), exportertestSettings(), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), nopHost()))
	start := time.Now()
	want := ids("b", 75)
	for _, id := range want {
		require.NoError(t, exp.ConsumeLogs(context.Background(), auditLogs("acme", id)))
	}
	counts, keys := waitForIDs(t, srv, "audit", "auditlog/default/acme/", want, 30*time.Second)
	requireExactlyOnce(t, counts, want)
	assert.LessOrEqual(t, len(keys), int(time.Since(start)/time.Second)+1, "at most one batch a second")
	require.NoError(t, exp.Shutdown(context.Background()))

	restarted := startExporter(t, cfg) // on the same spool
	again := ids("after-restart-", 1)
	require.NoError(t, restarted.ConsumeLogs(context.Background(), auditLogs("acme", again...)))
	counts, _ = waitForIDs(t, srv, "audit", "auditlog/default/acme/", append(want, again...), 20*time.Second)
	requireExactlyOnce(t, counts, append(want, again...))
}

// TestQuickRetryWait: with retry_on_failure off, what failed for now (an upload, the removal
// of a stored batch) waits spool::retry_interval, whatever the backoff's intervals.
func TestQuickRetryWait(t *testing.T) {
	for _, tc := range []struct {
		name    string
		enabled bool
		want    time.Duration
	}{
		{"quick retries", true, 2 * time.Second},
		{"quick retries off", false, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig().(*Config)
			cfg.RetryConfig.Enabled = tc.enabled
			cfg.RetryConfig.InitialInterval = 2 * time.Second
			cfg.RetryConfig.RandomizationFactor = 0
			if !tc.enabled {
				cfg.RetryConfig.InitialInterval = 0 // not used: accepted with quick retries off
			}
			cfg.Spool.RetryInterval = time.Minute
			d := &deliverer{exp: &logsExporter{cfg: cfg}}
			backoff := &backoffv7.ExponentialBackOff{InitialInterval: cfg.RetryConfig.InitialInterval, Multiplier: 1.5, MaxInterval: time.Hour}
			backoff.Reset()
			assert.Equal(t, tc.want, d.quickRetryWait(backoff))
		})
	}
}
