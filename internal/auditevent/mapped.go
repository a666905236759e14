package auditevent

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// FormatMapped is the source format of events converted through a Mapping.
const FormatMapped = "mapped"

const mappedTimeHint = "a time such as 2026-11-22T02:30:00.123Z (RFC 3339), 2026-11-22 02:30:00.123 (UTC) or a number of seconds, milliseconds, microseconds or nanoseconds since 1970"

// Mapping converts events of a source that is neither GoodData nor Airkit: it says where in
// the event each canonical field is. It is built once from configuration and then only read,
// so requests may share it.
type Mapping struct {
	paths []mappedPath // in field order
	names fieldNames
}

// mappedPath is where a source keeps one field: a dotted path, each dot going one object
// down. The segments are kept as offsets into the path, so that a key that itself holds
// dots is a substring of the path too, found without building a string.
type mappedPath struct {
	field Field
	path  string
	// ends are the offsets in path where each segment ends.
	ends []int
}

// MappingProblem is one problem with a mapping's configuration, about the entry for Field
// (empty for the mapping as a whole).
type MappingProblem struct {
	Field  string
	Reason string
}

// NewMapping builds a Mapping from canonical field names (event_name, org_id...) to the
// dotted paths where the source keeps them, or lists every problem with them.
func NewMapping(paths map[string]string) (*Mapping, []MappingProblem) {
	m := &Mapping{names: canonicalNames}
	var problems []MappingProblem
	for _, name := range slices.Sorted(maps.Keys(paths)) {
		path := paths[name]
		f, ok := FieldByName(name)
		if !ok {
			problems = append(problems, MappingProblem{name, "is not a canonical field (one of " + strings.Join(fieldNameList(), ", ") + ")"})
			continue
		}
		ends, reason := splitPath(path)
		if reason != "" {
			problems = append(problems, MappingProblem{name, reason})
			continue
		}
		for _, other := range m.paths {
			if overlaps(path, other.path) {
				problems = append(problems, MappingProblem{name, "path " + strconv.Quote(path) + " overlaps the path of " + other.field.Name() + " (" + strconv.Quote(other.path) + "): a value can be one field only"})
			}
		}
		m.paths = append(m.paths, mappedPath{field: f, path: path, ends: ends})
		m.names[f] = path
	}
	if len(paths) == 0 {
		problems = append(problems, MappingProblem{Reason: "maps no field"})
	}
	if len(problems) > 0 {
		return nil, problems
	}
	slices.SortFunc(m.paths, func(a, b mappedPath) int { return int(a.field) - int(b.field) })
	return m, nil
}

func fieldNameList() []string {
	names := make([]string, fieldCount)
	for f := range fieldCount {
		names[f] = f.Name()
	}
	return names
}

// splitPath returns where each segment of path ends, or why path cannot be used.
func splitPath(path string) ([]int, string) {
	if path == "" {
		return nil, "path must not be empty"
	}
	var ends []int
	for i := 0; i <= len(path); i++ {
		if i < len(path) && path[i] != '.' {
			continue
		}
		start := 0
		if len(ends) > 0 {
			start = ends[len(ends)-1] + 1
		}
		if i == start {
			return nil, "path " + strconv.Quote(path) + " has an empty segment"
		}
		ends = append(ends, i)
	}
	if len(ends) > MaxJSONDepth {
		return nil, "path " + strconv.Quote(path) + " is deeper than events may nest (" + strconv.Itoa(MaxJSONDepth) + " levels)"
	}
	return ends, ""
}

// overlaps tells whether one path is the other or lies within it.
func overlaps(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	return a == b || strings.HasPrefix(b, a+".")
}

// convert fills lr from e as ConvertGoodData does from an entry: each mapped field is moved
// out of the event into lr, and what remains of the event becomes the body, nested as it was.
// The source format is FormatMapped.
func (m *Mapping) convert(e *Event, lr plog.LogRecord, rules *Rules, received pcommon.Timestamp) error {
	event := e.eventMap()
	w := &e.record
	// The mapped fields, the source format and a generated id at most.
	w.start(lr, len(m.paths)+2)
	w.putAttr(AttrSourceFormat).SetStr(FormatMapped)
	var seen presence
	var err error
	for i := range m.paths {
		if _, err = m.paths[i].take(event, 0, w, rules, &seen); err != nil {
			break
		}
	}
	w.done()
	if err != nil {
		return err
	}
	if event.Len() > 0 {
		event.MoveTo(lr.Body().SetEmptyMap())
	}
	return finishRecord(lr, seen, rules, received, &m.names)
}

// key is the text of segments from to to-1, dots included.
func (p *mappedPath) key(from, to int) string {
	start := 0
	if from > 0 {
		start = p.ends[from-1] + 1
	}
	return p.path[start:p.ends[to-1]]
}

// take finds the field in m, whose keys are the path's segments from seg on, stores it in the
// record w fills and removes it from m, and with it the objects it leaves empty: what remains
// of the event becomes the body. Nested objects are tried first (a.b is b inside a); then keys
// holding dots (a.b is the key "a.b"). It reports whether it found the field.
func (p *mappedPath) take(m pcommon.Map, seg int, w *recordWriter, rules *Rules, seen *presence) (bool, error) {
	for to := seg + 1; to <= len(p.ends); to++ {
		key := p.key(seg, to)
		v, ok := m.Get(key)
		if !ok {
			continue
		}
		if to == len(p.ends) {
			f := valueOf(v)
			if err := putField(p.field, p.path, &f, w, rules, seen, mappedTimeHint, true); err != nil {
				return true, err
			}
			m.Remove(key)
			return true, nil
		}
		if v.Type() != pcommon.ValueTypeMap {
			continue
		}
		found, err := p.take(v.Map(), to, w, rules, seen)
		if found {
			if err == nil && v.Map().Len() == 0 {
				m.Remove(key)
			}
			return true, err
		}
	}
	return false, nil
}
