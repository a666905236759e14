package errorscrubextension

import (
	"context"
	"net/http"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/extensionmiddleware"
	"go.uber.org/zap"
)

// errorScrub is the extension: it holds nothing but its logger, so Start and Shutdown have
// nothing to do.
type errorScrub struct {
	component.StartFunc
	component.ShutdownFunc
	logger *zap.Logger
}

var _ extensionmiddleware.HTTPServer = (*errorScrub)(nil)

// GetHTTPHandler returns the wrapper confighttp puts around a receiver's handler, inside
// decompression, body size limits, authentication and CORS.
func (e *errorScrub) GetHTTPHandler(context.Context) (extensionmiddleware.WrapHTTPHandlerFunc, error) {
	return func(_ context.Context, next http.Handler) (http.Handler, error) {
		return scrubErrors(next, e.logger), nil
	}, nil
}
