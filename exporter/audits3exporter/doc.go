// Package audits3exporter implements the audits3 exporter: it delivers audit events (logs that
// follow internal/auditevent's contract) into S3, one new object per tenant per batch, in the
// GoodData or the Airkit schema, never replacing an object and never writing a batch twice.
//
// Every event is first appended to a durable local spool, in its tenant's open batch; a batch
// is closed after flush_interval, at max_events or at max_file_bytes, and each tenant's closed
// batches are delivered by a loop of their own, so one tenant's failing bucket never delays
// another. The package owns batching, routing tenants to destinations, naming objects and the
// delivery schedule; internal/spool owns the files on disk, internal/destination the S3 side,
// internal/schema and internal/compression the bytes of an object. It does not know how events
// are received, classified or masked.
package audits3exporter
