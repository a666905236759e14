package destination

import (
	"context"
	"strconv"
	"time"
)

// Verify proves that the destination takes objects by writing a small one under key (the
// caller names it, as Airkit's airkit-verify-test-{timestamp}), with the same conditional
// write, encryption, storage class and checksum as every object. A key that already exists
// (412) passes too: S3 checks permissions before conditions. With region auto it finds the
// region first. The error names the bucket, region, key, S3 error code and the permission
// most likely missing.
func (d *Destination) Verify(ctx context.Context, key string) error {
	rc, err := d.client(ctx)
	if err != nil {
		return d.verifyError(key, err)
	}
	body := []byte("auditship verify test object, written " + time.Now().UTC().Format(time.RFC3339) + "\n")
	w := &write{d: d, c: rc.client, body: body, contentType: "text/plain; charset=utf-8"}
	if err := w.putObject(ctx, key); err != nil && !isPreconditionFailed(err) {
		return d.verifyError(key, err)
	}
	return nil
}

func (d *Destination) verifyError(key string, err error) error {
	f := Classify(err)
	what := f.Code
	if f.Status != 0 {
		what = "S3 answered " + f.Code + " (HTTP " + strconv.Itoa(f.Status) + ")"
	}
	if f.Operation != "" {
		what += " to " + f.Operation
	}
	if missing := d.refineMissing(f); missing != "" {
		what += "; most likely missing: " + missing
	}
	return d.wrap(err, "verify s3://%s/%s (region %s): %s", d.cfg.Bucket, key, d.Region(), what)
}
