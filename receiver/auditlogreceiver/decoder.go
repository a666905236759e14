package auditlogreceiver

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditship/auditship/internal/auditevent"
)

// maxProblems bounds the problems listed in one answer, so a huge bad batch cannot make a huge
// response; the count of invalid events stays exact.
const maxProblems = 100

const reasonUnknownShape = "unknown shape: expected eventName (GoodData) or EVENT_TYPE (Airkit)"

// problem locates one reason a request was refused. An event in an array is located by its
// 0-based index, anything else by its 1-based line; invalid JSON also gets the column and the
// byte offset. It never holds a value from the event, since values may be secrets.
type problem struct {
	Line   int    `json:"line,omitempty"`
	Index  *int   `json:"index,omitempty"`
	Column int    `json:"column,omitempty"`
	Offset *int   `json:"offset,omitempty"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

// where is an event's place in the body: its index in an array, or else (index -1) its line.
type where struct{ line, index int }

// batch is one request's body turned into records. Either every event became a record, or the
// request is refused as a whole and problems say why: a sender that gets a 400 can fix and
// resend the batch without creating duplicates of the events that were fine.
type batch struct {
	logs    plog.Logs
	records plog.LogRecordSlice
	// events counts the events read, valid or not; invalid counts those refused.
	events, invalid int
	problems        []problem
	// malformed is set when the body is not valid JSON; reading stopped there.
	malformed bool

	body     []byte
	observed pcommon.Timestamp
	lines    lineCounter
	scratch  pcommon.Value
}

// refused tells whether the request must be answered 400 with nothing forwarded.
func (b *batch) refused() bool { return b.invalid > 0 || b.malformed }

// eventDecoder turns request bodies into records; what does not change per request (the
// instrumentation scope) is fixed at creation.
type eventDecoder struct {
	scopeName, scopeVersion string
}

// decode reads body, which holds one JSON object, an array of objects, or objects separated by
// whitespace (NDJSON being the usual case), and converts each event by its own shape.
// observed is when the request was received.
func (d *eventDecoder) decode(body []byte, observed pcommon.Timestamp) *batch {
	b := &batch{
		logs:     plog.NewLogs(),
		body:     body,
		observed: observed,
		lines:    lineCounter{body: body, line: 1},
		scratch:  pcommon.NewValueEmpty(),
	}
	sl := b.logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty()
	sl.Scope().SetName(d.scopeName)
	sl.Scope().SetVersion(d.scopeVersion)
	b.records = sl.LogRecords()

	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if start := skipSpace(body, 0); start < len(body) && body[start] == '[' {
		b.readArray(dec)
	} else {
		b.readStream(dec)
	}
	return b
}

func (b *batch) readArray(dec *json.Decoder) {
	if _, err := dec.Token(); err != nil { // the opening bracket, already seen
		b.badJSON(err, dec)
		return
	}
	for i := 0; dec.More(); i++ {
		if err := auditevent.DecodeJSONValue(dec, b.scratch); err != nil {
			b.badJSON(err, dec)
			return
		}
		b.add(where{index: i}, b.scratch)
	}
	if _, err := dec.Token(); err != nil { // the closing bracket
		b.badJSON(err, dec)
		return
	}
	if rest := skipSpace(b.body, int(dec.InputOffset())); rest < len(b.body) {
		b.badJSONAt(rest, "unexpected data after the array")
	}
}

func (b *batch) readStream(dec *json.Decoder) {
	for {
		start := skipSpace(b.body, int(dec.InputOffset()))
		if start == len(b.body) {
			return
		}
		at := where{line: b.lines.lineOf(start), index: -1}
		if err := auditevent.DecodeJSONValue(dec, b.scratch); err != nil {
			b.badJSON(err, dec)
			return
		}
		b.add(at, b.scratch)
	}
}

// add converts one decoded event, or records why it cannot be.
func (b *batch) add(at where, v pcommon.Value) {
	b.events++
	if v.Type() != pcommon.ValueTypeMap {
		b.refuse(at, "", "must be a JSON object, got "+jsonKind(v))
		return
	}
	entry := v.Map()
	// Once the request is refused its records are thrown away; keep converting only to find
	// the remaining problems.
	var lr plog.LogRecord
	if b.refused() {
		lr = plog.NewLogRecord()
	} else {
		lr = b.records.AppendEmpty()
	}
	var err error
	switch {
	case auditevent.IsGoodDataEntry(entry):
		err = auditevent.GoodDataToRecord(entry, lr)
	case auditevent.IsAirkitRow(entry):
		err = auditevent.AirkitToRecord(entry, lr)
	default:
		b.refuse(at, "", reasonUnknownShape)
		return
	}
	if err != nil {
		var fe *auditevent.FieldError
		if errors.As(err, &fe) {
			b.refuse(at, fe.Field, fe.Reason)
		} else {
			// Only FieldErrors are known to be free of event values.
			b.refuse(at, "", "cannot be converted")
		}
		return
	}
	lr.SetObservedTimestamp(b.observed)
}

func (b *batch) refuse(at where, field, reason string) {
	b.invalid++
	if len(b.problems) >= maxProblems {
		return
	}
	p := problem{Line: at.line, Field: field, Reason: reason}
	if at.index >= 0 {
		p.Index = &at.index
	}
	b.problems = append(b.problems, p)
}

// badJSON records why the body could not be read as JSON. Syntax errors are reworded without
// the offending character, which is part of an event value.
func (b *batch) badJSON(err error, dec *json.Decoder) {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		b.badJSONAt(int(se.Offset), "invalid JSON: "+withoutQuotedChar(se.Error()))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		b.badJSONAt(len(b.body), "unexpected end of the body")
	default:
		// The remaining errors of DecodeJSONValue quote the value they could not represent.
		b.badJSONAt(int(dec.InputOffset()), "invalid JSON value, such as a number out of range")
	}
}

func (b *batch) badJSONAt(off int, reason string) {
	b.malformed = true
	off = max(0, min(off, len(b.body)))
	line, col := b.lines.position(off)
	b.problems = append(b.problems, problem{Line: line, Column: col, Offset: &off, Reason: reason})
}

// withoutQuotedChar turns "invalid character 'x' after object key" into
// "invalid character after object key".
func withoutQuotedChar(msg string) string {
	const prefix = "invalid character '"
	if !strings.HasPrefix(msg, prefix) {
		return msg
	}
	// The quoted character is at least one byte and never contains "' ".
	rest := msg[len(prefix)+1:]
	end := strings.Index(rest, "'")
	if sp := strings.Index(rest, "' "); sp >= 0 {
		end = sp
	}
	if end < 0 {
		return "invalid character"
	}
	return "invalid character" + rest[end+1:]
}

func jsonKind(v pcommon.Value) string {
	switch v.Type() {
	case pcommon.ValueTypeSlice:
		return "an array"
	case pcommon.ValueTypeStr:
		return "a string"
	case pcommon.ValueTypeInt, pcommon.ValueTypeDouble:
		return "a number"
	case pcommon.ValueTypeBool:
		return "a boolean"
	default:
		return "null"
	}
}

// skipSpace returns the offset of the first byte at or after off that is not JSON whitespace.
func skipSpace(body []byte, off int) int {
	for off < len(body) {
		switch body[off] {
		case ' ', '\t', '\n', '\r':
			off++
		default:
			return off
		}
	}
	return off
}

// lineCounter finds the line of an offset, counting newlines only once as the offsets asked
// for move forward through the body.
type lineCounter struct {
	body []byte
	off  int // newlines before off are counted in line
	line int // 1-based line of off
}

func (c *lineCounter) lineOf(off int) int {
	if off < c.off {
		c.off, c.line = 0, 1
	}
	c.line += bytes.Count(c.body[c.off:off], []byte{'\n'})
	c.off = off
	return c.line
}

// position returns the 1-based line and column (in bytes) of off.
func (c *lineCounter) position(off int) (line, col int) {
	line = c.lineOf(off)
	return line, off - bytes.LastIndexByte(c.body[:off], '\n')
}
