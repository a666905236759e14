package ocsfprocessor

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditship/auditship/internal/auditevent"
	"github.com/auditship/auditship/processor/ocsfprocessor/internal/ocsftable"
)

// classifyOne classifies one record named name with attrs under cfg.
func classifyOne(t *testing.T, cfg *Config, name string, attrs map[string]any) (outcome, map[string]any) {
	t.Helper()
	tables, err := ocsftable.Load()
	require.NoError(t, err)
	c, err := newClassifier(tables, cfg)
	require.NoError(t, err)
	lr := plog.NewLogRecord()
	lr.SetEventName(name)
	require.NoError(t, lr.Attributes().FromRaw(attrs))
	o, _ := c.classify(lr)
	return o, ocsfAttrs(lr)
}

func configWith(edit func(*Config)) *Config {
	cfg := createDefaultConfig().(*Config)
	edit(cfg)
	return cfg
}

func TestIDMode(t *testing.T) {
	gd := map[string]any{auditevent.AttrSourceFormat: auditevent.FormatGoodData}
	gdCustom := with(gd, auditevent.AttrOCSFCategoryUID, "99", auditevent.AttrOCSFClassUID, "99001")
	entityCreate := classAttrs(3, iam, 3004, "Entity Management", 1, "Create", "Entity Management: Create")
	providerSource := classAttrs(99, ocsftable.CustomCategoryName, 99001, "GoodData-specific 99001", 99, "AUTH_PROVIDER_CREATE", "GoodData-specific 99001: Other")
	tests := []struct {
		name      string
		mode      IDMode
		eventName string
		attrs     map[string]any
		want      map[string]any
		outcome   outcome
	}{
		{name: "source writes GoodData's own class", mode: IDModeSource, eventName: "auth_provider_create", attrs: gd, want: providerSource, outcome: classified},
		{name: "source keeps GoodData's own class on the record", mode: IDModeSource, eventName: "auth_provider_create", attrs: gdCustom, want: providerSource, outcome: classified},
		{name: "strict writes the standard alternative", mode: IDModeStrict, eventName: "auth_provider_create", attrs: gd, want: entityCreate, outcome: classified},
		{name: "strict replaces GoodData's own class on the record", mode: IDModeStrict, eventName: "AUTH_PROVIDER_CREATE", attrs: gdCustom, want: entityCreate, outcome: classified},
		{
			name: "strict keeps the table's label for Other", mode: IDModeStrict, eventName: "datasource_cache_invalidate", attrs: gd,
			want: classAttrs(3, iam, 3004, "Entity Management", 99, "Cache invalidated", "Entity Management: Other"), outcome: classified,
		},
		{name: "strict leaves OCSF classes alone", mode: IDModeStrict, eventName: "user_login", attrs: gd, want: logon, outcome: classified},
		{
			name: "strict: an unknown name in a custom class becomes Base Event", mode: IDModeStrict, eventName: "report_burn", attrs: gdCustom,
			want: with(baseEvent, auditevent.AttrOCSFActivityName, "report_burn"), outcome: unknown,
		},
		{
			name: "source: an unknown name keeps the record's custom class", mode: IDModeSource, eventName: "report_burn", attrs: gdCustom,
			want: classAttrs(99, ocsftable.CustomCategoryName, 99001, "GoodData-specific 99001", 99, "report_burn", "GoodData-specific 99001: Other"), outcome: unknown,
		},
		{
			name: "strict replaces a class OCSF does not define", mode: IDModeStrict, eventName: "user_login",
			attrs: map[string]any{auditevent.AttrOCSFCategoryUID: int64(77), auditevent.AttrOCSFClassUID: int64(77001)}, want: logon, outcome: classified,
		},
		{
			name: "strict: a record's OCSF class stays, its wrong category does not", mode: IDModeStrict, eventName: "user_login",
			attrs: map[string]any{auditevent.AttrOCSFCategoryUID: int64(6), auditevent.AttrOCSFClassUID: int64(3005)},
			want:  with(accessMgmt, auditevent.AttrOCSFActivityName, "user_login"), outcome: mismatched,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, got := classifyOne(t, configWith(func(c *Config) { c.IDMode = tt.mode }), tt.eventName, tt.attrs)
			assert.Equal(t, tt.outcome, o)
			delete(got, auditevent.AttrOCSFSeverityID)
			delete(got, auditevent.AttrOCSFStatusID)
			assert.Equal(t, tt.want, got)
		})
	}
}

// In strict mode no built-in event, in any spelling the sources use, gets an id OCSF lacks.
func TestStrictWritesOnlyOCSFClasses(t *testing.T) {
	tables, err := ocsftable.Load()
	require.NoError(t, err)
	for _, e := range tables.GoodData {
		for _, carried := range []map[string]any{nil, {auditevent.AttrOCSFCategoryUID: e.CategoryUID, auditevent.AttrOCSFClassUID: e.ClassUID}} {
			_, got := classifyOne(t, configWith(func(c *Config) { c.IDMode = IDModeStrict }), e.EventName, carried)
			class, ok := tables.Class(got[auditevent.AttrOCSFClassUID].(int64))
			require.True(t, ok, e.EventName)
			assert.False(t, class.Custom, e.EventName)
			assert.Equal(t, class.CategoryUID, got[auditevent.AttrOCSFCategoryUID], e.EventName)
		}
	}
}
