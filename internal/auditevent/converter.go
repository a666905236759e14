package auditevent

import (
	"errors"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// Shape says how a Converter tells which shape an event has.
type Shape uint8

const (
	// ShapeAuto looks at each event: a GoodData entry has eventName, an Airkit row EVENT_TYPE,
	// an Airkit camelCase event organizationId and type; any other event goes through the
	// mapping, if there is one.
	ShapeAuto Shape = iota
	// ShapeMapped sends every event through the mapping, for a source whose events could pass
	// for one of the built-in shapes.
	ShapeMapped
)

// ErrUnknownShape is returned for an event of no known shape.
var ErrUnknownShape = errors.New("unknown shape")

// Converter turns decoded events of any shape into records under one set of rules. It is
// built once from configuration and then only read, so requests may share it.
type Converter struct {
	rules   Rules
	mapping *Mapping
	shape   Shape
}

// NewConverter returns a converter; mapping may be nil unless shape is ShapeMapped.
func NewConverter(shape Shape, rules Rules, mapping *Mapping) (*Converter, error) {
	if shape == ShapeMapped && mapping == nil {
		return nil, errors.New("every event is to be mapped, but there is no mapping")
	}
	return &Converter{rules: rules, mapping: mapping, shape: shape}, nil
}

// Convert fills lr from event, which was received at received. A problem with the event is a
// *FieldError, or ErrUnknownShape. Like the converters of each shape, it moves what lr keeps
// out of event.
func (c *Converter) Convert(event pcommon.Map, lr plog.LogRecord, received pcommon.Timestamp) error {
	return c.ConvertEvent(eventOf(event), lr, received)
}

// ConvertEvent is Convert for an event that a JSONDecoder read, which must be an object. What
// lr keeps is taken from e, which the decoder refills with the next event.
func (c *Converter) ConvertEvent(e *Event, lr plog.LogRecord, received pcommon.Timestamp) error {
	if c.shape == ShapeMapped {
		return c.mapping.convert(e, lr, &c.rules, received)
	}
	shape, made, eventTime := builtInShapeOf(e)
	switch shape {
	case shapeGoodData:
		return convertGoodData(e, made, lr, &c.rules, received)
	case shapeAirkitRow:
		return convertAirkit(e, made, eventTime, lr, &c.rules, received, airkitUpper)
	case shapeAirkitCamel:
		return convertAirkit(e, made, eventTime, lr, &c.rules, received, airkitCamel)
	}
	if c.mapping != nil {
		return c.mapping.convert(e, lr, &c.rules, received)
	}
	return ErrUnknownShape
}

// builtInShape is the shape of an event that needs no mapping.
type builtInShape int

const (
	shapeNone builtInShape = iota
	shapeGoodData
	shapeAirkitRow
	shapeAirkitCamel
)

// shapeMarker is what a key tells of an event's shape, and of the attributes the event makes.
type shapeMarker uint8

const (
	markNone shapeMarker = iota
	markGoodDataName
	markGoodDataNotAttr // ts, details: no attribute of a GoodData entry
	markEventID         // eventId: GoodData's, and the camelCase events'
	markRowEventType    // EVENT_TYPE
	markRowDerived      // EVENT_YEAR, EVENT_MONTH, EVENT_DATE
	markRowTime         // EVENT_TIME
	markRowEventID      // EVENT_ID
	markCamelOrgID      // organizationId
	markCamelEventType  // type
	markCamelDerived    // eventYear, eventMonth, eventDate
	markCamelTime       // eventTime
)

// shapeMarkerOf tells what key marks. TestShapeMarkerOf keeps it in step with the shapes.
func shapeMarkerOf(key string) shapeMarker {
	switch key {
	case goodDataEventName:
		return markGoodDataName
	case goodDataTs, GoodDataDetailsKey:
		return markGoodDataNotAttr
	case goodDataEventID:
		return markEventID
	case airkitEventType:
		return markRowEventType
	case airkitEventYear, airkitEventMonth, airkitEventDate:
		return markRowDerived
	case airkitEventTime:
		return markRowTime
	case airkitEventID:
		return markRowEventID
	case airkitCamelOrgID:
		return markCamelOrgID
	case airkitCamelEventType:
		return markCamelEventType
	case airkitCamelEventYear, airkitCamelEventMonth, airkitCamelEventDate:
		return markCamelDerived
	case airkitCamelEventTime:
		return markCamelTime
	}
	return markNone
}

// builtInShapeOf tells the shape by the keys that mark each: eventName (GoodData) first, then
// EVENT_TYPE (an Airkit row), then organizationId with type (Airkit's camelCase events). It
// also bounds the attributes the shape's converter makes of the event (made, see madeBound),
// and for an Airkit event finds its time column (nil when it has none), which convertAirkit
// reads first. One pass over the members for all three: a search per key would scan an Airkit
// row's 29 columns four times, and counting apart once more.
func builtInShapeOf(e *Event) (shape builtInShape, made int, airkitTime *fieldValue) {
	var goodData, airkitRow, camelOrg, camelType bool
	var rowTime, camelTime *fieldValue
	// notAttrs counts, for each shape, the members that are not null but make no attribute:
	// the event name, the time and what is derived from it, GoodData's details; hasID, those
	// with an event id, for which no id is generated.
	var notAttrs, hasID [shapeAirkitCamel + 1]int
	nonEmpty := 0
	for i := range e.members {
		m := &e.members[i]
		given := 0 // 1 when the member is not null
		if m.val.typ != pcommon.ValueTypeEmpty {
			given = 1
		}
		nonEmpty += given
		switch m.keyRoles().marker {
		case markGoodDataName:
			goodData = true
			notAttrs[shapeGoodData] += given
		case markGoodDataNotAttr:
			notAttrs[shapeGoodData] += given
		case markEventID:
			hasID[shapeGoodData], hasID[shapeAirkitCamel] = given, given
		case markRowEventType:
			airkitRow = true
			notAttrs[shapeAirkitRow] += given
		case markRowDerived:
			notAttrs[shapeAirkitRow] += given
		case markRowTime:
			rowTime = &m.val
			notAttrs[shapeAirkitRow] += given
		case markRowEventID:
			hasID[shapeAirkitRow] = given
		case markCamelOrgID:
			camelOrg = true
		case markCamelEventType:
			camelType = true
			notAttrs[shapeAirkitCamel] += given
		case markCamelDerived:
			notAttrs[shapeAirkitCamel] += given
		case markCamelTime:
			camelTime = &m.val
			notAttrs[shapeAirkitCamel] += given
		}
	}
	switch {
	case goodData:
		shape = shapeGoodData
	case airkitRow:
		shape, airkitTime = shapeAirkitRow, rowTime
	case camelOrg && camelType:
		shape, airkitTime = shapeAirkitCamel, camelTime
	default:
		return shapeNone, 0, nil
	}
	return shape, madeBound(nonEmpty-notAttrs[shape], hasID[shape] == 1), airkitTime
}

// processorAttrs is the room a converter leaves in a record's attributes for those that the
// processors of this distribution add later: the ocsf processor's ten (ocsf.category_uid,
// category_name, class_uid, class_name, activity_id, activity_name, type_uid, type_name,
// severity_id, status_id) and the mask processor's two (mask.count, mask.rules). Without it,
// the ocsf processor's EnsureCapacity copies every record's attributes, over a third of its
// time. A pipeline without those processors carries 12 unused slots, about 400 bytes a
// record: the accepted trade.
const processorAttrs = 10 + 2

// madeBound is how many attributes a converter makes of an event of which fields members that
// are not null become attributes: those, the source format and, without an id, a generated one.
func madeBound(fields int, hasID bool) int {
	if hasID {
		return fields + 1
	}
	return fields + 2
}
