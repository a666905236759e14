package auditevent

import (
	"math"
	"slices"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Event is one top-level JSON value of a request, as JSONDecoder.NextEvent reads it for a
// Converter: an object's members in order, with their scalars held as Go values. A pdata value
// is made only for what a record keeps: a field that is only read (a time, a uid, an event
// name) costs no allocation, and the converters read each field without pdata's type switches.
// Objects and arrays inside members are pcommon values, refilled in place as JSONDecoder does.
//
// Its zero value is ready to use. A decoder refills the same Event event after event; an Event
// and what it holds belong to the decoder that last filled it.
type Event struct {
	members []member
	// object tells whether the value is an object; if not, other holds it.
	object bool
	other  pcommon.Value
	// source is the map the event was read from (see eventOf), which the mapping works on.
	source pcommon.Map
	// asMap is where the members of a decoded event are moved for the mapping.
	asMap pcommon.Map
	// record is the writer of the record the event is converted into.
	record recordWriter
}

// member is a key of an object and its value.
type member struct {
	key string
	// written is the key as the input wrote it, with its quotes and the colon after it
	// ("key":), when it has no escapes; else it is empty. The next event's key is compared
	// with it byte for byte, with its quotes and colon at once (see JSONDecoder.keyIs).
	written string
	val     fieldValue
	// slot holds the member's objects and arrays, kept to be refilled by the next event.
	slot pcommon.Value
	// roles is what the key means to the converters, worked out once per key (see roles).
	roles keyRoles
}

// keyRoles is what a key means to each built-in shape. An event's keys are usually those of
// the last event of its shape, whose members the decoder keeps with their roles: the string
// switches that tell them run once per new key rather than for every key of every event.
type keyRoles struct {
	known bool
	// marker is what the key tells builtInShapeOf.
	marker shapeMarker
	// goodData, row and camel are the key's place in goodDataFields, and in AirkitColumns as
	// Airkit's rows and camelCase events name the columns; -1 for none.
	goodData, row, camel int8
}

// keyRoles returns the roles of m's key. It is small enough to be inlined: the roles are
// worked out apart (learnRoles), once per key.
func (m *member) keyRoles() *keyRoles {
	if !m.roles.known {
		m.learnRoles()
	}
	return &m.roles
}

func (m *member) learnRoles() {
	m.roles = keyRoles{
		known:    true,
		marker:   shapeMarkerOf(m.key),
		goodData: int8(goodDataFieldOfKey(m.key)),
		row:      int8(airkitColumnOf(m.key)),
		camel:    int8(airkitCamelColumnOf(m.key)),
	}
}

// fieldValue is a JSON value as a converter reads it: a scalar held in Go, or an object or an
// array in v. For an event read from a pcommon.Map, v is the map's entry whatever the type, so
// that what a record keeps is moved out of the map as the converters document.
type fieldValue struct {
	typ pcommon.ValueType
	str string
	num int64
	dbl float64
	b   bool
	v   pcommon.Value
}

// valueOf reads v's type and scalar.
func valueOf(v pcommon.Value) fieldValue {
	f := fieldValue{typ: v.Type(), v: v}
	switch f.typ {
	case pcommon.ValueTypeStr:
		f.str = v.Str()
	case pcommon.ValueTypeInt:
		f.num = v.Int()
	case pcommon.ValueTypeDouble:
		f.dbl = v.Double()
	case pcommon.ValueTypeBool:
		f.b = v.Bool()
	}
	return f
}

// eventOf wraps m as an Event. A key m holds more than once (OTLP and pdata's own JSON
// reader keep repeats) becomes one member, with its last value in the place of its first, as
// the decoder makes it: the converters rely on an event's keys being distinct.
func eventOf(m pcommon.Map) *Event {
	e := &Event{object: true, source: m, members: make([]member, 0, m.Len())}
	// Past a few keys, a search of the members for each key would cost the square of them.
	var index map[string]int
	if m.Len() > 16 {
		index = make(map[string]int, m.Len())
	}
	for k, v := range m.All() {
		var i int
		var repeated bool
		if index != nil {
			if i, repeated = index[k]; !repeated {
				index[k] = len(e.members)
			}
		} else {
			i = slices.IndexFunc(e.members, func(m member) bool { return m.key == k })
			repeated = i >= 0
		}
		if repeated {
			e.members[i].val = valueOf(v)
			continue
		}
		e.members = append(e.members, member{key: k, val: valueOf(v)})
	}
	return e
}

// ForgetStrings drops the strings that e's scalars hold, and the map a mapped event was moved
// into, keeping e's keys, which the next event of its shape is compared with. An Event kept
// from one request to the next would otherwise keep alive the chunks its last strings were
// cut from (see JSONDecoder): 64 KiB each, of a request long gone.
func (e *Event) ForgetStrings() {
	forgetStrings(e.members)
	if e.asMap != (pcommon.Map{}) {
		e.asMap.Clear()
	}
	if e.other != (pcommon.Value{}) && e.other.Type() != pcommon.ValueTypeEmpty {
		e.other = pcommon.Value{}
	}
}

// forgetStrings drops the strings of members, and of the storage beyond them that the next
// members reuse.
func forgetStrings(members []member) {
	members = members[:cap(members)]
	for i := range members {
		members[i].val.str = ""
	}
}

// nonEmpty counts the members that are not null: a bound on the attributes a converter makes
// of them, for many rows hold nulls.
func (e *Event) nonEmpty() int {
	n := 0
	for i := range e.members {
		if e.members[i].val.typ != pcommon.ValueTypeEmpty {
			n++
		}
	}
	return n
}

// field returns the value of the member key, or nil.
func (e *Event) field(key string) *fieldValue {
	if i := e.index(key); i >= 0 {
		return &e.members[i].val
	}
	return nil
}

// index returns the position of the member key, or -1.
func (e *Event) index(key string) int {
	for i := range e.members {
		if e.members[i].key == key {
			return i
		}
	}
	return -1
}

// IsObject tells whether the event is a JSON object, the only kind a converter takes.
func (e *Event) IsObject() bool { return e.object }

// TypeName names the event's JSON type as JSONTypeName does.
func (e *Event) TypeName() string {
	if e.object {
		return typeName(pcommon.ValueTypeMap)
	}
	return JSONTypeName(e.other)
}

// eventMap returns the event as a pcommon.Map, for the mapping, which takes fields from nested
// objects and moves what remains into the body: the map it was read from, or else a map the
// members are moved into.
func (e *Event) eventMap() pcommon.Map {
	if e.source != (pcommon.Map{}) {
		return e.source
	}
	if e.asMap == (pcommon.Map{}) {
		e.asMap = pcommon.NewMap()
	}
	e.asMap.Clear()
	e.asMap.EnsureCapacity(len(e.members))
	for i := range e.members {
		e.members[i].val.putTo(e.asMap, e.members[i].key)
	}
	return e.asMap
}

// set stores f, a scalar but not null, in v, keeping what v holds when it is the same: each
// pdata setter allocates.
func (f *fieldValue) set(v pcommon.Value) {
	var same bool
	switch f.typ {
	case pcommon.ValueTypeStr:
		// Str is "" for a value of another type, whose type is read only then: a type switch.
		same = v.Str() == f.str && (f.str != "" || v.Type() == pcommon.ValueTypeStr)
	case pcommon.ValueTypeInt:
		same = v.Type() == pcommon.ValueTypeInt && v.Int() == f.num
	case pcommon.ValueTypeDouble:
		same = v.Type() == pcommon.ValueTypeDouble && math.Float64bits(v.Double()) == math.Float64bits(f.dbl)
	case pcommon.ValueTypeBool:
		same = v.Type() == pcommon.ValueTypeBool && v.Bool() == f.b
	}
	if !same {
		f.store(v)
	}
}

// store stores f, a scalar but not null, in v.
func (f *fieldValue) store(v pcommon.Value) {
	switch f.typ {
	case pcommon.ValueTypeStr:
		v.SetStr(f.str)
	case pcommon.ValueTypeInt:
		v.SetInt(f.num)
	case pcommon.ValueTypeDouble:
		v.SetDouble(f.dbl)
	case pcommon.ValueTypeBool:
		v.SetBool(f.b)
	}
}

// putTo puts f in m under key: moved when f is a pcommon value, as the converters document
// for the maps they are given. A scalar goes in with m's Put for its type, which spares
// PutEmpty and a setter the emptying of the value they would replace.
func (f *fieldValue) putTo(m pcommon.Map, key string) {
	switch {
	case f.v != (pcommon.Value{}):
		f.v.MoveTo(m.PutEmpty(key))
	case f.typ == pcommon.ValueTypeStr:
		m.PutStr(key, f.str)
	case f.typ == pcommon.ValueTypeInt:
		m.PutInt(key, f.num)
	case f.typ == pcommon.ValueTypeDouble:
		m.PutDouble(key, f.dbl)
	case f.typ == pcommon.ValueTypeBool:
		m.PutBool(key, f.b)
	default:
		m.PutEmpty(key)
	}
}
