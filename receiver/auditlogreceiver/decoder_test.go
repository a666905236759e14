package auditlogreceiver

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditship/auditship/internal/auditevent"
)

func TestLineCounter(t *testing.T) {
	body := []byte("ab\ncd\n\nef")
	c := lineCounter{body: body, line: 1}
	tests := []struct{ off, line, col int }{
		{0, 1, 1}, {1, 1, 2}, {3, 2, 1}, {4, 2, 2}, {6, 3, 1}, {7, 4, 1}, {9, 4, 3},
		{2, 1, 3}, // going back starts again from the top
	}
	for _, tt := range tests {
		line, col := c.position(tt.off)
		assert.Equal(t, [2]int{tt.line, tt.col}, [2]int{line, col}, "offset %d", tt.off)
	}
}

func TestDecodeKeepsGoingAfterAnInvalidEvent(t *testing.T) {
	d := newTestDecoder(t, nil)
	observed := pcommon.NewTimestampFromTime(time.Unix(1, 0))
	b := d.decode([]byte(`{"eventName":"x"}`+"\n"+goodDataLogin+"\n"+`{"EVENT_TYPE":"x"}`), observed)
	require.True(t, b.refused())
	assert.Equal(t, 3, b.events)
	assert.Equal(t, 2, b.invalid)
	assert.Equal(t, []int{1, 3}, []int{b.problems[0].Line, b.problems[1].Line})
}

// A null event is refused as such, not taken for the event before it (the decoder reuses one
// value for every event).
func TestDecodeNullAfterAnEvent(t *testing.T) {
	d := newTestDecoder(t, nil)
	b := d.decode([]byte(goodDataLogin+"\nnull\n"), pcommon.NewTimestampFromTime(time.Unix(1, 0)))
	assert.Equal(t, 2, b.events)
	assert.Equal(t, []problem{{Line: 2, Reason: "must be a JSON object, got null"}}, b.problems)
}

// Each record keeps its own event although the decoder reuses one map for all of them.
func TestDecodeEventsStayApart(t *testing.T) {
	d := newTestDecoder(t, nil)
	for _, body := range []string{
		goodDataLogin + "\n" + goodDataSetup + "\n" + airkitLogin,
		"[" + goodDataLogin + "," + goodDataSetup + "," + airkitLogin + "]",
	} {
		b := d.decode([]byte(body), pcommon.NewTimestampFromTime(time.Unix(1, 0)))
		require.False(t, b.refused(), b.problems)
		require.Equal(t, 3, b.records.Len())
		var got []string
		for _, lr := range b.records.All() {
			got = append(got, lr.EventName()+" "+auditevent.EventID(lr))
		}
		assert.Equal(t, []string{"USER_LOGIN ev-gd-1", "user_setting_changed ev-gd-2", "user_login ev-ak-1"}, got)
	}
}

// The converters move values out of the scratch value, and the decoder refills them: an event
// that repeats the one before it, which the decoder would otherwise keep as it is, still
// becomes a whole record.
func TestDecodeRepeatedEvents(t *testing.T) {
	d := newTestDecoder(t, nil)
	for _, event := range []string{goodDataLogin, goodDataSetup, airkitLogin} {
		assertThreeEqualRecords(t, &d, strings.Repeat(event+"\n", 3), event)
	}
}

// assertThreeEqualRecords decodes body, three copies of event, and checks that the three
// records are whole and equal.
func assertThreeEqualRecords(t *testing.T, d *eventDecoder, body, event string) {
	t.Helper()
	b := d.decode([]byte(body), pcommon.NewTimestampFromTime(time.Unix(1, 0)))
	require.False(t, b.refused(), b.problems)
	require.Equal(t, 3, b.records.Len())
	first := b.records.At(0)
	require.NotZero(t, first.Attributes().Len())
	for i := 1; i < 3; i++ {
		lr := b.records.At(i)
		assert.Equal(t, first.Attributes().AsRaw(), lr.Attributes().AsRaw(), event)
		assert.Equal(t, first.Body().AsRaw(), lr.Body().AsRaw(), event)
		assert.Equal(t, first.EventName(), lr.EventName(), event)
		assert.Equal(t, first.Timestamp(), lr.Timestamp(), event)
	}
}

// Records keep their events while later requests reuse the decoding state.
func TestDecodeRequestsStayApart(t *testing.T) {
	d := newTestDecoder(t, nil)
	observed := pcommon.NewTimestampFromTime(time.Unix(1, 0))
	first := d.decode([]byte(benchEvents(benchGoodDataFormat, 3, "\n")+benchEvents(benchAirkitFormat, 2, "\n")), observed)
	require.False(t, first.refused(), first.problems)
	var marshaler plog.JSONMarshaler
	want, err := marshaler.MarshalLogs(first.logs)
	require.NoError(t, err)

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			body := benchEvents(benchAirkitFormat, 20+i, "\n") + benchEvents(benchGoodDataFormat, 20+i, "\n")
			if i%2 == 1 {
				body = "[" + strings.ReplaceAll(strings.TrimSuffix(body, "\n"), "\n", ",") + "]"
			}
			b := d.decode([]byte(body), observed)
			assert.False(t, b.refused(), b.problems)
		})
	}
	wg.Wait()
	got, err := marshaler.MarshalLogs(first.logs)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got))
}

func TestDecodeNestingLimit(t *testing.T) {
	d := newTestDecoder(t, nil)
	deep := `{"eventName":"x","d":` + strings.Repeat("[", auditevent.MaxJSONDepth) + strings.Repeat("]", auditevent.MaxJSONDepth) + "}"
	b := d.decode([]byte(goodDataLogin+"\n"+deep), pcommon.NewTimestampFromTime(time.Unix(1, 0)))
	require.True(t, b.malformed)
	off := len(goodDataLogin) + 1 + len(`{"eventName":"x","d":`) + auditevent.MaxJSONDepth - 1
	assert.Equal(t, problem{Line: 2, Column: off - len(goodDataLogin), Offset: &off, Reason: "objects and arrays nested too deeply (more than 64 levels)"}, b.problems[len(b.problems)-1])
}

// Realistic events: GoodData entries with the seed's 15 fields and small details, and Airkit
// rows with their 29 columns, most of them null as for a login. In a stream, ids, times and
// users change from one event to the next; the tenant, the event type and the like do not.
const (
	benchGoodDataFormat = `{"eventName":"DATA_SOURCE_UPDATED","categoryUid":"6","classUid":"6003","description":"Data source \"warehouse-%[1]d\" updated","ts":"2026-11-22T02:%02[2]d:%02[3]d.%03[4]dZ","orgId":"org_abc123","workspaceId":"workspace_xyz456","userId":"user_%[5]d","target":"datasource_%[1]d","source":"203.0.113.%[5]d","errorCode":null,"sessionContextType":"OIDC","sessionContextIdentifier":"token_%[6]d","success":true,"type":"audit","details":{"parameters":{"name":"warehouse-%[1]d","type":"SNOWFLAKE","password":"hunter%[6]d"},"changed":["url","password"]}}`
	benchAirkitFormat   = `{"ORGANIZATION_ID":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","EVENT_ID":"0190a1b2-c3d4-7e5f-8a9b-%012[6]x","EVENT_YEAR":2026,"EVENT_MONTH":"2026-11-01","EVENT_DATE":"2026-11-22","EVENT_TIME":"2026-11-22 02:%02[2]d:%02[3]d.%03[4]d","ROOT_SCOPE_USER_ID":"rsu-%[5]d","USER_ID":"u-%[5]d","EMAIL":"user%[5]d@example.com","APP_ID":null,"BRANCH_ID":null,"DEPLOY_ID":null,"SAVEPOINT_ID":null,"SAVEPOINT_REVISION":null,"RESOURCE_TYPE":null,"RESOURCE_ID":null,"DOMAIN":"example.com","DATASTORE_ID":null,"API_KEY_ID":null,"NOTIFIER_ID":null,"SAML_ID":null,"WEBHOOK_ID":null,"ADAPTER_ID":null,"EMBED_ID":null,"ROLE_ID":null,"SERVICE":"console","SERVICE_REVISION":"r42","LOGIN_TYPE":"password","EVENT_TYPE":"user_login"}`
)

// benchEvents returns n events of a stream in format, each followed by sep.
func benchEvents(format string, n int, sep string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, format, i%7, i/60%60, i%60, i%1000, i%50, 1000+i)
		b.WriteString(sep)
	}
	return b.String()
}

// BenchmarkDecodeNDJSON measures a whole request body turned into records, per event: JSON
// decoding and conversion to the record. "small" is the short events of the other tests.
func BenchmarkDecodeNDJSON(b *testing.B) {
	b.Run("small", func(b *testing.B) {
		benchDecode(b, 1000, []byte(strings.Repeat(goodDataSetup+"\n"+airkitLogin+"\n", 500)))
	})
	b.Run("gooddata", func(b *testing.B) { benchDecode(b, 1000, []byte(benchEvents(benchGoodDataFormat, 1000, "\n"))) })
	b.Run("airkit", func(b *testing.B) { benchDecode(b, 1000, []byte(benchEvents(benchAirkitFormat, 1000, "\n"))) })
	b.Run("airkit_camel", func(b *testing.B) {
		benchDecode(b, 1000, []byte(benchEvents(benchAirkitCamelFormat, 1000, "\n")))
	})
	b.Run("mapped", func(b *testing.B) {
		cfg := createDefaultConfig().(*Config)
		cfg.Mapping = benchMapping
		d, err := newEventDecoder(cfg, "bench")
		require.NoError(b, err)
		benchDecodeWith(b, d, 1000, []byte(benchEvents(benchMappedFormat, 1000, "\n")))
	})
}

// The same events as an Airkit camelCase source and a homegrown one would send them.
const (
	benchAirkitCamelFormat = `{"organizationId":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","eventId":"0190a1b2-c3d4-7e5f-8a9b-%012[6]x","eventTime":"2026-11-22 02:%02[2]d:%02[3]d.%03[4]d","rootScopeUserId":"rsu-%[5]d","userId":"u-%[5]d","email":"user%[5]d@example.com","domain":"example.com","service":"console","serviceRevision":"r42","loginType":"password","type":"user_login","kind":"Audit","sessionId":"s-%[1]d"}`
	benchMappedFormat      = `{"id":"0190a1b2-c3d4-7e5f-8a9b-%012[6]x","action":"user.login","at":17332%02[2]d%02[3]d%03[4]d,"tenant":{"id":"acme","plan":"pro"},"actor":{"id":"u-%[5]d","email":"user%[5]d@example.com"},"request":{"ip":"203.0.113.%[5]d","ua":"curl/%[1]d"},"outcome":{"ok":true}}`
)

var benchMapping = map[string]string{
	"event_id": "id", "event_name": "action", "time": "at", "org_id": "tenant.id", "user_id": "actor.id",
	"user_email": "actor.email", "client_address": "request.ip", "success": "outcome.ok",
}

// BenchmarkDecodeArray is BenchmarkDecodeNDJSON for a JSON array on one line.
func BenchmarkDecodeArray(b *testing.B) {
	events := benchEvents(benchGoodDataFormat, 1000, ",")
	benchDecode(b, 1000, []byte("["+events[:len(events)-1]+"]"))
}

// BenchmarkDecodeSingle is requests of one event each, as a sidecar may send.
func BenchmarkDecodeSingle(b *testing.B) {
	for _, format := range []struct{ name, format string }{{"gooddata", benchGoodDataFormat}, {"airkit", benchAirkitFormat}} {
		b.Run(format.name, func(b *testing.B) {
			var bodies [][]byte
			for _, event := range strings.Split(benchEvents(format.format, 100, "\n"), "\n")[:100] {
				bodies = append(bodies, []byte(event))
			}
			benchDecode(b, 1, bodies...)
		})
	}
}

// benchDecode decodes the bodies in turn, each holding events events.
func benchDecode(b *testing.B, events int, bodies ...[]byte) {
	benchDecodeWith(b, newTestDecoder(b, nil), events, bodies...)
}

func benchDecodeWith(b *testing.B, d eventDecoder, events int, bodies ...[]byte) {
	observed := pcommon.NewTimestampFromTime(time.Now())
	b.SetBytes(int64(len(bodies[0])))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; b.Loop(); i++ {
		if bt := d.decode(bodies[i%len(bodies)], observed); bt.refused() || bt.events != events {
			b.Fatalf("events %d, problems %v", bt.events, bt.problems)
		}
	}
	runtime.ReadMemStats(&after)
	n := float64(b.N * events)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/event")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/n, "B/event")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/event")
}

// newTestDecoder compiles the input settings that configure sets on the defaults.
func newTestDecoder(t testing.TB, configure func(*InputConfig)) eventDecoder {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	if configure != nil {
		configure(&cfg.InputConfig)
	}
	d, err := newEventDecoder(cfg, "test")
	require.NoError(t, err)
	return d
}

func TestDecodeLimits(t *testing.T) {
	observed := pcommon.NewTimestampFromTime(time.Unix(1, 0))
	limited := newTestDecoder(t, func(c *InputConfig) {
		c.MaxEventsPerRequest = 2
		c.MaxEventBytes = len(goodDataLogin)
	})
	bigger := goodDataLogin[:len(goodDataLogin)-1] + `,"x":1}`
	tooMany := "one event too many: a request may hold at most 2 events (max_events_per_request); split it"
	tooBig := "is larger than max_event_bytes (" + fmt.Sprint(len(goodDataLogin)) + " bytes)"
	tests := []struct {
		name   string
		body   string
		events int
		want   []problem
	}{
		{"at the limits, ndjson", goodDataLogin + "\n" + goodDataLogin + "\n", 2, nil},
		{"at the limits, array", "[" + goodDataLogin + "," + goodDataLogin + "]", 2, nil},
		{"one event too many, ndjson", goodDataLogin + "\n\n" + goodDataLogin + "\n" + goodDataLogin + "\n" + goodDataLogin, 3,
			[]problem{{Line: 4, Reason: tooMany}}},
		{"one event too many, array", "[" + goodDataLogin + "," + goodDataLogin + "," + goodDataLogin + "," + goodDataLogin + "]", 3,
			[]problem{{Index: intPtr(2), Reason: tooMany}}},
		{"too many after invalid JSON is not reached", goodDataLogin + "\n{\n" + goodDataLogin, 1,
			[]problem{{Line: 3, Column: 1, Offset: intPtr(len(goodDataLogin) + 3), Reason: "invalid JSON: invalid character looking for beginning of object key string"}}},
		{"an event too large, ndjson", goodDataLogin + "\n" + bigger, 2, []problem{{Line: 2, Reason: tooBig}}},
		{"an event too large, array", "[" + bigger + "," + goodDataLogin + "]", 2, []problem{{Index: intPtr(0), Reason: tooBig}}},
		{"an event too large and one too many", bigger + "\n" + bigger + "\n" + goodDataLogin, 3,
			[]problem{{Line: 1, Reason: tooBig}, {Line: 2, Reason: tooBig}, {Line: 3, Reason: tooMany}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := limited.decode([]byte(tt.body), observed)
			assert.Equal(t, tt.events, b.events)
			assert.Equal(t, tt.want, b.problems)
			assert.Equal(t, tt.want != nil, b.refused())
		})
	}
}

func TestDecodeThroughTheMapping(t *testing.T) {
	observed := pcommon.NewTimestampFromTime(time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC))
	d := newTestDecoder(t, func(c *InputConfig) {
		c.Mapping = map[string]string{"event_name": "action", "time": "at", "org_id": "tenant.id", "user_id": "actor.id"}
		c.DefaultTime = DefaultTimeReceived
		c.RequiredFields = []string{"event_name", "org_id", "user_id"}
	})
	body := `{"action":"login","at":1733212345,"tenant":{"id":"acme"},"actor":{"id":"u1"}}
{"action":"logout","tenant":{"id":"acme"},"actor":{"id":"u1"},"reason":"idle"}
` + goodDataLogin + `
{"action":"login","at":1733212345,"tenant":{"id":"acme"}}
{"action":"login","at":true,"tenant":{"id":"acme"},"actor":{"id":"u1"}}
`
	b := d.decode([]byte(body), observed)
	assert.Equal(t, []problem{
		{Line: 4, Field: "actor.id", Reason: "is required"},
		{Line: 5, Field: "at", Reason: "must be a time such as 2026-11-22T02:30:00.123Z (RFC 3339), 2026-11-22 02:30:00.123 (UTC) or a number of seconds, milliseconds, microseconds or nanoseconds since 1970, got a boolean"},
	}, b.problems)
	// The request is refused, but the events before the first invalid one were converted.
	require.GreaterOrEqual(t, b.records.Len(), 3)
	first, second, third := b.records.At(0), b.records.At(1), b.records.At(2)
	assert.Equal(t, time.Unix(1733212345, 0).UTC(), first.Timestamp().AsTime())
	assert.Equal(t, observed, second.Timestamp(), "default_time: received")
	assert.Equal(t, map[string]any{"reason": "idle"}, second.Body().Map().AsRaw())
	assert.Equal(t, auditevent.FormatMapped, auditevent.StrAttr(second, auditevent.AttrSourceFormat))
	assert.Equal(t, auditevent.FormatGoodData, auditevent.StrAttr(third, auditevent.AttrSourceFormat), "built-in shapes still detected")
	assert.Equal(t, "u-1", auditevent.StrAttr(third, auditevent.AttrUserID))
}

// As TestDecodeRepeatedEvents, for the shapes whose converters take keys out of the event
// (a mapping removes what it maps) and for camelCase Airkit events.
func TestDecodeRepeatedEventsOfEveryShape(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Mapping = benchMapping
	d, err := newEventDecoder(cfg, "test")
	require.NoError(t, err)
	for _, event := range []string{benchEvents(benchMappedFormat, 1, ""), benchEvents(benchAirkitCamelFormat, 1, "")} {
		for _, body := range []string{strings.Repeat(event+"\n", 3), "[" + event + "," + event + "," + event + "]"} {
			assertThreeEqualRecords(t, &d, body, event)
		}
	}
}

// repeatEvent is a valid GoodData entry of about size bytes whose details hold an array of
// value repeated: with small values, the most values a body can hold.
func repeatEvent(size int, value string) string {
	const head, tail = `{"eventName":"E","ts":"2023-01-20T18:55:32.466Z","orgId":"acme","details":{"a":[`, `]}}`
	n := (size - len(head) - len(tail) + 1) / (len(value) + 1)
	return head + strings.Repeat(value+",", n-1) + value + tail
}

// Whatever a body holds, decoding it allocates a bounded multiple of its size: an event too
// large is refused before or while it is decoded (on a line of its own, before), and the
// values of a request are bounded by its size (valueBudget). The request is refused whole,
// where the bound is crossed.
func TestDecodeMemoryIsBounded(t *testing.T) {
	const bodySize = 4 << 20
	const tooLarge = "is larger than max_event_bytes (1048576 bytes)"
	// The values a body may hold are an eighth of its bytes; an array or object counts as 4.
	tooManyValues := func(body string) string {
		return fmt.Sprintf("one value too many: the events of a request may hold one value (string, number, boolean or null; "+
			"an object or array counts as 4) per 8 bytes of its body, %d in this one; send fewer, larger values", len(body)/8)
	}
	zeros := repeatEvent(bodySize/8, "0")
	zerosNDJSON := strings.Repeat(zeros+"\n", 8)
	zerosArray := "[" + strings.Repeat(zeros+",", 7) + zeros + "]"
	emptyArrays := strings.Repeat(repeatEvent(bodySize/8, "[]")+"\n", 8)
	emptyObjects := strings.Repeat(repeatEvent(bodySize/8, "{}")+"\n", 8)
	tests := []struct {
		name string
		body string
		want problem
	}{
		{"one event too large, ndjson", repeatEvent(bodySize, "0"), problem{Line: 1, Reason: tooLarge}},
		{"one event too large, array", "[" + repeatEvent(bodySize, "0") + "]", problem{Index: intPtr(0), Reason: tooLarge}},
		{"one event too large, on many lines", repeatEvent(bodySize, "\n0"), problem{Line: 1, Reason: tooLarge}},
		{"valid events of zeros, ndjson", zerosNDJSON, problem{Line: 3, Reason: tooManyValues(zerosNDJSON)}},
		{"valid events of zeros, array", zerosArray, problem{Index: intPtr(2), Reason: tooManyValues(zerosArray)}},
		{"valid events of empty arrays", emptyArrays, problem{Line: 1, Reason: tooManyValues(emptyArrays)}},
		{"valid events of empty objects", emptyObjects, problem{Line: 1, Reason: tooManyValues(emptyObjects)}},
	}
	d := newTestDecoder(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.body)
			var b *batch
			allocated, peak := measureMemory(func() { b = d.decode(body, benchObserved) })
			t.Logf("body %d bytes: allocated %d bytes, peak heap %d bytes more", len(body), allocated, peak)
			assert.Equal(t, []problem{tt.want}, b.problems)
			assert.True(t, b.refused())
			// About 12 times the body at most (see the README), with room to spare; it was 50.
			assert.Less(t, allocated, uint64(16*len(body)))
		})
	}
}

// The bound on values lets real events through: a small request may hold a few arrays of small
// numbers (minValueBudget), and a big one events of the usual density (a value per 20 bytes or
// more; the budget is one per 8).
func TestDecodeValueBudgetPassesRealEvents(t *testing.T) {
	small := repeatEvent(256, "1")
	tests := []struct{ name, body string }{
		{"a small event of small numbers", small},
		{"a few of them", "[" + strings.Repeat(small+",", 9) + small + "]"},
		{"events of both shapes", benchEvents(benchGoodDataFormat, 2000, "\n") + benchEvents(benchAirkitFormat, 2000, "\n")},
	}
	d := newTestDecoder(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := d.decode([]byte(tt.body), benchObserved)
			assert.Empty(t, b.problems)
			assert.Positive(t, b.records.Len())
		})
	}
}

// measureMemory runs f and returns the bytes it allocated and how far the heap grew at most
// while it ran, sampled every millisecond.
func measureMemory(f func()) (allocated, peak uint64) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	done := make(chan struct{})
	sampled := make(chan uint64)
	go func() {
		var highest uint64
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			highest = max(highest, ms.HeapAlloc)
			select {
			case <-done:
				sampled <- highest
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	f()
	runtime.ReadMemStats(&after)
	close(done)
	highest := max(<-sampled, after.HeapAlloc)
	return after.TotalAlloc - before.TotalAlloc, highest - min(highest, before.HeapAlloc)
}

// TestDecodeStateKeptOnlyAfterCleanRequests: a request refused for any event may have stopped
// decoding inside one and left its values (a credential, perhaps) in the decoding state, so
// that state does not serve another request.
func TestDecodeStateKeptOnlyAfterCleanRequests(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    batch
		want bool
	}{
		{"clean", batch{}, true},
		{"invalid JSON", batch{malformed: true}, false},
		{"a refused event", batch{problems: []problem{{Line: 1, Reason: "one value too many"}}}, false},
		{"an event too large to keep its room", batch{largest: maxKeptEvent + 1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.b.keepsState())
		})
	}
}
