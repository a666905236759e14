package auditlogreceiver

import (
	"testing"

	"go.uber.org/goleak"
)

// The receiver runs a server goroutine per Start; every test must leave none behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
