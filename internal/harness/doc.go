// Package harness starts and stops the real processes that the demo (`make run`) and the
// end-to-end tests drive: a versitygw S3 server and the otelcol-audit collector, both on
// loopback. It knows nothing of testing.T, so the demo program can use it as well.
package harness
