package errorscrubextension

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensionmiddleware"

	"github.com/auditship/auditship/extension/errorscrubextension/internal/metadata"
)

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, metadata.Type, f.Type())
	assert.Equal(t, metadata.ExtensionStability, f.Stability())
	require.NoError(t, componenttest.CheckConfigStruct(f.CreateDefaultConfig()))
}

// nopSettings are extension settings whose telemetry goes nowhere.
func nopSettings() extension.Settings {
	return extension.Settings{
		ID:                component.NewID(metadata.Type),
		TelemetrySettings: componenttest.NewNopTelemetrySettings(),
		BuildInfo:         component.NewDefaultBuildInfo(),
	}
}

// TestLifecycle creates, starts and shuts down the extension, and checks that the handler it
// gives confighttp scrubs.
func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	f := NewFactory()
	ext, err := f.Create(ctx, nopSettings(), f.CreateDefaultConfig())
	require.NoError(t, err)
	require.NoError(t, ext.Start(ctx, componenttest.NewNopHost()))

	mw, ok := ext.(extensionmiddleware.HTTPServer)
	require.True(t, ok, "the extension is an HTTP server middleware")
	wrap, err := mw.GetHTTPHandler(ctx)
	require.NoError(t, err)
	h, err := wrap(ctx, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, plantedSecret, http.StatusBadRequest)
	}))
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/logs", nil))
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Equal(t, "request refused (400 Bad Request); details withheld because they may quote the request\n", rec.Body.String())

	require.NoError(t, ext.Shutdown(ctx))
}
