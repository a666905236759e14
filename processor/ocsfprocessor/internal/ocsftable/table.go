// Package ocsftable owns the OCSF classification tables compiled into the binary: OCSF's
// categories, classes and activities, and the event-name mappings of the two sources, GoodData
// and Airkit. The CSVs under data/ are the project's OCSF reference tables; they are parsed once and checked
// against each other, so a bad edit fails at start-up and in tests, never on the hot path.
//
// It knows nothing of pdata, attributes or the processor's configuration.
package ocsftable

import (
	"embed"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

//go:embed data/*.csv
var dataFS embed.FS

const (
	// ActivityUnknown and ActivityOther exist in every class: OCSF's base event defines them.
	ActivityUnknown int64 = 0
	ActivityOther   int64 = 99

	// CustomCategoryUID is GoodData's own category, which holds its classes 99001-99007. It is not
	// OCSF and not a registered extension; GoodData files carry it all the same.
	CustomCategoryUID int64 = 99
	// CustomCategoryName names category 99. OCSF has no name for it, so this says what it is.
	CustomCategoryName = "GoodData Custom"

	// BaseEventClassUID is OCSF's class for events that fit no other (category 0, Uncategorized).
	BaseEventClassUID int64 = 0
)

// Class is one OCSF class (or one of GoodData's own) with its category and activities.
type Class struct {
	UID          int64
	Name         string
	CategoryUID  int64
	CategoryName string
	// Custom marks GoodData's classes 99001-99007, which strict OCSF consumers reject.
	Custom bool
	// activities maps activity_id to its OCSF caption; always holds 0 Unknown and 99 Other.
	activities map[int64]string
	// listed tells whether ocsf_activities.csv enumerates this class's activities; when it does
	// not, only 0 and 99 are known.
	listed bool
}

// ActivityName returns the OCSF caption of activity id in this class.
func (c *Class) ActivityName(id int64) (string, bool) {
	name, ok := c.activities[id]
	return name, ok
}

// Classification is everything the processor writes for one event name. All names are
// computed here, once, so the hot path only copies them.
type Classification struct {
	// EventName is the name as the table or configuration wrote it.
	EventName    string
	CategoryUID  int64
	CategoryName string
	ClassUID     int64
	ClassName    string
	ActivityID   int64
	// ActivityName is OCSF's caption, or for activity 99 Other the source's own label.
	ActivityName string
	TypeUID      int64
	// TypeName is "<class name>: <OCSF activity caption>", as OCSF enumerates type_uid.
	TypeName string
	// StatusID is set when the event name alone decides success or failure (Airkit's
	// invalid_login is always a failure).
	StatusID  int64
	HasStatus bool
}

// Tables are the built-in tables.
type Tables struct {
	// GoodData holds the 69 events of GoodData's documentation, in its order.
	GoodData []Classification
	// GoodDataStrict is GoodData row for row with only OCSF ids: events in GoodData's own
	// classes 99001-99007 take the table's standard alternative (std_alt_* columns), the rest
	// are as in GoodData.
	GoodDataStrict []Classification
	// Airkit holds Airkit's 45 event types, in its order.
	Airkit  []Classification
	classes map[int64]*Class
}

// Class returns class uid, OCSF's or GoodData's own.
func (t *Tables) Class(uid int64) (*Class, bool) {
	c, ok := t.classes[uid]
	return c, ok
}

// ClassUIDs returns the uids of every class the tables know, in order.
func (t *Tables) ClassUIDs() []int64 {
	uids := make([]int64, 0, len(t.classes))
	for uid := range t.classes {
		uids = append(uids, uid)
	}
	slices.Sort(uids)
	return uids
}

// Errors of Classify, so that callers can tell which configuration key is wrong.
var (
	ErrUnknownClass = errors.New("unknown OCSF class")
	ErrActivity     = errors.New("invalid activity")
	ErrActivityName = errors.New("invalid activity name")
)

// Classify builds the classification of an event in class classUID with activity activityID.
// activityName is the source's label: used for activity 99 Other (defaulting to eventName) and
// required for activities of a class whose activities the built-in table does not enumerate; for
// any other activity it must be empty or equal OCSF's caption. Errors name no configuration key;
// callers add it.
func (t *Tables) Classify(eventName string, classUID, activityID int64, activityName string) (Classification, error) {
	class, ok := t.classes[classUID]
	if !ok {
		return Classification{}, fmt.Errorf("%w %d", ErrUnknownClass, classUID)
	}
	if activityID < 0 || activityID > 99 {
		return Classification{}, fmt.Errorf("%w: %d is out of range, OCSF activity ids are 0-99 (type_uid = class_uid*100 + activity_id)", ErrActivity, activityID)
	}
	caption, known := class.activities[activityID]
	switch {
	case activityID == ActivityOther:
		if activityName == "" {
			activityName = eventName
		}
	case !known && class.listed:
		return Classification{}, fmt.Errorf("%w: class %d (%s) has no activity %d; its activities are %s", ErrActivity, classUID, class.Name, activityID, class.activityList())
	case !known && activityName == "":
		return Classification{}, fmt.Errorf("%w: the built-in table does not name activity %d of class %d (%s): give activity_name, or use 0 (Unknown) or 99 (Other)", ErrActivity, activityID, classUID, class.Name)
	case !known:
		caption = activityName
	case activityName != "" && activityName != caption:
		return Classification{}, fmt.Errorf("%w: %q does not match activity %d of class %d (%s), which OCSF names %q", ErrActivityName, activityName, activityID, classUID, class.Name, caption)
	default:
		activityName = caption
	}
	return Classification{
		EventName:    eventName,
		CategoryUID:  class.CategoryUID,
		CategoryName: class.CategoryName,
		ClassUID:     class.UID,
		ClassName:    class.Name,
		ActivityID:   activityID,
		ActivityName: activityName,
		TypeUID:      class.UID*100 + activityID,
		TypeName:     class.Name + ": " + caption,
	}, nil
}

// activityList spells a class's activities for an error message, in id order.
func (c *Class) activityList() string {
	ids := make([]int64, 0, len(c.activities))
	for id := range c.activities {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.FormatInt(id, 10))
		b.WriteByte(' ')
		b.WriteString(c.activities[id])
	}
	return b.String()
}

// Load returns the built-in tables, parsed on first use.
var Load = sync.OnceValues(load)

func load() (*Tables, error) {
	t := &Tables{}
	var err error
	if t.classes, err = loadClasses(); err != nil {
		return nil, err
	}
	if err = loadActivities(t.classes); err != nil {
		return nil, err
	}
	if t.GoodData, t.GoodDataStrict, err = loadGoodData(t.classes); err != nil {
		return nil, err
	}
	if t.Airkit, err = loadAirkit(t); err != nil {
		return nil, err
	}
	return t, nil
}

func loadClasses() (map[int64]*Class, error) {
	f, err := readCSV("ocsf_classes.csv", "kind", "uid", "name", "category_uid", "category_name")
	if err != nil {
		return nil, err
	}
	categories := map[int64]string{}
	classes := map[int64]*Class{}
	for _, row := range f.rows {
		uid, ok, err := f.int(row, "uid")
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, f.errorf(row, "uid is empty")
		}
		switch kind := f.get(row, "kind"); kind {
		case "category":
			categories[uid] = f.get(row, "name")
		case "class":
			cat, _, err := f.int(row, "category_uid")
			if err != nil {
				return nil, err
			}
			if _, dup := classes[uid]; dup {
				return nil, f.errorf(row, "class %d listed twice", uid)
			}
			classes[uid] = &Class{
				UID:          uid,
				Name:         f.get(row, "name"),
				CategoryUID:  cat,
				CategoryName: f.get(row, "category_name"),
				activities:   map[int64]string{},
			}
		default:
			return nil, f.errorf(row, "unknown kind %q", kind)
		}
	}
	// A class's category name must agree with the category rows, or two attributes of one event
	// would name different categories.
	for _, c := range classes {
		if name, ok := categories[c.CategoryUID]; ok && name != c.CategoryName {
			return nil, fmt.Errorf("ocsf_classes.csv: class %d says category %d is %q, the category row says %q", c.UID, c.CategoryUID, c.CategoryName, name)
		}
	}
	return classes, nil
}

func loadActivities(classes map[int64]*Class) error {
	f, err := readCSV("ocsf_activities.csv", "class_uid", "activity_id", "activity_name", "type_uid")
	if err != nil {
		return err
	}
	generic := map[int64]string{}
	for _, row := range f.rows {
		classUID, _, err := f.int(row, "class_uid")
		if err != nil {
			return err
		}
		id, _, err := f.int(row, "activity_id")
		if err != nil {
			return err
		}
		typeUID, _, err := f.int(row, "type_uid")
		if err != nil {
			return err
		}
		if typeUID != classUID*100+id {
			return f.errorf(row, "type_uid %d is not class_uid*100 + activity_id (%d)", typeUID, classUID*100+id)
		}
		name := f.get(row, "activity_name")
		if classUID == BaseEventClassUID {
			generic[id] = name
		}
		c, ok := classes[classUID]
		if !ok {
			return f.errorf(row, "class %d is not in ocsf_classes.csv", classUID)
		}
		c.activities[id] = name
		c.listed = true
	}
	// Every class has Unknown and Other, whether or not the CSV lists its other activities.
	for _, c := range classes {
		for id, name := range generic {
			if _, ok := c.activities[id]; !ok {
				c.activities[id] = name
			}
		}
	}
	if generic[ActivityUnknown] == "" || generic[ActivityOther] == "" {
		return fmt.Errorf("ocsf_activities.csv: base event class 0 must list activities 0 and 99")
	}
	return nil
}

func loadGoodData(classes map[int64]*Class) (source, strict []Classification, err error) {
	f, err := readCSV("gooddata_events.csv", "eventName", "category_uid", "class_uid", "activity_id", "activity_name", "type_uid", "class_name",
		"std_alt_class_uid", "std_alt_activity_id", "std_alt_type_name")
	if err != nil {
		return nil, nil, err
	}
	source = make([]Classification, 0, len(f.rows))
	strict = make([]Classification, 0, len(f.rows))
	seen := map[string]bool{}
	for _, row := range f.rows {
		e, err := readEventRow(f, row, "eventName", seen)
		if err != nil {
			return nil, nil, err
		}
		if e.cat == CustomCategoryUID {
			if err := addCustomClass(f, row, classes, e.class); err != nil {
				return nil, nil, err
			}
		}
		if !e.hasActivity {
			// GoodData gives only category and class for its own classes; its event is mapped to
			// no OCSF activity, which OCSF spells 99 Other with the source's label as the name.
			e.activity = ActivityOther
		}
		c, err := classifyRow(f, row, classes, e.name, e.cat, e.class, e.activity)
		if err != nil {
			return nil, nil, err
		}
		alt, err := standardAlternative(f, row, classes, c)
		if err != nil {
			return nil, nil, err
		}
		source = append(source, c)
		strict = append(strict, alt)
	}
	return source, strict, nil
}

// standardAlternative returns the row's classification in standard OCSF classes: the std_alt_*
// columns for an event in one of GoodData's own classes (which must have them, or a strict
// consumer would get a non-OCSF id), the row's own classification otherwise.
func standardAlternative(f *csvFile, row csvRow, classes map[int64]*Class, c Classification) (Classification, error) {
	altClass, hasClass, err := f.int(row, "std_alt_class_uid")
	if err != nil {
		return Classification{}, err
	}
	altActivity, hasActivity, err := f.int(row, "std_alt_activity_id")
	if err != nil {
		return Classification{}, err
	}
	custom := classes[c.ClassUID].Custom
	switch {
	case !hasClass && !hasActivity && !custom:
		return c, nil
	case !hasClass || !hasActivity:
		return Classification{}, f.errorf(row, "%s: give both std_alt_class_uid and std_alt_activity_id (required for GoodData's own class %d)", c.EventName, c.ClassUID)
	}
	class, ok := classes[altClass]
	if !ok || class.Custom {
		return Classification{}, f.errorf(row, "%s: std_alt_class_uid %d is not an OCSF class", c.EventName, altClass)
	}
	typeName, label := splitAltTypeName(f.get(row, "std_alt_type_name"))
	tables := &Tables{classes: classes}
	alt, err := tables.Classify(c.EventName, altClass, altActivity, label)
	if err != nil {
		return Classification{}, f.errorf(row, "%s: standard alternative: %v", c.EventName, err)
	}
	if typeName != alt.TypeName {
		return Classification{}, f.errorf(row, "%s: std_alt_type_name %q is not %q", c.EventName, typeName, alt.TypeName)
	}
	return alt, nil
}

// splitAltTypeName splits "Entity Management: Other (activity_name='Cache invalidated')" into the
// type name and the activity label the table gives for activity 99 Other.
func splitAltTypeName(s string) (typeName, label string) {
	const open, closing = " (activity_name='", "')"
	i := strings.Index(s, open)
	if i < 0 || !strings.HasSuffix(s, closing) {
		return s, ""
	}
	return s[:i], s[i+len(open) : len(s)-len(closing)]
}

// eventRow is what every event table gives: the event name and its category, class and
// activity.
type eventRow struct {
	name                 string
	cat, class, activity int64
	hasActivity          bool
}

// readEventRow reads the name (from nameCol, which must be new in seen) and the uids of a row.
func readEventRow(f *csvFile, row csvRow, nameCol string, seen map[string]bool) (eventRow, error) {
	e := eventRow{name: f.get(row, nameCol)}
	if err := checkName(f, row, e.name, seen); err != nil {
		return e, err
	}
	var err error
	if e.cat, _, err = f.int(row, "category_uid"); err != nil {
		return e, err
	}
	if e.class, _, err = f.int(row, "class_uid"); err != nil {
		return e, err
	}
	e.activity, e.hasActivity, err = f.int(row, "activity_id")
	return e, err
}

// addCustomClass registers one of GoodData's own classes, named as the table names it.
func addCustomClass(f *csvFile, row csvRow, classes map[int64]*Class, uid int64) error {
	if uid/1000 != CustomCategoryUID {
		return f.errorf(row, "class %d is not in GoodData's category %d", uid, CustomCategoryUID)
	}
	name := f.get(row, "class_name")
	if name == "" {
		name = CustomCategoryName + " " + strconv.FormatInt(uid, 10)
	}
	if c, ok := classes[uid]; ok {
		if !c.Custom || c.Name != name {
			return f.errorf(row, "class %d is named %q here and %q elsewhere", uid, name, c.Name)
		}
		return nil
	}
	classes[uid] = &Class{
		UID:          uid,
		Name:         name,
		CategoryUID:  CustomCategoryUID,
		CategoryName: CustomCategoryName,
		Custom:       true,
		activities:   map[int64]string{ActivityUnknown: "Unknown", ActivityOther: "Other"},
	}
	return nil
}

func loadAirkit(t *Tables) ([]Classification, error) {
	f, err := readCSV("airkit_events.csv", "event_type", "category_uid", "class_uid", "activity_id", "activity_name", "type_uid", "class_name", "status_id")
	if err != nil {
		return nil, err
	}
	out := make([]Classification, 0, len(f.rows))
	seen := map[string]bool{}
	for _, row := range f.rows {
		e, err := readEventRow(f, row, "event_type", seen)
		if err != nil {
			return nil, err
		}
		if !e.hasActivity {
			return nil, f.errorf(row, "activity_id is empty")
		}
		c, err := classifyRow(f, row, t.classes, e.name, e.cat, e.class, e.activity)
		if err != nil {
			return nil, err
		}
		if c.StatusID, c.HasStatus, err = parseStatus(f, row); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// classifyRow builds one row's classification and checks that the row agrees with the OCSF
// tables: its category is its class's, its class name is OCSF's, its activity name is OCSF's
// caption (or the source's label for 99 Other), and its type_uid is class_uid*100 + activity_id.
func classifyRow(f *csvFile, row csvRow, classes map[int64]*Class, name string, cat, classUID, activity int64) (Classification, error) {
	class, ok := classes[classUID]
	if !ok {
		return Classification{}, f.errorf(row, "%s: unknown class %d", name, classUID)
	}
	if class.CategoryUID != cat {
		return Classification{}, f.errorf(row, "%s: class %d belongs to category %d, not %d", name, classUID, class.CategoryUID, cat)
	}
	if rowClassName := f.get(row, "class_name"); rowClassName != class.Name {
		return Classification{}, f.errorf(row, "%s: class %d is %q, not %q", name, classUID, class.Name, rowClassName)
	}
	if activity != ActivityOther && activity != ActivityUnknown && !class.listed {
		return Classification{}, f.errorf(row, "%s: class %d has no activities in ocsf_activities.csv", name, classUID)
	}
	tables := &Tables{classes: classes}
	c, err := tables.Classify(name, classUID, activity, f.get(row, "activity_name"))
	if err != nil {
		return Classification{}, f.errorf(row, "%s: %v", name, err)
	}
	if typeUID, ok, err := f.int(row, "type_uid"); err != nil {
		return Classification{}, err
	} else if ok && typeUID != c.TypeUID {
		return Classification{}, f.errorf(row, "%s: type_uid %d is not class_uid*100 + activity_id (%d)", name, typeUID, c.TypeUID)
	}
	return c, nil
}

// parseStatus reads Airkit's status_id column, which holds "2 (Failure)" when the event name
// decides the status, and prose such as "from event (usually 1)" when it does not.
func parseStatus(f *csvFile, row csvRow) (int64, bool, error) {
	s := f.get(row, "status_id")
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	if end == 0 {
		return 0, false, nil
	}
	id, err := strconv.ParseInt(s[:end], 10, 64)
	if err != nil {
		return 0, false, f.errorf(row, "status_id %q: %v", s, err)
	}
	switch id {
	case 0, 1, 2, 99:
		return id, true, nil
	default:
		return 0, false, f.errorf(row, "status_id %d is not an OCSF status (0, 1, 2, 99)", id)
	}
}

// checkName refuses empty names and names that repeat within a table when case is ignored,
// since lookups ignore case.
func checkName(f *csvFile, row csvRow, name string, seen map[string]bool) error {
	if name == "" {
		return f.errorf(row, "empty event name")
	}
	key := strings.ToLower(name)
	if seen[key] {
		return f.errorf(row, "event %s listed twice", name)
	}
	seen[key] = true
	return nil
}
