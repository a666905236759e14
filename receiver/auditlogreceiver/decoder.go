package auditlogreceiver

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditship/auditship/internal/auditevent"
	"github.com/auditship/auditship/receiver/auditlogreceiver/internal/metadata"
)

// maxProblems bounds the problems listed in one answer, so a huge bad batch cannot make a huge
// response; the count of invalid events stays exact.
const maxProblems = 100

const reasonUnknownShape = "unknown shape: expected eventName (GoodData), EVENT_TYPE (Airkit), or organizationId and type (Airkit camelCase); other sources need a mapping"

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

// where is an event's place in the body: its index in an array, or else (index -1) the offset
// where it starts. Its line is counted only when a problem is reported: most events have none,
// and counting the newlines before each one would read the body twice.
type where struct{ start, index int }

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

	dec *eventDecoder // for its converter and limits

	body     []byte
	observed pcommon.Timestamp
	lines    lineCounter
	event    *auditevent.Event // holds each event as it is decoded
	largest  int               // the most bytes an event took
}

// refused tells whether the request must be answered 400 with nothing forwarded.
func (b *batch) refused() bool { return b.invalid > 0 || b.malformed }

// decodeState is what decoding a request needs besides the body. It is kept from one request
// to the next (decodeStates): the decoder compares each event's keys with those of the last
// event of its shape, and decoding into the Event that held it reuses its storage (see
// auditevent.JSONDecoder), which more than halves the cost of a request of one event.
type decodeState struct {
	dec   auditevent.JSONDecoder
	event auditevent.Event
}

var decodeStates = sync.Pool{New: func() any { return new(decodeState) }}

// maxKeptEvent bounds the size of the events whose decodeState is kept, so that a big event
// does not stay in memory after its request.
const maxKeptEvent = 16 << 10

// The values a request's events may hold in all (strings, numbers, booleans and nulls at any
// depth; an object or array counts as auditevent.ContainerCost): one per bodyBytesPerValue
// bytes of its body, and at least minValueBudget. A value costs pdata 60 to 100 bytes, so
// without a bound a body of tiny values (an array of zeros is 2 bytes a value) takes some 50
// times its size once decoded; with it, 12 times at most. A typical audit event has a value per
// 20 bytes or more; the floor lets a small request hold a few small arrays.
const (
	bodyBytesPerValue = 8
	minValueBudget    = 4096
)

// valueBudget is how many values the events of a body of size bytes may hold.
func valueBudget(size int) int {
	return max(size/bodyBytesPerValue, minValueBudget)
}

// eventDecoder turns request bodies into records; what does not change per request (the
// instrumentation scope, the converter compiled from the input settings, the limits) is fixed
// at creation.
type eventDecoder struct {
	scopeName, scopeVersion string
	// conv converts each event.
	conv *auditevent.Converter
	// maxEvents and maxEventBytes bound a request's events and each event's JSON text.
	maxEvents, maxEventBytes int
}

// newEventDecoder compiles the input settings of cfg; version is the instrumentation scope's.
func newEventDecoder(cfg *Config, version string) (eventDecoder, error) {
	conv, errs := cfg.InputConfig.converter()
	if len(errs) > 0 {
		return eventDecoder{}, errors.Join(errs...)
	}
	return eventDecoder{
		scopeName:     metadata.ScopeName,
		scopeVersion:  version,
		conv:          conv,
		maxEvents:     cfg.MaxEventsPerRequest,
		maxEventBytes: cfg.MaxEventBytes,
	}, nil
}

// decode reads body, which holds one JSON object, an array of objects, or objects separated by
// whitespace (NDJSON being the usual case), and converts each event by its own shape.
// observed is when the request was received.
func (d *eventDecoder) decode(body []byte, observed pcommon.Timestamp) *batch {
	st := decodeStates.Get().(*decodeState)
	st.dec.Reset(body)
	st.dec.SetLimits(d.maxEventBytes, valueBudget(len(body)))
	b := &batch{
		dec:      d,
		logs:     plog.NewLogs(),
		body:     body,
		observed: observed,
		lines:    lineCounter{body: body, line: 1},
		event:    &st.event,
	}
	sl := b.logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty()
	sl.Scope().SetName(d.scopeName)
	sl.Scope().SetVersion(d.scopeVersion)
	b.records = sl.LogRecords()

	if start := skipSpace(body, 0); start < len(body) && body[start] == '[' {
		b.readArray(&st.dec)
	} else {
		b.readStream(&st.dec)
	}
	// The records own what they took from the event: the converters moved its objects and
	// arrays out, leaving empty values that the next decoding refills.
	b.event = nil
	if b.keepsState() {
		// The strings of this request stay with its records only: the kept state keeps its
		// shapes' keys, not the chunks its last values were cut from.
		st.event.ForgetStrings()
		st.dec.Reset(nil)
		decodeStates.Put(st)
	}
	return b
}

// keepsState tells whether the decoding state of b's request may serve another request. Not
// after invalid JSON, nor after a refused event: decoding may have stopped inside an event (at
// a limit, at an unknown shape) and left its values in the state's members, where
// ForgetStrings does not reach; nor after an event too large to keep its room.
func (b *batch) keepsState() bool {
	return !b.malformed && len(b.problems) == 0 && b.largest <= maxKeptEvent
}

func (b *batch) readArray(dec *auditevent.JSONDecoder) {
	for i := 0; ; i++ {
		start, err := dec.NextElementEvent(b.event)
		if err == io.EOF {
			break
		}
		if b.badJSON(err) {
			return
		}
		b.largest = max(b.largest, dec.Offset()-start)
		if !b.add(where{index: i}, dec.Offset()-start, err, b.event) {
			return
		}
	}
	if rest := skipSpace(b.body, dec.Offset()); rest < len(b.body) {
		b.badJSONAt(rest, "unexpected data after the array")
	}
}

func (b *batch) readStream(dec *auditevent.JSONDecoder) {
	for {
		start, err := dec.NextEvent(b.event)
		if err == io.EOF {
			return
		}
		if b.badJSON(err) {
			return
		}
		b.largest = max(b.largest, dec.Offset()-start)
		if !b.add(where{start: start, index: -1}, dec.Offset()-start, err, b.event) {
			return
		}
	}
}

// add converts one decoded event, size bytes of JSON, or records why it cannot be: limited is
// the limit its decoding crossed, if any (see auditevent.JSONDecoder.SetLimits). It reports
// false when reading must stop, the request having more events or values than it may. e is
// refilled with the next event, here or in a later request: the record must not share
// anything with it. The converters move what they keep out of e rather than copy it (pdata
// allocates for every value copied), and the decoder refills the empty values they leave.
func (b *batch) add(at where, size int, limited error, e *auditevent.Event) bool {
	b.events++
	switch {
	case b.events > b.dec.maxEvents:
		// The events after it are not read: the request is refused whatever they hold.
		b.refuse(at, "", "one event too many: a request may hold at most "+strconv.Itoa(b.dec.maxEvents)+
			" events (max_events_per_request); split it")
		return false
	case limited == auditevent.ErrTooManyValues:
		b.refuse(at, "", "one value too many: the events of a request may hold one value (string, number, boolean or null; "+
			"an object or array counts as "+strconv.Itoa(auditevent.ContainerCost)+") per "+strconv.Itoa(bodyBytesPerValue)+
			" bytes of its body, "+strconv.Itoa(valueBudget(len(b.body)))+" in this one; send fewer, larger values")
		return false
	case limited == auditevent.ErrValueTooLarge:
		b.refuse(at, "", "is larger than max_event_bytes ("+strconv.Itoa(b.dec.maxEventBytes)+" bytes)")
		return true
	case !e.IsObject():
		b.refuse(at, "", "must be a JSON object, got "+e.TypeName())
		return true
	}
	// Once the request is refused its records are thrown away; keep converting only to find
	// the remaining problems.
	var lr plog.LogRecord
	if b.refused() {
		lr = plog.NewLogRecord()
	} else {
		if b.events == 1 {
			b.reserveRecords(size)
		}
		lr = b.records.AppendEmpty()
	}
	if err := b.dec.conv.ConvertEvent(e, lr, b.observed); err != nil {
		var fe *auditevent.FieldError
		switch {
		case errors.As(err, &fe):
			b.refuse(at, fe.Field, fe.Reason)
		case errors.Is(err, auditevent.ErrUnknownShape):
			b.refuse(at, "", reasonUnknownShape)
		default:
			// Only FieldErrors are known to be free of event values.
			b.refuse(at, "", "cannot be converted")
		}
		return true
	}
	lr.SetObservedTimestamp(b.observed)
	return true
}

// reserveRecords makes room for the records of the whole body, guessed from the size of its
// first event: appending to a slice that doubles as it goes would allocate and copy the
// records' pointers about twice over. The guess has a quarter to spare, since events differ
// in size, and never exceeds the events a request may hold, so a small first event followed by
// big ones costs at most max_events_per_request pointers.
func (b *batch) reserveRecords(firstSize int) {
	guess := len(b.body) / max(firstSize, 1)
	b.records.EnsureCapacity(min(guess+guess/4, b.dec.maxEvents))
}

func (b *batch) refuse(at where, field, reason string) {
	b.invalid++
	if len(b.problems) >= maxProblems {
		return
	}
	p := problem{Field: field, Reason: reason}
	if at.index >= 0 {
		p.Index = &at.index
	} else {
		p.Line = b.lines.lineOf(at.start)
	}
	b.problems = append(b.problems, p)
}

// badJSON records why the body could not be read as JSON, if err, the decoder's, says it
// could not, and reports whether it did. The decoder's reasons never quote the body.
func (b *batch) badJSON(err error) bool {
	if err == nil || err == auditevent.ErrValueTooLarge || err == auditevent.ErrTooManyValues {
		return false
	}
	var je *auditevent.JSONError
	if !errors.As(err, &je) {
		b.badJSONAt(len(b.body), "invalid JSON")
		return true
	}
	switch je.Kind {
	case auditevent.JSONTruncated:
		b.badJSONAt(je.Offset, "unexpected end of the body")
	case auditevent.JSONNumberOutOfRange:
		b.badJSONAt(je.Offset, "invalid JSON value, such as a number out of range")
	case auditevent.JSONTooDeep:
		b.badJSONAt(je.Offset, "objects and arrays nested too deeply (more than "+strconv.Itoa(auditevent.MaxJSONDepth)+" levels)")
	case auditevent.JSONTooManyKeys:
		b.badJSONAt(je.Offset, "an object with more than "+strconv.Itoa(auditevent.MaxJSONObjectKeys)+" keys")
	default:
		b.badJSONAt(je.Offset, "invalid JSON: "+je.Reason)
	}
	return true
}

func (b *batch) badJSONAt(off int, reason string) {
	b.malformed = true
	off = max(0, min(off, len(b.body)))
	line, col := b.lines.position(off)
	b.problems = append(b.problems, problem{Line: line, Column: col, Offset: &off, Reason: reason})
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
