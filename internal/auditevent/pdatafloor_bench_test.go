package auditevent

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// The events of `make bench-e2e` (internal/cmd/benche2e): a plain one, and one of the fifth
// that carry credentials.
var floorEvents = []string{
	`{"eventName":"USER_LOGIN","description":"benchmark event","ts":"2026-11-22T02:00:00.001Z","orgId":"org-1","workspaceId":"ws-1","userId":"user-1","target":"dashboard-1","source":"203.0.113.1","sessionContextType":"OIDC","sessionContextIdentifier":"session-1","success":true,"type":"audit","eventId":"bench-1","details":{"requestId":"req-1","changed":["title","layout"]}}`,
	`{"eventName":"USER_LOGIN","description":"benchmark event","ts":"2026-11-22T02:00:00.001Z","orgId":"org-1","workspaceId":"ws-1","userId":"user-1","target":"dashboard-1","source":"203.0.113.1","sessionContextType":"OIDC","sessionContextIdentifier":"session-1","success":true,"type":"audit","eventId":"bench-1","details":{"requestId":"req-1","parameters":{"clientId":"client-7","clientSecret":"bench-secret-1","password":"pw-1"}}}`,
}

// BenchmarkPdataFloor is the least a pipeline carrying the data contract (DESIGN.md) pays
// through pdata's public API per event, whatever its code: the receiver's record built with
// one allocation per value and no key lookups (CopyTo of a converted record), the ocsf
// processor's ten attributes, and every value read twice (the mask processor, the encoder).
// No parsing, classifying, masking, encoding or I/O. Run it with -cpu 1, so that the garbage
// collector's work is in ns/op; times a million is CPU-seconds per million events.
func BenchmarkPdataFloor(b *testing.B) {
	var converted []plog.LogRecord
	for _, text := range floorEvents {
		var e Event
		if _, err := NewJSONDecoder([]byte(text)).NextEvent(&e); err != nil {
			b.Fatal(err)
		}
		lr := plog.NewLogRecord()
		if err := ConvertGoodData(e.eventMap(), lr, &DefaultRules, 1); err != nil {
			b.Fatal(err)
		}
		converted = append(converted, lr)
	}
	b.ReportAllocs()
	var records plog.LogRecordSlice
	read := 0
	for i := 0; b.Loop(); i++ {
		if i%1000 == 0 {
			// Requests of 1,000 events, as the end-to-end benchmark sends.
			records = plog.NewLogs().ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
		}
		lr := records.AppendEmpty()
		// Room for the processors' attributes, as the converters leave (processorAttrs).
		lr.Attributes().EnsureCapacity(converted[0].Attributes().Len() + processorAttrs)
		converted[min(i%5, 1)].CopyTo(lr)
		attrs := lr.Attributes()
		attrs.PutInt("ocsf.category_uid", 3)
		attrs.PutStr("ocsf.category_name", "Identity & Access Management")
		attrs.PutInt("ocsf.class_uid", 3002)
		attrs.PutStr("ocsf.class_name", "Authentication")
		attrs.PutInt("ocsf.activity_id", 1)
		attrs.PutStr("ocsf.activity_name", "Logon")
		attrs.PutInt("ocsf.type_uid", 300201)
		attrs.PutStr("ocsf.type_name", "Authentication: Logon")
		attrs.PutInt("ocsf.severity_id", 1)
		attrs.PutInt("ocsf.status_id", 1)
		for range 2 {
			for _, v := range attrs.All() {
				read += readValue(v)
			}
			read += readValue(lr.Body())
		}
	}
	if read == 0 {
		b.Fatal("nothing read")
	}
}

// readValue reads v and what it holds, and returns the length of the strings in it.
func readValue(v pcommon.Value) int {
	switch v.Type() {
	case pcommon.ValueTypeMap:
		n := 0
		for _, x := range v.Map().All() {
			n += readValue(x)
		}
		return n
	case pcommon.ValueTypeSlice:
		n := 0
		for _, x := range v.Slice().All() {
			n += readValue(x)
		}
		return n
	}
	return len(v.Str())
}
