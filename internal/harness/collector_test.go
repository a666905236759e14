package harness

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The test binary doubles as a fake collector when fakeCollectorDir is set: it counts its
// starts in that directory, fails the first fakeFailStarts of them printing fakeFailText, and
// after that answers its health check until it is stopped.
const (
	fakeCollectorDir = "HARNESS_FAKE_COLLECTOR_DIR"
	fakeFailStarts   = "HARNESS_FAKE_FAIL_STARTS"
	fakeFailText     = "HARNESS_FAKE_FAIL_TEXT"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(fakeCollectorDir); dir != "" {
		os.Exit(fakeCollector(dir))
	}
	os.Exit(m.Run())
}

func fakeCollector(dir string) int {
	starts, _ := os.ReadDir(dir)
	start := len(starts) + 1
	if err := os.WriteFile(filepath.Join(dir, strconv.Itoa(start)), nil, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if failures, _ := strconv.Atoi(os.Getenv(fakeFailStarts)); start <= failures {
		fmt.Fprintln(os.Stderr, os.Getenv(fakeFailText))
		return 1
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	fmt.Fprintln(os.Stderr, http.ListenAndServe("127.0.0.1:"+os.Getenv("AUDITSHIP_HEALTH_PORT"), handler))
	return 1
}

func TestStartCollectorRetriesOnlyALostPortRace(t *testing.T) {
	const bindError = "listen tcp 127.0.0.1:33861: bind: address already in use"
	for _, tc := range []struct {
		name       string
		failStarts int
		failText   string
		wantStarts int
		wantErr    bool
	}{
		{"ready at once", 0, "", 1, false},
		{"port taken once", 1, bindError, 2, false},
		{"port taken on every try", collectorStartTries, bindError, collectorStartTries, true},
		{"other failure is not retried", 1, "invalid configuration: exporters::audits3: bucket", 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			starts := filepath.Join(dir, "starts")
			require.NoError(t, os.Mkdir(starts, 0o755))
			bin, err := os.Executable()
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			c, err := StartCollector(ctx, bin, "unused.yaml", filepath.Join(dir, "collector.log"), CollectorEnv{
				S3:       &S3Server{},
				StateDir: filepath.Join(dir, "state"),
				Extra: []string{
					fakeCollectorDir + "=" + starts,
					fakeFailStarts + "=" + strconv.Itoa(tc.failStarts),
					fakeFailText + "=" + tc.failText,
				},
			})
			if c != nil {
				defer c.Kill()
			}
			made, readErr := os.ReadDir(starts)
			require.NoError(t, readErr)
			assert.Len(t, made, tc.wantStarts, "starts")
			if tc.wantErr {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "exited before it was ready")
				return
			}
			require.NoError(t, err)
			assert.NoError(t, HTTPAnswers(c.HealthURL, http.StatusOK)(ctx))
		})
	}
}
