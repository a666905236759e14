// Command benche2e is `make bench-e2e`: it starts versitygw and the ocb-built collector on
// loopback, posts realistic audit events (GoodData-shaped, some tenants, a share carrying
// credentials) to the auditlog receiver, waits until every event is in S3, and reports the
// collector's CPU-seconds per million events, its peak RSS, the objects and bytes written, and
// whether every event id arrived exactly once.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/auditship/auditship/internal/harness"
)

type options struct {
	collector, versitygw, config, workdir string
	events, tenants, perRequest, senders  int
	secretShare                           float64
	wait                                  time.Duration
	profile                               bool
	// env is added to the collector's environment (NAME=VALUE), e.g. the Go runtime's
	// GOMEMLIMIT and GOGC.
	env envFlag
	// baseline, when set, is run in turn with collector in every round (with baselineEnv), so
	// that the two are compared on the same machine at the same time: a shared machine's speed
	// drifts between runs more than a few percent.
	baseline    string
	baselineEnv envFlag
	rounds      int
}

// envFlag collects repeated -env NAME=VALUE flags.
type envFlag []string

func (f *envFlag) String() string { return strings.Join(*f, " ") }

func (f *envFlag) Set(v string) error {
	if name, _, ok := strings.Cut(v, "="); !ok || name == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", v)
	}
	*f = append(*f, v)
	return nil
}

func main() {
	var o options
	flag.StringVar(&o.collector, "collector", "bin/otelcol-audit", "otelcol-audit binary")
	flag.StringVar(&o.versitygw, "versitygw", ".tools/bin/versitygw", "versitygw binary")
	flag.StringVar(&o.config, "config", "testdata/bench.yaml", "collector configuration")
	flag.StringVar(&o.workdir, "workdir", ".run/bench", "directory for S3 data, spool and logs")
	flag.IntVar(&o.events, "events", 1_000_000, "events to send")
	flag.IntVar(&o.tenants, "tenants", 20, "distinct org ids")
	flag.IntVar(&o.perRequest, "per-request", 1000, "events per HTTP request (NDJSON)")
	flag.IntVar(&o.senders, "senders", 4, "concurrent HTTP senders")
	flag.Float64Var(&o.secretShare, "secret-share", 0.2, "share of events carrying credentials")
	flag.DurationVar(&o.wait, "wait", 5*time.Minute, "how long to wait for delivery")
	flag.Var(&o.env, "env", "NAME=VALUE added to the collector's environment (repeatable), e.g. GOMEMLIMIT=110MiB")
	flag.StringVar(&o.baseline, "baseline", "", "another otelcol-audit binary, run in turn with -collector in every round")
	flag.Var(&o.baselineEnv, "baseline-env", "NAME=VALUE added to the baseline's environment (repeatable)")
	flag.IntVar(&o.rounds, "rounds", 1, "how many times to run (each build once a round)")
	flag.BoolVar(&o.profile, "profile", false, "save a CPU profile (first 10 s of sending) and a heap profile (after sending) of the collector in -workdir; the config must enable the pprof extension")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runRounds(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench-e2e failed:", err)
		os.Exit(1)
	}
}

// runRounds runs the benchmark o.rounds times, the baseline (if any) before the collector in
// each round, and ends with a summary when there is more than one run.
func runRounds(ctx context.Context, o options) error {
	var cpu, baseCPU []float64
	for r := 1; r <= o.rounds; r++ {
		if o.baseline != "" {
			b := o
			b.collector, b.env = o.baseline, o.baselineEnv
			fmt.Printf("== round %d of %d: baseline %s\n", r, o.rounds, b.collector)
			res, err := run(ctx, b)
			if err != nil {
				return fmt.Errorf("baseline, round %d: %w", r, err)
			}
			baseCPU = append(baseCPU, res.cpuPerMillion)
		}
		if o.rounds > 1 || o.baseline != "" {
			fmt.Printf("== round %d of %d: collector %s\n", r, o.rounds, o.collector)
		}
		res, err := run(ctx, o)
		if err != nil {
			return fmt.Errorf("round %d: %w", r, err)
		}
		cpu = append(cpu, res.cpuPerMillion)
	}
	if len(cpu) > 1 || len(baseCPU) > 0 {
		fmt.Print(summary(cpu, baseCPU))
	}
	return nil
}

// summary sums up the CPU-seconds per million events of the runs: of the collector, and of
// the baseline run beside it in each round, if any.
func summary(cpu, baseCPU []float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "collector CPU-seconds per million events: %s, median %.2f\n", figures(cpu), median(cpu))
	if len(baseCPU) == 0 {
		return b.String()
	}
	fmt.Fprintf(&b, "baseline CPU-seconds per million events: %s, median %.2f\n", figures(baseCPU), median(baseCPU))
	diffs := make([]float64, len(cpu))
	lower := 0
	for i := range cpu {
		diffs[i] = cpu[i] - baseCPU[i]
		if diffs[i] < 0 {
			lower++
		}
	}
	fmt.Fprintf(&b, "collector minus baseline, round by round: %s, median %+.2f; collector lower in %d of %d rounds\n",
		figures(diffs), median(diffs), lower, len(diffs))
	return b.String()
}

func figures(xs []float64) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.FormatFloat(x, 'f', 2, 64)
	}
	return strings.Join(s, " ")
}

// median is that of xs, which it leaves as they are; 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// result is what one run measured of the collector.
type result struct {
	cpuPerMillion float64
}

const bucket = "bench-audit-logs"

func run(ctx context.Context, o options) (res result, err error) {
	if err := os.RemoveAll(o.workdir); err != nil {
		return res, err
	}
	s3, err := harness.StartS3(ctx, o.versitygw, filepath.Join(o.workdir, "s3"))
	if err != nil {
		return res, err
	}
	defer s3.Stop(30 * time.Second)
	if err := s3.CreateBucket(ctx, bucket); err != nil {
		return res, err
	}
	col, err := harness.StartCollector(ctx, o.collector, o.config, filepath.Join(o.workdir, "collector.log"), harness.CollectorEnv{
		S3: s3, Bucket: bucket, StateDir: filepath.Join(o.workdir, "state"), Extra: o.env,
	})
	if err != nil {
		return res, err
	}
	defer col.Stop(60 * time.Second)
	cpuBefore, err := cpuSeconds(col.Pid())
	if err != nil {
		return res, err
	}

	start := time.Now()
	var profiles sync.WaitGroup
	if o.profile {
		profiles.Go(func() { saveProfile(col.PprofURL+"/profile?seconds=10", filepath.Join(o.workdir, "cpu.pprof")) })
	}
	if err := send(ctx, col, o); err != nil {
		return res, err
	}
	if o.profile {
		saveProfile(col.PprofURL+"/heap", filepath.Join(o.workdir, "heap.pprof"))
		profiles.Wait()
	}
	sent := time.Since(start)
	fmt.Printf("sent %d events in %s (%.0f events/s)\n", o.events, sent.Round(time.Millisecond), float64(o.events)/sent.Seconds())

	objects, ids, bytesTotal, err := waitDelivered(ctx, s3, o)
	if err != nil {
		return res, err
	}
	delivered := time.Since(start)
	cpuAfter, err := cpuSeconds(col.Pid())
	if err != nil {
		return res, err
	}
	peak, err := peakRSS(col.Pid())
	if err != nil {
		return res, err
	}
	missing, dups := 0, 0
	for i := 0; i < o.events; i++ {
		switch n := ids[eventID(i)]; {
		case n == 0:
			missing++
		case n > 1:
			dups++
		}
	}
	cpu := cpuAfter - cpuBefore
	res.cpuPerMillion = cpu * 1e6 / float64(o.events)
	fmt.Printf("delivered in %s: %d objects, %d bytes\n", delivered.Round(time.Millisecond), objects, bytesTotal)
	fmt.Printf("collector CPU: %.2f s for %d events = %.2f CPU-seconds per million events\n", cpu, o.events, res.cpuPerMillion)
	fmt.Printf("collector peak RSS: %.1f MiB\n", float64(peak)/(1<<20))
	if len(o.env) > 0 {
		fmt.Printf("collector environment: %s\n", o.env.String())
	}
	fmt.Printf("event ids: %d sent, %d distinct in S3, %d missing, %d more than once\n", o.events, len(ids), missing, dups)
	if missing > 0 || dups > 0 {
		return res, errors.New("delivery was not exactly once")
	}
	return res, nil
}

func eventID(i int) string { return "bench-" + strconv.Itoa(i) }

var eventNames = []string{"USER_LOGIN", "DATA_ACCESS", "DASHBOARD_UPDATE", "USER_LOGOUT", "DATASOURCE_UPDATE", "PERMISSION_USER_ADD", "EXECUTION_INITIATE", "AUTH_PROVIDER_UPDATE"}

// appendEvent writes event i as one GoodData NDJSON line.
func appendEvent(buf []byte, i int, o options) []byte {
	ts := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Millisecond)
	org := "org-" + strconv.Itoa(i%o.tenants)
	name := eventNames[i%len(eventNames)]
	buf = append(buf, `{"eventName":"`...)
	buf = append(buf, name...)
	buf = append(buf, `","description":"benchmark event","ts":"`...)
	buf = ts.AppendFormat(buf, "2006-01-02T15:04:05.000Z")
	buf = append(buf, `","orgId":"`...)
	buf = append(buf, org...)
	buf = append(buf, `","workspaceId":"ws-`...)
	buf = strconv.AppendInt(buf, int64(i%97), 10)
	buf = append(buf, `","userId":"user-`...)
	buf = strconv.AppendInt(buf, int64(i%5003), 10)
	buf = append(buf, `","target":"dashboard-`...)
	buf = strconv.AppendInt(buf, int64(i%211), 10)
	buf = append(buf, `","source":"203.0.113.`...)
	buf = strconv.AppendInt(buf, int64(i%250), 10)
	buf = append(buf, `","sessionContextType":"OIDC","sessionContextIdentifier":"session-`...)
	buf = strconv.AppendInt(buf, int64(i%1000), 10)
	buf = append(buf, `","success":true,"type":"audit","eventId":"`...)
	buf = append(buf, eventID(i)...)
	buf = append(buf, `","details":{"requestId":"req-`...)
	buf = strconv.AppendInt(buf, int64(i), 10)
	if float64(i%1000) < o.secretShare*1000 {
		buf = append(buf, `","parameters":{"clientId":"client-7","clientSecret":"bench-secret-`...)
		buf = strconv.AppendInt(buf, int64(i), 10)
		buf = append(buf, `","password":"pw-`...)
		buf = strconv.AppendInt(buf, int64(i), 10)
		buf = append(buf, `"}}}`...)
	} else {
		buf = append(buf, `","changed":["title","layout"]}}`...)
	}
	return append(buf, '\n')
}

func send(ctx context.Context, col *harness.Collector, o options) error {
	requests := make(chan int)
	errs := make(chan error, o.senders)
	var wg sync.WaitGroup
	for s := 0; s < o.senders; s++ {
		wg.Go(func() {
			var body []byte
			for first := range requests {
				body = body[:0]
				for i := first; i < min(first+o.perRequest, o.events); i++ {
					body = appendEvent(body, i, o)
				}
				for {
					res, err := col.Post(ctx, "application/x-ndjson", body)
					if err != nil {
						errs <- err
						return
					}
					if res.Status == 200 {
						break
					}
					if res.Status != 503 && res.Status != 429 {
						errs <- fmt.Errorf("receiver answered %d: %s", res.Status, res.Body)
						return
					}
					time.Sleep(200 * time.Millisecond)
				}
			}
		})
	}
	var sendErr error
loop:
	for first := 0; first < o.events; first += o.perRequest {
		select {
		case requests <- first:
		case sendErr = <-errs:
			break loop
		case <-ctx.Done():
			sendErr = ctx.Err()
			break loop
		}
	}
	close(requests)
	wg.Wait()
	if sendErr == nil {
		select {
		case sendErr = <-errs:
		default:
		}
	}
	return sendErr
}

func waitDelivered(ctx context.Context, s3 *harness.S3Server, o options) (objects int, ids map[string]int, total int64, err error) {
	deadline := time.Now().Add(o.wait)
	seen := map[string]bool{}
	ids = make(map[string]int, o.events)
	for {
		keys, err := s3.Keys(ctx, bucket, "")
		if err != nil {
			return 0, nil, 0, err
		}
		for _, k := range keys {
			if seen[k] {
				continue
			}
			seen[k] = true
			body, err := s3.Get(ctx, bucket, k)
			if err != nil {
				return 0, nil, 0, err
			}
			total += int64(len(body))
			lines, err := harness.Object{Key: k, Body: body}.Lines()
			if err != nil {
				return 0, nil, 0, err
			}
			for _, l := range lines {
				if strings.Contains(l, "bench-secret-") {
					return 0, nil, 0, fmt.Errorf("a credential reached %s", k)
				}
				var e struct {
					EventID string `json:"eventId"`
				}
				if err := json.Unmarshal([]byte(l), &e); err != nil {
					return 0, nil, 0, fmt.Errorf("object %s: %w", k, err)
				}
				ids[e.EventID]++
			}
		}
		if len(ids) >= o.events {
			return len(seen), ids, total, nil
		}
		if time.Now().After(deadline) {
			return len(seen), ids, total, fmt.Errorf("only %d of %d events in S3 after %s", len(ids), o.events, o.wait)
		}
		select {
		case <-ctx.Done():
			return 0, nil, 0, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func saveProfile(url, path string) {
	resp, err := http.Get(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
		return
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err == nil {
		err = os.WriteFile(path, data, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
		return
	}
	fmt.Println("saved", path)
}

// cpuSeconds is the user+system CPU time of pid, from /proc.
func cpuSeconds(pid int) (float64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	utime, err1 := strconv.ParseFloat(fields[11], 64)
	stime, err2 := strconv.ParseFloat(fields[12], 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	const clockTicks = 100 // USER_HZ on Linux
	return (utime + stime) / clockTicks, nil
}

// peakRSS is the peak resident set size of pid (VmHWM), in bytes.
func peakRSS(pid int) (int64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("VmHWM not found")
}
