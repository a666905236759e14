// Package benchcompare measures the ocsf processor against the contrib transform processor
// (v0.161.0) configured the way a user classifies audit events with OTTL today. It is a nested
// module so that the transform processor's dependency tree stays out of the main module; it
// holds no production code.
//
// Both OTTL configurations are generated from the ocsf processor's own built-in tables (the
// GoodData and Airkit CSVs), so that they classify alike; TestSameClassification checks it
// record by record. BenchmarkClassify gives each processor, built through its factory, the same
// batch of 1000 records made by the receiver's code (auditevent); every batch is a fresh copy,
// made with the timer stopped after a GC, so the figures are the processor's alone. That GC
// outside the timer favours the processor that allocates more.
//
// Run: make bench, or here: go test -run '^TestSameClassification$' -bench . -benchmem
package benchcompare

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/auditship/auditship/internal/auditevent"
	"github.com/auditship/auditship/processor/ocsfprocessor/internal/ocsftable"
)

// Source formats, as the receiver writes them into audit.source.format.
var formats = [...]string{auditevent.FormatGoodData, auditevent.FormatAirkit}

// ottlEntry is one event name of one source, as a user would write it in OTTL: the name as the
// source sends it (GoodData's files and Airkit both write lower case).
type ottlEntry struct {
	format string
	name   string
	class  *ocsftable.Classification
	// shared is set when the other source has the same name with a different classification, so
	// that the statement must also test the source format.
	shared bool
}

// entries lists the 114 names of both tables, GoodData first: 113 entries, because user_logout
// is classified alike in both tables and one statement serves both, while user_login (Airkit's
// carries a status) takes one statement per source.
func entries(tables *ocsftable.Tables) []ottlEntry {
	var out []ottlEntry
	byName := map[string]*ocsftable.Classification{}
	for i := range tables.GoodData {
		c := &tables.GoodData[i]
		name := strings.ToLower(c.EventName)
		byName[name] = c
		out = append(out, ottlEntry{format: auditevent.FormatGoodData, name: name, class: c})
	}
	for i := range tables.Airkit {
		c := &tables.Airkit[i]
		name := strings.ToLower(c.EventName)
		shared := false
		if g, ok := byName[name]; ok {
			shared = ottlMap(g) != ottlMap(c)
		}
		out = append(out, ottlEntry{format: auditevent.FormatAirkit, name: name, class: c, shared: shared})
	}
	// GoodData's statement of a shared name must not match Airkit's records either.
	sharedNames := map[string]bool{}
	for _, e := range out {
		if e.shared {
			sharedNames[e.name] = true
		}
	}
	var dedup []ottlEntry
	seen := map[string]bool{}
	for _, e := range out {
		e.shared = sharedNames[e.name]
		if !e.shared {
			// Same classification in both tables: one statement serves both sources.
			if seen[e.name] {
				continue
			}
			seen[e.name] = true
		}
		dedup = append(dedup, e)
	}
	return dedup
}

// ottlMap writes c as an OTTL map literal of the ocsf.* attributes the ocsf processor writes.
// Its values are all literals, so OTTL builds the map once, when the statement is parsed.
func ottlMap(c *ocsftable.Classification) string {
	var b strings.Builder
	b.WriteString("{")
	fmt.Fprintf(&b, "%q: %d, ", auditevent.AttrOCSFCategoryUID, c.CategoryUID)
	fmt.Fprintf(&b, "%q: %s, ", auditevent.AttrOCSFCategoryName, strconv.Quote(c.CategoryName))
	fmt.Fprintf(&b, "%q: %d, ", auditevent.AttrOCSFClassUID, c.ClassUID)
	fmt.Fprintf(&b, "%q: %s, ", auditevent.AttrOCSFClassName, strconv.Quote(c.ClassName))
	fmt.Fprintf(&b, "%q: %d, ", auditevent.AttrOCSFActivityID, c.ActivityID)
	if c.ActivityName != "" {
		fmt.Fprintf(&b, "%q: %s, ", auditevent.AttrOCSFActivityName, strconv.Quote(c.ActivityName))
	}
	fmt.Fprintf(&b, "%q: %d, ", auditevent.AttrOCSFTypeUID, c.TypeUID)
	fmt.Fprintf(&b, "%q: %s", auditevent.AttrOCSFTypeName, strconv.Quote(c.TypeName))
	if c.HasStatus {
		fmt.Fprintf(&b, ", %q: %d", auditevent.AttrOCSFStatusID, c.StatusID)
	}
	b.WriteString("}")
	return b.String()
}

func attr(key string) string { return "log.attributes[" + strconv.Quote(key) + "]" }

// fallbackStatements are what both OTTL configurations add after the classification: an event no
// statement matched becomes Base Event, activity 99 Other labelled with its name, and the status
// comes from the source's success flag, else its error code, else 0 Unknown, when the name did
// not decide it. The ocsf processor does the same. Its severity_id is not reproduced: that would
// take more statements still, so the OTTL configurations do a little less work than ours.
func fallbackStatements(tables *ocsftable.Tables) ([]string, error) {
	base, err := tables.Classify("", ocsftable.BaseEventClassUID, ocsftable.ActivityOther, "")
	if err != nil {
		return nil, err
	}
	base.ActivityName = "" // the record's own name, set by the next statement
	activity, status, success := attr(auditevent.AttrOCSFActivityID), attr(auditevent.AttrOCSFStatusID), attr(auditevent.AttrSuccess)
	return []string{
		fmt.Sprintf(`merge_maps(log.attributes, %s, "insert") where %s == nil`, ottlMap(&base), activity),
		fmt.Sprintf(`set(%s, log.event_name) where %s == nil`, attr(auditevent.AttrOCSFActivityName), attr(auditevent.AttrOCSFActivityName)),
		fmt.Sprintf(`set(%s, 1) where %s == nil and %s == true`, status, status, success),
		fmt.Sprintf(`set(%s, 2) where %s == nil and %s == false`, status, status, success),
		fmt.Sprintf(`set(%s, 2) where %s == nil and %s != nil`, status, status, attr(auditevent.AttrErrorCode)),
		fmt.Sprintf(`set(%s, 0) where %s == nil`, status, status),
	}, nil
}

// perStatementOTTL is the configuration a user writes today: one statement per event name,
// each setting every ocsf.* attribute of that name when the record's event name matches. OTTL
// runs every statement on every record.
func perStatementOTTL(tables *ocsftable.Tables) ([]string, error) {
	var stmts []string
	for _, e := range entries(tables) {
		cond := "log.event_name == " + strconv.Quote(e.name)
		if e.shared {
			cond += " and " + attr(auditevent.AttrSourceFormat) + " == " + strconv.Quote(e.format)
		}
		stmts = append(stmts, fmt.Sprintf(`merge_maps(log.attributes, %s, "upsert") where %s`, ottlMap(e.class), cond))
	}
	fb, err := fallbackStatements(tables)
	return append(stmts, fb...), err
}

// mapLookupOTTL is the cleverest form OTTL v0.161 allows: one statement that looks the record up
// in a single literal map keyed by source format and event name. OTTL has no way to index a map
// literal directly, but a converter's result may be indexed by paths, and Coalesce of a
// one-element list of a literal map returns that map, built once at parse time. An unknown name
// (or a record without audit.source.format) makes the lookup fail with "key not found in map":
// with error_mode ignore, the default, the statement is skipped and the fallback statements
// classify the record. OTTL v0.161 has no way to test for the key without building a list of
// the map's keys per record.
func mapLookupOTTL(tables *ocsftable.Tables) ([]string, error) {
	var b strings.Builder
	b.WriteString("{")
	for fi, f := range formats {
		if fi > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q: {", f)
		n := 0
		var list []ocsftable.Classification
		if f == auditevent.FormatGoodData {
			list = tables.GoodData
		} else {
			list = tables.Airkit
		}
		for i := range list {
			if n > 0 {
				b.WriteString(", ")
			}
			n++
			fmt.Fprintf(&b, "%q: %s", strings.ToLower(list[i].EventName), ottlMap(&list[i]))
		}
		b.WriteString("}")
	}
	b.WriteString("}")
	stmt := fmt.Sprintf(`merge_maps(log.attributes, Coalesce([%s])[%s][log.event_name], "upsert")`,
		b.String(), attr(auditevent.AttrSourceFormat))
	fb, err := fallbackStatements(tables)
	return append([]string{stmt}, fb...), err
}
