package harness

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Collector is a running otelcol-audit. Configs reach their ports and paths through the
// environment variables that StartCollector sets (see CollectorEnv).
type Collector struct {
	*Process
	AuditURL  string
	HealthURL string
	OTLPURL   string
	// MetricsURL serves the collector's own metrics when the config exports them in
	// Prometheus format on AUDITSHIP_METRICS_PORT.
	MetricsURL string
	// PprofURL serves Go profiles when the config enables the pprof extension.
	PprofURL string
}

// CollectorEnv holds what a collector config needs from its surroundings; StartCollector
// exports it as AUDITSHIP_* environment variables.
type CollectorEnv struct {
	S3 *S3Server
	// S3Endpoint, when set, is the endpoint the collector writes to instead of S3's own: a
	// fault proxy in front of it, say.
	S3Endpoint string
	Bucket     string
	StateDir   string
	// Extra variables, NAME=value.
	Extra []string
}

func (env CollectorEnv) s3Endpoint() string {
	if env.S3Endpoint != "" {
		return env.S3Endpoint
	}
	return env.S3.Endpoint
}

// collectorStartTries bounds the starts StartCollector makes when a port it picked was taken
// before the collector bound it.
const collectorStartTries = 3

// StartCollector starts bin with configPath, free loopback ports for the auditlog receiver,
// OTLP/HTTP, health check, metrics and pprof, and waits until its health check answers.
// Between picking a free port and the collector binding it another process may take it: a
// collector that exits saying so is started again on new ports.
func StartCollector(ctx context.Context, bin, configPath, logPath string, env CollectorEnv) (*Collector, error) {
	if err := os.MkdirAll(env.StateDir, 0o755); err != nil {
		return nil, fmt.Errorf("collector state dir: %w", err)
	}
	for try := 1; ; try++ {
		c, err := startCollector(ctx, bin, configPath, logPath, env)
		if err == nil || try == collectorStartTries || ctx.Err() != nil || !lostPortRace(logPath) {
			return c, err
		}
	}
}

func startCollector(ctx context.Context, bin, configPath, logPath string, env CollectorEnv) (*Collector, error) {
	ports := make([]int, 5)
	for i := range ports {
		p, err := FreePort()
		if err != nil {
			return nil, err
		}
		ports[i] = p
	}
	vars := append([]string{
		"AUDITSHIP_HTTP_PORT=" + strconv.Itoa(ports[0]),
		"AUDITSHIP_OTLP_PORT=" + strconv.Itoa(ports[1]),
		"AUDITSHIP_HEALTH_PORT=" + strconv.Itoa(ports[2]),
		"AUDITSHIP_METRICS_PORT=" + strconv.Itoa(ports[3]),
		"AUDITSHIP_PPROF_PORT=" + strconv.Itoa(ports[4]),
		"AUDITSHIP_STATE_DIR=" + env.StateDir,
		"AUDITSHIP_BUCKET=" + env.Bucket,
		"AUDITSHIP_S3_ENDPOINT=" + env.s3Endpoint(),
		"AUDITSHIP_S3_ACCESS_KEY=" + env.S3.AccessKey,
		"AUDITSHIP_S3_SECRET_KEY=" + env.S3.SecretKey,
	}, env.Extra...)
	p, err := StartProcess("otelcol-audit", logPath, bin, []string{"--config", configPath}, vars)
	if err != nil {
		return nil, err
	}
	c := &Collector{
		Process:    p,
		AuditURL:   "http://127.0.0.1:" + strconv.Itoa(ports[0]) + "/v1/audit",
		OTLPURL:    "http://127.0.0.1:" + strconv.Itoa(ports[1]) + "/v1/logs",
		HealthURL:  "http://127.0.0.1:" + strconv.Itoa(ports[2]) + "/",
		MetricsURL: "http://127.0.0.1:" + strconv.Itoa(ports[3]) + "/metrics",
		PprofURL:   "http://127.0.0.1:" + strconv.Itoa(ports[4]) + "/debug/pprof",
	}
	readyCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := p.WaitReady(readyCtx, HTTPAnswers(c.HealthURL, http.StatusOK)); err != nil {
		p.Kill()
		return nil, err
	}
	return c, nil
}

// lostPortRace tells whether the collector that wrote logPath could not bind a port.
func lostPortRace(logPath string) bool {
	text, err := os.ReadFile(logPath)
	return err == nil && bytes.Contains(text, []byte("address already in use"))
}

// PostResult is the receiver's answer to one request.
type PostResult struct {
	Status   int
	Body     string
	Accepted int
	// RetryAfter is the wait a 503 asks for (its Retry-After header, in whole seconds); zero
	// when the answer gives none.
	RetryAfter time.Duration
}

// PostFile posts a sample file to the auditlog receiver: .ndjson as application/x-ndjson,
// anything else as application/json.
func (c *Collector) PostFile(ctx context.Context, path string) (PostResult, error) {
	body, err := os.ReadFile(path)
	if err != nil {
		return PostResult{}, fmt.Errorf("read sample: %w", err)
	}
	contentType := "application/json"
	if filepath.Ext(path) == ".ndjson" {
		contentType = "application/x-ndjson"
	}
	return c.Post(ctx, contentType, body)
}

// Post sends body to the auditlog receiver.
func (c *Collector) Post(ctx context.Context, contentType string, body []byte) (PostResult, error) {
	return PostTo(ctx, c.AuditURL, http.Header{"Content-Type": {contentType}}, body)
}

// PostTo sends body to url with the given headers: for requests Post cannot make, such as
// OTLP/HTTP, compressed bodies or unusual headers.
func PostTo(ctx context.Context, url string, header http.Header, body []byte) (PostResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return PostResult{}, err
	}
	for name, values := range header {
		req.Header[name] = values
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return PostResult{}, fmt.Errorf("post to %s: %w", url, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	res := PostResult{Status: resp.StatusCode, Body: strings.TrimSpace(string(answer))}
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
		res.RetryAfter = time.Duration(secs) * time.Second
	}
	var parsed struct {
		Accepted int `json:"accepted"`
	}
	if json.Unmarshal(answer, &parsed) == nil {
		res.Accepted = parsed.Accepted
	}
	return res, nil
}

// Lines returns the NDJSON lines of an object's body, decompressing .gz objects.
func (o Object) Lines() ([]string, error) {
	body := o.Body
	if strings.HasSuffix(o.Key, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("gunzip %s: %w", o.Key, err)
		}
		if body, err = readAllClose(zr); err != nil {
			return nil, fmt.Errorf("gunzip %s: %w", o.Key, err)
		}
	}
	var lines []string
	for _, l := range strings.Split(string(body), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return lines, nil
}

func readAllClose(r io.ReadCloser) ([]byte, error) {
	defer r.Close()
	return io.ReadAll(r)
}
