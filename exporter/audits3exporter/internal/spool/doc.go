// Package spool is the exporter's durable staging area on local disk. Records are appended to
// one open batch per partition (a tenant); when the exporter closes a batch it is sealed into
// one file holding the finished object body, which stays on disk until it has been delivered.
// Every step is written so that a kill -9 at any moment loses no appended record and never
// turns one batch into two:
//
//   - Append writes length-framed records and syncs them before returning; a torn frame at the
//     tail of an open batch (a crash mid-write, before Append returned) is cut off on recovery.
//     Appends in flight together share syncs (group commit): a frame counts, and its Append
//     returns, once a sync that began after it was written has succeeded. When a sync fails,
//     the file is cut back to the frames synced before it, and every Append whose frames were
//     cut fails; its records may be sent again.
//   - Seal writes the sealed file to a temporary name, syncs it, renames it into place, and only
//     then removes the open batch; recovery removes an open batch whose sealed file exists.
//   - A record whose id is already in the partition's open batch, or in the batch it sealed
//     last, is skipped, so that data redelivered after a crash (a persistent queue, a client
//     retry) does not appear twice; after a restart, so is one whose id is in a batch found on
//     disk, for two minutes (see recent.go). A call that skips a record waits until the record
//     it duplicates is durable.
//
// Ids are kept in memory as 128-bit hashes, in tables without pointers (see idset.go): a
// growing one for the open batch, a compact read-only one for a sealed batch.
//
// It knows nothing of S3, schemas or pdata: records are opaque bytes with an id and a time.
package spool
