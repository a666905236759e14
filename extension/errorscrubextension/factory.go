package errorscrubextension

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"

	"github.com/auditship/auditship/extension/errorscrubextension/internal/metadata"
)

// NewFactory returns the factory of the `errorscrub` extension.
func NewFactory() extension.Factory {
	return extension.NewFactory(metadata.Type, createDefaultConfig, createExtension, metadata.ExtensionStability)
}

func createDefaultConfig() component.Config {
	return &Config{}
}

func createExtension(_ context.Context, set extension.Settings, _ component.Config) (extension.Extension, error) {
	return &errorScrub{logger: set.Logger}, nil
}
