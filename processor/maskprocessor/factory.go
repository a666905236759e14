// Package maskprocessor provides the `mask` processor, which masks secrets at any depth of a log
// record's attributes and body, so that no secret reaches an S3 object, a log line or an error:
// the values stored under credential-like keys (password, clientSecret, X-Api-Key, ...) and,
// whatever the key, the secrets recognisable inside strings (cloud keys, tokens, JWTs, PEM
// blocks, URL and connection string passwords, password=... in text and JSON). It knows nothing
// of OCSF, receivers or S3.
package maskprocessor

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"github.com/auditship/auditship/processor/maskprocessor/internal/metadata"
)

// NewFactory returns the factory of the `mask` processor.
func NewFactory() processor.Factory {
	return processor.NewFactory(
		metadata.Type,
		createDefaultConfig,
		processor.WithLogs(createLogs, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	return &Config{Replacement: DefaultReplacement}
}

func createLogs(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	oCfg := cfg.(*Config)
	m, mk, err := oCfg.compile()
	if err != nil {
		return nil, fmt.Errorf("mask processor: %w", err)
	}
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("mask processor: create metrics: %w", err)
	}
	p := newMaskProcessor(m, mk, tb, set.Logger)
	return processorhelper.NewLogs(ctx, set, cfg, next, p.processLogs,
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}))
}
