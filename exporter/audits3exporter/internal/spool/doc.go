// Package spool is the exporter's durable staging area on local disk. Records are appended to
// one open batch per partition (a tenant); when the exporter closes a batch it is sealed into
// one file holding the finished object body, which stays on disk until it has been delivered.
// Every step is written so that a kill -9 at any moment loses no appended record and never
// turns one batch into two:
//
//   - Append writes length-framed records and syncs them before returning; a torn frame at the
//     tail of an open batch (a crash mid-write, before Append returned) is cut off on recovery.
//   - Seal writes the sealed file to a temporary name, syncs it, renames it into place, and only
//     then removes the open batch; recovery removes an open batch whose sealed file exists.
//   - A record whose id is already in the partition's open batch, or in one of its batches
//     sealed in the last two minutes (at most eight; after a restart, the newest sealed
//     batches still waiting in the spool), is skipped, so that data redelivered after a crash
//     (a persistent queue, a client retry) does not appear twice.
//
// It knows nothing of S3, schemas or pdata: records are opaque bytes with an id and a time.
package spool
