package audits3exporter

import (
	"context"
	"errors"
	"strconv"
	"time"

	backoffv7 "github.com/cenkalti/backoff/v7"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/auditship/auditship/exporter/audits3exporter/internal/destination"
	"github.com/auditship/auditship/exporter/audits3exporter/internal/spool"
	"github.com/auditship/auditship/internal/objectkey"
)

// Labels a sealed batch carries from the moment it is closed, so that every upload attempt,
// before or after a restart, sends the same bytes under the same name.
const (
	labelContentType = "content_type"
	labelExtension   = "extension"
	labelUnique      = "unique"
)

// maxKeyAttempts bounds how many names one batch tries when others are taken (412 with
// different content).
const maxKeyAttempts = 60

// deliverer delivers one tenant's sealed batches, oldest first, one at a time. Each tenant has
// its own, so a tenant whose bucket fails waits on its own schedule and never delays another.
type deliverer struct {
	exp  *logsExporter
	part string
	// wake says a batch was sealed; rerouted that the tenant's route changed.
	wake     chan struct{}
	rerouted chan struct{}
	// stored is a batch S3 has, whose removal from the spool failed: the removal is retried,
	// the upload is not, since a second upload could only leave a second copy.
	stored *spool.Sealed
	// reported is the failure code last logged, so that a bucket failing the same way for days
	// is logged once, not at every attempt.
	reported string
	// overdue says the oldest batch was reported as waiting past max_elapsed_time.
	overdue bool
}

func (d *deliverer) notify() { signal(d.wake) }

func (d *deliverer) reroute() { signal(d.rerouted) }

// signal leaves a token in ch, a channel of one, unless one waits there already.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func (d *deliverer) run(ctx context.Context) {
	e := d.exp
	// The same backoff exporterhelper's retry_on_failure uses, per tenant.
	backoff := &backoffv7.ExponentialBackOff{
		InitialInterval:     e.cfg.RetryConfig.InitialInterval,
		RandomizationFactor: e.cfg.RetryConfig.RandomizationFactor,
		Multiplier:          e.cfg.RetryConfig.Multiplier,
		MaxInterval:         e.cfg.RetryConfig.MaxInterval,
	}
	backoff.Reset()
	for {
		pending := e.spool.Pending(d.part)
		if len(pending) == 0 {
			if !d.sleep(ctx, -1) {
				return
			}
			continue
		}
		sb := pending[0]
		var wait time.Duration
		ok := true
		if sb == d.stored {
			wait = d.removeStored(backoff)
		} else {
			wait, ok = d.deliver(ctx, sb, backoff)
		}
		if !ok {
			return
		}
		if wait > 0 && !d.sleep(ctx, wait) {
			return
		}
	}
}

// deliver makes one attempt at sb and says how long to wait before the next step; ok is false
// when ctx ended.
func (d *deliverer) deliver(ctx context.Context, sb *spool.Sealed, backoff *backoffv7.ExponentialBackOff) (time.Duration, bool) {
	e := d.exp
	d.checkOverdue(sb)
	r, err := e.routes.lookup(ctx, d.part)
	if err != nil {
		// No destination for this tenant (held), or one that cannot be built: keep the batch
		// and look again when routes change or after the slow retry interval.
		f := destination.Failure{Code: "NoRoute"}
		if !errors.Is(err, errNoRoute) {
			f = destination.Classify(err)
			e.tel.uploadFailures.Add(ctx, 1, metric.WithAttributes(attribute.String("kind", f.Kind.String()), attribute.String("code", f.Code)))
		}
		d.report(f, err)
		return e.cfg.Spool.RetryInterval, true
	}
	// The upload slot is taken before the body is read: upload_concurrency bounds the bodies
	// in memory, however many tenants wait.
	if err := e.acquireUpload(ctx); err != nil {
		return 0, false
	}
	body, err := sb.Body()
	if err != nil {
		e.releaseUpload()
		e.logger.Error("Cannot read a spooled batch; it stays in the spool.", zap.String("tenant", d.part), zap.Error(err))
		return e.cfg.Spool.RetryInterval, true
	}
	uploadCtx, cancel := context.WithTimeout(ctx, e.cfg.TimeoutConfig.Timeout)
	res, err := r.dest.PutNew(uploadCtx, d.keyFunc(r, sb), body, sb.Labels[labelContentType])
	cancel()
	e.releaseUpload()
	// A stored batch is settled even when ctx ended meanwhile: left in the spool, it would be
	// uploaded again by the next run.
	if err == nil {
		wait := time.Duration(0)
		if derr := e.spool.Delivered(sb); derr != nil {
			d.stored = sb
			wait = d.quickRetryWait(backoff)
			e.logger.Error("Stored batch could not be removed from the spool; the removal is retried, the upload is not.",
				zap.String("tenant", d.part), zap.String("key", res.Key), zap.Error(derr))
		}
		e.tel.objectsWritten.Add(ctx, 1, metric.WithAttributes(attribute.Bool("already_present", res.AlreadyPresent)))
		if res.Attempt > 0 {
			// Attempt is the name that took the batch; every name before it was taken.
			e.tel.namesTaken.Add(ctx, int64(res.Attempt))
		}
		if res.Unverified > 0 {
			// Names taken by objects we could not compare: one may be this batch from an
			// earlier attempt whose answer was lost, so this object may be a second copy.
			e.tel.objectsUnverified.Add(ctx, 1)
		}
		e.tel.eventsDelivered.Add(ctx, int64(sb.Records))
		if d.reported != "" {
			e.logger.Info("Delivery recovered.", zap.String("tenant", d.part), zap.String("bucket", r.bucket))
			d.reported = ""
		}
		d.overdue = false
		if d.stored == nil {
			backoff.Reset()
		}
		e.logger.Debug("Stored audit object.", zap.String("bucket", r.bucket), zap.String("key", res.Key),
			zap.Int("events", sb.Records), zap.Bool("already_present", res.AlreadyPresent))
		return wait, ctx.Err() == nil
	}
	if ctx.Err() != nil {
		return 0, false
	}
	f := destination.Classify(err)
	e.tel.uploadFailures.Add(ctx, 1, metric.WithAttributes(attribute.String("kind", f.Kind.String()), attribute.String("code", f.Code)))
	switch {
	case f.Kind == destination.Permanent:
		d.report(f, err)
		return e.cfg.Spool.RetryInterval, true
	case f.Kind == destination.Throttled:
		return max(f.RetryAfter, d.quickRetryWait(backoff)), true
	default:
		e.logger.Debug("Upload failed; retrying.", zap.String("tenant", d.part), zap.Error(err))
		return d.quickRetryWait(backoff), true
	}
}

// removeStored retries the removal of the stored batch from the spool, and says how long to
// wait before the next step.
func (d *deliverer) removeStored(backoff *backoffv7.ExponentialBackOff) time.Duration {
	if err := d.exp.spool.Delivered(d.stored); err != nil {
		d.exp.logger.Debug("Stored batch still cannot be removed from the spool.", zap.String("tenant", d.part), zap.Error(err))
		return d.quickRetryWait(backoff)
	}
	d.stored = nil
	backoff.Reset()
	return 0
}

// quickRetryWait is the wait before retrying what failed for now: the backoff of
// retry_on_failure, or spool::retry_interval when quick retries are off.
func (d *deliverer) quickRetryWait(backoff *backoffv7.ExponentialBackOff) time.Duration {
	if !d.exp.cfg.RetryConfig.Enabled {
		return d.exp.cfg.Spool.RetryInterval
	}
	return backoff.NextBackOff()
}

// keyFunc names sb's object: attempt 0 is the name chosen when it was sealed; later attempts,
// taken only when the name holds another object, move the upload time on by a second and
// extend the unique part.
func (d *deliverer) keyFunc(r *route, sb *spool.Sealed) func(int) string {
	return func(attempt int) string {
		if attempt >= maxKeyAttempts {
			return ""
		}
		v := objectkey.Values{OrgID: d.part, Upload: sb.SealedAt.Add(time.Duration(attempt) * time.Second), Event: sb.EarliestEvent, Unique: sb.Labels[labelUnique]}
		if attempt > 0 {
			v.Unique += "-" + strconv.Itoa(attempt)
		}
		key := r.key.Append(nil, v)
		return string(append(key, sb.Labels[labelExtension]...))
	}
}

// report logs a failure that needs someone's attention once per distinct code, naming the
// S3 error and what most likely has to change, never the data.
func (d *deliverer) report(f destination.Failure, err error) {
	if d.reported == f.Code {
		return
	}
	d.reported = f.Code
	fields := []zap.Field{zap.String("tenant", d.part), zap.String("code", f.Code),
		zap.Duration("retry_interval", d.exp.cfg.Spool.RetryInterval), zap.Error(err)}
	if f.Missing != "" {
		fields = append(fields, zap.String("likely_fix", f.Missing))
	}
	d.exp.logger.Error("Tenant's batches are held in the spool until its destination accepts them.", fields...)
}

// checkOverdue logs, once per stretch of failures, that a tenant's oldest batch has waited
// longer than retry_on_failure::max_elapsed_time (GoodData's seven days by default). The batch
// is not dropped: it stays in the spool and delivery goes on.
func (d *deliverer) checkOverdue(sb *spool.Sealed) {
	limit := d.exp.cfg.RetryConfig.MaxElapsedTime
	if d.overdue || limit <= 0 || time.Since(sb.SealedAt) < limit {
		return
	}
	d.overdue = true
	d.exp.logger.Error("A tenant's batch has waited longer than max_elapsed_time; it is kept and delivery goes on.",
		zap.String("tenant", d.part), zap.Time("closed_at", sb.SealedAt), zap.Duration("max_elapsed_time", limit))
}

// sleep waits for wait, or with a negative wait (nothing to deliver) for a sealed batch; a
// changed route ends either wait, since it may be the fix for what failed, while a batch
// sealed during a wait after a failure waits like the batches before it: S3's Retry-After and
// the backoff hold for the tenant, not for one batch. It returns false when ctx ended.
func (d *deliverer) sleep(ctx context.Context, wait time.Duration) bool {
	var timer <-chan time.Time
	sealed := d.wake
	if wait >= 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		timer = t.C
		sealed = nil
	}
	select {
	case <-ctx.Done():
		return false
	case <-sealed:
		return true
	case <-d.rerouted:
		return true
	case <-timer:
		return true
	}
}
