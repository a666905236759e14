// Package compression compresses the body of an audit-log object: none, gzip or zstd.
//
// The same input always gives the same bytes (gzip writes no name and no modification time),
// because the exporter recognises a re-sent object by comparing its MD5 with the ETag S3
// stored. The compressed stream is the object itself: its Content-Type is application/gzip or
// application/zstd and no Content-Encoding is ever set, so that a client downloading the object
// gets exactly the stored bytes, never a transparently decompressed copy.
//
// It knows nothing of schemas, records or S3.
package compression
