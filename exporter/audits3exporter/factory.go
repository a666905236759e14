package audits3exporter

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/auditship/auditship/exporter/audits3exporter/internal/metadata"
)

// NewFactory returns the factory of the audits3 exporter.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(metadata.Type, createDefaultConfig,
		exporter.WithLogs(createLogs, metadata.LogsStability))
}

func createLogs(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	c := cfg.(*Config).withSchemaDefaults()
	exp, err := newLogsExporter(c, set)
	if err != nil {
		return nil, err
	}
	// Uploads are retried from the spool, per tenant. A push fails only when the spool cannot
	// take its events: without a queue the sender is told at once (backpressure); with one,
	// the queued data is retried until the spool has room, never dropped.
	pushRetry := c.RetryConfig
	pushRetry.Enabled = c.QueueConfig.HasValue()
	pushRetry.MaxElapsedTime = 0
	return exporterhelper.NewLogs(ctx, set, c, exp.pushLogs,
		exporterhelper.WithStart(exp.start),
		exporterhelper.WithShutdown(exp.shutdown),
		exporterhelper.WithTimeout(c.TimeoutConfig),
		exporterhelper.WithRetry(pushRetry),
		exporterhelper.WithQueue(c.QueueConfig),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
	)
}
