package ocsfprocessor

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/auditship/auditship/internal/auditevent"
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
		attrs   map[string]any
		want    map[string]any
		outcome outcome
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
			name: "GoodData's own class", eventName: "auth_provider_create",
			attrs: map[string]any{auditevent.AttrSourceFormat: auditevent.FormatGoodData, auditevent.AttrOCSFCategoryUID: int64(99), auditevent.AttrOCSFClassUID: int64(99001)},
			want:  classAttrs(99, ocsftable.CustomCategoryName, 99001, "GoodData-specific 99001", 99, "AUTH_PROVIDER_CREATE", "GoodData-specific 99001: Other"), outcome: classified,
		},
		{
			name: "GoodData success false is a failure", eventName: "user_login",
			attrs: map[string]any{auditevent.AttrSourceFormat: auditevent.FormatGoodData, auditevent.AttrSuccess: false},
			want:  with(logon, auditevent.AttrOCSFStatusID, int64(2)), outcome: classified,
		},
		{
			name: "GoodData success true is a success", eventName: "data_access",
			attrs: map[string]any{auditevent.AttrSourceFormat: auditevent.FormatGoodData, auditevent.AttrSuccess: true},
			want:  with(classAttrs(6, "Application Activity", 6005, "Datastore Activity", 1, "Read", "Datastore Activity: Read"), auditevent.AttrOCSFStatusID, int64(1)), outcome: classified,
		},
		{
			name: "Airkit invalid_login is a failed logon", eventName: "invalid_login",
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
			name: "Airkit label for activity Other", eventName: "deleted_api_key",
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
			name: "other formats fall back to Airkit", eventName: "invalid_login",
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
			name: "unknown name keeps the source's class", eventName: "role_rename",
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
			name: "class only: category follows the class", eventName: "role_rename",
			attrs: map[string]any{auditevent.AttrOCSFClassUID: int64(3005)},
			want:  with(accessMgmt, auditevent.AttrOCSFActivityName, "role_rename"), outcome: unknown,
		},
		{
			name: "source class other than the table's is kept", eventName: "user_login",
			attrs: map[string]any{auditevent.AttrSourceFormat: auditevent.FormatGoodData, auditevent.AttrOCSFCategoryUID: int64(3), auditevent.AttrOCSFClassUID: int64(3005)},
			want:  with(accessMgmt, auditevent.AttrOCSFActivityName, "user_login"), outcome: mismatched,
		},
		{
			name: "source category other than the class's is kept, unnamed", eventName: "user_login",
			attrs: map[string]any{auditevent.AttrSourceFormat: auditevent.FormatGoodData, auditevent.AttrOCSFCategoryUID: int64(6), auditevent.AttrOCSFClassUID: int64(3002)},
			want:  with(authOther, auditevent.AttrOCSFCategoryUID, int64(6), auditevent.AttrOCSFCategoryName, nil, auditevent.AttrOCSFActivityName, "user_login"), outcome: mismatched,
		},
		{
			name: "a mismatched class keeps the status the name decides", eventName: "invalid_login",
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
	compiled, err := (&Config{Events: events}).compileEvents(tables)
	require.NoError(t, err)
	c, err := newClassifier(tables, compiled)
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr := plog.NewLogRecord()
			lr.SetEventName(tt.eventName)
			require.NoError(t, lr.Attributes().FromRaw(tt.attrs))
			lr.Attributes().PutStr("user.id", "u1")
			assert.Equal(t, tt.outcome, c.classify(lr))
			assert.Equal(t, tt.want, ocsfAttrs(lr))
			assert.Equal(t, tt.eventName, lr.EventName(), "the event name is left as given")
			v, _ := lr.Attributes().Get("user.id")
			assert.Equal(t, "u1", v.Str(), "other attributes are left alone")

			// Classifying again changes nothing: the processor may run twice on one record.
			c.classify(lr)
			assert.Equal(t, tt.want, ocsfAttrs(lr))
		})
	}
}

func TestEveryBuiltInEventIsClassified(t *testing.T) {
	tables, err := ocsftable.Load()
	require.NoError(t, err)
	c, err := newClassifier(tables, nil)
	require.NoError(t, err)
	for format, entries := range map[string][]ocsftable.Classification{auditevent.FormatGoodData: tables.GoodData, auditevent.FormatAirkit: tables.Airkit} {
		for _, e := range entries {
			for _, name := range []string{e.EventName, strings.ToLower(e.EventName), strings.ToUpper(e.EventName)} {
				lr := plog.NewLogRecord()
				lr.SetEventName(name)
				lr.Attributes().PutStr(auditevent.AttrSourceFormat, format)
				require.Equal(t, classified, c.classify(lr), "%s %s", format, name)
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

func counterValue(t *testing.T, tel *componenttest.Telemetry, name string) int64 {
	t.Helper()
	m, err := tel.GetMetric(name)
	if err != nil {
		return 0
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is a sum", name)
	var total int64
	for _, dp := range sum.DataPoints {
		total += dp.Value
	}
	return total
}

func TestProcessLogsCountsAndNeverDrops(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	core, observed := observer.New(zap.WarnLevel)
	sink, consume := newTestProcessor(t, tel, zap.New(core), &Config{})

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
	assert.Equal(t, int64(3), counterValue(t, tel, metadata.MetricClassifiedEvents))
	assert.Equal(t, int64(2), counterValue(t, tel, metadata.MetricUnknownEvents))
	assert.Equal(t, int64(1), counterValue(t, tel, metadata.MetricMismatchedEvents))

	// The unknown name is logged once, by name, however often it comes.
	warnings := observed.FilterField(zap.String("event_name", "mystery")).All()
	assert.Len(t, warnings, 1)
}

func TestUnknownNamesWarnedAtMostBounded(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	core, observed := observer.New(zap.WarnLevel)
	_, consume := newTestProcessor(t, tel, zap.New(core), &Config{})
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for i := range maxWarnedNames + 50 {
		lrs.AppendEmpty().SetEventName("made_up_" + strings.Repeat("x", i))
	}
	consume(ld)
	assert.Equal(t, maxWarnedNames, observed.Len())
	assert.Equal(t, int64(maxWarnedNames+50), counterValue(t, tel, metadata.MetricUnknownEvents))
	for _, e := range observed.All() {
		assert.LessOrEqual(t, len(e.ContextMap()["event_name"].(string)), maxLoggedNameLen+3)
	}
}

// benchRecords is the size of a benchmark batch.
const benchRecords = 1000

// benchBatch returns records as the receiver makes them from GoodData entries: 14-15 attributes
// and a details body, event names in lower case as GoodData's files write them, half carrying
// GoodData's own categoryUid and classUid, a fifth with credentials under details.parameters,
// and one in a hundred named in no table.
func benchBatch(b *testing.B, tables *ocsftable.Tables) plog.Logs {
	b.Helper()
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	var line []byte
	for i := range benchRecords {
		e := tables.GoodData[i%len(tables.GoodData)]
		name := strings.ToLower(e.EventName)
		if i%100 == 99 {
			name = "custom_retention_change"
		}
		line = append(line[:0], `{"eventName":"`...)
		line = append(line, name...)
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
		entry := pcommon.NewMap()
		require.NoError(b, auditevent.ParseJSONObject(line, entry))
		require.NoError(b, auditevent.GoodDataToRecord(entry, lrs.AppendEmpty()))
	}
	return ld
}

func BenchmarkProcessLogs(b *testing.B) {
	tables, err := ocsftable.Load()
	require.NoError(b, err)
	c, err := newClassifier(tables, nil)
	require.NoError(b, err)
	tb, err := metadata.NewTelemetryBuilder(componenttest.NewNopTelemetrySettings())
	require.NoError(b, err)
	p := newOCSFProcessor(c, tb, zap.NewNop())
	batch := benchBatch(b, tables)
	ld := plog.NewLogs()
	b.ReportAllocs()
	for b.Loop() {
		// Every batch arrives unclassified; classifying the same records again would measure
		// only the path that finds everything already written.
		b.StopTimer()
		// Collected here, the garbage of the last copy is not timed; copied after, the batch is
		// in the cache, as a batch the receiver has just decoded is.
		runtime.GC()
		batch.CopyTo(ld)
		b.StartTimer()
		if _, err := p.processLogs(context.Background(), ld); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchRecords), "ns/record")
}
