package audits3exporter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/auditship/auditship/internal/auditevent"
)

// maxParallelUploads bounds how many tenants' objects one push writes at once, so that one slow
// tenant does not hold up the others in the same batch.
const maxParallelUploads = 16

// logsExporter writes each push as one object per tenant. It holds no data between pushes:
// batching, queueing and retrying are exporterhelper's.
type logsExporter struct {
	cfg      *Config
	logger   *zap.Logger
	format   *objectFormat
	redactor *redactor

	// store is set by start; pushes only happen between start and shutdown.
	store     *objectStore
	transport *http.Transport
}

func newLogsExporter(cfg *Config, logger *zap.Logger) *logsExporter {
	return &logsExporter{
		cfg:      cfg,
		logger:   logger,
		format:   newObjectFormat(cfg.Prefix, cfg.Compression),
		redactor: newRedactor(cfg),
	}
}

func (e *logsExporter) start(ctx context.Context, _ component.Host) error {
	client, transport, err := newS3Client(ctx, e.cfg, e.logger)
	if err != nil {
		return e.redactor.redact(err)
	}
	e.transport = transport
	e.store = &objectStore{client: client, bucket: e.cfg.Bucket}
	return nil
}

func (e *logsExporter) shutdown(context.Context) error {
	// Idle keep-alive connections each hold two goroutines; they must not outlive us.
	if e.transport != nil {
		e.transport.CloseIdleConnections()
	}
	return nil
}

// pushLogs writes one object per tenant. When some tenants fail, it returns only their records
// for retry (consumererror.Logs), so that the tenants already written are not written twice.
// Records without a valid org id are dropped as a permanent error: they cannot name an object,
// and no retry would change that.
func (e *logsExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	batches, rejected := splitByTenant(ld)
	var rejectedErr error
	if rejected > 0 {
		// Only the count: the offending values may be anything, including secrets.
		e.logger.Warn("Dropping audit records without a valid org id; they cannot name an S3 object.",
			zap.Int("dropped_records", rejected), zap.String("attribute", auditevent.AttrOrgID))
		rejectedErr = errors.New(strconv.Itoa(rejected) + " records dropped: " + auditevent.AttrOrgID +
			" missing or not matching [A-Za-z0-9._-]{1,128}")
	}

	errs := e.uploadAll(ctx, batches)
	var failed map[string]struct{}
	var uploadErrs []error
	for i, err := range errs {
		if err == nil {
			continue
		}
		if failed == nil {
			failed = make(map[string]struct{})
		}
		failed[batches[i].orgID] = struct{}{}
		uploadErrs = append(uploadErrs, err)
	}
	if failed != nil {
		// The rejected records are not in the retried data, so the error must not be permanent.
		err := errors.Join(append(uploadErrs, rejectedErr)...)
		return consumererror.NewLogs(err, logsOfTenants(ld, failed))
	}
	if rejectedErr != nil {
		return consumererror.NewPermanent(rejectedErr)
	}
	return nil
}

// uploadAll writes the batches, at most maxParallelUploads at a time, and returns each one's
// error.
func (e *logsExporter) uploadAll(ctx context.Context, batches []*tenantBatch) []error {
	errs := make([]error, len(batches))
	if len(batches) == 1 {
		errs[0] = e.upload(ctx, batches[0])
		return errs
	}
	sem := make(chan struct{}, maxParallelUploads)
	var wg sync.WaitGroup
	for i, b := range batches {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = e.upload(ctx, b)
		})
	}
	wg.Wait()
	return errs
}

func (e *logsExporter) upload(ctx context.Context, b *tenantBatch) error {
	body, err := e.format.body(b.body)
	if err != nil {
		return fmt.Errorf("compress batch of org %s: %w", b.orgID, err)
	}
	obj := object{body: body, contentType: e.format.contentType}
	key, dup, err := e.store.putNew(ctx, obj, func(i int) string {
		return e.format.key(b.orgID, b.earliest.AsTime().Add(secondsOf(i)))
	})
	if err != nil {
		return e.redactor.redact(err)
	}
	e.logger.Debug("Wrote audit object.", zap.String("key", key), zap.Int("records", b.records),
		zap.Int("bytes", len(body)), zap.Bool("already_present", dup))
	return nil
}
