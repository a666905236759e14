package ocsfprocessor

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/auditship/auditship/internal/auditevent"
	"github.com/auditship/auditship/internal/metrictest"
	"github.com/auditship/auditship/processor/ocsfprocessor/internal/metadata"
	"github.com/auditship/auditship/processor/ocsfprocessor/internal/ocsftable"
)

// ocsfAttrs returns the record's ocsf.* attributes, the processor's whole output.
func ocsfAttrs(lr plog.LogRecord) map[string]any {
	out := map[string]any{}
	for k, v := range lr.Attributes().All() {
		if strings.HasPrefix(k, "ocsf.") {
			out[k] = v.AsRaw()
		}
	}
	return out
}

// classAttrs spells the attributes of a full classification.
func classAttrs(cat int64, catName string, class int64, className string, act int64, actName string, typeName string) map[string]any {
	return map[string]any{
		auditevent.AttrOCSFCategoryUID:  cat,
		auditevent.AttrOCSFCategoryName: catName,
		auditevent.AttrOCSFClassUID:     class,
		auditevent.AttrOCSFClassName:    className,
		auditevent.AttrOCSFActivityID:   act,
		auditevent.AttrOCSFActivityName: actName,
		auditevent.AttrOCSFTypeUID:      class*100 + act,
		auditevent.AttrOCSFTypeName:     typeName,
	}
}

func with(m map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(m)+len(kv)/2)
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// withOutcome adds to want the status_id 0 Unknown when it has none, and severity_id (1
// Informational when severity is 0).
func withOutcome(want map[string]any, severity int64) map[string]any {
	out := with(want)
	if _, ok := out[auditevent.AttrOCSFStatusID]; !ok {
		out[auditevent.AttrOCSFStatusID] = int64(0)
	}
	if severity == 0 {
		severity = 1
	}
	out[auditevent.AttrOCSFSeverityID] = severity
	return out
}

const iam = "Identity & Access Management"

var (
	logon      = classAttrs(3, iam, 3002, "Authentication", 1, "Logon", "Authentication: Logon")
	baseEvent  = classAttrs(0, "Uncategorized", 0, "Base Event", 99, "", "Base Event: Other")
	authOther  = classAttrs(3, iam, 3002, "Authentication", 99, "", "Authentication: Other")
	accessMgmt = classAttrs(3, iam, 3005, "User Access Management", 99, "", "User Access Management: Other")
)

func TestClassify(t *testing.T) {
	events := map[string]EventClass{
		"report_export":  {ClassUID: 6005, ActivityID: 4},
		"Data_Migration": {ClassUID: 6005, ActivityID: 99, ActivityName: "Migrate"},
	}
	tests := []struct {
		name      string
		eventName string
		// attrs are put on the record before processing.
		attrs map[string]any
		// want are the classification attributes, and status_id when not 0 Unknown.
		want map[string]any
		// severity is the severity_id expected; 0 means 1 Informational.
		severity int64
		outcome  outcome
	}{
		{
			name: "GoodData name in lower case", eventName: "user_login",
			attrs: map[string]any{auditevent.AttrSourceFormat: auditevent.FormatGoodData},
			want:  logon, outcome: classified,
		},
		{
			name: "GoodData name as its table writes it", eventName: "USER_LOGIN",
			attrs: map[string]any{auditevent.AttrSourceFormat: auditevent.FormatGoodData},
			want:  logon, outcome: classified,
		},
		{
			name: "mixed case", eventName: "User_Login",
			attrs: map[string]any{auditevent.AttrSourceFormat: auditevent.FormatGoodData},
			want:  logon, outcome: classified,
		},
		{
			name: "GoodData entry carrying its category and class", eventName: "user_login",
			attrs: map[string]any{auditevent.AttrSourceFormat: auditevent.FormatGoodData, auditevent.AttrOCSFCategoryUID: int64(3), auditevent.AttrOCSFClassUID: int64(3002)},
			want:  logon, outcome: classified,
		},
		{
			name: "uids given as strings become ints", eventName: "user_login",
			attrs: map[string]any{auditevent.AttrOCSFCategoryUID: "3", auditevent.AttrOCSFClassUID: "3002"},
			want:  logon, outcome: classified,
		},
		{
			name: "GoodData's own class", severity: 3, eventName: "auth_provider_create",
			attrs: map[string]any{auditevent.AttrSourceFormat: auditevent.FormatGoodData, auditevent.AttrOCSFCategoryUID: int64(99), auditevent.AttrOCSFClassUID: int64(99001)},
			want:  classAttrs(99, ocsftable.CustomCategoryName, 99001, "GoodData-specific 99001", 99, "AUTH_PROVIDER_CREATE", "GoodData-specific 99001: Other"), outcome: classified,
		},
		{
			name: "GoodData success false is a failure", severity: 3, eventName: "user_login",
			attrs: map[string]any{auditevent.AttrSourceFormat: auditevent.FormatGoodData, auditevent.AttrSuccess: false},
			want:  with(logon, auditevent.AttrOCSFStatusID, int64(2)), outcome: classified,
		},
		{
			name: "GoodData success true is a success", eventName: "data_access",
			attrs: map[string]any{auditevent.AttrSourceFormat: auditevent.FormatGoodData, auditevent.AttrSuccess: true},
			want:  with(classAttrs(6, "Application Activity", 6005, "Datastore Activity", 1, "Read", "Datastore Activity: Read"), auditevent.AttrOCSFStatusID, int64(1)), outcome: classified,
		},
		{
			name: "Airkit invalid_login is a failed logon", severity: 3, eventName: "invalid_login",
			attrs: map[string]any{auditevent.AttrSourceFormat: auditevent.FormatAirkit},
			want:  with(logon, auditevent.AttrOCSFStatusID, int64(2)), outcome: classified,
		},
		{
			name: "Airkit user_login succeeds", eventName: "user_login",
			attrs: map[string]any{auditevent.AttrSourceFormat: auditevent.FormatAirkit},
			want:  with(logon, auditevent.AttrOCSFStatusID, int64(1)), outcome: classified,
		},
		{
			name: "Airkit status decided by the event is not guessed", eventName: "saml_assertion_received",
			attrs: map[string]any{auditevent.AttrSourceFormat: auditevent.FormatAirkit},
			want:  logon, outcome: classified,
		},
		{
			name: "a status the record carries is kept", eventName: "invalid_login",
			attrs: map[string]any{auditevent.AttrSourceFormat: auditevent.FormatAirkit, auditevent.AttrOCSFStatusID: int64(99)},
			want:  with(logon, auditevent.AttrOCSFStatusID, int64(99)), outcome: classified,
		},
		{
			name: "Airkit label for activity Other", severity: 2, eventName: "deleted_api_key",
			attrs: map[string]any{auditevent.AttrSourceFormat: auditevent.FormatAirkit},
			want:  with(authOther, auditevent.AttrOCSFActivityName, "API Key Delete"), outcome: classified,
		},
		{
			name: "a GoodData record is not looked up in Airkit's table", eventName: "invalid_login",
			attrs: map[string]any{auditevent.AttrSourceFormat: auditevent.FormatGoodData},
			want:  with(baseEvent, auditevent.AttrOCSFActivityName, "invalid_login"), outcome: unknown,
		},
		{
			name: "an Airkit record is not looked up in GoodData's table", eventName: "DATA_ACCESS",
			attrs: map[string]any{auditevent.AttrSourceFormat: auditevent.FormatAirkit},
			want:  with(baseEvent, auditevent.AttrOCSFActivityName, "DATA_ACCESS"), outcome: unknown,
		},
		{
			name: "other formats try GoodData first", eventName: "user_logout",
			attrs: map[string]any{auditevent.AttrSourceFormat: "otlp"},
			want:  classAttrs(3, iam, 3002, "Authentication", 2, "Logoff", "Authentication: Logoff"), outcome: classified,
		},
		{
			name: "other formats fall back to Airkit", severity: 3, eventName: "invalid_login",
			want: with(logon, auditevent.AttrOCSFStatusID, int64(2)), outcome: classified,
		},
		{
			name: "unknown name passes on as Base Event", eventName: "quantum_flux",
			attrs: map[string]any{auditevent.AttrSourceFormat: auditevent.FormatAirkit},
			want:  with(baseEvent, auditevent.AttrOCSFActivityName, "quantum_flux"), outcome: unknown,
		},
		{
			name: "empty name", eventName: "",
			want: with(baseEvent, auditevent.AttrOCSFActivityName, "Other"), outcome: unknown,
		},
		{
			name: "unknown name keeps the source's class", severity: 2, eventName: "role_rename",
			attrs: map[string]any{auditevent.AttrSourceFormat: auditevent.FormatGoodData, auditevent.AttrOCSFCategoryUID: int64(3), auditevent.AttrOCSFClassUID: int64(3005)},
			want:  with(accessMgmt, auditevent.AttrOCSFActivityName, "role_rename"), outcome: unknown,
		},
		{
			name: "unknown name and class: uids kept, no names guessed", eventName: "role_rename",
			attrs: map[string]any{auditevent.AttrOCSFCategoryUID: int64(77), auditevent.AttrOCSFClassUID: int64(77001)},
			want: map[string]any{
				auditevent.AttrOCSFCategoryUID: int64(77), auditevent.AttrOCSFClassUID: int64(77001),
				auditevent.AttrOCSFActivityID: int64(99), auditevent.AttrOCSFActivityName: "role_rename", auditevent.AttrOCSFTypeUID: int64(7700199),
			},
			outcome: unknown,
		},
		{
			name: "class only: category follows the class", severity: 2, eventName: "role_rename",
			attrs: map[string]any{auditevent.AttrOCSFClassUID: int64(3005)},
			want:  with(accessMgmt, auditevent.AttrOCSFActivityName, "role_rename"), outcome: unknown,
		},
		{
			name: "source class other than the table's is kept", severity: 2, eventName: "user_login",
			attrs: map[string]any{auditevent.AttrSourceFormat: auditevent.FormatGoodData, auditevent.AttrOCSFCategoryUID: int64(3), auditevent.AttrOCSFClassUID: int64(3005)},
			want:  with(accessMgmt, auditevent.AttrOCSFActivityName, "user_login"), outcome: mismatched,
		},
		{
			name: "source category other than the class's is kept, unnamed", eventName: "user_login",
			attrs: map[string]any{auditevent.AttrSourceFormat: auditevent.FormatGoodData, auditevent.AttrOCSFCategoryUID: int64(6), auditevent.AttrOCSFClassUID: int64(3002)},
			want:  with(authOther, auditevent.AttrOCSFCategoryUID, int64(6), auditevent.AttrOCSFCategoryName, nil, auditevent.AttrOCSFActivityName, "user_login"), outcome: mismatched,
		},
		{
			name: "a mismatched class keeps the status the name decides", severity: 3, eventName: "invalid_login",
			attrs: map[string]any{auditevent.AttrSourceFormat: auditevent.FormatAirkit, auditevent.AttrOCSFClassUID: int64(3005)},
			want:  with(accessMgmt, auditevent.AttrOCSFActivityName, "invalid_login", auditevent.AttrOCSFStatusID, int64(2)), outcome: mismatched,
		},
		{
			name: "a class that is no integer is replaced", eventName: "user_login",
			attrs: map[string]any{auditevent.AttrOCSFClassUID: "auth"},
			want:  logon, outcome: classified,
		},
		{
			name: "configured event", eventName: "REPORT_EXPORT",
			attrs: map[string]any{auditevent.AttrSourceFormat: auditevent.FormatAirkit},
			want:  classAttrs(6, "Application Activity", 6005, "Datastore Activity", 4, "Query", "Datastore Activity: Query"), outcome: classified,
		},
		{
			name: "configured event replaces the built-in one", eventName: "data_migration",
			attrs: map[string]any{auditevent.AttrSourceFormat: auditevent.FormatAirkit},
			want:  classAttrs(6, "Application Activity", 6005, "Datastore Activity", 99, "Migrate", "Datastore Activity: Other"), outcome: classified,
		},
	}
	tables, err := ocsftable.Load()
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	cfg.Events = events
	c, err := newClassifier(tables, cfg)
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr := plog.NewLogRecord()
			lr.SetEventName(tt.eventName)
			require.NoError(t, lr.Attributes().FromRaw(tt.attrs))
			lr.Attributes().PutStr("user.id", "u1")
			want := withOutcome(tt.want, tt.severity)
			o, _ := c.classify(lr)
			assert.Equal(t, tt.outcome, o)
			assert.Equal(t, want, ocsfAttrs(lr))
			assert.Equal(t, tt.eventName, lr.EventName(), "the event name is left as given")
			v, _ := lr.Attributes().Get("user.id")
			assert.Equal(t, "u1", v.Str(), "other attributes are left alone")

			// Classifying again changes nothing: the processor may run twice on one record.
			c.classify(lr)
			assert.Equal(t, want, ocsfAttrs(lr))
		})
	}
}

func TestEveryBuiltInEventIsClassified(t *testing.T) {
	tables, err := ocsftable.Load()
	require.NoError(t, err)
	c, err := newClassifier(tables, createDefaultConfig().(*Config))
	require.NoError(t, err)
	for format, entries := range map[string][]ocsftable.Classification{auditevent.FormatGoodData: tables.GoodData, auditevent.FormatAirkit: tables.Airkit} {
		for _, e := range entries {
			for _, name := range []string{e.EventName, strings.ToLower(e.EventName), strings.ToUpper(e.EventName)} {
				lr := plog.NewLogRecord()
				lr.SetEventName(name)
				lr.Attributes().PutStr(auditevent.AttrSourceFormat, format)
				o, _ := c.classify(lr)
				require.Equal(t, classified, o, "%s %s", format, name)
				got := ocsfAttrs(lr)
				assert.Equal(t, e.ClassUID, got[auditevent.AttrOCSFClassUID], name)
				assert.Equal(t, e.CategoryUID, got[auditevent.AttrOCSFCategoryUID], name)
				assert.Equal(t, e.ClassUID*100+e.ActivityID, got[auditevent.AttrOCSFTypeUID], name)
			}
		}
	}
}

func newTestProcessor(t *testing.T, tel *componenttest.Telemetry, logger *zap.Logger, cfg *Config) (*consumertest.LogsSink, func(plog.Logs)) {
	t.Helper()
	set := processortest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	set.Logger = logger
	sink := new(consumertest.LogsSink)
	p, err := NewFactory().CreateLogs(context.Background(), set, cfg, sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, p.Shutdown(context.Background())) })
	return sink, func(ld plog.Logs) { require.NoError(t, p.ConsumeLogs(context.Background(), ld)) }
}

func TestProcessLogsCountsAndNeverDrops(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	core, observed := observer.New(zap.WarnLevel)
	sink, consume := newTestProcessor(t, tel, zap.New(core), createDefaultConfig().(*Config))

	ld := plog.NewLogs()
	add := func(rl plog.ResourceLogs, name string, attrs map[string]any) {
		lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
		lr.SetEventName(name)
		require.NoError(t, lr.Attributes().FromRaw(attrs))
	}
	gd := map[string]any{auditevent.AttrSourceFormat: auditevent.FormatGoodData}
	rl1, rl2 := ld.ResourceLogs().AppendEmpty(), ld.ResourceLogs().AppendEmpty()
	add(rl1, "user_login", gd)
	add(rl1, "data_access", gd)
	add(rl1, "mystery", gd)
	add(rl2, "mystery", gd)
	add(rl2, "new_api_key", map[string]any{auditevent.AttrSourceFormat: auditevent.FormatAirkit})
	add(rl2, "user_login", map[string]any{auditevent.AttrSourceFormat: auditevent.FormatGoodData, auditevent.AttrOCSFCategoryUID: int64(6), auditevent.AttrOCSFClassUID: int64(6005)})
	consume(ld)

	require.Len(t, sink.AllLogs(), 1)
	assert.Equal(t, 6, sink.LogRecordCount(), "no record is dropped")
	assert.Equal(t, int64(3), metrictest.CounterTotal(t, tel, metadata.MetricClassifiedEvents))
	assert.Equal(t, int64(2), metrictest.CounterTotal(t, tel, metadata.MetricUnknownEvents))
	assert.Equal(t, int64(1), metrictest.CounterTotal(t, tel, metadata.MetricMismatchedEvents))

	// The unknown name is logged once, by name, however often it comes.
	warnings := observed.FilterField(zap.String("event_name", "mystery")).All()
	assert.Len(t, warnings, 1)
}

func TestUnknownNamesBounded(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	core, observed := observer.New(zap.WarnLevel)
	_, consume := newTestProcessor(t, tel, zap.New(core), createDefaultConfig().(*Config))
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for i := range maxUnknownNames + 50 {
		lrs.AppendEmpty().SetEventName("made_up_" + strings.Repeat("x", i))
	}
	lrs.AppendEmpty().SetEventName("made_up_")
	consume(ld)

	named := observed.FilterFieldKey("event_name").All()
	assert.Len(t, named, maxUnknownNames, "each tracked name is logged once")
	for _, e := range named {
		assert.LessOrEqual(t, len(e.ContextMap()["event_name"].(string)), maxLoggedNameLen+3)
	}
	assert.Len(t, observed.FilterMessageSnippet("more distinct unknown event names").All(), 1, "the limit is logged once")

	byName := counterByAttr(t, tel, metadata.MetricUnknownEvents, metadata.AttrEventName)
	assert.Len(t, byName, maxUnknownNames+1, "the first names, and other")
	assert.Equal(t, int64(2), byName["made_up_"])
	assert.Equal(t, int64(50), byName[metadata.AttrValueOther])
	assert.Equal(t, int64(maxUnknownNames+51), metrictest.CounterTotal(t, tel, metadata.MetricUnknownEvents))
}

// counterByAttr returns a counter's values by one attribute.
func counterByAttr(t *testing.T, tel *componenttest.Telemetry, name, key string) map[string]int64 {
	t.Helper()
	m, err := tel.GetMetric(name)
	require.NoError(t, err)
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is a sum", name)
	out := map[string]int64{}
	for _, dp := range sum.DataPoints {
		v, ok := dp.Attributes.Value(attribute.Key(key))
		require.True(t, ok, "%s has %s", name, key)
		out[v.AsString()] += dp.Value
	}
	return out
}

func TestEventsCountedByClass(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	_, consume := newTestProcessor(t, tel, zap.NewNop(), createDefaultConfig().(*Config))
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for _, name := range []string{"user_login", "user_logout", "data_access", "mystery"} {
		lrs.AppendEmpty().SetEventName(name)
	}
	odd := lrs.AppendEmpty()
	odd.SetEventName("role_rename")
	odd.Attributes().PutInt(auditevent.AttrOCSFClassUID, 77001)
	consume(ld)
	assert.Equal(t, map[string]int64{"3002": 2, "6005": 1, "0": 1, metadata.AttrValueOther: 1},
		counterByAttr(t, tel, metadata.MetricEvents, metadata.AttrClassUID), "a class no table knows counts as other")
}

func TestUnknownDrop(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	core, observed := observer.New(zap.WarnLevel)
	cfg := createDefaultConfig().(*Config)
	cfg.Unknown = UnknownDrop
	sink, consume := newTestProcessor(t, tel, zap.New(core), cfg)

	ld := plog.NewLogs()
	kept := ld.ResourceLogs().AppendEmpty()
	lrs := kept.ScopeLogs().AppendEmpty().LogRecords()
	lrs.AppendEmpty().SetEventName("mystery")
	lrs.AppendEmpty().SetEventName("user_login")
	lrs.AppendEmpty().SetEventName("mystery")
	// A scope and a resource holding only unknown events go with them.
	kept.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().SetEventName("enigma")
	ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().SetEventName("mystery")
	// An empty scope that arrived empty is not ours to remove.
	ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty()
	consume(ld)

	require.Len(t, sink.AllLogs(), 1)
	out := sink.AllLogs()[0]
	assert.Equal(t, 1, out.LogRecordCount())
	assert.Equal(t, 2, out.ResourceLogs().Len())
	assert.Equal(t, 1, out.ResourceLogs().At(0).ScopeLogs().Len())
	assert.Equal(t, "user_login", out.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).EventName())
	assert.Equal(t, int64(4), metrictest.CounterTotal(t, tel, metadata.MetricDroppedEvents))
	assert.Equal(t, map[string]int64{"mystery": 3, "enigma": 1}, counterByAttr(t, tel, metadata.MetricUnknownEvents, metadata.AttrEventName))
	assert.Equal(t, map[string]int64{"3002": 1}, counterByAttr(t, tel, metadata.MetricEvents, metadata.AttrClassUID))
	warnings := observed.FilterField(zap.String("event_name", "mystery")).All()
	require.Len(t, warnings, 1, "dropping is never silent, and logged once per name")
	assert.Contains(t, warnings[0].Message, "dropping")

	// A batch of nothing but unknown events is not passed on at all.
	only := plog.NewLogs()
	only.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().SetEventName("mystery")
	consume(only)
	assert.Len(t, sink.AllLogs(), 1)
	assert.Equal(t, int64(5), metrictest.CounterTotal(t, tel, metadata.MetricDroppedEvents))
}

// benchRecords is the size of a benchmark batch.
const benchRecords = 1000

// benchEntries returns GoodData entries as the receiver gets them: 14-15 fields and details,
// event names in lower case as GoodData's files write them, half carrying GoodData's own
// categoryUid and classUid, a fifth with credentials under details.parameters, and one in a
// hundred named in no table.
func benchEntries(tables *ocsftable.Tables) [][]byte {
	lines := make([][]byte, benchRecords)
	for i := range lines {
		e := tables.GoodData[i%len(tables.GoodData)]
		name := strings.ToLower(e.EventName)
		if i%100 == 99 {
			name = "custom_retention_change"
		}
		line := append([]byte(`{"eventName":"`), name...)
		if i%2 == 0 {
			line = fmt.Appendf(line, `","categoryUid":"%d","classUid":"%d`, e.CategoryUID, e.ClassUID)
		}
		line = fmt.Appendf(line, `","description":"benchmark event","ts":"2026-11-22T02:30:00.123Z","orgId":"org-%d","workspaceId":"ws-%d","userId":"user-%d","target":"dashboard-%d","source":"203.0.113.%d","sessionContextType":"OIDC","sessionContextIdentifier":"session-%d","success":%t,"type":"audit","eventId":"bench-%d"`,
			i%7, i%97, i%503, i%211, i%250, i%1000, i%13 != 0, i)
		if i%13 == 0 {
			line = append(line, `,"errorCode":"ACCESS_DENIED"`...)
		}
		if i%5 == 0 {
			line = fmt.Appendf(line, `,"details":{"requestId":"req-%d","parameters":{"clientId":"client-7","clientSecret":"secret-%d","password":"pw-%d"}}}`, i, i, i)
		} else {
			line = fmt.Appendf(line, `,"details":{"requestId":"req-%d","changed":["title","layout"]}}`, i)
		}
		lines[i] = line
	}
	return lines
}

// benchBatch decodes and converts entries as the receiver does. A copy of one batch would not
// do: CopyTo sizes attribute arrays exactly (or reuses the destination's, grown by the last
// iteration), while the receiver's converters leave their own room, and whether classify finds
// room for what it adds decides whether it copies every record's attributes.
func benchBatch(b *testing.B, lines [][]byte) plog.Logs {
	b.Helper()
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	lrs.EnsureCapacity(len(lines))
	for _, line := range lines {
		entry := pcommon.NewMap()
		require.NoError(b, auditevent.ParseJSONObject(line, entry))
		require.NoError(b, auditevent.GoodDataToRecord(entry, lrs.AppendEmpty()))
	}
	return ld
}

func BenchmarkProcessLogs(b *testing.B) {
	benchmarkProcessLogs(b, createDefaultConfig().(*Config))
}

// BenchmarkProcessLogsStrictWithRules adds what a Security Lake deployment configures: strict
// ids, and rules that every record is matched against (one for any name).
func BenchmarkProcessLogsStrictWithRules(b *testing.B) {
	cfg := createDefaultConfig().(*Config)
	cfg.IDMode = IDModeStrict
	cfg.Rules = []Rule{
		{EventName: "user_login", Attributes: map[string]any{auditevent.AttrSuccess: false}, SeverityID: ptr(severityHigh)},
		{EventName: "data_access", Attributes: map[string]any{auditevent.AttrErrorCode: "ACCESS_DENIED"}, StatusID: ptr(statusFailure), SeverityID: ptr(severityHigh)},
		{Attributes: map[string]any{auditevent.AttrWorkspaceID: "ws-13"}, SeverityID: ptr(severityMedium)},
	}
	benchmarkProcessLogs(b, cfg)
}

func benchmarkProcessLogs(b *testing.B, cfg *Config) {
	tables, err := ocsftable.Load()
	require.NoError(b, err)
	c, err := newClassifier(tables, cfg)
	require.NoError(b, err)
	tb, err := metadata.NewTelemetryBuilder(componenttest.NewNopTelemetrySettings())
	require.NoError(b, err)
	p := newOCSFProcessor(c, tb, zap.NewNop())
	lines := benchEntries(tables)
	b.ReportAllocs()
	for b.Loop() {
		// Every batch arrives unclassified and new, as from the receiver; the decoding, and
		// collecting the last batch, are not timed.
		b.StopTimer()
		ld := benchBatch(b, lines)
		runtime.GC()
		b.StartTimer()
		if _, err := p.processLogs(context.Background(), ld); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchRecords), "ns/record")
}

// The processor is shared by the pipeline's goroutines: the unknown-name bookkeeping must hold
// under concurrent batches (run with -race).
func TestConcurrentBatches(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	cfg := createDefaultConfig().(*Config)
	cfg.Rules = []Rule{{EventName: "user_login", Attributes: map[string]any{auditevent.AttrSuccess: false}, SeverityID: ptr(severityHigh)}}
	_, consume := newTestProcessor(t, tel, zap.NewNop(), cfg)
	const workers, batches = 4, 40 // 160 distinct names, more than are tracked
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				ld := plog.NewLogs()
				lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
				lrs.AppendEmpty().SetEventName(fmt.Sprintf("unknown_%d_%d", w, b))
				lr := lrs.AppendEmpty()
				lr.SetEventName("user_login")
				lr.Attributes().PutBool(auditevent.AttrSuccess, false)
				consume(ld)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int64(workers*batches), metrictest.CounterTotal(t, tel, metadata.MetricUnknownEvents))
	assert.Equal(t, int64(workers*batches), metrictest.CounterTotal(t, tel, metadata.MetricClassifiedEvents))
	byName := counterByAttr(t, tel, metadata.MetricUnknownEvents, metadata.AttrEventName)
	assert.Len(t, byName, maxUnknownNames+1)
	assert.Equal(t, int64(workers*batches-maxUnknownNames), byName[metadata.AttrValueOther])
}

// An unknown name that may hold a credential is neither logged nor a metric label: the
// processor runs before mask.
func TestUnknownNameHoldingCredentialIsWithheld(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	core, observed := observer.New(zap.DebugLevel)
	_, consume := newTestProcessor(t, tel, zap.New(core), createDefaultConfig().(*Config))
	const token = "ghp_a1B2c3a1B2c3a1B2c3a1B2c3a1B2c3a1B2c3"
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for _, name := range []string{"EXPORT " + token, "mystery", "EXPORT " + token, "login password=hunter2"} {
		lrs.AppendEmpty().SetEventName(name)
	}
	consume(ld)

	for _, e := range observed.All() {
		text := e.Message + fmt.Sprint(e.ContextMap())
		assert.NotContains(t, text, token[4:20])
		assert.NotContains(t, text, "hunter2")
	}
	assert.Len(t, observed.FilterField(zap.String("event_name", "mystery")).All(), 1, "a plain unknown name is still logged")
	assert.Len(t, observed.FilterMessageSnippet("looks as if it holds a credential").All(), 1, "withheld names are said to be, once")
	assert.Equal(t, map[string]int64{"mystery": 1, metadata.AttrValueOther: 3},
		counterByAttr(t, tel, metadata.MetricUnknownEvents, metadata.AttrEventName))
}
