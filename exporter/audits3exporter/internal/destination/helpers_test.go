package destination

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// newPool is a pool closed when the test ends (before the servers it talks to stop).
func newPool(t *testing.T) *Pool {
	p := NewPool(nil)
	t.Cleanup(p.Close)
	return p
}

// destOn builds a destination for cfg from a fresh pool.
func destOn(t *testing.T, cfg Config) *Destination {
	t.Helper()
	d, err := newPool(t).Get(context.Background(), "org-1", cfg)
	require.NoError(t, err)
	return d
}

// keys names objects k0.json, k1.json, ... and stops after n names.
func keys(n int) func(int) string {
	return func(attempt int) string {
		if attempt >= n {
			return ""
		}
		return "auditlog/default/org-1/k" + strconv.Itoa(attempt) + ".json"
	}
}

func keyN(attempt int) string { return keys(10)(attempt) }

// showMD5ETags writes a small object of its own through d, which shows d that its bucket's
// ETags are MD5s of the content, as any first successful write in a process does.
func showMD5ETags(t *testing.T, d *Destination) {
	t.Helper()
	_, err := d.PutNew(context.Background(), func(attempt int) string {
		return "auditlog/default/org-1/shown-md5-" + strconv.Itoa(attempt) + ".json"
	}, []byte("an earlier batch\n"), "")
	require.NoError(t, err)
}
