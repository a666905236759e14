package ocsfprocessor

import (
	"fmt"
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
	// dropped is an unknown event dropped by `unknown: drop`; nothing was written to it.
	dropped
	outcomeCount
)

// Which table a record is looked up in, chosen by its audit.source.format.
const (
	sourceGoodData = iota
	sourceAirkit
	sourceOther
	sourceCount
)

// entry is what the classifier knows of an event name: its classification and the severity
// that the severity table gives it before a failure raises it.
type entry struct {
	ocsftable.Classification
	severity int64
}

// nameTable finds an entry by event name, ignoring case.
type nameTable map[string]*entry

// add files e under the lower-case, upper-case and written spellings of name, so that the names
// sources actually send (GoodData's user_login, its table's USER_LOGIN) hit on the first lookup
// and only mixed case pays for lower-casing.
func (t nameTable) add(name string, e *entry) {
	t[strings.ToLower(name)] = e
	t[strings.ToUpper(name)] = e
	t[name] = e
}

func (t nameTable) find(name string) *entry {
	if e, ok := t[name]; ok {
		return e
	}
	// strings.ToLower returns name itself, without allocating, when it has no upper case.
	return t[strings.ToLower(name)]
}

// classifier holds everything derived from the tables and the configuration; after creation it
// is read-only and safe for concurrent use.
type classifier struct {
	bySource [sourceCount]nameTable
	tables   *ocsftable.Tables
	rules    ruleTable
	severity severityTable
	// strict is id_mode strict: a class or category OCSF does not define is never written.
	strict bool
	// dropUnknown is `unknown: drop`.
	dropUnknown bool
	// base is the classification of an event no table knows: Base Event, activity 99 Other.
	base entry
}

// newClassifier checks cfg and builds the lookups for it.
func newClassifier(tables *ocsftable.Tables, cfg *Config) (*classifier, error) {
	compiled, err := cfg.compile(tables)
	if err != nil {
		return nil, err
	}
	base, err := tables.Classify("", ocsftable.BaseEventClassUID, ocsftable.ActivityOther, "")
	if err != nil {
		return nil, fmt.Errorf("base event: %w", err)
	}
	c := &classifier{
		tables:      tables,
		severity:    compiled.severity,
		strict:      cfg.IDMode == IDModeStrict,
		dropUnknown: cfg.Unknown == UnknownDrop,
	}
	c.base = entry{Classification: base, severity: c.severity.forClass(base.ClassUID)}
	for i := range c.bySource {
		c.bySource[i] = nameTable{}
	}
	gooddata := tables.GoodData
	if c.strict {
		gooddata = tables.GoodDataStrict
	}
	// Unknown formats try GoodData first, then Airkit: filling Airkit first and letting GoodData
	// overwrite gives GoodData the names both tables share (user_login, user_logout).
	for _, cls := range tables.Airkit {
		e := c.newEntry(cls)
		c.bySource[sourceAirkit].add(cls.EventName, e)
		c.bySource[sourceOther].add(cls.EventName, e)
	}
	for _, cls := range gooddata {
		e := c.newEntry(cls)
		c.bySource[sourceGoodData].add(cls.EventName, e)
		c.bySource[sourceOther].add(cls.EventName, e)
	}
	// A rule's reclassification takes the severity its class and name have, like an entry.
	for i := range compiled.rules {
		if r := &compiled.rules[i]; r.class != nil {
			r.class = c.newEntry(r.class.Classification)
		}
	}
	c.rules = newRuleTable(compiled.rules, cfg.Rules)
	// Configured events win over the built-in tables, for every source.
	for name, ev := range compiled.events {
		e := c.newEntry(ev.class)
		if ev.hasSeverity {
			e.severity = ev.severity
		}
		for i := range c.bySource {
			c.bySource[i].add(name, e)
		}
	}
	return c, nil
}

func (c *classifier) newEntry(cls ocsftable.Classification) *entry {
	return &entry{Classification: cls, severity: c.severity.forEvent(strings.ToLower(cls.EventName), cls.ClassUID)}
}

// recordFields are the attributes classify reads, found in one pass over the record's
// attributes: a Get each would scan them once per attribute looked for.
type recordFields struct {
	format, success, errorCode attrRef
	// class and category are written back through the values found; status and severity are
	// kept when the record carries them.
	class, category, status, severity attrRef
}

func scanFields(attrs pcommon.Map) recordFields {
	f := recordFields{
		class:    attrRef{key: auditevent.AttrOCSFClassUID},
		category: attrRef{key: auditevent.AttrOCSFCategoryUID},
		status:   attrRef{key: auditevent.AttrOCSFStatusID},
		severity: attrRef{key: auditevent.AttrOCSFSeverityID},
	}
	for k, v := range attrs.All() {
		var ref *attrRef
		switch k {
		case auditevent.AttrSourceFormat:
			ref = &f.format
		case auditevent.AttrSuccess:
			ref = &f.success
		case auditevent.AttrErrorCode:
			ref = &f.errorCode
		case auditevent.AttrOCSFClassUID:
			ref = &f.class
		case auditevent.AttrOCSFCategoryUID:
			ref = &f.category
		case auditevent.AttrOCSFStatusID:
			ref = &f.status
		case auditevent.AttrOCSFSeverityID:
			ref = &f.severity
		default:
			continue
		}
		// The first of duplicate keys wins, as it does for Map.Get.
		if !ref.found {
			ref.v, ref.found = v, true
		}
	}
	return f
}

func (f *recordFields) source() int {
	if !f.format.found || f.format.v.Type() != pcommon.ValueTypeStr {
		return sourceOther
	}
	switch f.format.v.Str() {
	case auditevent.FormatGoodData:
		return sourceGoodData
	case auditevent.FormatAirkit:
		return sourceAirkit
	default:
		return sourceOther
	}
}

// classify writes the OCSF attributes of one record, and says how it went and which class it
// got (for the per-class counter).
//
// A class_uid the record already carries (GoodData entries carry their own) is not replaced,
// nor is a category_uid beside it: GoodData files must give back what GoodData wrote. When the
// table agrees with them, the rest comes from the table; when it does not, or the name is in no
// table, the names are looked up for the record's own class and the activity is 99 Other. Two
// things do replace them: a matching rule that reclassifies, and id_mode strict when OCSF does
// not define the class or the category does not belong to it.
func (c *classifier) classify(lr plog.LogRecord) (outcome, int64) {
	attrs := lr.Attributes()
	// Room for the ten attributes written below, so that no append moves the array the values
	// found here point into.
	attrs.EnsureCapacity(attrs.Len() + 10)
	f := scanFields(attrs)
	name := lr.EventName()
	e := c.bySource[f.source()].find(name)
	rule := c.rules.match(name, attrs)
	forced := rule != nil && rule.class != nil
	if forced {
		e = rule.class
	}
	if e == nil && c.dropUnknown {
		return dropped, 0
	}
	srcClass, hasClass := f.class.int()
	if hasClass && (forced || !c.keepsClass(srcClass)) {
		hasClass = false
	}
	if !hasClass {
		if e == nil {
			writeClassification(attrs, &f, &c.base.Classification, otherLabel(name))
			c.writeOutcome(attrs, &f, &c.base, rule, c.base.severity)
			return unknown, c.base.ClassUID
		}
		writeClassification(attrs, &f, &e.Classification, e.ActivityName)
		c.writeOutcome(attrs, &f, e, rule, e.severity)
		return classified, e.ClassUID
	}
	srcCategory, hasCategory := f.category.int()
	if entryMatches(e, srcClass, srcCategory, hasCategory) {
		writeClassification(attrs, &f, &e.Classification, e.ActivityName)
		c.writeOutcome(attrs, &f, e, rule, e.severity)
		return classified, e.ClassUID
	}
	c.writeSourceClass(attrs, &f, name, srcClass, srcCategory, hasCategory)
	// The name still decides the status (invalid_login fails) whatever class the source chose.
	status := e
	if e == nil {
		status = &c.base
	}
	c.writeOutcome(attrs, &f, status, rule, c.severity.forClass(srcClass))
	if e == nil {
		return unknown, srcClass
	}
	return mismatched, srcClass
}

// entryMatches tells whether the record's own uids agree with the table's entry.
func entryMatches(e *entry, srcClass, srcCategory int64, hasCategory bool) bool {
	return e != nil && e.ClassUID == srcClass && (!hasCategory || srcCategory == e.CategoryUID)
}

// keepsClass tells whether a class_uid the record carries is kept: always in id_mode source, and
// in strict only when OCSF defines it.
func (c *classifier) keepsClass(uid int64) bool {
	if !c.strict {
		return true
	}
	class, ok := c.tables.Class(uid)
	return ok && !class.Custom
}

// writeSourceClass keeps the record's own class (and category, when given), names them when the
// tables know the class, and sets activity 99 Other labelled with the event name. Names of a class
// the tables do not know are left out rather than guessed.
func (c *classifier) writeSourceClass(attrs pcommon.Map, f *recordFields, name string, classUID, categoryUID int64, hasCategory bool) {
	class, known := c.tables.Class(classUID)
	if c.strict && hasCategory && categoryUID != class.CategoryUID {
		// keepsClass let only OCSF classes through, so class is known; its category is the only
		// valid one.
		hasCategory = false
	}
	f.class.put(attrs, classUID)
	if known {
		attrs.PutStr(auditevent.AttrOCSFClassName, class.Name)
	}
	switch {
	case hasCategory:
		f.category.put(attrs, categoryUID)
		if known && class.CategoryUID == categoryUID {
			attrs.PutStr(auditevent.AttrOCSFCategoryName, class.CategoryName)
		}
	case known:
		f.category.put(attrs, class.CategoryUID)
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
func writeClassification(attrs pcommon.Map, f *recordFields, c *ocsftable.Classification, activityName string) {
	f.category.put(attrs, c.CategoryUID)
	f.class.put(attrs, c.ClassUID)
	attrs.PutStr(auditevent.AttrOCSFCategoryName, c.CategoryName)
	attrs.PutStr(auditevent.AttrOCSFClassName, c.ClassName)
	attrs.PutInt(auditevent.AttrOCSFActivityID, c.ActivityID)
	attrs.PutStr(auditevent.AttrOCSFActivityName, activityName)
	attrs.PutInt(auditevent.AttrOCSFTypeUID, c.TypeUID)
	attrs.PutStr(auditevent.AttrOCSFTypeName, c.TypeName)
}

// Status ids of OCSF's status enum.
const (
	statusUnknown int64 = 0
	statusSuccess int64 = 1
	statusFailure int64 = 2
	statusOther   int64 = 99
)

// writeOutcome writes status_id and severity_id. level is the severity before a failure raises
// it; e decides the status when its event name does.
func (c *classifier) writeOutcome(attrs pcommon.Map, f *recordFields, e *entry, rule *compiledRule, level int64) {
	status := writeStatus(attrs, f, e, rule)
	switch {
	case rule != nil && rule.hasSeverity:
		f.severity.put(attrs, rule.severity)
	case !f.severity.found:
		f.severity.put(attrs, c.severity.raise(level, status))
	}
}

// writeStatus sets status_id and returns it. A rule's status wins; a status_id the record carries
// is kept; else the table decides when the event name does (invalid_login is a failure), else
// the source's success flag, else an error code means failure, else 0 Unknown.
func writeStatus(attrs pcommon.Map, f *recordFields, e *entry, rule *compiledRule) int64 {
	if rule != nil && rule.hasStatus {
		f.status.put(attrs, rule.status)
		return rule.status
	}
	if f.status.found {
		if f.status.v.Type() == pcommon.ValueTypeInt {
			return f.status.v.Int()
		}
		return statusUnknown
	}
	status := statusFromEvent(f, e)
	f.status.put(attrs, status)
	return status
}

func statusFromEvent(f *recordFields, e *entry) int64 {
	switch {
	case e.HasStatus:
		return e.StatusID
	case f.success.found && f.success.v.Type() == pcommon.ValueTypeBool:
		if f.success.v.Bool() {
			return statusSuccess
		}
		return statusFailure
	case f.errorCode.found && hasErrorCode(f.errorCode.v):
		return statusFailure
	default:
		return statusUnknown
	}
}

// hasErrorCode tells whether an error_code attribute holds a code: GoodData writes an empty
// string (or null) for none.
func hasErrorCode(v pcommon.Value) bool {
	switch v.Type() {
	case pcommon.ValueTypeEmpty:
		return false
	case pcommon.ValueTypeStr:
		return v.Str() != ""
	default:
		return true
	}
}

// otherLabel is activity_name for activity 99 Other: the source's own name for the event.
func otherLabel(name string) string {
	if name == "" {
		return "Other"
	}
	return name
}

// attrRef is an attribute classify read: found on the record, or not. Values are written back
// through it: Map.PutInt would scan the attributes again, and allocate a new value even for the
// one already there.
type attrRef struct {
	key   string
	v     pcommon.Value
	found bool
}

// put writes n: in place when the attribute was found, and not at all when it is n already.
func (a *attrRef) put(attrs pcommon.Map, n int64) {
	switch {
	case !a.found:
		attrs.PutInt(a.key, n)
	case a.v.Type() != pcommon.ValueTypeInt || a.v.Int() != n:
		a.v.SetInt(n)
	}
}

// int reads the uid, accepting the digits-in-a-string form GoodData uses for its uids. A value
// that is no integer at all is treated as absent, and so replaced.
func (a *attrRef) int() (int64, bool) {
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
