package maskprocessor

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/auditship/auditship/internal/auditevent"
	"github.com/auditship/auditship/processor/ocsfprocessor"
)

// e2eBatch returns one request of the end-to-end benchmark (internal/cmd/benche2e) as it reaches
// the mask processor: the generator's NDJSON lines, the first fifth with a clientSecret and a
// password, decoded and converted as the receiver does, then classified by the ocsf processor.
// Which values repeat from record to record and which hold ':' or '=' decide what the walker's
// memo and byte scans save, so the shape is the pipeline's own rather than a likeness.
func e2eBatch(b *testing.B) plog.Logs {
	b.Helper()
	const tenants = 20
	var body []byte
	for i := range benchRecords {
		ts := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Millisecond)
		body = append(body, `{"eventName":"`+benchEvents[i%len(benchEvents)].name+`","description":"benchmark event","ts":"`...)
		body = ts.AppendFormat(body, "2006-01-02T15:04:05.000Z")
		body = append(body, `","orgId":"org-`+strconv.Itoa(i%tenants)+`","workspaceId":"ws-`+strconv.Itoa(i%97)+
			`","userId":"user-`+strconv.Itoa(i%5003)+`","target":"dashboard-`+strconv.Itoa(i%211)+
			`","source":"203.0.113.`+strconv.Itoa(i%250)+`","sessionContextType":"OIDC","sessionContextIdentifier":"session-`+strconv.Itoa(i%1000)+
			`","success":true,"type":"audit","eventId":"bench-`+strconv.Itoa(i)+`","details":{"requestId":"req-`+strconv.Itoa(i)...)
		if i < benchRecords/5 {
			body = append(body, `","parameters":{"clientId":"client-7","clientSecret":"bench-secret-`+strconv.Itoa(i)+
				`","password":"pw-`+strconv.Itoa(i)+`"}}}`...)
		} else {
			body = append(body, `","changed":["title","layout"]}}`...)
		}
		body = append(body, '\n')
	}
	conv, err := auditevent.NewConverter(auditevent.ShapeAuto, auditevent.DefaultRules, nil)
	require.NoError(b, err)
	ld := plog.NewLogs()
	records := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	dec := auditevent.NewJSONDecoder(body)
	var e auditevent.Event
	received := pcommon.NewTimestampFromTime(time.Now())
	for range benchRecords {
		_, err := dec.NextEvent(&e)
		require.NoError(b, err)
		require.NoError(b, conv.ConvertEvent(&e, records.AppendEmpty(), received))
	}
	sink := new(consumertest.LogsSink)
	f := ocsfprocessor.NewFactory()
	ocsf, err := f.CreateLogs(context.Background(), processortest.NewNopSettings(f.Type()), f.CreateDefaultConfig(), sink)
	require.NoError(b, err)
	require.NoError(b, ocsf.ConsumeLogs(context.Background(), ld))
	require.Len(b, sink.AllLogs(), 1)
	return sink.AllLogs()[0]
}
