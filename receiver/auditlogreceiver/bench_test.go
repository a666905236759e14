package auditlogreceiver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditship/auditship/internal/auditevent"
)

// corpus10kSize is how many events the side-by-side benchmark decodes per request.
const corpus10kSize = 10_000

// corpus10k is one request's worth of events in the three encodings the benchmark compares:
// our NDJSON and array bodies, and the OTLP JSON that the stock path would receive for the same
// records, made by marshalling what our decoder produced, so both sides hold the same content.
type corpus10k struct {
	ndjson, array, otlp []byte
}

var benchObserved = pcommon.NewTimestampFromTime(time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC))

// newCorpus10k builds the bodies. The events come in a fixed pseudo-random order of shapes and
// kinds, as a gateway that merges the streams of several services would see them; that is the
// least favourable order for the decoder, which compares each event's keys with the last one's.
func newCorpus10k(tb testing.TB) corpus10k {
	tb.Helper()
	rng := rand.New(rand.NewPCG(6, 10_000))
	events := make([][]byte, corpus10kSize)
	for i := range events {
		if rng.IntN(2) == 0 {
			events[i] = realisticGoodData(rng, i)
		} else {
			events[i] = realisticAirkit(rng, i)
		}
	}
	var c corpus10k
	c.ndjson = append(bytes.Join(events, []byte{'\n'}), '\n')
	c.array = append(append([]byte{'['}, bytes.Join(events, []byte{','})...), ']')

	d := newTestDecoder(tb, nil)
	b := d.decode(c.ndjson, benchObserved)
	require.False(tb, b.refused(), "%v", b.problems)
	require.Equal(tb, corpus10kSize, b.records.Len())
	otlp, err := (&plog.JSONMarshaler{}).MarshalLogs(b.logs)
	require.NoError(tb, err)
	c.otlp = otlp
	return c
}

// benchMember is one key and value of a JSON object, kept in the order an event writes them.
type benchMember struct {
	key   string
	value any // a string, a number, a bool, nil, []any or benchObject
}

type benchObject []benchMember

func appendJSON(buf []byte, v any) []byte {
	switch v := v.(type) {
	case benchObject:
		buf = append(buf, '{')
		for i, m := range v {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSON(buf, m.key)
			buf = append(buf, ':')
			buf = appendJSON(buf, m.value)
		}
		return append(buf, '}')
	case []any:
		buf = append(buf, '[')
		for i, e := range v {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSON(buf, e)
		}
		return append(buf, ']')
	default:
		text, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		return append(buf, text...)
	}
}

// gdKinds are GoodData events as the documentation lists them, with the details some carry.
var gdKinds = []struct {
	name, category, class, description string
	details                            func(rng *rand.Rand, i int) benchObject
}{
	{name: "USER_LOGIN", category: "3", class: "3002", description: "User logged in"},
	{name: "USER_LOGOUT", category: "3", class: "3002", description: "User logged out"},
	{name: "DATA_ACCESS", category: "6", class: "6005", description: "User accessed workspace data"},
	{name: "DATASOURCE_UPDATE", category: "99", class: "99002", description: "Data source updated",
		details: func(rng *rand.Rand, i int) benchObject {
			return benchObject{{"parameters", benchObject{
				{"name", fmt.Sprintf("warehouse-%d", i%13)},
				{"type", "SNOWFLAKE"},
				{"url", fmt.Sprintf("jdbc:snowflake://acme-%d.snowflakecomputing.com/?warehouse=WH", i%5)},
				{"username", "svc_gooddata"},
				{"password", "****"},
				{"cacheStrategy", "ALWAYS"},
			}}, {"changed", []any{"url", "password"}}}
		}},
	{name: "DATA_EXPORT_INITIATE", category: "6", class: "6005", description: "User started a data export",
		details: func(rng *rand.Rand, i int) benchObject {
			return benchObject{{"exportFormat", []string{"CSV", "XLSX", "PDF"}[i%3]}, {"exportId", fmt.Sprintf("exp-%08x", rng.Uint32())}}
		}},
	{name: "PERMISSION_USER_ADD", category: "3", class: "3005", description: "Permission added to user",
		details: func(rng *rand.Rand, i int) benchObject {
			return benchObject{{"permissionLevel", "MANAGE"}, {"benchObject", benchObject{{"type", "workspace"}, {"id", fmt.Sprintf("ws_%d", i%40)}}}, {"inherited", false}}
		}},
	{name: "USER_UPDATE", category: "3", class: "3001", description: "User account updated",
		details: func(rng *rand.Rand, i int) benchObject {
			return benchObject{{"parameters", benchObject{{"changedAttributes", []any{"email", "firstname"}}, {"userGroups", []any{"admins", "analysts"}}, {"version", i % 9}}}}
		}},
}

func realisticGoodData(rng *rand.Rand, i int) []byte {
	k := gdKinds[rng.IntN(len(gdKinds))]
	user := rng.IntN(200)
	ts := benchObserved.AsTime().Add(-time.Duration(corpus10kSize-i) * 37 * time.Millisecond)
	var errorCode any
	success := true
	if k.name == "USER_LOGIN" && rng.IntN(5) == 0 {
		errorCode, success = "Access Denied", false
	}
	ev := benchObject{
		{"eventName", k.name},
		{"categoryUid", k.category},
		{"classUid", k.class},
		{"description", k.description + " by user_" + strconv.Itoa(user)},
		{"ts", ts.Format("2006-01-02T15:04:05.000Z07:00")},
		{"orgId", "org_" + strconv.Itoa(rng.IntN(20))},
		{"workspaceId", "workspace_" + strconv.Itoa(rng.IntN(40))},
		{"userId", "user_" + strconv.Itoa(user)},
		{"target", "dashboard_" + strconv.Itoa(rng.IntN(500))},
		{"source", fmt.Sprintf("10.%d.%d.%d", rng.IntN(256), rng.IntN(256), rng.IntN(256))},
		{"errorCode", errorCode},
		{"sessionContextType", []string{"OIDC", "JWT", "API Token"}[rng.IntN(3)]},
		{"sessionContextIdentifier", fmt.Sprintf("token_%012x", rng.Uint64()&0xffffffffffff)},
		{"success", success},
		{"type", "audit"},
		{"eventId", fmt.Sprintf("gd-%016x-%06d", rng.Uint64(), i)},
	}
	if k.details != nil {
		ev = append(ev, benchMember{"details", k.details(rng, i)})
	}
	return appendJSON(nil, ev)
}

// akKinds are Airkit event types with the columns each sets beyond the common ones.
var akKinds = []struct {
	eventType string
	set       []string
}{
	{"user_login", nil},
	{"portal_page_view", []string{"APP_ID"}},
	{"app_deployed", []string{"APP_ID", "BRANCH_ID", "DEPLOY_ID", "SAVEPOINT_ID", "SAVEPOINT_REVISION"}},
	{"modified_datastore", []string{"DATASTORE_ID", "RESOURCE_TYPE", "RESOURCE_ID"}},
	{"new_api_key", []string{"API_KEY_ID", "ROLE_ID"}},
}

func realisticAirkit(rng *rand.Rand, i int) []byte {
	k := akKinds[rng.IntN(len(akKinds))]
	t := benchObserved.AsTime().Add(-time.Duration(corpus10kSize-i) * 41 * time.Millisecond)
	user := rng.IntN(200)
	row := benchObject{
		{"ORGANIZATION_ID", fmt.Sprintf("0190a1b2-c3d4-7e5f-8a9b-%012x", rng.IntN(20))},
		{"EVENT_ID", fmt.Sprintf("0190a1b2-c3d4-7e5f-%04x-%012x", rng.Uint32()&0xffff, i)},
		{"EVENT_YEAR", t.Year()},
		{"EVENT_MONTH", t.Format("2006-01") + "-01"},
		{"EVENT_DATE", t.Format("2006-01-02")},
		{"EVENT_TIME", t.Format("2006-01-02 15:04:05.000")},
		{"ROOT_SCOPE_USER_ID", fmt.Sprintf("rsu-%d", user)},
		{"USER_ID", fmt.Sprintf("u-%d", user)},
		{"EMAIL", fmt.Sprintf("user%d@example.com", user)},
	}
	for _, c := range auditevent.AirkitColumns[9:] {
		switch {
		case c.Name == "EVENT_TYPE":
			row = append(row, benchMember{c.Name, k.eventType})
		case c.Name == "DOMAIN":
			row = append(row, benchMember{c.Name, "example.com"})
		case c.Name == "SERVICE":
			row = append(row, benchMember{c.Name, "console"})
		case c.Name == "SERVICE_REVISION":
			row = append(row, benchMember{c.Name, "r" + strconv.Itoa(40+rng.IntN(3))})
		case c.Name == "LOGIN_TYPE" && k.eventType == "user_login":
			row = append(row, benchMember{c.Name, "password"})
		case slices.Contains(k.set, c.Name):
			row = append(row, benchMember{c.Name, fmt.Sprintf("%08x-%04x", rng.Uint32(), rng.IntN(1<<16))})
		default:
			row = append(row, benchMember{c.Name, nil})
		}
	}
	return appendJSON(nil, row)
}

// TestDecode10kSameContent keeps BenchmarkDecode10k honest: every side turns the body into the
// same records, with the same event ids in the same order, and the events are the size the
// benchmark claims.
func TestDecode10kSameContent(t *testing.T) {
	c := newCorpus10k(t)
	perEvent := len(c.ndjson) / corpus10kSize
	assert.True(t, perEvent >= 500 && perEvent <= 700, "%d bytes per event", perEvent)

	d := newTestDecoder(t, nil)
	ids := func(records plog.LogRecordSlice) []string {
		var got []string
		for _, lr := range records.All() {
			got = append(got, auditevent.EventID(lr))
		}
		return got
	}
	ndjson := d.decode(c.ndjson, benchObserved)
	require.False(t, ndjson.refused(), "%v", ndjson.problems)
	array := d.decode(c.array, benchObserved)
	require.False(t, array.refused(), "%v", array.problems)
	stock, err := (&plog.JSONUnmarshaler{}).UnmarshalLogs(c.otlp)
	require.NoError(t, err)

	want := ids(ndjson.records)
	require.Len(t, want, corpus10kSize)
	assert.Len(t, slices.Compact(slices.Sorted(slices.Values(want))), corpus10kSize, "event ids are unique")
	assert.Equal(t, want, ids(array.records))
	require.Equal(t, corpus10kSize, stock.LogRecordCount())
	assert.Equal(t, want, ids(stock.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()))

	// Beyond the ids, the stock path gives back all of what it was given.
	again, err := (&plog.JSONMarshaler{}).MarshalLogs(stock)
	require.NoError(t, err)
	assert.Equal(t, string(c.otlp), string(again))
}

// BenchmarkDecode10k compares, per event, a request of 10,000 realistic events (about 600 bytes
// each, both shapes, some with nested details) turned into plog.Logs: ours from NDJSON and from
// a JSON array, and the stock path, plog.JSONUnmarshaler, from the same records as OTLP JSON.
//
//	go test -run '^$' -bench 'Decode10k' -benchmem -count 5 ./receiver/auditlogreceiver/
func BenchmarkDecode10k(b *testing.B) {
	c := newCorpus10k(b)
	d := newTestDecoder(b, nil)
	ours := func(body []byte) func(*testing.B) {
		return func(b *testing.B) {
			measurePerEvent(b, len(body), func() int {
				bt := d.decode(body, benchObserved)
				if bt.refused() {
					b.Fatalf("refused: %v", bt.problems)
				}
				return bt.records.Len()
			})
		}
	}
	b.Run("auditship_ndjson", ours(c.ndjson))
	b.Run("auditship_array", ours(c.array))
	b.Run("stock_otlp_json", func(b *testing.B) {
		var u plog.JSONUnmarshaler
		measurePerEvent(b, len(c.otlp), func() int {
			logs, err := u.UnmarshalLogs(c.otlp)
			if err != nil {
				b.Fatal(err)
			}
			return logs.LogRecordCount()
		})
	})
}

// measurePerEvent runs decode, which returns the records it made, and reports the cost per
// event besides the usual per-request figures. cpu-ns/event is the CPU time of the whole
// process, the garbage collector's included: on a machine shared with other work it varies
// much less than the elapsed time.
func measurePerEvent(b *testing.B, bodySize int, decode func() int) {
	b.SetBytes(int64(bodySize))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpuBefore := processCPUTime()
	for b.Loop() {
		if n := decode(); n != corpus10kSize {
			b.Fatalf("%d records, want %d", n, corpus10kSize)
		}
	}
	cpu := processCPUTime() - cpuBefore
	runtime.ReadMemStats(&after)
	events := float64(b.N) * corpus10kSize
	nsPerEvent := float64(b.Elapsed().Nanoseconds()) / events
	b.ReportMetric(nsPerEvent, "ns/event")
	b.ReportMetric(1e9/nsPerEvent, "events/s")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/events, "cpu-ns/event")
	}
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/events, "allocs/event")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/events, "B/event")
}
