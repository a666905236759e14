package ocsfprocessor

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/auditship/auditship/processor/ocsfprocessor/internal/ocsftable"
)

// Config configures the ocsf processor. The zero value is valid: the built-in tables classify
// GoodData's 69 events and Airkit's 45 event types.
type Config struct {
	// Events adds or replaces the classification of event names, for every source. Names match
	// the record's event name case-insensitively. Default: none.
	Events map[string]EventClass `mapstructure:"events"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// EventClass is the classification of one event name in the `events` configuration.
type EventClass struct {
	// CategoryUID is optional: the class decides it. When given it must be the class's category,
	// so that a typo in either is caught. Default: the class's category.
	CategoryUID int64 `mapstructure:"category_uid"`
	// ClassUID is an OCSF class uid (ocsf_classes.csv) or one of GoodData's own, 99001-99007.
	// Default: 0, Base Event.
	ClassUID int64 `mapstructure:"class_uid"`
	// ActivityID is an activity of the class, 0-99. Default: 0, Unknown.
	ActivityID int64 `mapstructure:"activity_id"`
	// ActivityName is the source's label, written as activity_name for activity 99 (Other;
	// default: the event name) and required for activities the built-in table does not name.
	// For other activities OCSF's caption is written; a different name here is an error.
	ActivityName string `mapstructure:"activity_name"`
}

// Validate checks every `events` entry against the built-in OCSF tables and reports all problems
// at once, each naming its key.
func (c *Config) Validate() error {
	tables, err := ocsftable.Load()
	if err != nil {
		return fmt.Errorf("built-in OCSF tables: %w", err)
	}
	_, err = c.compileEvents(tables)
	return err
}

// compileEvents turns the `events` entries into classifications keyed by lower-cased name.
func (c *Config) compileEvents(tables *ocsftable.Tables) (map[string]ocsftable.Classification, error) {
	names := make([]string, 0, len(c.Events))
	for name := range c.Events {
		names = append(names, name)
	}
	// Sorted, so that the same configuration always reports the same errors in the same order.
	slices.Sort(names)
	out := make(map[string]ocsftable.Classification, len(names))
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
		class, ok := tables.Class(ev.ClassUID)
		if !ok {
			errs = append(errs, fmt.Errorf("%s::class_uid: unknown OCSF class %d", key, ev.ClassUID))
			continue
		}
		if ev.CategoryUID != 0 && ev.CategoryUID != class.CategoryUID {
			errs = append(errs, fmt.Errorf("%s::category_uid: class %d (%s) belongs to category %d (%s), not %d",
				key, class.UID, class.Name, class.CategoryUID, class.CategoryName, ev.CategoryUID))
			continue
		}
		cls, err := tables.Classify(name, ev.ClassUID, ev.ActivityID, ev.ActivityName)
		switch {
		case errors.Is(err, ocsftable.ErrActivityName):
			errs = append(errs, fmt.Errorf("%s::activity_name: %w", key, err))
		case err != nil:
			errs = append(errs, fmt.Errorf("%s::activity_id: %w", key, err))
		default:
			out[lower] = cls
		}
	}
	return out, errors.Join(errs...)
}
