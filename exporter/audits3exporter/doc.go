// Package audits3exporter implements the audits3 exporter: it writes audit events (logs that
// follow internal/auditevent's contract) to S3 as one new GoodData NDJSON object per tenant
// per batch, under <prefix>/<orgId>/<YYYYMMDDhhmmss>.json[.gz], never replacing an object and
// never writing the same batch twice.
//
// Queueing, batching (flush_interval, max_events), retries and timeouts are exporterhelper's;
// this package owns the object layout, the encoding and the conditional write. It does not
// know how events are received, classified or masked.
package audits3exporter
