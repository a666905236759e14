// Package spool is the exporter's durable staging area on local disk. Records are appended to
// one open batch per partition (a tenant); when the exporter closes a batch it is sealed into
// one file holding the finished object body, which stays on disk until it has been delivered.
// Every step is written so that a kill -9 at any moment loses no appended record and never
// turns one batch into two, and a power loss loses no record whose Append returned:
//
//   - Append adds length-framed records to the open batches of the partitions it touches,
//     and an entry of each partition's frames (partition, batch, offset, bytes; with a CRC-32C)
//     to one write-ahead log (WAL), and returns once the WAL is synced: one sync per call, or
//     fewer, however many partitions it writes to. Appends in flight together share WAL syncs
//     (group commit): a frame counts, and its Append returns, once a sync that began after its
//     entry was buffered has succeeded; a partition's entries are in the order of its frames,
//     so that sync covers every earlier frame of it too. When a WAL write or sync fails, the
//     WAL is cut back to what was synced, every Append whose entry was not synced fails (its
//     records may be sent again), and their batch files are cut back to their synced frames,
//     durably (the cut is synced), so that the failed records cannot come back.
//   - A batch's frames reach its file through a write buffer of 128 KiB (see batchbuf.go), in
//     writes of up to that size rather than one per call: until then the WAL is their only
//     durable copy, and the file holds a prefix of the batch, the buffer the rest. A buffer is
//     written out when the next frames do not fit, and at checkpoints; Seal reads the file,
//     then the buffer. The buffers of all partitions take at most 4 MiB together (32 of
//     them); a batch that finds none free, and a call that brings more than a buffer holds,
//     writes to the file at once. A write to a batch file that fails (full disk, say) is cut
//     off the file, durably, and fails only the call that made it, before its entry is
//     written: frames already buffered, of calls acknowledged or waiting for a sync, stay in
//     the buffer, and a failed WAL sync cuts them off there as it does in the file.
//   - Batch files are synced only at checkpoints: when the WAL passes 64 MiB, and at Close.
//     With no Append in flight (appends wait meanwhile, and so does the checkpoint for a Seal
//     in progress), a checkpoint writes out every buffer, syncs every batch file written
//     since the last one, then empties the WAL; if a buffer cannot be written, the WAL and
//     the buffer are kept, for a later checkpoint to try again. After a kill -9 a batch file
//     lacks what was only in its buffer; after a power loss it may lack anything written
//     since its last checkpoint, or hold zeros there; Open writes the frames of every whole
//     WAL entry back in place, syncs them, and empties the WAL. It stops at the first torn or
//     corrupt entry: a torn one is the tail of a write no Append was acknowledged for; a
//     corrupt one before the tail is damage to the disk, and what follows it is not written
//     back (Open cannot tell the two apart; Spool.Recovered counts the bytes it dropped). An
//     entry whose batch file is gone belongs to a batch sealed since, and is skipped: a batch
//     file's name is synced before any entry of it is written. Then a torn frame at the tail
//     of an open batch (a crash mid-write, before Append returned) is cut off. The WAL takes
//     up to about 64 MiB more than Options.MaxBytes counts. While a buffer cannot be
//     written out (its file refuses writes), checkpoints keep the WAL and are tried again at
//     every further 64 MiB of it; at 256 MiB, appends are refused (ErrFull, naming the
//     write that fails) until one succeeds or the partition's Seal takes the buffer. The
//     spool's directories are synced at Open, and a partition's when it is made, so that a
//     batch file is not lost with its directory.
//   - A failed sync of a batch file or of the emptied WAL, or a failed cut or removal, stops
//     the spool (ErrDiskFailed): after a failed fsync the file system may report the next one
//     of the same file as a success for pages that never reached the disk, so nothing it
//     holds in the page cache can be trusted. Appends and seals are refused from then on
//     (backpressure, nothing dropped), the WAL is kept as it is, and the next Open replays
//     it. A failed WAL sync only fails the calls waiting for it (the WAL is cut back to what
//     was synced, and the cut synced: if that sync fails too, the spool stops), and a
//     directory that cannot be opened to be synced (out of file descriptors, say) only fails
//     the call that needed it: what it made is taken back, or, for the removal of a sealed
//     open batch, synced before the sealed file is removed on delivery.
//   - Seal first waits until the batch's frames are synced in the WAL (or cut off), then writes
//     the sealed file to a temporary name, syncs it, renames it into place, and only then
//     removes the open batch, and syncs its directory, so that the removal is durable before
//     the sealed batch can be delivered (were it lost, replay would fill the batch file again);
//     recovery removes an open batch whose sealed file exists.
//   - A record whose id is already in the partition's open batch, or in the batch it sealed
//     last, is skipped, so that data redelivered after a crash (a persistent queue, a client
//     retry) does not appear twice; after a restart, so is one whose id is in a batch found on
//     disk, for two minutes (see recent.go). A call that skips a record waits until the record
//     it duplicates is durable.
//
// With Options.NoSync there is no WAL and nothing is synced, and no buffer either: every call
// writes its frames to the batch files at once, where a kill -9 cannot take them. A WAL left
// by an earlier run is still replayed at Open.
//
// Ids are kept in memory as 128-bit hashes, in tables without pointers (see idset.go): a
// growing one for the open batch, a compact read-only one for a sealed batch.
//
// It knows nothing of S3, schemas or pdata: records are opaque bytes with an id and a time.
package spool
