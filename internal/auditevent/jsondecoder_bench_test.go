package auditevent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Realistic events: GoodData entries with the seed's 15 fields and small details, and Airkit
// rows with their 29 columns, most of them null as for a login. In a stream, ids, times and
// users change from one event to the next; the tenant, the event type and the like do not.
const (
	benchGoodDataFormat = `{"eventName":"DATA_SOURCE_UPDATED","categoryUid":"6","classUid":"6003","description":"Data source \"warehouse-%[1]d\" updated","ts":"2026-11-22T02:%02[2]d:%02[3]d.%03[4]dZ","orgId":"org_abc123","workspaceId":"workspace_xyz456","userId":"user_%[5]d","target":"datasource_%[1]d","source":"203.0.113.%[5]d","errorCode":null,"sessionContextType":"OIDC","sessionContextIdentifier":"token_%[6]d","success":true,"type":"audit","details":{"parameters":{"name":"warehouse-%[1]d","type":"SNOWFLAKE","password":"hunter%[6]d"},"changed":["url","password"]}}`
	benchAirkitFormat   = `{"ORGANIZATION_ID":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","EVENT_ID":"0190a1b2-c3d4-7e5f-8a9b-%012[6]x","EVENT_YEAR":2026,"EVENT_MONTH":"2026-11-01","EVENT_DATE":"2026-11-22","EVENT_TIME":"2026-11-22 02:%02[2]d:%02[3]d.%03[4]d","ROOT_SCOPE_USER_ID":"rsu-%[5]d","USER_ID":"u-%[5]d","EMAIL":"user%[5]d@example.com","APP_ID":null,"BRANCH_ID":null,"DEPLOY_ID":null,"SAVEPOINT_ID":null,"SAVEPOINT_REVISION":null,"RESOURCE_TYPE":null,"RESOURCE_ID":null,"DOMAIN":"example.com","DATASTORE_ID":null,"API_KEY_ID":null,"NOTIFIER_ID":null,"SAML_ID":null,"WEBHOOK_ID":null,"ADAPTER_ID":null,"EMBED_ID":null,"ROLE_ID":null,"SERVICE":"console","SERVICE_REVISION":"r42","LOGIN_TYPE":"password","EVENT_TYPE":"user_login"}`
)

// benchEvent returns the i-th event of a stream in format.
func benchEvent(format string, i int) string {
	return fmt.Sprintf(format, i%7, i/60%60, i%60, i%1000, i%50, 1000+i)
}

var (
	benchGoodData = benchEvent(benchGoodDataFormat, 0)
	benchAirkit   = benchEvent(benchAirkitFormat, 0)
)

// BenchmarkDecodeJSON decodes one event per op, the way the receiver does: from an NDJSON
// body of many events into one reused value ("ndjson"), or from a body of one event into a
// new value ("single"); "event" is NDJSON read as the receiver reads it, into a reused Event
// whose objects are then moved out, as the converter moves them into the record.
// "token" is the encoding/json Token decoder the scanner replaced.
func BenchmarkDecodeJSON(b *testing.B) {
	for _, ev := range []struct{ name, format string }{{"gooddata", benchGoodDataFormat}, {"airkit", benchAirkitFormat}} {
		var body []byte
		for i := range 1000 {
			body = append(body, benchEvent(ev.format, i)+"\n"...)
		}
		event := benchEvent(ev.format, 0)
		b.Run(ev.name+"/ndjson/token", func(b *testing.B) {
			v := pcommon.NewValueEmpty()
			var dec *json.Decoder
			b.SetBytes(int64(len(body) / 1000))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if i%1000 == 0 {
					dec = json.NewDecoder(bytes.NewReader(body))
					dec.UseNumber()
				}
				if err := tokenDecodeValue(dec, v); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(ev.name+"/ndjson/scanner", func(b *testing.B) {
			v := pcommon.NewValueEmpty()
			var d *JSONDecoder
			b.SetBytes(int64(len(body) / 1000))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if i%1000 == 0 {
					d = NewJSONDecoder(body)
				}
				if _, err := d.Next(v); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(ev.name+"/ndjson/event", func(b *testing.B) {
			var e Event
			moved := pcommon.NewValueEmpty()
			var d *JSONDecoder
			b.SetBytes(int64(len(body) / 1000))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if i%1000 == 0 {
					d = NewJSONDecoder(body)
				}
				if _, err := d.NextEvent(&e); err != nil {
					b.Fatal(err)
				}
				// The converter moves objects and arrays into the record: the next event's
				// are decoded into empty values.
				for i := range e.members {
					if v := e.members[i].val.v; v != (pcommon.Value{}) {
						v.MoveTo(moved)
					}
				}
			}
		})
		b.Run(ev.name+"/single/token", func(b *testing.B) {
			data := []byte(event)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				v := pcommon.NewValueEmpty()
				dec := json.NewDecoder(bytes.NewReader(data))
				dec.UseNumber()
				if err := tokenDecodeValue(dec, v); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(ev.name+"/single/scanner", func(b *testing.B) {
			data := []byte(event)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				v := pcommon.NewValueEmpty()
				if _, err := NewJSONDecoder(data).Next(v); err != nil && err != io.EOF {
					b.Fatal(err)
				}
			}
		})
	}
}
