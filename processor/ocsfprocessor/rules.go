package ocsfprocessor

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/auditship/auditship/processor/ocsfprocessor/internal/ocsftable"
)

// Rule is one entry of `rules`: conditions on the event, and what to set when they all hold.
type Rule struct {
	// EventName matches the record's event name case-insensitively. Default: any name (then
	// `attributes` must not be empty).
	EventName string `mapstructure:"event_name"`
	// Attributes are conditions: each attribute must be present with exactly this value and
	// type (string, bool, int or float: `audit.success: false` matches the Bool false, not the
	// string "false"). Default: none.
	Attributes map[string]any `mapstructure:"attributes"`

	// ClassUID, when given, reclassifies the event, as an `events` entry would, replacing any
	// class the record carries. Default: the classification stands.
	ClassUID *int64 `mapstructure:"class_uid"`
	// CategoryUID, ActivityID and ActivityName are as in `events`, and only allowed with
	// class_uid. For activity 99 Other, activity_name defaults to event_name.
	CategoryUID  int64  `mapstructure:"category_uid"`
	ActivityID   int64  `mapstructure:"activity_id"`
	ActivityName string `mapstructure:"activity_name"`
	// SeverityID, when given, is the event's severity_id, final: not raised on failure.
	SeverityID *int64 `mapstructure:"severity_id"`
	// StatusID, when given, is the event's status_id (0 Unknown, 1 Success, 2 Failure, 99
	// Other), replacing any the record carries.
	StatusID *int64 `mapstructure:"status_id"`
}

// compiledRule is a Rule checked and ready to match.
type compiledRule struct {
	conditions []condition
	// class is the reclassification, nil when the rule does not reclassify; newClassifier sets
	// its severity.
	class       *entry
	severity    int64
	hasSeverity bool
	status      int64
	hasStatus   bool
}

// condition is one attribute that must hold value, compared without converting the record's.
type condition struct {
	key   string
	typ   pcommon.ValueType
	str   string
	num   int64
	float float64
	flag  bool
}

func (c *condition) holds(attrs pcommon.Map) bool {
	v, ok := attrs.Get(c.key)
	if !ok || v.Type() != c.typ {
		return false
	}
	switch c.typ {
	case pcommon.ValueTypeStr:
		return v.Str() == c.str
	case pcommon.ValueTypeBool:
		return v.Bool() == c.flag
	case pcommon.ValueTypeInt:
		return v.Int() == c.num
	default:
		return v.Double() == c.float
	}
}

// newCondition checks a configured value; the collector's YAML gives bool, string, int types and
// float64.
func newCondition(key string, value any) (condition, error) {
	c := condition{key: key}
	switch v := value.(type) {
	case string:
		c.typ, c.str = pcommon.ValueTypeStr, v
	case bool:
		c.typ, c.flag = pcommon.ValueTypeBool, v
	case int:
		c.typ, c.num = pcommon.ValueTypeInt, int64(v)
	case int64:
		c.typ, c.num = pcommon.ValueTypeInt, v
	case uint64:
		if v > math.MaxInt64 {
			return c, fmt.Errorf("%d is out of the range of an Int attribute", v)
		}
		c.typ, c.num = pcommon.ValueTypeInt, int64(v)
	case float64:
		c.typ, c.float = pcommon.ValueTypeDouble, v
	default:
		return c, fmt.Errorf("%v (%T): a condition compares a string, bool, int or float", value, value)
	}
	return c, nil
}

func (r *compiledRule) matches(attrs pcommon.Map) bool {
	for i := range r.conditions {
		if !r.conditions[i].holds(attrs) {
			return false
		}
	}
	return true
}

// compileRules checks every rule, naming each problem by its key (rules::<index>::<field>).
func (c *Config) compileRules(tables *ocsftable.Tables) ([]compiledRule, error) {
	out := make([]compiledRule, 0, len(c.Rules))
	var errs []error
	for i, r := range c.Rules {
		key := "rules::" + strconv.Itoa(i)
		cr, err := c.compileRule(tables, key, r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, cr)
	}
	return out, errors.Join(errs...)
}

func (c *Config) compileRule(tables *ocsftable.Tables, key string, r Rule) (compiledRule, error) {
	var cr compiledRule
	var errs []error
	if strings.TrimSpace(r.EventName) == "" && len(r.Attributes) == 0 {
		errs = append(errs, fmt.Errorf("%s: give event_name or attributes; a rule for every event is `severity::default`", key))
	}
	if r.ClassUID == nil && r.SeverityID == nil && r.StatusID == nil {
		errs = append(errs, fmt.Errorf("%s: sets nothing; give class_uid, severity_id or status_id", key))
	}
	attrKeys := make([]string, 0, len(r.Attributes))
	for k := range r.Attributes {
		attrKeys = append(attrKeys, k)
	}
	// Sorted for stable errors; the order conditions are tested in does not change the result.
	slices.Sort(attrKeys)
	for _, k := range attrKeys {
		cond, err := newCondition(k, r.Attributes[k])
		if err != nil {
			errs = append(errs, fmt.Errorf("%s::attributes::%s: %w", key, k, err))
			continue
		}
		cr.conditions = append(cr.conditions, cond)
	}
	if r.ClassUID == nil {
		if r.CategoryUID != 0 || r.ActivityID != 0 || r.ActivityName != "" {
			errs = append(errs, fmt.Errorf("%s: category_uid, activity_id and activity_name reclassify, and need class_uid", key))
		}
	} else {
		if r.ActivityID == ocsftable.ActivityOther && r.ActivityName == "" && r.EventName == "" {
			errs = append(errs, fmt.Errorf("%s::activity_name: activity 99 (Other) needs a label when the rule has no event_name", key))
		}
		cls, err := c.classifyConfigured(tables, key, r.EventName, EventClass{
			CategoryUID: r.CategoryUID, ClassUID: *r.ClassUID, ActivityID: r.ActivityID, ActivityName: r.ActivityName,
		})
		if err != nil {
			errs = append(errs, err)
		} else {
			cr.class = &entry{Classification: cls}
		}
	}
	if r.SeverityID != nil {
		errs = append(errs, checkSeverity(key+"::severity_id", *r.SeverityID))
		cr.severity, cr.hasSeverity = *r.SeverityID, true
	}
	if r.StatusID != nil {
		switch *r.StatusID {
		case statusUnknown, statusSuccess, statusFailure, statusOther:
		default:
			errs = append(errs, fmt.Errorf("%s::status_id: %d is not an OCSF status_id (0 Unknown, 1 Success, 2 Failure, 99 Other)", key, *r.StatusID))
		}
		cr.status, cr.hasStatus = *r.StatusID, true
	}
	return cr, errors.Join(errs...)
}

// ruleTable finds the rules that may apply to an event name, in configuration order.
type ruleTable struct {
	rules []compiledRule
	// byName lists, for each name some rule names (in its lower, upper and configured spelling,
	// as nameTable files them), the indexes of the rules for that name and for any name.
	byName map[string][]int
	// anyName are the indexes of the rules without event_name.
	anyName []int
}

func newRuleTable(rules []compiledRule, config []Rule) ruleTable {
	t := ruleTable{rules: rules, byName: map[string][]int{}}
	named := map[string][]int{}
	var spellings []string
	for i, r := range config {
		if r.EventName == "" {
			t.anyName = append(t.anyName, i)
			continue
		}
		lower := strings.ToLower(r.EventName)
		if _, seen := named[lower]; !seen {
			spellings = append(spellings, r.EventName)
		}
		named[lower] = append(named[lower], i)
	}
	for _, name := range spellings {
		lower := strings.ToLower(name)
		idx := append(slices.Clone(named[lower]), t.anyName...)
		slices.Sort(idx)
		for _, s := range []string{lower, strings.ToUpper(name), name} {
			t.byName[s] = idx
		}
	}
	return t
}

// match returns the first rule that matches, or nil.
func (t *ruleTable) match(name string, attrs pcommon.Map) *compiledRule {
	if len(t.rules) == 0 {
		return nil
	}
	idx, ok := t.byName[name]
	if !ok {
		// strings.ToLower returns name itself, without allocating, when it has no upper case.
		if idx, ok = t.byName[strings.ToLower(name)]; !ok {
			idx = t.anyName
		}
	}
	for _, i := range idx {
		if t.rules[i].matches(attrs) {
			return &t.rules[i]
		}
	}
	return nil
}
