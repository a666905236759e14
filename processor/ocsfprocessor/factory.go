// Package ocsfprocessor provides the `ocsf` processor, which classifies audit events with OCSF:
// it looks up each record's event name in built-in tables for GoodData and Airkit (plus the
// configured `events` and `rules`), derives status and severity from the event, and writes the
// ocsf.* attributes of the data contract. It knows the
// contract's attribute names but nothing of receivers, encoders or S3.
package ocsfprocessor

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"github.com/auditship/auditship/processor/ocsfprocessor/internal/metadata"
	"github.com/auditship/auditship/processor/ocsfprocessor/internal/ocsftable"
)

// NewFactory returns the factory of the `ocsf` processor.
func NewFactory() processor.Factory {
	return processor.NewFactory(
		metadata.Type,
		createDefaultConfig,
		processor.WithLogs(createLogs, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	return &Config{
		IDMode:  IDModeSource,
		Unknown: UnknownPass,
		Severity: SeverityConfig{
			Default: severityInformational,
			Failure: severityMedium,
		},
	}
}

func createLogs(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	oCfg := cfg.(*Config)
	tables, err := ocsftable.Load()
	if err != nil {
		return nil, fmt.Errorf("ocsf processor: built-in OCSF tables: %w", err)
	}
	cls, err := newClassifier(tables, oCfg)
	if err != nil {
		return nil, fmt.Errorf("ocsf processor: %w", err)
	}
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("ocsf processor: create metrics: %w", err)
	}
	p := newOCSFProcessor(cls, tb, set.Logger)
	return processorhelper.NewLogs(ctx, set, cfg, next, p.processLogs,
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}))
}
