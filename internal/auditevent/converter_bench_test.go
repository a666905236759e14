package auditevent

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/plog"
)

// BenchmarkConvertEvent decodes and converts one event per op the way the receiver does: from
// an NDJSON body of many events into one reused Event, then into a new record of a request's
// logs. BenchmarkDecodeJSON's scanner figures are the decoding's share.
func BenchmarkConvertEvent(b *testing.B) {
	conv, err := NewConverter(ShapeAuto, DefaultRules, nil)
	if err != nil {
		b.Fatal(err)
	}
	bodies := map[string][]byte{}
	for i := range 1000 {
		bodies["gooddata"] = append(bodies["gooddata"], benchEvent(benchGoodDataFormat, i)+"\n"...)
		bodies["airkit"] = append(bodies["airkit"], benchEvent(benchAirkitFormat, i)+"\n"...)
		// The end-to-end benchmark's events, which carry an id, one in five with credentials.
		bodies["gooddata_e2e"] = append(bodies["gooddata_e2e"], floorEvents[min(i%5, 1)]+"\n"...)
	}
	for _, name := range []string{"gooddata", "gooddata_e2e", "airkit"} {
		body := bodies[name]
		b.Run(name, func(b *testing.B) {
			var (
				e       Event
				d       *JSONDecoder
				records plog.LogRecordSlice
			)
			b.SetBytes(int64(len(body) / 1000))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if i%1000 == 0 {
					d = NewJSONDecoder(body)
					records = plog.NewLogs().ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
				}
				if _, err := d.NextEvent(&e); err != nil {
					b.Fatal(err)
				}
				if err := conv.ConvertEvent(&e, records.AppendEmpty(), 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
