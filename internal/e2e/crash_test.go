package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/auditship/auditship/internal/harness"
)

// TestKillNineLosesNothing posts events continuously to a collector with the persistent queue
// and kills it with SIGKILL: once in the middle of a 10-minute batch window, once while batches
// are being closed and uploaded. After a last restart, every event the receiver answered 2xx
// for must be in S3 exactly once.
func TestKillNineLosesNothing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dir := t.TempDir()
	root, collectorBin, s3 := setUp(ctx, t, dir)
	require.NoError(t, s3.CreateBucket(ctx, bucket))
	config := filepath.Join(root, "testdata", "crash.yaml")
	env := func(flush string) harness.CollectorEnv {
		return harness.CollectorEnv{S3: s3, Bucket: bucket, StateDir: filepath.Join(dir, "state"),
			Extra: []string{"AUDITSHIP_FLUSH_INTERVAL=" + flush}}
	}

	var accepted []string
	next := 0
	for round, flush := range []string{"10m", "150ms"} {
		col, err := harness.StartCollector(ctx, collectorBin, config, filepath.Join(dir, fmt.Sprintf("collector-%d.log", round)), env(flush))
		require.NoError(t, err)
		got := postUntilKilled(ctx, t, col, &next, 300*time.Millisecond+time.Duration(round)*400*time.Millisecond)
		t.Logf("round %d (flush_interval %s): %d events accepted before SIGKILL", round, flush, len(got))
		accepted = append(accepted, got...)
	}
	require.NotEmpty(t, accepted)

	col, err := harness.StartCollector(ctx, collectorBin, config, filepath.Join(dir, "collector-final.log"), env("500ms"))
	require.NoError(t, err)
	defer func() { _ = col.Stop(10 * time.Second) }()

	counts := waitForEventIDs(ctx, t, s3, accepted)
	for _, id := range accepted {
		require.Equal(t, 1, counts[id], "event %s", id)
	}
	t.Logf("%d accepted events, each in S3 exactly once; %d distinct ids in S3", len(accepted), len(counts))
}

// postUntilKilled posts batches of 20 events from two senders and kills the collector after
// killAfter; it returns the ids of the requests answered 200.
func postUntilKilled(ctx context.Context, t *testing.T, col *harness.Collector, next *int, killAfter time.Duration) []string {
	t.Helper()
	var mu sync.Mutex
	var accepted []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				first := *next
				*next += 20
				mu.Unlock()
				var body strings.Builder
				var batch []string
				for i := first; i < first+20; i++ {
					id := fmt.Sprintf("crash-%06d", i)
					batch = append(batch, id)
					fmt.Fprintf(&body, `{"eventName":"USER_LOGIN","ts":"2026-11-22T02:30:00.000Z","orgId":"org-%d","userId":"u","eventId":"%s","details":{"password":"PLANTED-%d"}}`+"\n", i%3, id, i)
				}
				res, err := col.Post(ctx, "application/x-ndjson", []byte(body.String()))
				if err != nil {
					return // killed
				}
				if res.Status == 200 {
					mu.Lock()
					accepted = append(accepted, batch...)
					mu.Unlock()
				}
			}
		})
	}
	time.Sleep(killAfter)
	col.Kill()
	close(stop)
	wg.Wait()
	return accepted
}

func waitForEventIDs(ctx context.Context, t *testing.T, s3 *harness.S3Server, want []string) map[string]int {
	t.Helper()
	for {
		objects, err := s3.Objects(ctx, bucket, "")
		require.NoError(t, err)
		counts := map[string]int{}
		for _, o := range objects {
			require.NotContains(t, string(o.Body), "PLANTED", o.Key)
			lines, err := o.Lines()
			require.NoError(t, err)
			for _, l := range lines {
				var e struct {
					EventID string `json:"eventId"`
				}
				require.NoError(t, json.Unmarshal([]byte(l), &e))
				counts[e.EventID]++
			}
		}
		missing := 0
		for _, id := range want {
			if counts[id] == 0 {
				missing++
			}
		}
		if missing == 0 {
			time.Sleep(time.Second) // a late duplicate would show now
			return counts
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d of %d accepted events missing from S3", missing, len(want))
		case <-time.After(300 * time.Millisecond):
		}
	}
}
