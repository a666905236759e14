package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditship/auditship/internal/harness"
)

// The buckets of testdata/leak.yaml: leak-ok and leak-ok2 write to leakBucket; leak-denied's
// writer may not write leakDeniedBucket; leakMissingBucket does not exist.
const (
	leakBucket        = "leak-audit"
	leakDeniedBucket  = "leak-denied"
	leakMissingBucket = "leak-missing"
)

// secretPlanter hands out distinct secrets, each remembered with the probe that planted it and
// the shape it has, so that a secret found anywhere names its way in.
type secretPlanter struct {
	origin map[string]string // secret → probe and shape
	order  []string
}

// plant returns a new secret: LEAKCHECK, a number and random lower-case letters and digits
// (upper and lower case mixed, as the AWS secret access key rule wants), of length n.
func (p *secretPlanter) plant(probe, shape string, n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	prefix := fmt.Sprintf("LEAKCHECK%02d", len(p.order))
	random := make([]byte, n-len(prefix))
	_, _ = rand.Read(random)
	for i := range random {
		random[i] = alphabet[int(random[i])%len(alphabet)]
	}
	secret := prefix + string(random)
	p.origin[secret] = probe + " (" + shape + ")"
	p.order = append(p.order, secret)
	return secret
}

// leakWindow is the length of the pieces of a secret looked for: an output that holds a piece
// of a secret this long (such as an error quoting the bytes around a position) leaks it.
const leakWindow = 16

// leaked returns the secrets of which some piece of leakWindow bytes is in text, compared
// without regard to case (a header's media type comes back in lower case), each with the text
// around its first piece found.
func (p *secretPlanter) leaked(text []byte) map[string]string {
	lower := asciiLower(text)
	found := map[string]string{}
	for _, secret := range p.order {
		s := asciiLower([]byte(secret))
		for i := 0; i+leakWindow <= len(s); i++ {
			if at := bytes.Index(lower, s[i:i+leakWindow]); at >= 0 {
				from, to := max(0, at-60), min(len(text), at+leakWindow+60)
				found[secret] = string(text[from:to])
				break
			}
		}
	}
	return found
}

// asciiLower is b with ASCII letters in lower case and every other byte as it is, so that
// offsets stay those of b, binary as it may be (bytes.ToLower replaces invalid UTF-8).
func asciiLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// leakRun is one run of the collector with everything it produced.
type leakRun struct {
	t       *testing.T
	ctx     context.Context
	col     *harness.Collector
	secrets *secretPlanter
	// outputs maps where a byte came out (an answer, the log, an object, a file) to the bytes.
	outputs map[string][]byte
	// okEvents are the ids of the events that must reach leakBucket.
	okEvents []string
}

// post sends body to url and keeps the answer as an output of probe.
func (r *leakRun) post(probe, url string, header http.Header, body []byte, wantStatus int) {
	r.t.Helper()
	res, err := harness.PostTo(r.ctx, url, header, body)
	require.NoError(r.t, err, probe)
	assert.Equal(r.t, wantStatus, res.Status, "%s: %s", probe, res.Body)
	r.outputs["answer to "+probe] = []byte(fmt.Sprintf("%d %s", res.Status, res.Body))
}

func jsonHeader(contentType string) http.Header {
	return http.Header{"Content-Type": {contentType}}
}

// goodData is a GoodData entry of org with id and details.
func goodData(org, id, name string, details map[string]any) map[string]any {
	return map[string]any{"eventName": name, "ts": "2026-11-22T03:00:00.000Z", "orgId": org,
		"eventId": id, "userId": "u-leak", "details": details}
}

func ndjson(t *testing.T, events ...map[string]any) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, e := range events {
		line, err := json.Marshal(e)
		require.NoError(t, err)
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// otlpJSON is an OTLP/JSON request of one log record with the given string attributes.
func otlpJSON(t *testing.T, name string, attrs map[string]string, body string) []byte {
	t.Helper()
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetEventName(name)
	lr.SetTimestamp(1795314600000000000)
	for k, v := range attrs {
		lr.Attributes().PutStr(k, v)
	}
	lr.Body().SetStr(body)
	out, err := (&plog.JSONMarshaler{}).MarshalLogs(ld)
	require.NoError(t, err)
	return out
}

// TestNoSecretLeaves plants distinct secrets, in the shapes the mask processor documents, into
// events sent along every path an event can take through the collector (accepted and written,
// refused by the receiver for bad JSON, limits or a bad org id, held for an unsafe org id or an
// org without a route, routed to a bucket that is denied or missing, a corrupt compressed body,
// OTLP/HTTP), with the collector logging at debug level. No piece of any secret may then come
// out anywhere: the receivers' answers, the collector's log, its metrics, the S3 objects, or
// the files of its spool and persistent queue (which hold events after mask).
func TestNoSecretLeaves(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	secrets := &secretPlanter{origin: map[string]string{}}

	root, collectorBin, s3 := setUp(ctx, t, dir)
	require.NoError(t, s3.CreateBucket(ctx, leakBucket))
	require.NoError(t, s3.CreateBucket(ctx, leakDeniedBucket))
	// A writer whose secret key is planted too: it may appear in no log line or error.
	writerSecret := secrets.plant("config", "S3 secret access key of the denied route", 40)
	require.NoError(t, s3.CreateUser(ctx, "leakwriter", writerSecret))

	stateDir := filepath.Join(dir, "state")
	col, err := harness.StartCollector(ctx, collectorBin, filepath.Join(root, "internal", "e2e", "testdata", "leak.yaml"),
		filepath.Join(dir, "collector.log"), harness.CollectorEnv{
			S3: s3, Bucket: leakBucket, StateDir: stateDir,
			Extra: []string{
				"LEAK_DENIED_BUCKET=" + leakDeniedBucket, "LEAK_MISSING_BUCKET=" + leakMissingBucket,
				"LEAK_WRITER_ACCESS_KEY=leakwriter", "LEAK_WRITER_SECRET_KEY=" + writerSecret,
			},
		})
	require.NoError(t, err)
	collectorStopped := false
	defer func() {
		if !collectorStopped {
			_ = col.Stop(10 * time.Second)
		}
	}()

	r := &leakRun{t: t, ctx: ctx, col: col, secrets: secrets, outputs: map[string][]byte{}}
	sendAcceptedEvents(r)
	sendRefusedRequests(r)
	sendOTLP(r)

	// Everything accepted for leak-ok and leak-ok2 reaches S3; the denied and missing routes have
	// failed (and logged it) by then, their retry interval being 1s.
	objects := waitForEvents(ctx, t, s3, r.okEvents)
	for _, o := range objects {
		// The key too: it names the org.
		r.outputs["s3://"+leakBucket+"/"+o.Key] = append([]byte(o.Key+"\n"), gunzipAll(o.Body)...)
	}
	require.NoError(t, waitForLog(ctx, col.LogPath, "AccessDenied", "NoSuchBucket"))
	metrics, err := http.Get(col.MetricsURL)
	require.NoError(t, err)
	r.outputs["metrics"], err = io.ReadAll(metrics.Body)
	metrics.Body.Close()
	require.NoError(t, err)

	collectorStopped = true
	require.NoError(t, col.Stop(30*time.Second), "graceful shutdown")
	logText, err := os.ReadFile(col.LogPath)
	require.NoError(t, err)
	r.outputs["collector log"] = logText
	deniedKeys, err := s3.Keys(ctx, leakDeniedBucket, "")
	require.NoError(t, err)
	assert.Empty(t, deniedKeys, "objects in the bucket leak-denied may not write")
	// The spool and the persistent queue hold events after mask: no secret there either. Their
	// files hold gzip members (closed batches), decompressed where found.
	require.NoError(t, filepath.WalkDir(stateDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		// The path too: the spool names a directory after each org.
		name := strings.TrimPrefix(path, stateDir)
		r.outputs[spoolFile+name] = slices.Concat([]byte(name+"\n"), data, gunzipAll(data))
		return nil
	}))

	assertPathsTaken(t, r)
	assertNoLeak(t, r)
	t.Logf("%d secrets planted, %d outputs checked (%d S3 objects)", len(secrets.order), len(r.outputs), len(objects))
}

// spoolFile names the outputs that are files of the spool or the persistent queue.
const spoolFile = "file "

// heldEvents are the events sent to orgs whose events stay in the spool: a route that fails, no
// route, an org id that cannot name an object.
var heldEvents = []string{"held-secret-org", "held-leak-denied", "held-leak-missing", "held-leak-unrouted", "held-otlp-../x", "held-otlp-a/b"}

// assertPathsTaken checks that the events went where the test means them to: else a path
// without leaks might only be a path not taken.
func assertPathsTaken(t *testing.T, r *leakRun) {
	t.Helper()
	log := r.outputs["collector log"]
	for _, want := range []string{
		"masked credential values",       // mask's debug log
		"Verify failed; starting anyway", // verify of the denied and missing routes
		"AccessDenied", "NoSuchBucket",   // their uploads
		"Holding audit events whose org id",       // unsafe org ids
		`"tenant": "leak-unrouted"`,               // an org without a route
		"Could not read a request body",           // the corrupt gzip body
		"Refused a request with invalid events",   // the receiver's refusals
		"Shutting down with batches still in the", // held batches at shutdown
		"Replaced the body of an error answer",    // errorscrub, on the otlp receiver's refusals
	} {
		assert.True(t, bytes.Contains(log, []byte(want)), "the collector log lacks %q", want)
	}
	var spooled []byte
	for where, text := range r.outputs {
		if strings.HasPrefix(where, spoolFile) {
			spooled = append(spooled, text...)
		}
	}
	for _, id := range heldEvents {
		assert.True(t, bytes.Contains(spooled, []byte(`"`+id+`"`)), "held event %s not in the spool", id)
	}
	assert.True(t, bytes.Contains(spooled, []byte("[MASKED]")), "the spool holds no masked event")
}

// assertNoLeak fails for every secret that came out anywhere.
func assertNoLeak(t *testing.T, r *leakRun) {
	t.Helper()
	var leaks []string
	for where, text := range r.outputs {
		for secret, context := range r.secrets.leaked(text) {
			leaks = append(leaks, fmt.Sprintf("%s, planted by %s, came out in %s: ...%s...", secret, r.secrets.origin[secret], where, context))
		}
	}
	sort.Strings(leaks)
	for _, leak := range leaks {
		t.Error("leak: " + leak)
	}
}

// sendAcceptedEvents posts valid events of every shape, each holding secrets, to leak-ok, to
// leak-ok2, to the denied and the missing route, and to an org without a route (held).
func sendAcceptedEvents(r *leakRun) {
	t, s := r.t, r.secrets
	var events []map[string]any
	add := func(e map[string]any, id string, reachesS3 bool) {
		events = append(events, e)
		if reachesS3 {
			r.okEvents = append(r.okEvents, id)
		}
	}
	const shapes = "GoodData details"
	add(goodData("leak-ok", "leak-gd-1", "DATASOURCE_CREATE", map[string]any{
		"password":     s.plant("gooddata", "password key", 28),
		"clientSecret": s.plant("gooddata", "clientSecret key", 28),
		"headers":      map[string]any{"Authorization": "Bearer " + s.plant("gooddata", "Authorization header value", 28)},
		"request":      `{"user":"svc","password":"` + s.plant("gooddata", "password in a JSON-encoded string", 28) + `"}`,
		"note":         "called with Authorization: Bearer " + s.plant("gooddata", "bearer in text", 28),
		"dsn":          "postgres://svc:" + s.plant("gooddata", "connection string password", 28) + "@db:5432/app",
		"callback":     "https://hook:" + s.plant("gooddata", "URL password", 28) + "@example.com/cb?x=1",
		"redirect":     "https://example.com/cb?access_token=" + s.plant("gooddata", "access_token in a query string", 28) + "&state=1",
		"env":          "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY " + s.plant("gooddata", "AWS secret access key beside its id", 40),
		"parameters":   []any{map[string]any{"name": "token", "value": s.plant("gooddata", "name/value pair", 28)}},
		"session":      "eyJhbGciOiJIUzI1NiJ9.eyJ" + s.plant("gooddata", "JWT payload", 28) + ".c2lnbmF0dXJlLXNpZ25hdHVyZQ",
		"tlsKey":       "-----BEGIN PRIVATE KEY-----\n" + s.plant("gooddata", "PEM private key body", 40) + "\n-----END PRIVATE KEY-----",
		// A key holding a secret, with a credential beneath it: the debug log names the paths of
		// masked values, and must not name this key as it came.
		"ghp_" + s.plant("gooddata", "GitHub token as a key", 36): map[string]any{"password": "hunter2-" + s.plant("gooddata", "password under a secret key", 24)},
	}), "leak-gd-1", true)
	// An unknown event name holding a secret: the ocsf processor logs unknown names once.
	add(goodData("leak-ok", "leak-gd-2", "EXPORT ghp_"+s.plant("gooddata", "GitHub token in the event name", 36), map[string]any{"x": 1}), "leak-gd-2", true)
	add(map[string]any{"EVENT_TYPE": "new_api_key", "EVENT_TIME": "2026-11-22 02:30:00.123", "ORGANIZATION_ID": "leak-ok",
		"EVENT_ID": "leak-ak-1", "USER_ID": "u-leak", "api_key": s.plant("airkit row", "api_key key", 28),
		"webhook": "https://hooks.slack.com/services/" + s.plant("airkit row", "Slack webhook path", 28)}, "leak-ak-1", true)
	add(map[string]any{"organizationId": "leak-ok2", "type": "user_login", "eventTime": "2026-11-22T02:30:00Z",
		"eventId": "leak-akc-1", "userId": "u-leak", "secret": s.plant("airkit camelCase", "secret key", 28)}, "leak-akc-1", true)
	// An org id that is a token: valid as an org id, so the receiver takes it, but mask masks it
	// like any attribute, and the exporter then holds the event for an unsafe org id.
	add(goodData("ghp_"+s.plant("secret org", "GitHub token as the org id", 36), "held-secret-org", "USER_LOGIN", map[string]any{"x": 1}), "", false)
	for _, org := range []string{"leak-denied", "leak-missing", "leak-unrouted"} {
		add(goodData(org, "held-"+org, "USER_LOGIN", map[string]any{
			"password": s.plant(org, shapes+" password", 28),
			"dsn":      "mysql://svc:" + s.plant(org, "connection string password", 28) + "@db/app",
		}), "", false)
	}
	r.post("valid events of every shape", r.col.AuditURL, jsonHeader("application/x-ndjson"), ndjson(t, events...), http.StatusOK)

	// The same as a JSON array, gzip-compressed, with a secret in the request's own
	// Authorization header and in its URL's query string.
	header := jsonHeader("application/json")
	header.Set("Content-Encoding", "gzip")
	header.Set("Authorization", "Bearer "+s.plant("request", "Authorization header of the request", 28))
	arr, err := json.Marshal([]any{goodData("leak-ok2", "leak-gz-1", "USER_LOGIN", map[string]any{
		"password": s.plant("gzip array", "password key", 28)})})
	require.NoError(t, err)
	r.okEvents = append(r.okEvents, "leak-gz-1")
	r.post("a gzip array with secrets in headers and URL", r.col.AuditURL+"?access_token="+s.plant("request", "query string of the URL", 28),
		header, gzipBytes(t, arr), http.StatusOK)
}

// sendRefusedRequests posts requests the receiver must refuse, each with secrets near where
// it fails.
func sendRefusedRequests(r *leakRun) {
	t, s := r.t, r.secrets
	valid := func(probe string) string {
		line, err := json.Marshal(goodData("leak-ok", "leak-never", "USER_LOGIN", map[string]any{"password": s.plant(probe, "password key", 28)}))
		require.NoError(t, err)
		return string(line)
	}
	ndjsonType := jsonHeader("application/x-ndjson")
	secretKey := "ghp_" + s.plant("duplicate key", "GitHub token as a key", 36)
	for _, c := range []struct {
		probe  string
		header http.Header
		body   string
		status int
	}{
		{"malformed JSON: a bare secret where a value starts", ndjsonType,
			valid("bad json 1") + "\n" + `{"eventName":"X","password":` + s.plant("bad json 1", "unquoted value", 28) + `}`, 400},
		{"malformed JSON: garbage right after a secret", ndjsonType,
			`{"eventName":"X","token":"` + s.plant("bad json 2", "token key", 28) + `" x}`, 400},
		{"malformed JSON: a bad escape inside a secret", jsonHeader("application/json"),
			`[{"eventName":"X","password":"` + s.plant("bad json 3", "password key", 28) + `\q"}]`, 400},
		{"malformed JSON: cut short inside a secret", ndjsonType,
			`{"eventName":"X","secret":"` + s.plant("bad json 4", "secret key", 28), 400},
		{"malformed JSON: a bad literal after a secret", ndjsonType,
			`{"password":"` + s.plant("bad json 5", "password key", 28) + `","ok":tru}`, 400},
		{"invalid event: unsafe org id holding a secret", ndjsonType,
			`{"eventName":"USER_LOGIN","ts":"2026-11-22T03:00:00.000Z","orgId":"../` + s.plant("bad org", "org id", 28) +
				`","details":{"password":"` + s.plant("bad org", "password key", 28) + `"}}`, 400},
		{"invalid event: org id with a slash", ndjsonType,
			`{"eventName":"USER_LOGIN","ts":"2026-11-22T03:00:00.000Z","orgId":"a/b","details":{"password":"` + s.plant("slash org", "password key", 28) + `"}}`, 400},
		{"invalid event: a time holding a secret", ndjsonType,
			`{"eventName":"USER_LOGIN","ts":"` + s.plant("bad time", "time", 28) + `","orgId":"leak-ok"}`, 400},
		{"invalid event: a secret-shaped key both in the entry and in details", ndjsonType,
			`{"eventName":"USER_LOGIN","ts":"2026-11-22T03:00:00.000Z","orgId":"leak-ok","` + secretKey +
				`":1,"details":{"` + secretKey + `":2}}`, 400},
		{"event over max_event_bytes", ndjsonType,
			`{"eventName":"USER_LOGIN","ts":"2026-11-22T03:00:00.000Z","orgId":"leak-ok","details":{"password":"` +
				s.plant("too large", "password key", 28) + `","pad":"` + strings.Repeat("p", 17000) + `"}}`, 400},
		{"an object with too many keys", ndjsonType,
			`{"eventName":"USER_LOGIN","ts":"2026-11-22T03:00:00.000Z","orgId":"leak-ok","details":{"password":"` +
				s.plant("too many keys", "password key", 28) + `"` + manyKeys(1001) + `}}`, 400},
		{"invalid event: of no known shape", ndjsonType,
			`{"action":"login","tenant":"leak-ok","password":"` + s.plant("no shape", "password key", 28) + `"}`, 400},
		{"invalid event: a field of the wrong type holding a secret", ndjsonType,
			`{"eventName":"USER_LOGIN","ts":"2026-11-22T03:00:00.000Z","orgId":"leak-ok","userId":{"password":"` + s.plant("wrong type", "password key", 28) + `"}}`, 400},
		{"invalid event: an Airkit date that disagrees with its time", ndjsonType,
			`{"EVENT_TYPE":"user_login","EVENT_TIME":"2026-11-22 02:30:00.123","ORGANIZATION_ID":"leak-ok","EVENT_DATE":"` + s.plant("airkit date", "date", 28) + `"}`, 400},
		{"too many events", ndjsonType, strings.Repeat(valid("too many events")+"\n", 21), 400},
		{"body over max_request_body_size", ndjsonType, strings.Repeat(valid("too large body")+"\n", 3000), 413},
		{"a Content-Type holding a secret", jsonHeader("application/" + s.plant("content type", "media type", 28)), valid("content type"), 415},
	} {
		r.post(c.probe, r.col.AuditURL, c.header, []byte(c.body), c.status)
	}

	// A gzip body whose stream breaks after a secret.
	compressed := gzipBytes(t, []byte(valid("corrupt gzip")+"\n"+strings.Repeat(valid("corrupt gzip")+"\n", 20)))
	corrupt := append(bytes.Clone(compressed[:len(compressed)*2/3]), bytes.Repeat([]byte{0xff}, 64)...)
	header := jsonHeader("application/x-ndjson")
	header.Set("Content-Encoding", "gzip")
	r.post("a gzip body corrupt after a secret", r.col.AuditURL, header, corrupt, 400)
	header = jsonHeader("application/x-ndjson")
	header.Set("Content-Encoding", s.plant("content encoding", "encoding", 28))
	r.post("a Content-Encoding holding a secret", r.col.AuditURL, header, []byte(valid("content encoding")), 400)
}

// sendOTLP posts OTLP/HTTP requests: valid records (one to leak-ok2, two with unsafe org ids
// that the exporter holds), a protobuf one, and broken JSON and protobuf after a secret.
func sendOTLP(r *leakRun) {
	t, s := r.t, r.secrets
	jsonType := jsonHeader("application/json")
	protoType := jsonHeader("application/x-protobuf")
	r.okEvents = append(r.okEvents, "leak-otlp-1")
	r.post("OTLP/JSON, valid", r.col.OTLPURL, jsonType, otlpJSON(t, "USER_LOGIN", map[string]string{
		"audit.org.id": "leak-ok2", "audit.event.id": "leak-otlp-1", "db.password": s.plant("otlp json", "password attribute", 28),
	}, "connected to postgres://svc:"+s.plant("otlp json", "connection string in the body", 28)+"@db/app"), http.StatusOK)
	for _, org := range []string{"../x", "a/b"} {
		r.post("OTLP/JSON, unsafe org id "+org, r.col.OTLPURL, jsonType, otlpJSON(t, "USER_LOGIN", map[string]string{
			"audit.org.id": org, "audit.event.id": "held-otlp-" + org, "client_secret": s.plant("otlp unsafe org "+org, "client_secret attribute", 28),
		}, "token="+s.plant("otlp unsafe org "+org, "token assignment in the body", 28)), http.StatusOK)
	}

	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetEventName("USER_LOGIN")
	lr.Attributes().PutStr("audit.org.id", "leak-ok2")
	lr.Attributes().PutStr("audit.event.id", "leak-otlp-2")
	lr.Attributes().PutStr("api_key", s.plant("otlp protobuf", "api_key attribute", 28))
	proto, err := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
	require.NoError(t, err)
	r.okEvents = append(r.okEvents, "leak-otlp-2")
	r.post("OTLP/protobuf, valid", r.col.OTLPURL, protoType, proto, http.StatusOK)
	r.post("OTLP/protobuf cut short after a secret", r.col.OTLPURL, protoType, proto[:len(proto)-3], http.StatusBadRequest)

	bad := otlpJSON(t, "USER_LOGIN", map[string]string{"password": s.plant("otlp bad json", "password attribute", 28)}, "")
	cut := bytes.Index(bad, []byte(s.order[len(s.order)-1])) + 28 + 1 // just after the secret's closing quote
	r.post("OTLP/JSON broken after a secret", r.col.OTLPURL, jsonType, append(bytes.Clone(bad[:cut]), " x}"...), http.StatusBadRequest)
}

// manyKeys is n members `,"kN":0`.
func manyKeys(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `,"k%d":0`, i)
	}
	return b.String()
}

func gzipBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, err := zw.Write(data)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return b.Bytes()
}

// gunzipAll returns what the gzip members found anywhere in data decompress to (as far as each
// can be read): a closed batch in the spool, or an S3 object, is one.
func gunzipAll(data []byte) []byte {
	var out bytes.Buffer
	magic := []byte{0x1f, 0x8b, 0x08}
	for off := 0; ; off++ {
		i := bytes.Index(data[off:], magic)
		if i < 0 {
			return out.Bytes()
		}
		off += i
		zr, err := gzip.NewReader(bytes.NewReader(data[off:]))
		if err != nil {
			continue
		}
		zr.Multistream(false)
		_, _ = io.Copy(&out, zr)
	}
}

// waitForEvents waits until every id in want is in leakBucket and returns its objects.
func waitForEvents(ctx context.Context, t *testing.T, s3 *harness.S3Server, want []string) []harness.Object {
	t.Helper()
	for {
		objects, err := s3.Objects(ctx, leakBucket, "")
		require.NoError(t, err)
		var all []byte
		for _, o := range objects {
			all = append(all, gunzipAll(o.Body)...)
		}
		missing := 0
		for _, id := range want {
			if !bytes.Contains(all, []byte(`"`+id+`"`)) {
				missing++
			}
		}
		if missing == 0 {
			return objects
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d of %d events missing from s3://%s", missing, len(want), leakBucket)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// waitForLog waits until the log at path holds every one of texts.
func waitForLog(ctx context.Context, path string, texts ...string) error {
	for {
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		missing := ""
		for _, text := range texts {
			if !bytes.Contains(data, []byte(text)) {
				missing = text
			}
		}
		if missing == "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%q not in %s: %w", missing, path, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
