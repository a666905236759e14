package ocsfprocessor

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditship/auditship/internal/auditevent"
	"github.com/auditship/auditship/processor/ocsfprocessor/internal/ocsftable"
)

// outcome is what happened to one record, for the processor's counters.
type outcome uint8

const (
	classified outcome = iota
	unknown
	mismatched
	outcomeCount
)

// Which table a record is looked up in, chosen by its audit.source.format.
const (
	sourceGoodData = iota
	sourceAirkit
	sourceOther
	sourceCount
)

// nameTable finds a classification by event name, ignoring case.
type nameTable map[string]*ocsftable.Classification

// add files c under the lower-case, upper-case and written spellings of name, so that the names
// sources actually send (GoodData's user_login, its table's USER_LOGIN) hit on the first lookup
// and only mixed case pays for lower-casing.
func (t nameTable) add(name string, c *ocsftable.Classification) {
	t[strings.ToLower(name)] = c
	t[strings.ToUpper(name)] = c
	t[name] = c
}

func (t nameTable) find(name string) *ocsftable.Classification {
	if c, ok := t[name]; ok {
		return c
	}
	// strings.ToLower returns name itself, without allocating, when it has no upper case.
	return t[strings.ToLower(name)]
}

// classifier holds everything derived from the tables and the configuration; after creation it
// is read-only and safe for concurrent use.
type classifier struct {
	bySource [sourceCount]nameTable
	tables   *ocsftable.Tables
	// base is the classification of an event no table knows: Base Event, activity 99 Other.
	base ocsftable.Classification
}

func newClassifier(tables *ocsftable.Tables, events map[string]ocsftable.Classification) (*classifier, error) {
	base, err := tables.Classify("", ocsftable.BaseEventClassUID, ocsftable.ActivityOther, "")
	if err != nil {
		return nil, err
	}
	c := &classifier{tables: tables, base: base}
	for i := range c.bySource {
		c.bySource[i] = nameTable{}
	}
	// Unknown formats try GoodData first, then Airkit: filling Airkit first and letting GoodData
	// overwrite gives GoodData the names both tables share (user_login, user_logout).
	for i := range tables.Airkit {
		e := &tables.Airkit[i]
		c.bySource[sourceAirkit].add(e.EventName, e)
		c.bySource[sourceOther].add(e.EventName, e)
	}
	for i := range tables.GoodData {
		e := &tables.GoodData[i]
		c.bySource[sourceGoodData].add(e.EventName, e)
		c.bySource[sourceOther].add(e.EventName, e)
	}
	// Configured events win over the built-in tables, for every source.
	for name, e := range events {
		for i := range c.bySource {
			c.bySource[i].add(name, &e)
		}
	}
	return c, nil
}

func sourceOf(attrs pcommon.Map) int {
	v, ok := attrs.Get(auditevent.AttrSourceFormat)
	if !ok || v.Type() != pcommon.ValueTypeStr {
		return sourceOther
	}
	switch v.Str() {
	case auditevent.FormatGoodData:
		return sourceGoodData
	case auditevent.FormatAirkit:
		return sourceAirkit
	default:
		return sourceOther
	}
}

// classify writes the OCSF attributes of one record and says how it went.
//
// A class_uid the record already carries (GoodData entries carry their own) is never replaced,
// nor is a category_uid beside it: GoodData files must give back what GoodData wrote. When the
// table agrees with them, the rest comes from the table; when it does not, or the name is in no
// table, the names are looked up for the record's own class and the activity is 99 Other.
func (c *classifier) classify(lr plog.LogRecord) outcome {
	attrs := lr.Attributes()
	// Room for the nine attributes written below, so that no append moves the array the uids
	// looked up here point into.
	attrs.EnsureCapacity(attrs.Len() + 9)
	name := lr.EventName()
	entry := c.bySource[sourceOf(attrs)].find(name)
	uids := recordUIDs{
		class:    lookUpUID(attrs, auditevent.AttrOCSFClassUID),
		category: uidAttr{key: auditevent.AttrOCSFCategoryUID},
	}
	srcClass, hasClass := uids.class.int()
	if !hasClass {
		if entry == nil {
			writeClassification(attrs, uids, &c.base, otherLabel(name))
			writeStatus(attrs, &c.base)
			return unknown
		}
		writeClassification(attrs, uids, entry, entry.ActivityName)
		writeStatus(attrs, entry)
		return classified
	}
	uids.category = lookUpUID(attrs, auditevent.AttrOCSFCategoryUID)
	srcCategory, hasCategory := uids.category.int()
	if entry != nil && entry.ClassUID == srcClass && (!hasCategory || srcCategory == entry.CategoryUID) {
		writeClassification(attrs, uids, entry, entry.ActivityName)
		writeStatus(attrs, entry)
		return classified
	}
	c.writeSourceClass(attrs, uids, name, srcClass, srcCategory, hasCategory)
	if entry == nil {
		writeStatus(attrs, &c.base)
		return unknown
	}
	// The name still decides the status (invalid_login fails) whatever class the source chose.
	writeStatus(attrs, entry)
	return mismatched
}

// writeSourceClass keeps the record's own class (and category, when given), names them when the
// tables know the class, and sets activity 99 Other labelled with the event name. Names of a class
// the tables do not know are left out rather than guessed.
func (c *classifier) writeSourceClass(attrs pcommon.Map, uids recordUIDs, name string, classUID, categoryUID int64, hasCategory bool) {
	class, known := c.tables.Class(classUID)
	uids.class.put(attrs, classUID)
	if known {
		attrs.PutStr(auditevent.AttrOCSFClassName, class.Name)
	}
	switch {
	case hasCategory:
		uids.category.put(attrs, categoryUID)
		if known && class.CategoryUID == categoryUID {
			attrs.PutStr(auditevent.AttrOCSFCategoryName, class.CategoryName)
		}
	case known:
		uids.category.put(attrs, class.CategoryUID)
		attrs.PutStr(auditevent.AttrOCSFCategoryName, class.CategoryName)
	}
	attrs.PutInt(auditevent.AttrOCSFActivityID, ocsftable.ActivityOther)
	attrs.PutStr(auditevent.AttrOCSFActivityName, otherLabel(name))
	attrs.PutInt(auditevent.AttrOCSFTypeUID, classUID*100+ocsftable.ActivityOther)
	if known {
		// Precomputed would need a map per class; this concatenation happens only for records
		// whose class disagrees with the table or whose name is unknown, both counted and rare.
		attrs.PutStr(auditevent.AttrOCSFTypeName, class.Name+": Other")
	}
}

// writeClassification writes all of c's attributes; activityName is passed separately because an
// unknown event's label is its own name.
func writeClassification(attrs pcommon.Map, uids recordUIDs, c *ocsftable.Classification, activityName string) {
	uids.category.put(attrs, c.CategoryUID)
	uids.class.put(attrs, c.ClassUID)
	attrs.PutStr(auditevent.AttrOCSFCategoryName, c.CategoryName)
	attrs.PutStr(auditevent.AttrOCSFClassName, c.ClassName)
	attrs.PutInt(auditevent.AttrOCSFActivityID, c.ActivityID)
	attrs.PutStr(auditevent.AttrOCSFActivityName, activityName)
	attrs.PutInt(auditevent.AttrOCSFTypeUID, c.TypeUID)
	attrs.PutStr(auditevent.AttrOCSFTypeName, c.TypeName)
}

// Status ids of OCSF's status enum.
const (
	statusSuccess int64 = 1
	statusFailure int64 = 2
)

// writeStatus sets status_id unless the record has one: from the table when the event name
// decides it (invalid_login is a failure), else from the source's own success flag.
func writeStatus(attrs pcommon.Map, c *ocsftable.Classification) {
	if _, ok := attrs.Get(auditevent.AttrOCSFStatusID); ok {
		return
	}
	if c.HasStatus {
		attrs.PutInt(auditevent.AttrOCSFStatusID, c.StatusID)
		return
	}
	if v, ok := attrs.Get(auditevent.AttrSuccess); ok && v.Type() == pcommon.ValueTypeBool {
		if v.Bool() {
			attrs.PutInt(auditevent.AttrOCSFStatusID, statusSuccess)
		} else {
			attrs.PutInt(auditevent.AttrOCSFStatusID, statusFailure)
		}
	}
}

// otherLabel is activity_name for activity 99 Other: the source's own name for the event.
func otherLabel(name string) string {
	if name == "" {
		return "Other"
	}
	return name
}

// recordUIDs are the class_uid and category_uid of a record. GoodData entries carry both, so
// classify looks them up and writes them back through the values it found: Map.PutInt would scan
// the attributes again, and allocate a new value even for the one already there.
type recordUIDs struct {
	class, category uidAttr
}

// uidAttr is one of recordUIDs: found on the record, or not, or not looked up (category_uid is
// only looked up beside a class_uid).
type uidAttr struct {
	key   string
	v     pcommon.Value
	found bool
}

func lookUpUID(attrs pcommon.Map, key string) uidAttr {
	v, ok := attrs.Get(key)
	return uidAttr{key: key, v: v, found: ok}
}

// put writes uid n: in place when the attribute was found, and not at all when it is n already.
func (a uidAttr) put(attrs pcommon.Map, n int64) {
	switch {
	case !a.found:
		attrs.PutInt(a.key, n)
	case a.v.Type() != pcommon.ValueTypeInt || a.v.Int() != n:
		a.v.SetInt(n)
	}
}

// int reads the uid, accepting the digits-in-a-string form GoodData uses for its uids. A value
// that is no integer at all is treated as absent, and so replaced.
func (a uidAttr) int() (int64, bool) {
	if !a.found {
		return 0, false
	}
	switch a.v.Type() {
	case pcommon.ValueTypeInt:
		return a.v.Int(), true
	case pcommon.ValueTypeStr:
		return parseDigits(a.v.Str())
	default:
		return 0, false
	}
}

// parseDigits parses a non-negative decimal integer of at most 18 digits (uids are far shorter),
// without strconv's error allocation for the non-numeric case.
func parseDigits(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		d := s[i] - '0'
		if d > 9 {
			return 0, false
		}
		n = n*10 + int64(d)
	}
	return n, true
}
