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
	if c.shape == ShapeMapped {
		return c.mapping.convert(event, lr, &c.rules, received)
	}
	shape, nonEmpty := builtInShapeOf(event)
	switch shape {
	case shapeGoodData:
		return convertGoodData(event, nonEmpty, lr, &c.rules, received)
	case shapeAirkitRow:
		return convertAirkit(event, nonEmpty, lr, &c.rules, received, airkitUpper)
	case shapeAirkitCamel:
		return convertAirkit(event, nonEmpty, lr, &c.rules, received, airkitCamel)
	}
	if c.mapping != nil {
		return c.mapping.convert(event, lr, &c.rules, received)
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

// builtInShapeOf tells the shape by the keys that mark each: eventName (GoodData) first, then
// EVENT_TYPE (an Airkit row), then organizationId with type (Airkit's camelCase events). It
// also counts the entries that are not null, which the converters reserve attributes for (see
// nonEmptyLen). One pass over the entries for both: a Get per marker would scan an Airkit
// row's 29 columns three times, and counting apart would scan them once more.
func builtInShapeOf(event pcommon.Map) (shape builtInShape, nonEmpty int) {
	var goodData, airkitRow, camelOrg, camelType bool
	for key, v := range event.All() {
		if v.Type() != pcommon.ValueTypeEmpty {
			nonEmpty++
		}
		switch key {
		case goodDataEventName:
			goodData = true
		case airkitEventType:
			airkitRow = true
		case airkitCamelOrgID:
			camelOrg = true
		case airkitCamelEventType:
			camelType = true
		}
	}
	switch {
	case goodData:
		return shapeGoodData, nonEmpty
	case airkitRow:
		return shapeAirkitRow, nonEmpty
	case camelOrg && camelType:
		return shapeAirkitCamel, nonEmpty
	}
	return shapeNone, nonEmpty
}
