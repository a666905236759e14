package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auditship/auditship/internal/harness"
)

const (
	scaleOutReplicas      = 3
	scaleOutSenders       = 2 // per replica
	scaleOutRequests      = 30
	scaleOutEventsPerPost = 40
	// scaleOutPace spreads each sender's requests over about three flush intervals, so that
	// every replica closes several batches of every tenant while the others do too.
	scaleOutPace           = 100 * time.Millisecond
	scaleOutWriterKey      = "SCALEOUT-WRITER"
	scaleOutWriterSecret   = "scaleout-writer-secret"
	scaleOutGlobexBucketOf = "-globex"
)

var scaleOutTenants = []string{"acme", "globex", "initech", "umbrella", "hooli"}

// TestScaleOut runs three collectors at once, each with its own spool, writing the same
// tenants into the same buckets (as GoodData's four-permission writer, the bucket policy of
// deploy/aws), and posts to all three concurrently. Every accepted event must land exactly
// once, every object must come from one replica only, and the number of objects must equal the
// number of successful writes the replicas report: no object was overwritten.
//
// The replicas reach S3 through a recording proxy, which sees every PutObject: each must carry
// If-None-Match: *, and no key may be stored twice (two 200s for one key would be an
// overwrite). With {unique} in the key template, no two replicas may ever pick the same key:
// not one conditional PUT may be refused (412). With GoodData's own layout (14 digits, no
// {unique}) replicas closing a batch of one tenant in the same second do pick the same name;
// then the conditional write refuses the second, which moves on to the next second's name.
func TestScaleOut(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	_, collectorBin, s3 := setUp(ctx, t, dir)
	require.NoError(t, s3.CreateUser(ctx, scaleOutWriterKey, scaleOutWriterSecret))

	for _, tc := range []struct {
		name, key string
		keyRE     *regexp.Regexp
		unique    bool
	}{
		{"unique key", "auditlog/default/{org_id}/{upload_ts14}-{unique}",
			regexp.MustCompile(`^auditlog/default/([a-z]+)/\d{14}-([a-z2-7]{10}(-\d+)?)\.json$`), true},
		{"gooddata key", "auditlog/default/{org_id}/{upload_ts14}",
			regexp.MustCompile(`^auditlog/default/([a-z]+)/\d{14}\.json$`), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			bucket := "scaleout-" + strconv.FormatBool(tc.unique)
			buckets := []string{bucket, bucket + scaleOutGlobexBucketOf}
			for _, b := range buckets {
				require.NoError(t, s3.CreateBucket(ctx, b))
				require.NoError(t, s3.PutBucketPolicy(ctx, b, harness.WriterPolicy(b, scaleOutWriterKey)))
			}
			rec := startPutRecorder(t, s3.Endpoint)
			replicas := startReplicas(ctx, t, collectorBin, s3, rec.URL, filepath.Join(dir, bucket), bucket, tc.key)
			accepted := postToAll(ctx, t, replicas)
			t.Logf("%d events accepted by %d replicas in %s", len(accepted), len(replicas), time.Since(start).Round(time.Millisecond))

			objects := waitForScaleOutEvents(ctx, t, s3, buckets, accepted)
			stats := waitForWrites(ctx, t, replicas, len(objects))
			for _, r := range replicas {
				require.NoError(t, r.col.Stop(15*time.Second), "replica %d stops cleanly", r.n)
			}

			uniques := map[string]string{}
			for _, o := range objects {
				m := tc.keyRE.FindStringSubmatch(o.key)
				require.NotNil(t, m, "key %s does not follow %s", o.key, tc.key)
				assert.Equal(t, o.tenant, m[1], "key %s holds tenant %s", o.key, o.tenant)
				if tc.unique {
					require.NotContains(t, uniques, m[2], "{unique} %s chosen twice: %s and %s", m[2], uniques[m[2]], o.key)
					uniques[m[2]] = o.key
				}
			}
			assert.Equal(t, len(objects), stats.written, "objects in the buckets = successful writes the replicas report: nothing overwritten")
			assert.Zero(t, stats.alreadyPresent, "no retry found an earlier upload of its own (no answer was lost)")
			// With s3:ListBucket every taken name is compared, except before a replica's first
			// write of a tenant has shown that the bucket's ETags are MD5s of the content
			// (a bucket encrypting with KMS by default gives ETags that are not).
			assert.LessOrEqual(t, stats.unverified, scaleOutReplicas*len(scaleOutTenants), "names taken that could not be compared")
			if tc.unique {
				assert.Zero(t, stats.unverified, "with {unique} no name is ever taken")
			}
			assert.Zero(t, stats.preconditionFailed, "no batch ran out of names")

			puts := rec.summary()
			assert.Empty(t, puts.unconditional, "PutObject without If-None-Match: *")
			assert.Empty(t, puts.storedTwice, "keys stored by two PUTs: an overwrite")
			assert.Equal(t, len(objects), puts.stored, "every object stored by exactly one PUT")
			if tc.unique {
				assert.Zero(t, puts.refused, "with {unique}, no two replicas may pick the same key (412)")
			} else {
				// Without {unique} the replicas do collide (about three 412s an object): the
				// path this case exists for, moving to the next name, must have been taken.
				assert.Positive(t, puts.refused, "replicas without {unique} never collided: the rename path went untested")
			}
			t.Logf("%d objects; %d PUTs stored, %d refused with 412 (name taken, moved to the next); %s in all",
				len(objects), puts.stored, puts.refused, time.Since(start).Round(time.Millisecond))
		})
	}
}

type replica struct {
	n   int
	col *harness.Collector
}

// startReplicas starts the collectors at once (each with a spool of its own), as the writer.
func startReplicas(ctx context.Context, t *testing.T, bin string, s3 *harness.S3Server, endpoint, dir, bucket, key string) []*replica {
	t.Helper()
	config := filepath.Join("testdata", "scaleout.yaml")
	replicas := make([]*replica, scaleOutReplicas)
	errs := make([]error, scaleOutReplicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() {
			// Variables given again in Extra come later in the environment and win: the
			// recording proxy as the S3 endpoint, and the four-permission writer instead of root.
			col, err := harness.StartCollector(ctx, bin, config, filepath.Join(dir+"-replica-"+strconv.Itoa(i)+".log"), harness.CollectorEnv{
				S3: s3, Bucket: bucket, StateDir: filepath.Join(dir, "replica-"+strconv.Itoa(i)),
				Extra: []string{
					"AUDITSHIP_S3_ENDPOINT=" + endpoint,
					"AUDITSHIP_KEY=" + key,
					"AUDITSHIP_GLOBEX_BUCKET=" + bucket + scaleOutGlobexBucketOf,
					"AUDITSHIP_S3_ACCESS_KEY=" + scaleOutWriterKey,
					"AUDITSHIP_S3_SECRET_KEY=" + scaleOutWriterSecret,
				},
			})
			errs[i] = err
			replicas[i] = &replica{n: i, col: col}
		})
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, r := range replicas {
			if r != nil && r.col != nil {
				_ = r.col.Stop(10 * time.Second)
			}
		}
	})
	for _, err := range errs {
		require.NoError(t, err)
	}
	return replicas
}

// postToAll posts from scaleOutSenders goroutines per replica at once, every request carrying
// events of every tenant, and returns the ids of the events answered 200.
func postToAll(ctx context.Context, t *testing.T, replicas []*replica) []string {
	t.Helper()
	var mu sync.Mutex
	var accepted []string
	var failures []string
	var wg sync.WaitGroup
	for _, r := range replicas {
		for s := range scaleOutSenders {
			wg.Go(func() {
				for req := range scaleOutRequests {
					var body strings.Builder
					ids := make([]string, 0, scaleOutEventsPerPost)
					for e := range scaleOutEventsPerPost {
						id := fmt.Sprintf("so-%d-%d-%03d-%02d", r.n, s, req, e)
						ids = append(ids, id)
						fmt.Fprintf(&body, `{"eventName":"USER_LOGIN","ts":"2026-11-22T02:30:00.000Z","orgId":%q,"userId":"u-%d","eventId":%q,"details":{"password":"PLANTED-%s"}}`+"\n",
							scaleOutTenants[e%len(scaleOutTenants)], e, id, id)
					}
					res, err := r.col.Post(ctx, "application/x-ndjson", []byte(body.String()))
					mu.Lock()
					switch {
					case err != nil:
						failures = append(failures, err.Error())
					case res.Status != http.StatusOK:
						failures = append(failures, strconv.Itoa(res.Status)+" "+res.Body)
					default:
						accepted = append(accepted, ids...)
					}
					mu.Unlock()
					time.Sleep(scaleOutPace)
				}
			})
		}
	}
	wg.Wait()
	require.Empty(t, failures, "every request is accepted")
	return accepted
}

type scaleOutObject struct {
	bucket, key, tenant string
	replica             string
}

// waitForScaleOutEvents waits until every accepted event is in S3, then checks that each is
// there exactly once, in its tenant's bucket and prefix, in an object written by one replica
// only, and that no planted secret got through. It returns the event objects.
func waitForScaleOutEvents(ctx context.Context, t *testing.T, s3 *harness.S3Server, buckets []string, accepted []string) []scaleOutObject {
	t.Helper()
	for {
		counts := map[string]int{}
		var objects []scaleOutObject
		for _, b := range buckets {
			stored, err := s3.Objects(ctx, b, "auditlog/")
			require.NoError(t, err)
			for _, o := range stored {
				require.NotContains(t, string(o.Body), "PLANTED", o.Key)
				lines, err := o.Lines()
				require.NoError(t, err)
				obj := scaleOutObject{bucket: b, key: o.Key}
				for _, l := range lines {
					var e struct {
						EventID string `json:"eventId"`
						OrgID   string `json:"orgId"`
					}
					require.NoError(t, json.Unmarshal([]byte(l), &e))
					counts[e.EventID]++
					rep := strings.SplitN(e.EventID, "-", 3)[1]
					if obj.tenant == "" {
						obj.tenant, obj.replica = e.OrgID, rep
					}
					require.Equal(t, obj.tenant, e.OrgID, "object %s mixes tenants", o.Key)
					require.Equal(t, obj.replica, rep, "object %s holds events of two replicas: two replicas wrote one key", o.Key)
					require.Equal(t, e.OrgID == "globex", strings.HasSuffix(b, scaleOutGlobexBucketOf), "%s in bucket %s", e.EventID, b)
				}
				objects = append(objects, obj)
			}
		}
		missing := 0
		for _, id := range accepted {
			if counts[id] == 0 {
				missing++
			}
		}
		if missing == 0 {
			for _, id := range accepted {
				require.Equal(t, 1, counts[id], "event %s", id)
			}
			require.Len(t, counts, len(accepted), "events in S3 that no replica accepted")
			return objects
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d of %d accepted events missing from S3", missing, len(accepted))
		case <-time.After(300 * time.Millisecond):
		}
	}
}

type writeStats struct {
	written, alreadyPresent, unverified, preconditionFailed int
}

// waitForWrites scrapes every replica's metrics until the objects they report written add up
// to want (the counters are updated just after S3 answers), or a few seconds pass.
func waitForWrites(ctx context.Context, t *testing.T, replicas []*replica, want int) writeStats {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var total writeStats
		for _, r := range replicas {
			s, err := scrapeWrites(ctx, r.col.MetricsURL)
			require.NoError(t, err, "replica %d metrics", r.n)
			total.written += s.written
			total.alreadyPresent += s.alreadyPresent
			total.unverified += s.unverified
			total.preconditionFailed += s.preconditionFailed
		}
		if total.written >= want || time.Now().After(deadline) {
			return total
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// scrapeWrites reads the exporter's write counters from a Prometheus endpoint.
func scrapeWrites(ctx context.Context, url string) (writeStats, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return writeStats{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return writeStats{}, err
	}
	defer resp.Body.Close()
	var s writeStats
	found := false
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || !strings.HasPrefix(line, "otelcol_exporter_audits3_") {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			return writeStats{}, fmt.Errorf("metric line %q: %w", line, err)
		}
		n := int(v)
		series := line[:sp]
		found = true
		switch {
		case strings.HasPrefix(series, "otelcol_exporter_audits3_objects_written"):
			if strings.Contains(series, `already_present="true"`) {
				s.alreadyPresent += n
			} else {
				s.written += n
			}
		case strings.HasPrefix(series, "otelcol_exporter_audits3_objects_unverified"):
			s.unverified += n
		case strings.HasPrefix(series, "otelcol_exporter_audits3_upload_failures") && strings.Contains(series, `code="PreconditionFailed"`):
			s.preconditionFailed += n
		}
	}
	if err := sc.Err(); err != nil {
		return writeStats{}, err
	}
	if !found {
		return writeStats{}, fmt.Errorf("no otelcol_exporter_audits3_ metric at %s", url)
	}
	return s, nil
}

// putRecorder is a reverse proxy in front of S3 that records every PutObject of an audit
// object (keys under auditlog/) and S3's answer. It passes requests on as they came: same
// Host, path and query, which SigV4 signs.
type putRecorder struct {
	URL string

	mu            sync.Mutex
	answers       map[string][]int // bucket/key -> status of each PutObject
	unconditional []string
}

func startPutRecorder(t *testing.T, target string) *putRecorder {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	rec := &putRecorder{answers: map[string][]int{}}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme, pr.Out.URL.Host = u.Scheme, u.Host
			pr.Out.Host = pr.In.Host
		},
		ModifyResponse: func(resp *http.Response) error {
			rec.note(resp.Request, resp.StatusCode)
			return nil
		},
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	rec.URL = srv.URL
	return rec
}

func (p *putRecorder) note(r *http.Request, status int) {
	q := r.URL.Query()
	if r.Method != http.MethodPut || q.Has("partNumber") || q.Has("uploadId") {
		return
	}
	bucket, key, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if !ok || !strings.HasPrefix(key, "auditlog/") {
		return // the verify objects, written by each replica at start
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.answers[bucket+"/"+key] = append(p.answers[bucket+"/"+key], status)
	if r.Header.Get("If-None-Match") != "*" {
		p.unconditional = append(p.unconditional, bucket+"/"+key)
	}
}

type putSummary struct {
	stored, refused int
	storedTwice     []string
	unconditional   []string
}

func (p *putRecorder) summary() putSummary {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := putSummary{unconditional: p.unconditional}
	for key, answers := range p.answers {
		ok := 0
		for _, status := range answers {
			switch status {
			case http.StatusOK:
				ok++
			case http.StatusPreconditionFailed:
				s.refused++
			}
		}
		s.stored += ok
		if ok > 1 {
			s.storedTwice = append(s.storedTwice, key)
		}
	}
	return s
}
