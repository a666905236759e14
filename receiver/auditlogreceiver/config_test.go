package auditlogreceiver

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/auditship/auditship/internal/auditevent"
	"github.com/auditship/auditship/receiver/auditlogreceiver/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	custom := createDefaultConfig().(*Config)
	custom.NetAddr.Endpoint = "127.0.0.1:9411"
	custom.Path = "/ingest/audit"
	custom.MaxRequestBodySize = 1 << 20
	custom.RetryAfter = 10 * time.Second
	custom.IncludeMetadata = true

	input := createDefaultConfig().(*Config)
	input.Shape = ShapeAuto
	input.Mapping = map[string]string{"event_name": "action", "time": "at", "org_id": "tenant.id", "user_id": "actor.id"}
	input.TimeUnit = TimeUnitSeconds
	input.DefaultTime = DefaultTimeReceived
	input.RequiredFields = []string{"event_name", "org_id", "user_id"}
	input.MaxEventsPerRequest = 500
	input.MaxEventBytes = 65536

	mapped := createDefaultConfig().(*Config)
	mapped.Shape = ShapeMapped
	mapped.Mapping = map[string]string{"event_name": "action", "time": "at", "org_id": "tenant.id"}

	tests := []struct {
		name string
		want *Config
		// wantErrs are fragments of the error, each naming a key.
		wantErrs []string
	}{
		{name: "", want: createDefaultConfig().(*Config)},
		{name: "custom", want: custom},
		{name: "path_without_slash", wantErrs: []string{"path: must start with /"}},
		{name: "path_with_query", wantErrs: []string{"path: must be a plain URL path"}},
		{name: "retry_after_too_short", wantErrs: []string{"retry_after: must be at least 1s"}},
		{name: "negative_body_size", wantErrs: []string{"max_request_body_size: must not be negative"}},
		{name: "empty_endpoint", wantErrs: []string{"endpoint: must not be empty"}},
		{name: "everything_wrong", wantErrs: []string{"endpoint: must not be empty", "path: must not be empty", "retry_after: must be at least 1s"}},
		{name: "unknown_key", wantErrs: []string{`unknown key "pth"`, `unknown key "retry_afer"`}},
		{name: "input", want: input},
		{name: "shape_mapped", want: mapped},
		{name: "shape_mapped_without_mapping", wantErrs: []string{"shape: mapped needs a mapping"}},
		{name: "bad_shape", wantErrs: []string{`shape "gooddata": must be "auto" or "mapped"`}},
		{name: "bad_time_unit", wantErrs: []string{`time_unit "seconds": must be "auto", "s", "ms", "us" or "ns"`}},
		{name: "bad_default_time", wantErrs: []string{`default_time "now": must be "none" or "received"`}},
		{name: "bad_mapping", wantErrs: []string{
			"mapping::org_id: path must not be empty",
			"mapping::tenant: is not a canonical field (one of event_name, time, org_id,",
			`mapping::user_id: path "actor..id" has an empty segment`,
			`mapping::target: path "action" overlaps the path of event_name ("action")`,
		}},
		{name: "bad_required_fields", wantErrs: []string{
			`required_fields[1]: time cannot be required with default_time "received"`,
			`required_fields[2]: "orgId" is not a canonical field`,
			"required_fields: must include org_id",
		}},
		{name: "mapping_misses_required", wantErrs: []string{
			"mapping: must map org_id, which required_fields lists",
			`mapping: must map time, unless default_time is "received"`,
		}},
		{name: "bad_limits", wantErrs: []string{"max_events_per_request: must be at least 1", "max_event_bytes: must be at least 2"}},
	}
	for _, tt := range tests {
		t.Run("auditlog/"+tt.name, func(t *testing.T) {
			sub, err := cm.Sub(component.NewIDWithName(metadata.Type, tt.name).String())
			require.NoError(t, err)
			// As the collector does it: into a pointer to the interface holding the default.
			cfg := NewFactory().CreateDefaultConfig()
			err = sub.Unmarshal(&cfg)
			if err == nil {
				err = cfg.(*Config).Validate()
			}
			if tt.wantErrs == nil {
				require.NoError(t, err)
				assert.Equal(t, tt.want, cfg)
				return
			}
			require.Error(t, err)
			for _, want := range tt.wantErrs {
				assert.ErrorContains(t, err, want)
			}
		})
	}
}

func TestDefaultConfig(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	assert.Equal(t, "localhost:8088", cfg.NetAddr.Endpoint)
	assert.Equal(t, "/v1/audit", cfg.Path)
	assert.Equal(t, 5*time.Second, cfg.RetryAfter)
	assert.Equal(t, time.Minute, cfg.ReadTimeout, "a body sent slowly must not hold a request slot for ever")
	assert.Greater(t, cfg.WriteTimeout, cfg.ReadTimeout, "the write deadline also covers reading the body")
	assert.NoError(t, cfg.Validate())
}

// The embedded server configuration brings an Unmarshal method that would decode its own keys
// only; ours must still read the keys beside it.
func TestUnmarshalKeepsOwnKeysBesideServerKeys(t *testing.T) {
	conf := confmap.NewFromStringMap(map[string]any{"endpoint": "127.0.0.1:1", "path": "/p", "retry_after": "2s"})
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, conf.Unmarshal(cfg))
	assert.Equal(t, "127.0.0.1:1", cfg.NetAddr.Endpoint)
	assert.Equal(t, "/p", cfg.Path)
	assert.Equal(t, 2*time.Second, cfg.RetryAfter)
}

func TestDefaultInputConfig(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	assert.Equal(t, ShapeAuto, cfg.Shape)
	assert.Empty(t, cfg.Mapping)
	assert.Equal(t, TimeUnitAuto, cfg.TimeUnit)
	assert.Equal(t, DefaultTimeNone, cfg.DefaultTime)
	assert.Equal(t, []string{"event_name", "org_id"}, cfg.RequiredFields)
	assert.Equal(t, 10000, cfg.MaxEventsPerRequest)
	assert.Equal(t, 1<<20, cfg.MaxEventBytes)
	for _, key := range []string{"shape", "mapping", "time_unit", "default_time", "required_fields", "max_events_per_request", "max_event_bytes"} {
		assert.Contains(t, knownKeys, key)
	}
}

func TestKnownKeysIncludeServerKeys(t *testing.T) {
	for _, key := range []string{"endpoint", "transport", "tls", "cors", "auth", "max_request_body_size", "include_metadata", "path", "retry_after"} {
		assert.Contains(t, knownKeys, key)
	}
}

// TestTimeUnitsAreAuditeventUnits keeps time_unit's accepted values those the converter reads.
func TestTimeUnitsAreAuditeventUnits(t *testing.T) {
	var names []TimeUnit
	for u := auditevent.TimeUnitAuto; u <= auditevent.TimeUnitNanoseconds; u++ {
		names = append(names, TimeUnit(u.String()))
	}
	assert.Equal(t, names, timeUnits)
	for _, u := range timeUnits {
		_, ok := auditevent.ParseTimeUnit(string(u))
		assert.True(t, ok, u)
	}
}
