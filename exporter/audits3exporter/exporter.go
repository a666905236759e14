package audits3exporter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/auditship/auditship/exporter/audits3exporter/internal/destination"
	"github.com/auditship/auditship/exporter/audits3exporter/internal/spool"
	"github.com/auditship/auditship/internal/auditevent"
	"github.com/auditship/auditship/internal/compression"
	"github.com/auditship/auditship/internal/objectkey"
	"github.com/auditship/auditship/internal/schema"
)

// invalidOrgPartition holds the events whose org id cannot name an object. It contains '@',
// which no valid org id does, so it is never taken for a tenant.
const invalidOrgPartition = "@invalid-org-id"

// maxListedIDs bounds the event ids an error names.
const maxListedIDs = 10

// verifyDefaultOrg stands for {org_id} in the verify object of the default destination.
const verifyDefaultOrg = "default"

// maxPooledArena bounds the encoding buffers kept between pushes, so that one huge push does
// not pin its memory for good.
const maxPooledArena = 8 << 20

// logsExporter stages every record in the spool, per tenant, closes each tenant's batch on
// its own schedule, and delivers the closed batches from the spool. The spool is the durable
// queue: a push returns once its records are on disk, and an event leaves the spool only when
// S3 has stored it.
type logsExporter struct {
	cfg      *Config
	set      exporter.Settings
	logger   *zap.Logger
	encoder  schema.Encoder
	compress *compression.Compressor

	spool  *spool.Spool
	pool   *destination.Pool
	routes *routeTable
	tel    *telemetry

	uploads chan struct{}
	scratch sync.Pool // of *pushScratch

	sealMu   sync.Mutex
	sealBufs sealBuffers
	// lastSealed is when each tenant's last batch was closed (under sealMu).
	lastSealed map[string]time.Time

	runCtx    context.Context
	cancelRun context.CancelFunc
	wg        sync.WaitGroup

	mu         sync.Mutex
	deliverers map[string]*deliverer
}

func newLogsExporter(cfg *Config, set exporter.Settings) (*logsExporter, error) {
	enc, err := schema.New(cfg.schemaConfig())
	if err != nil {
		return nil, err
	}
	comp, err := compression.New(cfg.Compression)
	if err != nil {
		return nil, err
	}
	return &logsExporter{
		cfg: cfg, set: set, logger: set.Logger, encoder: enc, compress: comp,
		uploads:    make(chan struct{}, cfg.UploadConcurrency),
		scratch:    sync.Pool{New: func() any { return &pushScratch{arena: make([]byte, 0, 1<<20), index: map[string]int{}} }},
		deliverers: map[string]*deliverer{},
		lastSealed: map[string]time.Time{},
	}, nil
}

// logRecovery says what the spool found of a previous run, if anything.
func (e *logsExporter) logRecovery(r spool.Recovery) {
	if r == (spool.Recovery{}) {
		return
	}
	fields := []zap.Field{
		zap.Int("open_batches", r.OpenBatches), zap.Int("open_records", r.OpenRecords),
		zap.Int("sealed_batches", r.SealedBatches), zap.Int("log_entries_replayed", r.LogEntries),
		zap.Int64("log_bytes_dropped", r.LogBytesSkipped), zap.Int64("batch_bytes_dropped", r.TornBytes),
	}
	if r.Cut() {
		e.logger.Warn("Spool recovered the previous run's batches and dropped the unfinished end of a write: "+
			"records the previous run had not acknowledged, unless the disk damaged the spool.", fields...)
		return
	}
	e.logger.Info("Spool recovered the previous run's batches.", fields...)
}

func (e *logsExporter) start(ctx context.Context, _ component.Host) error {
	sp, err := spool.Open(spool.Options{Dir: e.cfg.Spool.Directory, MaxBytes: e.cfg.Spool.MaxBytes})
	if err != nil {
		return fmt.Errorf("spool::directory: %w", err)
	}
	e.spool = sp
	e.logRecovery(sp.Recovered())
	e.pool = destination.NewPool(e.logger)
	e.routes = newRouteTable(e.cfg, e.pool, e.logger, e.routesChanged)
	if err := e.routes.loadFile(); err != nil {
		return err
	}
	if e.tel, err = newTelemetry(e.set.TelemetrySettings, sp, e.pendingCounts); err != nil {
		return fmt.Errorf("create telemetry: %w", err)
	}
	if e.cfg.Verify {
		if err := e.verify(ctx); err != nil {
			if e.cfg.OnVerifyFailure == VerifyFailureError {
				return err
			}
			e.logger.Warn("Verify failed; starting anyway (on_verify_failure: warn).", zap.Error(err))
		}
	}
	e.runCtx, e.cancelRun = context.WithCancel(context.Background())
	// Batches a previous run left in the spool are delivered first.
	for _, part := range sp.Partitions() {
		if len(sp.Pending(part)) > 0 {
			e.delivererFor(part).notify()
		}
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		e.sealLoop(e.runCtx)
	}()
	if e.cfg.RoutesFile != "" {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			e.routes.watch(e.runCtx, e.cfg.RoutesReloadInterval)
		}()
	}
	return nil
}

// shutdown closes every open batch and delivers what it can, for at most the upload timeout
// (the collector's own shutdown context has no deadline, and a bucket that is down must not
// hold the process); what is left stays in the spool for the next start.
func (e *logsExporter) shutdown(ctx context.Context) error {
	if e.spool == nil {
		return nil
	}
	var errs []error
	if e.cancelRun != nil {
		e.sealAll(time.Now(), true)
		drainCtx, cancel := context.WithTimeout(ctx, e.cfg.TimeoutConfig.Timeout)
		e.waitDelivered(drainCtx)
		cancel()
		e.cancelRun()
		e.wg.Wait()
	}
	errs = append(errs, e.tel.shutdown(), e.spool.Close())
	if e.pool != nil {
		e.pool.Close()
	}
	return errors.Join(errs...)
}

// waitDelivered waits until no deliverable batch is left or ctx ends.
func (e *logsExporter) waitDelivered(ctx context.Context) {
	ticker := time.NewTicker(50 * time.Millisecond)
	defer ticker.Stop()
	for {
		batches, held := e.pendingCounts()
		if batches-held == 0 {
			return
		}
		select {
		case <-ctx.Done():
			// A warning: the next start delivers them only if it finds this spool directory, which
			// a sidecar's emptyDir, for one, does not keep.
			e.logger.Warn("Shutting down with batches still in the spool; they are delivered after the next start on this spool directory.",
				zap.Int64("batches", batches), zap.String("spool", e.cfg.Spool.Directory))
			return
		case <-ticker.C:
		}
	}
}

// pushScratch is what a push needs besides the records, kept from push to push: the encoded
// records, and the spool batches that point into them.
type pushScratch struct {
	arena   []byte
	batches []spool.Batch
	index   map[string]int // partition -> its place in batches
}

// batchFor returns the batch of part, adding it, with the record slice it had in an earlier
// push, if part is new in this push.
func (p *pushScratch) batchFor(part string) *spool.Batch {
	i, ok := p.index[part]
	if !ok {
		i = len(p.batches)
		p.index[part] = i
		if i < cap(p.batches) {
			p.batches = p.batches[:i+1]
			p.batches[i].Partition = part
			p.batches[i].Records = p.batches[i].Records[:0]
		} else {
			p.batches = append(p.batches, spool.Batch{Partition: part})
		}
	}
	return &p.batches[i]
}

// release forgets the push's records and keeps the scratch for another push, unless one huge
// push made it too big to keep.
func (p *pushScratch) release(pool *sync.Pool) {
	if cap(p.arena) > maxPooledArena {
		return
	}
	p.arena = p.arena[:0]
	for i := range p.batches {
		clear(p.batches[i].Records) // let go of ids
	}
	p.batches = p.batches[:0]
	clear(p.index)
	pool.Put(p)
}

// pushLogs encodes every record and appends it to its tenant's open batch in the spool.
func (e *logsExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	now := time.Now()
	// The encoded records live in one buffer, reused across pushes: the spool copies them.
	scratch := e.scratch.Get().(*pushScratch)
	defer scratch.release(&e.scratch)
	invalid := 0
	var tooLarge []string
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				org, id := auditevent.OrgID(lr), auditevent.EventID(lr)
				part := org
				if !objectkey.ValidOrgID(org) {
					part = invalidOrgPartition
					// The held events of every invalid org share one partition, whose ids must
					// not take one org's event for another's.
					id = heldEventID(org, id)
					invalid++
				}
				start := len(scratch.arena)
				scratch.arena = e.encoder.AppendRecord(scratch.arena, lr)
				r := spool.Record{ID: id, EventTime: eventTime(lr), Payload: scratch.arena[start:len(scratch.arena):len(scratch.arena)]}
				if !spool.Fits(r) {
					// Set aside, so that it does not take the push's other records with it.
					tooLarge = append(tooLarge, auditevent.EventID(lr))
					scratch.arena = scratch.arena[:start]
					continue
				}
				b := scratch.batchFor(part)
				b.Records = append(b.Records, r)
			}
		}
	}
	batches := scratch.batches
	added, err := e.spool.AppendAll(batches, now)
	total, offered := 0, 0
	for i, b := range batches {
		total += added[i]
		offered += len(b.Records)
		if b.Partition == invalidOrgPartition && added[i] > 0 {
			e.tel.eventsHeld.Add(ctx, int64(added[i]), metric.WithAttributes(attribute.String("reason", "invalid_org_id")))
		}
	}
	if invalid > 0 {
		// Only the count: the offending org ids may be anything, including secrets.
		e.logger.Warn("Holding audit events whose org id cannot name an S3 object; they stay in the spool.",
			zap.Int("events", invalid), zap.String("attribute", auditevent.AttrOrgID))
	}
	e.tel.eventsSpooled.Add(ctx, int64(total))
	if err == nil && offered > total {
		e.tel.eventsDuplicate.Add(ctx, int64(offered-total))
	}
	if errors.Is(err, spool.ErrFull) {
		e.tel.spoolRefusals.Add(ctx, 1)
	}
	e.sealFull(batches, now)
	if err != nil {
		// Retryable: records already spooled are recognised by their ids when they come again.
		return err
	}
	if len(tooLarge) > 0 {
		e.tel.eventsRefused.Add(ctx, int64(len(tooLarge)), metric.WithAttributes(attribute.String("reason", "too_large")))
		// No retry can store them; the sender learns so (the receiver answers that resending
		// will not help) rather than retrying for ever. The push's other records are spooled.
		ids := tooLarge[:min(len(tooLarge), maxListedIDs)]
		return consumererror.NewPermanent(fmt.Errorf("%d audit events too large for the spool (at most %d bytes encoded), event ids %s; the other events were taken",
			len(tooLarge), spool.MaxRecordBytes, strings.Join(ids, ", ")))
	}
	return nil
}

// heldEventID is the id under which a held event of org is spooled: its event id qualified by
// a digest of the org id (which may be anything, so it is not written out).
func heldEventID(org, id string) string {
	if id == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(org))
	return hex.EncodeToString(sum[:8]) + ":" + id
}

func eventTime(lr plog.LogRecord) time.Time {
	if ts := lr.Timestamp(); ts != 0 {
		return ts.AsTime()
	}
	return lr.ObservedTimestamp().AsTime()
}

// sealLoop closes batches when they are due; a tick is a fraction of flush_interval so that a
// batch is never late by more than that.
func (e *logsExporter) sealLoop(ctx context.Context) {
	tick := min(time.Second, e.cfg.FlushInterval/4)
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-ticker.C:
			e.sealAll(now, false)
		}
	}
}

// sealFull closes those of the pushed partitions' batches that reached max_events or
// max_file_bytes; only they can have grown.
func (e *logsExporter) sealFull(pushed []spool.Batch, now time.Time) {
	for _, pb := range pushed {
		if b, ok := e.spool.OpenBatch(pb.Partition); ok && e.full(b) {
			e.seal(pb.Partition, now, false)
		}
	}
}

func (e *logsExporter) full(b spool.BatchInfo) bool {
	return b.Records >= e.cfg.MaxEvents || b.Bytes >= e.cfg.MaxFileBytes
}

// sealAll closes the batches that are due (all of them when force is set).
func (e *logsExporter) sealAll(now time.Time, force bool) {
	for _, b := range e.spool.OpenBatches() {
		if force || now.Sub(b.OpenedAt) >= e.cfg.FlushInterval || e.full(b) {
			e.seal(b.Partition, now, force)
		}
	}
}

// seal closes part's batch, unless it is too soon after the last (tooSoon) and not forced; the
// seal loop comes back to it within a second.
func (e *logsExporter) seal(part string, now time.Time, force bool) {
	// One object is built at a time, in buffers reused from seal to seal (the spool writes
	// the body to disk and keeps nothing of it), so memory holds one batch, not one a tenant.
	e.sealMu.Lock()
	defer e.sealMu.Unlock()
	if !force && e.tooSoon(part, now) {
		return
	}
	sb, err := e.spool.Seal(part, now, func(info spool.BatchInfo, payloads iter.Seq[[]byte]) ([]byte, map[string]string, error) {
		return e.buildObject(&e.sealBufs, info, payloads)
	})
	if err != nil {
		e.logger.Error("Closing a batch failed; its events stay in the spool and closing is tried again.", zap.String("tenant", part), zap.Error(err))
		return
	}
	if sb != nil {
		e.lastSealed[part] = now
		e.delivererFor(part).notify()
	}
}

// tooSoon tells whether part's batch must wait before it is closed at now: when the tenant's
// key tells its batches apart by time alone (no {unique}), only one may close per step of it
// (a second with GoodData's layout, a millisecond with {upload_unix_ms}). A tenant that fills
// batches faster than that (max_events or max_file_bytes reached in a burst) would otherwise
// name several after one second, and they would take each other's names, then the next ones,
// and could run out of them.
func (e *logsExporter) tooSoon(part string, now time.Time) bool {
	last, ok := e.lastSealed[part]
	if !ok {
		return false
	}
	// A held tenant (no route yet) is named by the exporter's key, as its route would be
	// unless it sets one.
	rc, _ := e.routes.routeConfig(part)
	tpl, err := e.routes.template(rc.Key)
	if err != nil || tpl.Spacing() == 0 {
		return false
	}
	return now.Truncate(tpl.Spacing()).Equal(last.Truncate(tpl.Spacing()))
}

// sealBuffers hold an object while it is built: a piece of the file, and the object body.
type sealBuffers struct{ piece, body []byte }

// buildObject is the spool's Builder: the file of the schema, compressed as it is assembled (so
// that a batch is never in memory uncompressed), with the labels that fix its name and content
// type for every later attempt.
func (e *logsExporter) buildObject(bufs *sealBuffers, info spool.BatchInfo, payloads iter.Seq[[]byte]) ([]byte, map[string]string, error) {
	body := bufs.body[:0]
	if e.compress.Type() == compression.None {
		// The body is the file itself: room for all of it at once, rather than growing by
		// doubling.
		body = slices.Grow(body, int(info.Bytes))
	}
	w := e.compress.NewWriter(body)
	var err error
	if bufs.piece, err = schema.WriteFileSeq(w, e.encoder, payloads, bufs.piece); err != nil {
		w.Abandon()
		return nil, nil, err
	}
	if bufs.body, err = w.Close(); err != nil {
		return nil, nil, err
	}
	contentType := e.encoder.ContentType()
	if ct := e.compress.ContentType(); ct != "" {
		contentType = ct
	}
	return bufs.body, map[string]string{
		labelContentType: contentType,
		labelExtension:   e.encoder.Extension() + e.compress.Extension(),
		labelUnique:      objectkey.NewUnique(),
	}, nil
}

func (e *logsExporter) delivererFor(part string) *deliverer {
	e.mu.Lock()
	defer e.mu.Unlock()
	d, ok := e.deliverers[part]
	if !ok {
		d = &deliverer{exp: e, part: part, wake: make(chan struct{}, 1), rerouted: make(chan struct{}, 1)}
		e.deliverers[part] = d
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			d.run(e.runCtx)
		}()
	}
	return d
}

// routesChanged wakes the deliverers of the tenants whose routes changed.
func (e *logsExporter) routesChanged(changed func(org string) bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, d := range e.deliverers {
		if changed(d.part) {
			d.reroute()
		}
	}
}

func (e *logsExporter) acquireUpload(ctx context.Context) error {
	select {
	case e.uploads <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *logsExporter) releaseUpload() { <-e.uploads }

// pendingCounts counts sealed batches waiting in the spool, and those of them held because
// their tenant has no destination.
func (e *logsExporter) pendingCounts() (batches, held int64) {
	for _, part := range e.spool.Partitions() {
		n := int64(len(e.spool.Pending(part)))
		batches += n
		if _, ok := e.routes.routeConfig(part); !ok {
			held += n
		}
	}
	return batches, held
}

// verify writes a test object to every configured destination and reports every failure.
func (e *logsExporter) verify(ctx context.Context) error {
	results, err := verifyDestinations(ctx, e.cfg, e.pool, e.routes)
	if err != nil {
		return err
	}
	return verifyError(results)
}
