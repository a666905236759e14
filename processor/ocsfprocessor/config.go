package ocsfprocessor

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/auditship/auditship/internal/configenum"
	"github.com/auditship/auditship/processor/ocsfprocessor/internal/ocsftable"
)

// Config configures the ocsf processor. The default (createDefaultConfig) classifies GoodData's
// 69 events and Airkit's 45 event types with the ids the sources use, and passes unknown names on.
type Config struct {
	// IDMode chooses which ids GoodData's events in its own classes get. Default: source.
	IDMode IDMode `mapstructure:"id_mode"`

	// Unknown says what happens to an event whose name is in no table. Default: pass.
	Unknown UnknownAction `mapstructure:"unknown"`

	// Severity sets severity_id. Default: see SeverityConfig.
	Severity SeverityConfig `mapstructure:"severity"`

	// Events adds or replaces the classification of event names, for every source. Names match
	// the record's event name case-insensitively. Default: none.
	Events map[string]EventClass `mapstructure:"events"`

	// Rules reclassify, or set the severity or status of, events that match on their name and
	// attributes; the first matching rule wins. Default: none.
	Rules []Rule `mapstructure:"rules"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// IDMode is the `id_mode` setting.
type IDMode string

const (
	// IDModeSource writes the ids the source uses, GoodData's own category 99 and classes
	// 99001-99007 included: GoodData-schema files give back what GoodData wrote.
	IDModeSource IDMode = "source"
	// IDModeStrict writes only OCSF ids: GoodData's own classes become the standard alternative
	// of gooddata_events.csv, and a class or category a record carries is replaced when OCSF does
	// not define it. Strict consumers (Security Lake, schema validators) need this.
	IDModeStrict IDMode = "strict"
)

// UnmarshalText refuses modes other than source and strict when the configuration is read.
func (m *IDMode) UnmarshalText(text []byte) error {
	mode, err := configenum.Parse("id_mode", text, IDModeSource, IDModeStrict)
	if err != nil {
		return err
	}
	*m = mode
	return nil
}

// UnknownAction is the `unknown` setting.
type UnknownAction string

const (
	// UnknownPass passes an event whose name is in no table on as Base Event, activity Other.
	UnknownPass UnknownAction = "pass"
	// UnknownDrop drops it. Either way it is counted, and each name is logged once.
	UnknownDrop UnknownAction = "drop"
)

// UnmarshalText refuses actions other than pass and drop when the configuration is read.
func (a *UnknownAction) UnmarshalText(text []byte) error {
	action, err := configenum.Parse("unknown", text, UnknownPass, UnknownDrop)
	if err != nil {
		return err
	}
	*a = action
	return nil
}

// EventClass is the classification of one event name in the `events` configuration.
type EventClass struct {
	// CategoryUID is optional: the class decides it. When given it must be the class's category,
	// so that a typo in either is caught. Default: the class's category.
	CategoryUID int64 `mapstructure:"category_uid"`
	// ClassUID is an OCSF class uid (ocsf_classes.csv) or, with id_mode source, one of
	// GoodData's own, 99001-99007. Default: 0, Base Event.
	ClassUID int64 `mapstructure:"class_uid"`
	// ActivityID is an activity of the class, 0-99. Default: 0, Unknown.
	ActivityID int64 `mapstructure:"activity_id"`
	// ActivityName is the source's label, written as activity_name for activity 99 (Other;
	// default: the event name) and required for activities the built-in table does not name.
	// For other activities OCSF's caption is written; a different name here is an error.
	ActivityName string `mapstructure:"activity_name"`
	// SeverityID is the event's severity before a failure raises it. Default: as `severity`
	// decides for the class.
	SeverityID *int64 `mapstructure:"severity_id"`
}

// Validate checks the whole configuration against the built-in OCSF tables and reports all
// problems at once, each naming its key.
func (c *Config) Validate() error {
	tables, err := ocsftable.Load()
	if err != nil {
		return fmt.Errorf("built-in OCSF tables: %w", err)
	}
	_, err = c.compile(tables)
	return err
}

// compiledConfig is the configuration checked and turned into what the classifier looks up.
type compiledConfig struct {
	events   map[string]configuredEvent
	rules    []compiledRule
	severity severityTable
}

// configuredEvent is one `events` entry: its classification and, when given, its severity.
type configuredEvent struct {
	class       ocsftable.Classification
	severity    int64
	hasSeverity bool
}

// compile checks every section and returns what the classifier needs, or every problem found.
func (c *Config) compile(tables *ocsftable.Tables) (*compiledConfig, error) {
	var errs []error
	if c.IDMode != IDModeSource && c.IDMode != IDModeStrict {
		errs = append(errs, fmt.Errorf("id_mode: %q must be %q or %q", c.IDMode, IDModeSource, IDModeStrict))
	}
	if c.Unknown != UnknownPass && c.Unknown != UnknownDrop {
		errs = append(errs, fmt.Errorf("unknown: %q must be %q or %q", c.Unknown, UnknownPass, UnknownDrop))
	}
	severity, err := c.Severity.compile(tables)
	errs = append(errs, err)
	events, err := c.compileEvents(tables)
	errs = append(errs, err)
	rules, err := c.compileRules(tables)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &compiledConfig{events: events, rules: rules, severity: severity}, nil
}

// compileEvents turns the `events` entries into classifications keyed by lower-cased name.
func (c *Config) compileEvents(tables *ocsftable.Tables) (map[string]configuredEvent, error) {
	names := make([]string, 0, len(c.Events))
	for name := range c.Events {
		names = append(names, name)
	}
	// Sorted, so that the same configuration always reports the same errors in the same order.
	slices.Sort(names)
	out := make(map[string]configuredEvent, len(names))
	firstSpelling := make(map[string]string, len(names))
	var errs []error
	for _, name := range names {
		ev := c.Events[name]
		key := "events::" + name
		if strings.TrimSpace(name) == "" {
			errs = append(errs, errors.New("events: an event name must not be empty"))
			continue
		}
		lower := strings.ToLower(name)
		if prev, dup := firstSpelling[lower]; dup {
			errs = append(errs, fmt.Errorf("%s: names the same event as %q (event names match case-insensitively)", key, prev))
			continue
		}
		firstSpelling[lower] = name
		var entryErrs []error
		if ev.SeverityID != nil {
			entryErrs = append(entryErrs, checkSeverity(key+"::severity_id", *ev.SeverityID))
		}
		cls, err := c.classifyConfigured(tables, key, name, ev)
		entryErrs = append(entryErrs, err)
		if err := errors.Join(entryErrs...); err != nil {
			errs = append(errs, err)
			continue
		}
		e := configuredEvent{class: cls}
		if ev.SeverityID != nil {
			e.severity, e.hasSeverity = *ev.SeverityID, true
		}
		out[lower] = e
	}
	return out, errors.Join(errs...)
}

// classifyConfigured checks one configured classification (of `events` or `rules`, at key) and
// builds it.
func (c *Config) classifyConfigured(tables *ocsftable.Tables, key, name string, ev EventClass) (ocsftable.Classification, error) {
	class, ok := tables.Class(ev.ClassUID)
	if !ok {
		return ocsftable.Classification{}, fmt.Errorf("%s::class_uid: unknown OCSF class %d", key, ev.ClassUID)
	}
	if class.Custom && c.IDMode == IDModeStrict {
		return ocsftable.Classification{}, fmt.Errorf("%s::class_uid: class %d is GoodData's own, not OCSF; id_mode %s writes only OCSF classes", key, ev.ClassUID, IDModeStrict)
	}
	if ev.CategoryUID != 0 && ev.CategoryUID != class.CategoryUID {
		return ocsftable.Classification{}, fmt.Errorf("%s::category_uid: class %d (%s) belongs to category %d (%s), not %d",
			key, class.UID, class.Name, class.CategoryUID, class.CategoryName, ev.CategoryUID)
	}
	cls, err := tables.Classify(name, ev.ClassUID, ev.ActivityID, ev.ActivityName)
	switch {
	case errors.Is(err, ocsftable.ErrActivityName):
		return cls, fmt.Errorf("%s::activity_name: %w", key, err)
	case err != nil:
		return cls, fmt.Errorf("%s::activity_id: %w", key, err)
	}
	return cls, nil
}
