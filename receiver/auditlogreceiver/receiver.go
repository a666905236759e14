package auditlogreceiver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"

	"github.com/auditship/auditship/receiver/auditlogreceiver/internal/metadata"
)

// auditLogReceiver serves the HTTP endpoint that applications post audit events to.
type auditLogReceiver struct {
	cfg      *Config
	settings receiver.Settings
	handler  *handler

	server  *http.Server
	addr    net.Addr // where the server listens, once started
	serving sync.WaitGroup
}

func newAuditLogReceiver(cfg *Config, set receiver.Settings, next consumer.Logs) (*auditLogReceiver, error) {
	obsrep, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID:             set.ID,
		Transport:              "http",
		ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, fmt.Errorf("create receiver telemetry: %w", err)
	}
	dec := eventDecoder{scopeName: metadata.ScopeName, scopeVersion: set.BuildInfo.Version}
	return &auditLogReceiver{
		cfg:      cfg,
		settings: set,
		handler:  newHandler(cfg, dec, next, obsrep, set.Logger),
	}, nil
}

// Start builds the server before listening, so that a server configuration error leaves no
// port open.
func (r *auditLogReceiver) Start(ctx context.Context, host component.Host) error {
	server, err := r.cfg.ToServer(ctx, host.GetExtensions(), r.settings.TelemetrySettings, r.handler,
		confighttpErrorHandler())
	if err != nil {
		return fmt.Errorf("build HTTP server: %w", err)
	}
	ln, err := r.cfg.ToListener(ctx)
	if err != nil {
		return fmt.Errorf("listen on %q: %w", r.cfg.NetAddr.Endpoint, err)
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
	if r.server == nil {
		return nil
	}
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
