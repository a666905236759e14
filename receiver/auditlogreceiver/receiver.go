package auditlogreceiver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"
)

// auditLogReceiver serves the HTTP endpoint that applications post audit events to.
type auditLogReceiver struct {
	cfg      *Config
	settings receiver.Settings
	handler  *handler
	tel      *telemetry

	server  *http.Server
	addr    net.Addr // where the server listens, once started
	serving sync.WaitGroup
	// drain bounds how long Shutdown waits for requests in progress (shutdownDrain).
	drain time.Duration
}

// shutdownDrain bounds how long Shutdown waits for requests in progress when the collector's
// shutdown has no deadline (its default). A request's pipeline answers within moments (its
// events are fsynced in the exporter's spool); what takes longer is a body still arriving
// slowly, which could hold the shutdown for read_timeout (1m by default), past a pod's grace
// period, before the exporter closes its batches. Such a request was not answered, and its
// sender resends it.
const shutdownDrain = 5 * time.Second

func newAuditLogReceiver(cfg *Config, set receiver.Settings, next consumer.Logs) (*auditLogReceiver, error) {
	obsrep, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID:             set.ID,
		Transport:              "http",
		ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, fmt.Errorf("create receiver telemetry: %w", err)
	}
	tel, err := newTelemetry(set.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("create receiver telemetry: %w", err)
	}
	var acc *access
	if tenants := cfg.Tenants.Get(); tenants != nil {
		acc = newAccess(tenants, set.Logger, tel)
	}
	dec, err := newEventDecoder(cfg, set.BuildInfo.Version)
	if err != nil {
		return nil, err
	}
	return &auditLogReceiver{
		cfg:      cfg,
		settings: set,
		handler:  newHandler(cfg, dec, acc, next, obsrep, set.Logger),
		tel:      tel,
		drain:    shutdownDrain,
	}, nil
}

// Start loads the keys and builds the server before listening, so that a bad keys file or
// server configuration leaves no port open.
func (r *auditLogReceiver) Start(ctx context.Context, host component.Host) error {
	keys := r.keysFile()
	if keys != nil {
		if err := keys.load(); err != nil {
			return err
		}
	}
	opts := append([]confighttp.ToServerOption{confighttpErrorHandler(maxBodySize(r.cfg))}, zstdDecoderOption(&r.cfg.ServerConfig)...)
	server, err := r.cfg.ToServer(ctx, host.GetExtensions(), r.settings.TelemetrySettings, r.handler, opts...)
	if err != nil {
		return fmt.Errorf("build HTTP server: %w", err)
	}
	// Outermost, so that a request beyond max_concurrent_requests is refused before auth or
	// decompression touch it, and every answer is counted.
	server.Handler = newFront(server.Handler, r.cfg.maxConcurrentRequests(), r.handler.retryAfter, r.tel)
	ln, err := r.cfg.ToListener(ctx)
	if err != nil {
		return fmt.Errorf("listen on %q: %w", r.cfg.NetAddr.Endpoint, err)
	}
	if keys != nil {
		keys.watch()
	}
	r.server, r.addr = server, ln.Addr()
	r.settings.Logger.Info("Receiving audit events", zap.Stringer("address", ln.Addr()), zap.String("path", r.cfg.Path))
	r.serving.Add(1)
	go func() {
		defer r.serving.Done()
		if err := server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(fmt.Errorf("serve HTTP on %s: %w", ln.Addr(), err)))
		}
	}()
	return nil
}

// Shutdown stops accepting requests and waits for those in flight, so that each gets the
// pipeline's answer; when ctx ends first, the remaining connections are closed.
func (r *auditLogReceiver) Shutdown(ctx context.Context) error {
	if keys := r.keysFile(); keys != nil {
		keys.close()
	}
	if r.server == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.drain)
	defer cancel()
	err := r.server.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, r.server.Close())
	}
	r.serving.Wait()
	if err != nil {
		return fmt.Errorf("shut down HTTP server: %w", err)
	}
	return nil
}

// keysFile is the API keys file in use, if callers present keys.
func (r *auditLogReceiver) keysFile() *keysFile {
	if r.handler.access == nil {
		return nil
	}
	return r.handler.access.keys
}
