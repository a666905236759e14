package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auditship/auditship/internal/faultproxy"
	"github.com/auditship/auditship/internal/harness"
)

const (
	// chaosSeedEnv replays a run: the schedule of faults, the proxy's draws and the senders'
	// requests all come from the seed (the moments processes take to start do not).
	chaosSeedEnv = "AUDITSHIP_CHAOS_SEED"
	// chaosWindow is how long faults are scheduled for; senders post throughout.
	chaosWindow = 70 * time.Second
	// chaosDelivery bounds the wait, after the faults, for every accepted event to land.
	chaosDelivery = 40 * time.Second
	chaosSenders  = 3
	// chaosSenderTries bounds one request's tries: enough to outlast a collector restart
	// under throttling, few enough that a stuck collector shows as unconfirmed requests.
	chaosSenderTries = 60
	// chaosLateTenant's route names chaosLateBucket, which the schedule creates only part-way
	// through: until then its batches must be held, not dropped (testdata/chaos.yaml).
	chaosLateTenant = "hooli"
	chaosLateBucket = "late-arrivals"
)

var chaosTenants = []string{"acme", "globex", "initech", "umbrella", chaosLateTenant}

// TestChaos posts events continuously from several senders while a seeded schedule overlaps
// faults: kill -9 of the collector (persistent queue, batches closed every second), at once or
// part-way through its shutdown, and its restart, versitygw stopped and restarted on its port and data, a fault proxy in front of S3
// answering 503 SlowDown, resetting connections, holding requests and losing S3's answers to
// some for a while, and one tenant's bucket missing until part-way through. Senders retry
// what was not answered 200, as clients do.
// After the faults, every event answered 200 must be in S3 exactly once, an event never
// answered 200 at most once, nothing unsent may appear, and no planted credential.
func TestChaos(t *testing.T) {
	seed := chaosSeed(t)
	ctx, cancel := context.WithTimeout(context.Background(), chaosWindow+chaosDelivery+30*time.Second)
	defer cancel()
	dir := chaosDir(t)

	root, collectorBin, s3 := setUp(ctx, t, dir)
	require.NoError(t, s3.CreateBucket(ctx, bucket))
	proxy, err := faultproxy.Start(s3.Endpoint, faultproxy.Options{Seed: seed})
	require.NoError(t, err)
	defer proxy.Close()

	col := &chaosCollector{
		bin: collectorBin, config: filepath.Join(root, "internal", "e2e", "testdata", "chaos.yaml"), dir: dir,
		env: harness.CollectorEnv{S3: s3, S3Endpoint: proxy.URL, Bucket: bucket, StateDir: filepath.Join(dir, "state"),
			Extra: []string{"AUDITSHIP_LATE_BUCKET=" + chaosLateBucket, "AUDITSHIP_FLUSH_INTERVAL=1s"}},
	}
	require.NoError(t, col.start(ctx))
	defer col.stop()

	ledger := newChaosLedger()
	stopSenders := make(chan struct{})
	var senders sync.WaitGroup
	for i := range chaosSenders {
		senders.Go(func() { chaosSender(ctx, i, seed, col, ledger, stopSenders) })
	}

	schedule := newChaosSchedule(seed, chaosWindow)
	faultErrs := runChaosSchedule(ctx, t, schedule, chaosWindow, chaosEnv{col: col, s3: s3, proxy: proxy})
	close(stopSenders)
	senders.Wait()
	require.NoError(t, faultErrs)

	// Every fault has ended: S3 is up, the proxy forwards everything, the late bucket exists
	// and a collector runs.
	accepted, unconfirmed := ledger.result()
	require.NotEmpty(t, accepted)
	require.Zero(t, ledger.refusedRequests(), "requests refused with 4xx (%s): the test's events are malformed", ledger.failures())
	waitForChaosDelivery(ctx, t, s3, accepted)
	// What a graceful stop delivers counts too: only then is S3's content final.
	assert.NoError(t, col.stop(), "graceful stop after the chaos; see %s", col.logPath())
	delivered := readChaosBuckets(ctx, t, s3)
	found := checkChaosDelivery(t, ledger, accepted, unconfirmed, delivered)

	st := proxy.Stats()
	t.Logf("seed %d: %d requests (%d retried: %s), %d events answered 200, %d never answered 200 (%d of them in S3)",
		seed, ledger.requests(), ledger.retried(), ledger.failures(), len(accepted), len(unconfirmed), found.unconfirmedDelivered)
	t.Logf("S3: %d distinct ids delivered; %d lost, %d duplicated, %d never answered 200 duplicated, %d never sent",
		len(delivered), found.lost, found.duplicated, found.unconfirmedDuplicated, found.unsent)
	t.Logf("faults: %s, %s; proxy %d requests, %d SlowDown, %d resets, %d delayed, %d answers lost, %d forward errors (S3 down)",
		col.kills(), countKinds(schedule), st.Requests, st.SlowDowns, st.Resets, st.Delays, st.LostAnswers, st.ForwardErrors)
}

// chaosDir is the directory of the run's processes, logs and data, kept when the test fails
// so that the collectors' logs, the spool and S3's files can be looked at.
func chaosDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "auditship-chaos-")
	require.NoError(t, err)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("collector logs, spool and S3 data kept in %s", dir)
			return
		}
		_ = os.RemoveAll(dir)
	})
	return dir
}

// chaosFindings counts the events that break (or, for unconfirmedDelivered, may take) the
// promise.
type chaosFindings struct {
	lost, duplicated, unconfirmedDuplicated, unsent, unconfirmedDelivered int
}

// chaosErrorsShown bounds the events named per kind of failure; the counts say the rest.
const chaosErrorsShown = 10

// checkChaosDelivery checks what S3 holds (delivered: the objects holding each id) against
// what the senders were told: every accepted id exactly once, an unconfirmed one at most
// once, and no id that was never sent.
func checkChaosDelivery(t *testing.T, ledger *chaosLedger, accepted, unconfirmed []string, delivered map[string][]string) chaosFindings {
	t.Helper()
	var f chaosFindings
	fail := func(n *int, format string, args ...any) {
		if *n++; *n <= chaosErrorsShown {
			t.Errorf(format, args...)
		}
	}
	sent := make(map[string]bool, len(accepted)+len(unconfirmed))
	for _, id := range accepted {
		sent[id] = true
		switch n := len(delivered[id]); {
		case n == 0:
			fail(&f.lost, "event %s answered 200 is not in S3", id)
		case n > 1:
			fail(&f.duplicated, "event %s answered 200 is in S3 %d times: %v; its request: %s", id, n, delivered[id], ledger.history(id))
		}
	}
	for _, id := range unconfirmed {
		sent[id] = true
		switch n := len(delivered[id]); {
		case n == 1:
			f.unconfirmedDelivered++
		case n > 1:
			f.unconfirmedDelivered++
			fail(&f.unconfirmedDuplicated, "event %s never answered 200 is in S3 %d times: %v; its request: %s", id, n, delivered[id], ledger.history(id))
		}
	}
	for id, keys := range delivered {
		if !sent[id] {
			fail(&f.unsent, "event %s in S3 (%v) was never sent", id, keys)
		}
	}
	return f
}

// chaosSeed is $AUDITSHIP_CHAOS_SEED, or a new seed, logged for replay.
func chaosSeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv(chaosSeedEnv); v != "" {
		var err error
		seed, err = strconv.ParseUint(v, 10, 64)
		require.NoError(t, err, chaosSeedEnv)
	}
	t.Logf("seed %d (replay with %s=%d)", seed, chaosSeedEnv, seed)
	return seed
}

// chaosCollector is the collector under test, killed and started again on one state
// directory. Senders keep the address of the last one started: while it is down they meet a
// refused connection, as a client would.
type chaosCollector struct {
	bin, config, dir string
	env              harness.CollectorEnv

	mu      sync.Mutex
	running *harness.Collector
	last    *harness.Collector
	starts  int
	killed  int
	// killedInShutdown counts the kills that met a shutdown in progress.
	killedInShutdown int
}

func (c *chaosCollector) logPath() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return filepath.Join(c.dir, fmt.Sprintf("collector-%02d.log", c.starts))
}

func (c *chaosCollector) start(ctx context.Context) error {
	c.mu.Lock()
	c.starts++
	logPath := filepath.Join(c.dir, fmt.Sprintf("collector-%02d.log", c.starts))
	c.mu.Unlock()
	col, err := harness.StartCollector(ctx, c.bin, c.config, logPath, c.env)
	if err != nil {
		return fmt.Errorf("start collector: %w", err)
	}
	c.mu.Lock()
	c.running, c.last = col, col
	c.mu.Unlock()
	return nil
}

// kill kills the running collector with SIGKILL, at once or, with a positive grace, after
// sending SIGTERM and waiting grace for it to end (a rollout whose grace period is too short
// for the shutdown's delivery); with none running (its start failed, which fails the test),
// it does nothing.
func (c *chaosCollector) kill(grace time.Duration) {
	c.mu.Lock()
	col := c.running
	c.running = nil
	c.mu.Unlock()
	if col == nil {
		return
	}
	if grace == 0 {
		col.Kill()
	} else if err := col.Stop(grace); err == nil {
		return // it stopped in time: not killed
	}
	c.mu.Lock()
	c.killed++
	if grace > 0 {
		c.killedInShutdown++
	}
	c.mu.Unlock()
}

// stop stops the running collector gracefully, if one runs.
func (c *chaosCollector) stop() error {
	c.mu.Lock()
	col := c.running
	c.running = nil
	c.mu.Unlock()
	if col == nil {
		return nil
	}
	return col.Stop(20 * time.Second)
}

func (c *chaosCollector) current() *harness.Collector {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

func (c *chaosCollector) kills() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return fmt.Sprintf("%d collector kills (%d part-way through a shutdown)", c.killed, c.killedInShutdown)
}

// chaosLedger records what the senders were told.
type chaosLedger struct {
	mu          sync.Mutex
	accepted    []string
	unconfirmed []string
	// requestOf maps an event id to its request's number; attempts[n] lists what that
	// request's tries met, the last one first answered 200 if it was.
	requestOf map[string]int
	attempts  [][]string
	failed    map[string]int
	// refused counts requests the receiver refused for good (4xx): the test sent bad events.
	refused int
}

func newChaosLedger() *chaosLedger {
	return &chaosLedger{requestOf: map[string]int{}, failed: map[string]int{}}
}

func (l *chaosLedger) record(ids []string, tries []string, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.attempts)
	l.attempts = append(l.attempts, tries)
	for _, id := range ids {
		l.requestOf[id] = n
	}
	for _, try := range tries {
		if try != "200" {
			l.failed[try]++
		}
	}
	if last := tries[len(tries)-1]; strings.HasPrefix(last, "4") && last != "408" && last != "429" {
		l.refused++
	}
	if ok {
		l.accepted = append(l.accepted, ids...)
	} else {
		l.unconfirmed = append(l.unconfirmed, ids...)
	}
}

func (l *chaosLedger) result() (accepted, unconfirmed []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.accepted), slices.Clone(l.unconfirmed)
}

func (l *chaosLedger) history(id string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, ok := l.requestOf[id]
	if !ok {
		return "unknown"
	}
	return fmt.Sprintf("#%d, tries %v", n, l.attempts[n])
}

func (l *chaosLedger) refusedRequests() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.refused
}

func (l *chaosLedger) requests() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.attempts)
}

func (l *chaosLedger) retried() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, tries := range l.attempts {
		if len(tries) > 1 {
			n++
		}
	}
	return n
}

func (l *chaosLedger) failures() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprint(l.failed)
}

// chaosSender posts requests of 5 to 30 events of random tenants, a quarter of them carrying a
// planted credential, until stop is closed. Each request is tried until it is answered 200, at
// most chaosSenderTries times, waiting as a 503 asks or a moment after a failed connection.
func chaosSender(ctx context.Context, sender int, seed uint64, col *chaosCollector, ledger *chaosLedger, stop <-chan struct{}) {
	rng := rand.New(rand.NewPCG(seed, uint64(sender)))
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		case <-time.After(time.Duration(10+rng.IntN(60)) * time.Millisecond):
		}
		var body strings.Builder
		var ids []string
		for i := range 5 + rng.IntN(26) {
			id := fmt.Sprintf("chaos-%d-%05d-%02d", sender, n, i)
			ids = append(ids, id)
			details := `{"reason":"scheduled"}`
			if rng.IntN(4) == 0 {
				details = `{"password":"PLANTED-` + id + `"}`
			}
			fmt.Fprintf(&body, `{"eventName":"USER_LOGIN","ts":"2026-11-22T02:30:00.000Z","orgId":"%s","userId":"u","eventId":"%s","details":%s}`+"\n",
				chaosTenants[rng.IntN(len(chaosTenants))], id, details)
		}
		tries, ok := postUntilAnswered(ctx, col, []byte(body.String()))
		ledger.record(ids, tries, ok)
		if ctx.Err() != nil {
			return
		}
	}
}

// postUntilAnswered tries body until it is answered 200, and returns what each try met.
func postUntilAnswered(ctx context.Context, col *chaosCollector, body []byte) (tries []string, ok bool) {
	for range chaosSenderTries {
		tryCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
		res, err := col.current().Post(tryCtx, "application/x-ndjson", body)
		cancel()
		wait := 200 * time.Millisecond
		switch {
		case err != nil:
			tries = append(tries, chaosPostFailure(err))
		case res.Status == 200:
			return append(tries, "200"), true
		case res.Status >= 400 && res.Status < 500 && res.Status != 408 && res.Status != 429:
			// Refused for what it holds: sending it again cannot help.
			return append(tries, strconv.Itoa(res.Status)), false
		default:
			tries = append(tries, strconv.Itoa(res.Status))
			wait = max(wait, res.RetryAfter)
		}
		select {
		case <-ctx.Done():
			return tries, false
		case <-time.After(wait):
		}
	}
	return tries, false
}

func chaosPostFailure(err error) string {
	msg := err.Error()
	for _, kind := range []string{"connection refused", "connection reset", "EOF", "deadline exceeded"} {
		if strings.Contains(msg, kind) {
			return kind
		}
	}
	return "error"
}

type chaosFaultKind string

const (
	faultKill     chaosFaultKind = "collector killed"
	faultS3Down   chaosFaultKind = "versitygw stopped"
	faultThrottle chaosFaultKind = "S3 proxy faults"
	faultBucket   chaosFaultKind = "late bucket created"
)

// chaosFault is one scheduled fault: at At after the start, lasting For (how long the
// collector stays down, S3 stays stopped, the proxy throttles). Rates apply to throttling.
type chaosFault struct {
	Kind          chaosFaultKind
	At, For       time.Duration
	SlowDown      float64
	Reset         float64
	RetryAfterSec int
	// Delay holds that share of requests for DelayBy before their fate, so that uploads
	// last long enough for a kill to meet them.
	Delay   float64
	DelayBy time.Duration
	// LoseAnswer is the share of requests S3 carries out whose answer is lost.
	LoseAnswer float64
	// Grace, when positive, makes a kill a SIGTERM followed by SIGKILL after Grace.
	Grace time.Duration
}

func (f chaosFault) String() string {
	s := fmt.Sprintf("%s at %.2fs for %.2fs", f.Kind, f.At.Seconds(), f.For.Seconds())
	switch {
	case f.Kind == faultKill && f.Grace == 0:
		s += " (kill -9)"
	case f.Kind == faultKill:
		s += fmt.Sprintf(" (SIGTERM, kill -9 after %s)", f.Grace)
	case f.Kind == faultThrottle:
		s += fmt.Sprintf(" (SlowDown %.0f%%, Retry-After %ds, reset %.0f%%, delay %.0f%% by %s, answer lost %.0f%%)",
			100*f.SlowDown, f.RetryAfterSec, 100*f.Reset, 100*f.Delay, f.DelayBy, 100*f.LoseAnswer)
	}
	return s
}

// newChaosSchedule draws, from seed, faults over window in three lanes that overlap one
// another: collector kills, S3 outages, and throttling; plus the late bucket's creation.
// Within a lane faults follow one another.
func newChaosSchedule(seed uint64, window time.Duration) []chaosFault {
	rng := rand.New(rand.NewPCG(seed, 0xc4a05))
	between := func(lo, hi time.Duration) time.Duration { return lo + time.Duration(rng.Int64N(int64(hi-lo))) }
	var faults []chaosFault
	lane := func(kind chaosFaultKind, gapLo, gapHi, lenLo, lenHi time.Duration, fill func(*chaosFault)) {
		for at := between(time.Second, gapHi); ; {
			f := chaosFault{Kind: kind, At: at, For: between(lenLo, lenHi)}
			if at+f.For > window {
				return
			}
			if fill != nil {
				fill(&f)
			}
			faults = append(faults, f)
			at += f.For + between(gapLo, gapHi)
		}
	}
	lane(faultKill, 2*time.Second, 10*time.Second, 0, 1500*time.Millisecond, func(f *chaosFault) {
		if rng.IntN(3) == 0 {
			f.Grace = between(50*time.Millisecond, 3*time.Second).Round(time.Millisecond)
		}
	})
	lane(faultS3Down, 8*time.Second, 20*time.Second, 2*time.Second, 7*time.Second, nil)
	lane(faultThrottle, 4*time.Second, 12*time.Second, 3*time.Second, 10*time.Second, func(f *chaosFault) {
		f.SlowDown = 0.1 + 0.5*rng.Float64()
		f.Reset = 0.05 + 0.25*rng.Float64()
		f.RetryAfterSec = rng.IntN(3)
		f.Delay = 0.5 * rng.Float64()
		f.DelayBy = between(100*time.Millisecond, 2*time.Second).Round(time.Millisecond)
		f.LoseAnswer = 0.2 * rng.Float64()
	})
	faults = append(faults, chaosFault{Kind: faultBucket, At: between(window/4, window*3/4)})
	slices.SortFunc(faults, func(a, b chaosFault) int { return int(a.At - b.At) })
	return faults
}

func countKinds(faults []chaosFault) string {
	counts := map[chaosFaultKind]int{}
	for _, f := range faults {
		counts[f.Kind]++
	}
	return fmt.Sprintf("%d S3 outages, %d throttling windows", counts[faultS3Down], counts[faultThrottle])
}

// chaosEnv is what the faults act on.
type chaosEnv struct {
	col   *chaosCollector
	s3    *harness.S3Server
	proxy *faultproxy.Proxy
}

// runChaosSchedule fires each fault at its time, each in its own goroutine so that faults of
// different kinds overlap, and returns when every fault has ended (and been undone), and not
// before window has passed. Faults of one kind take turns: a kill due while the collector is
// still starting after the last one waits until it is up; so do the late bucket's creation
// and S3 outages, since the bucket can be made only while S3 is up.
func runChaosSchedule(ctx context.Context, t *testing.T, faults []chaosFault, window time.Duration, env chaosEnv) error {
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	s3Lane := &sync.Mutex{}
	lanes := map[chaosFaultKind]*sync.Mutex{faultKill: {}, faultThrottle: {}, faultS3Down: s3Lane, faultBucket: s3Lane}
	for _, f := range faults {
		wg.Go(func() {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Until(start.Add(f.At))):
			}
			lane := lanes[f.Kind]
			lane.Lock()
			defer lane.Unlock()
			t.Logf("%6.2fs: %s", time.Since(start).Seconds(), f)
			if err := env.fire(ctx, f); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", f, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	select {
	case <-ctx.Done():
	case <-time.After(time.Until(start.Add(window))):
	}
	return errors.Join(errs...)
}

func (e chaosEnv) fire(ctx context.Context, f chaosFault) error {
	switch f.Kind {
	case faultKill:
		e.col.kill(f.Grace)
		time.Sleep(f.For)
		return e.col.start(ctx)
	case faultS3Down:
		if err := e.s3.Stop(10 * time.Second); err != nil {
			return err
		}
		time.Sleep(f.For)
		return e.s3.Restart(ctx)
	case faultThrottle:
		if err := e.proxy.SetFaults(faultproxy.Faults{
			SlowDown: faultproxy.Fault{Probability: f.SlowDown}, RetryAfter: time.Duration(f.RetryAfterSec) * time.Second,
			Reset: faultproxy.Fault{Probability: f.Reset},
			Delay: faultproxy.Fault{Probability: f.Delay}, DelayBy: f.DelayBy,
			LoseAnswer: faultproxy.Fault{Probability: f.LoseAnswer},
		}); err != nil {
			return err
		}
		time.Sleep(f.For)
		return e.proxy.SetFaults(faultproxy.Faults{})
	case faultBucket:
		return e.s3.CreateBucket(ctx, chaosLateBucket)
	}
	return fmt.Errorf("unknown fault %q", f.Kind)
}

// waitForChaosDelivery polls both buckets until every accepted id is there, or for
// chaosDelivery at most.
func waitForChaosDelivery(ctx context.Context, t *testing.T, s3 *harness.S3Server, accepted []string) {
	t.Helper()
	deadline := time.Now().Add(chaosDelivery)
	for {
		delivered := readChaosBuckets(ctx, t, s3)
		missing := 0
		for _, id := range accepted {
			if len(delivered[id]) == 0 {
				missing++
			}
		}
		if missing == 0 {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Logf("%d of %d accepted events still missing after %s", missing, len(accepted), chaosDelivery)
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// readChaosBuckets returns the keys of the objects holding each event id, in both buckets.
// It checks as it reads that no planted credential reached S3, that every event sits under
// its own tenant, and the late tenant's in its own bucket.
func readChaosBuckets(ctx context.Context, t *testing.T, s3 *harness.S3Server) map[string][]string {
	t.Helper()
	delivered := map[string][]string{}
	for _, b := range []string{bucket, chaosLateBucket} {
		objects, err := s3.Objects(ctx, b, "")
		require.NoError(t, err)
		for _, o := range objects {
			if strings.Contains(string(o.Body), "PLANTED") {
				t.Fatalf("a planted credential reached s3://%s/%s", b, o.Key)
			}
			lines, err := o.Lines()
			require.NoError(t, err)
			for _, l := range lines {
				var e struct {
					EventID string `json:"eventId"`
					OrgID   string `json:"orgId"`
				}
				require.NoError(t, json.Unmarshal([]byte(l), &e), "s3://%s/%s", b, o.Key)
				require.Contains(t, o.Key, "/"+e.OrgID+"/", "event %s filed under another tenant", e.EventID)
				require.Equal(t, e.OrgID == chaosLateTenant, b == chaosLateBucket, "event %s of %s in bucket %s", e.EventID, e.OrgID, b)
				delivered[e.EventID] = append(delivered[e.EventID], b+"/"+o.Key)
			}
		}
	}
	return delivered
}
