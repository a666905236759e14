// Package schema turns audit records into the files customers receive: one Encoder per output
// schema and format (GoodData entries as NDJSON or a JSON array; Airkit rows as NDJSON or CSV;
// OCSF 1.3.0 events as NDJSON).
//
// An Encoder writes one record at a time and, separately, the framing of a file (header,
// separators, footer), so that a caller can store each encoded record on its own and assemble
// the file later with AppendFile. Encoders hold no mutable state and are safe for concurrent use.
//
// It knows the record contract of package auditevent and nothing of S3, batching or
// compression.
package schema
