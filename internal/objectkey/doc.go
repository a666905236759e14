// Package objectkey names the S3 objects the exporter writes. A key template is compiled once,
// when the configuration is validated, and every problem with it is reported then; naming an
// object on the hot path is a few appends into a caller's buffer.
//
// It owns the template syntax, the checks that keep one tenant's objects apart from
// another's (ValidOrgID, the rules below), and the unique part of a name (NewUnique). It does
// not know about buckets, batches, encodings or file extensions.
//
// # Key templates
//
// A template names the object without its extension: the exporter appends the extension of
// the encoding and compression it wrote (".json", ".json.gz", ...) after the template's text.
// Literal text may use letters, digits and / ! - _ . * ' ( ) = (the characters S3 calls safe
// in keys). Placeholders are written in braces:
//
//   - {org_id}: the tenant's organisation id, as it arrived in the events. Only ids of 1 to
//     128 characters among A-Z a-z 0-9 . _ - (and other than "." and "..") can name an
//     object, so that an id is always exactly one path segment (see ValidOrgID).
//   - {upload_year}: the upload year, 4 digits (2026).
//   - {upload_month}: the upload month, 2 digits (01 to 12).
//   - {upload_day}: the upload day of the month, 2 digits (01 to 31).
//   - {upload_hour}: the upload hour, 2 digits (00 to 23).
//   - {upload_date}: the upload date, YYYY-MM-DD (2026-11-22).
//   - {upload_ts14}: the upload time to the second, YYYYMMDDhhmmss, 14 digits
//     (20261122023000): how GoodData names its files.
//   - {upload_unix_ms}: the upload time in milliseconds since 1970-01-01 UTC (1795314600000).
//   - {event_year}, {event_month}, {event_day}, {event_date}: as the upload ones, for the
//     time of the earliest event in the batch.
//   - {unique}: a short random part chosen when the batch is closed (10 characters of
//     lower-case base32, such as "k3x7qa2mfe"), so that two collectors writing the same
//     tenant in the same second still pick different keys.
//
// Times are in UTC. The upload time is when the batch file is closed, not when the upload
// succeeds, so a retried upload keeps its key.
//
// A key template is refused when:
//   - a placeholder is unknown or a brace is unbalanced;
//   - it has no {org_id}, or no {org_id} stands alone in a folder of its own (such as
//     "{org_id}/" or "org={org_id}/"): a shared bucket keeps tenants apart by key prefix,
//     and a bucket policy can grant one tenant's prefix only if no other tenant's keys
//     start with it;
//   - it has none of {upload_ts14}, {upload_unix_ms} and {unique}: two batches of one tenant
//     would get the same key;
//   - it starts or ends with "/", has an empty path segment ("//"), or a "." or ".."
//     segment;
//   - a literal character is outside the safe set above.
//
// With {upload_ts14} and no {unique} (GoodData's layout), two batches of one tenant closed in
// the same second, by one collector or by two, name the same key: the exporter must write
// with If-None-Match and pick another key (the next second) when the key is taken. Prefer
// adding {unique} when several collectors write one bucket.
//
// # Defaults
//
// GoodDataKey is GoodData's layout, auditlog/default/<orgId>/<14 digits>. AirkitKey puts the
// tenant first (one prefix per tenant, for bucket policies and for a SIEM reading one tenant),
// then the upload date (one folder per day, for lifecycle rules and partition pruning), then a
// name that sorts by time and cannot collide. OCSFKey is the same layout under auditlog/ocsf/.
//
// # Verify objects
//
// Before the first upload the exporter may write a small test object to prove it can write
// (Airkit's "Verify"). Its name template accepts {timestamp} (the time of the check, in
// milliseconds since 1970-01-01 UTC), which it must contain, and {org_id}; the other rules
// for literals and path segments are the same. The default is AirkitVerifyKey.
package objectkey

// Default templates.
const (
	// GoodDataKey is exactly GoodData's layout: auditlog/default/<orgId>/<YYYYMMDDhhmmss>.
	GoodDataKey = "auditlog/default/{org_id}/{upload_ts14}"
	// AirkitKey partitions by tenant and upload date, and names each file by its upload
	// second and a unique part.
	AirkitKey = "airkit/{org_id}/{upload_date}/{upload_ts14}-{unique}"
	// OCSFKey is AirkitKey's layout beside GoodData's folder: OCSF events come from either
	// source, and a SIEM reads one tenant's day from one prefix.
	OCSFKey = "auditlog/ocsf/{org_id}/{upload_date}/{upload_ts14}-{unique}"
	// AirkitVerifyKey is the name of Airkit's write-access test object.
	AirkitVerifyKey = "airkit-verify-test-{timestamp}"
)
