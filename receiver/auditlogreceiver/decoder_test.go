package auditlogreceiver

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestWithoutQuotedChar(t *testing.T) {
	tests := []struct{ in, want string }{
		{"invalid character 'x' looking for beginning of value", "invalid character looking for beginning of value"},
		{`invalid character '\'' after object key`, "invalid character after object key"},
		{`invalid character '"' after object key:value pair`, "invalid character after object key:value pair"},
		{`invalid character '\x00' in string literal`, "invalid character in string literal"},
		{"invalid character 'é' after top-level value", "invalid character after top-level value"},
		{"invalid character 'x'", "invalid character"},
		{"invalid character '}' in literal true (expecting 'e')", "invalid character in literal true (expecting 'e')"},
		{"unexpected end of JSON input", "unexpected end of JSON input"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, withoutQuotedChar(tt.in))
		})
	}
}

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
	d := eventDecoder{scopeName: "s"}
	observed := pcommon.NewTimestampFromTime(time.Unix(1, 0))
	b := d.decode([]byte(`{"eventName":"x"}`+"\n"+goodDataLogin+"\n"+`{"EVENT_TYPE":"x"}`), observed)
	require.True(t, b.refused())
	assert.Equal(t, 3, b.events)
	assert.Equal(t, 2, b.invalid)
	assert.Equal(t, []int{1, 3}, []int{b.problems[0].Line, b.problems[1].Line})
}

func BenchmarkDecodeNDJSON(b *testing.B) {
	var body []byte
	for range 500 {
		body = append(body, goodDataSetup...)
		body = append(body, '\n')
		body = append(body, airkitLogin...)
		body = append(body, '\n')
	}
	d := eventDecoder{scopeName: "s"}
	observed := pcommon.NewTimestampFromTime(time.Now())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if bt := d.decode(body, observed); bt.refused() || bt.events != 1000 {
			b.Fatalf("events %d, problems %v", bt.events, bt.problems)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/event")
}
