// Package auditlogreceiver implements the `auditlog` receiver: an HTTP endpoint that takes
// audit events as JSON or NDJSON, in GoodData's or Airkit's shape, and forwards them as log
// records of the auditevent data contract. A request is accepted or refused as a whole, and
// answered 2xx only once the pipeline has taken it.
//
// It owns HTTP, body decoding and the answers to senders; what an event must contain and how it
// becomes a record belongs to internal/auditevent, and it knows nothing of OCSF, masking or S3.
package auditlogreceiver
