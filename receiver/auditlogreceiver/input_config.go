package auditlogreceiver

import (
	"errors"
	"fmt"
	"slices"

	"github.com/auditship/auditship/internal/auditevent"
	"github.com/auditship/auditship/internal/configenum"
)

const (
	defaultMaxEventsPerRequest = 10_000
	defaultMaxEventBytes       = 1 << 20
)

// InputConfig is what the receiver accepts in a request: the shapes of events, their times,
// the fields they must have, and how many and how large they may be.
type InputConfig struct {
	// Shape is how each event's shape is told: auto (the default) recognises GoodData entries,
	// Airkit rows and Airkit camelCase events and sends any other event through Mapping;
	// mapped sends every event through Mapping.
	Shape Shape `mapstructure:"shape"`

	// Mapping maps canonical fields (event_name, time, org_id, user_id, ...) to the dotted
	// paths where another source keeps them, such as `org_id: tenant.id`. Default: none, and
	// events of no built-in shape are refused.
	Mapping map[string]string `mapstructure:"mapping"`

	// TimeUnit is the unit of times given as numbers: auto (the default: by magnitude), s, ms,
	// us or ns.
	TimeUnit TimeUnit `mapstructure:"time_unit"`

	// DefaultTime is what an event without a time gets: none (the default) refuses it;
	// received gives it the time the request was received.
	DefaultTime DefaultTime `mapstructure:"default_time"`

	// RequiredFields are the canonical fields every event must have, not null nor empty.
	// The time is required unless DefaultTime is received. Default: [event_name, org_id].
	RequiredFields []string `mapstructure:"required_fields"`

	// MaxEventsPerRequest bounds the events of one request; a request with more is refused
	// (400) and the sender should split it. Default: 10000.
	MaxEventsPerRequest int `mapstructure:"max_events_per_request"`

	// MaxEventBytes bounds the JSON text of one event; a request with a larger event is
	// refused (400). Default: 1048576 (1 MiB).
	MaxEventBytes int `mapstructure:"max_event_bytes"`
}

func defaultInputConfig() InputConfig {
	return InputConfig{
		Shape:               ShapeAuto,
		TimeUnit:            TimeUnitAuto,
		DefaultTime:         DefaultTimeNone,
		RequiredFields:      []string{auditevent.FieldEventName.Name(), auditevent.FieldOrgID.Name()},
		MaxEventsPerRequest: defaultMaxEventsPerRequest,
		MaxEventBytes:       defaultMaxEventBytes,
	}
}

// Shape is the `shape` setting.
type Shape string

const (
	ShapeAuto   Shape = "auto"
	ShapeMapped Shape = "mapped"
)

// UnmarshalText refuses shapes other than auto and mapped when the configuration is read.
func (s *Shape) UnmarshalText(text []byte) error {
	shape, err := configenum.Parse("shape", text, ShapeAuto, ShapeMapped)
	if err != nil {
		return err
	}
	*s = shape
	return nil
}

// TimeUnit is the `time_unit` setting.
type TimeUnit string

const (
	TimeUnitAuto         TimeUnit = "auto"
	TimeUnitSeconds      TimeUnit = "s"
	TimeUnitMilliseconds TimeUnit = "ms"
	TimeUnitMicroseconds TimeUnit = "us"
	TimeUnitNanoseconds  TimeUnit = "ns"
)

// timeUnits are the units auditevent.ParseTimeUnit reads (TestTimeUnitsAreAuditeventUnits
// keeps the two lists equal).
var timeUnits = []TimeUnit{TimeUnitAuto, TimeUnitSeconds, TimeUnitMilliseconds, TimeUnitMicroseconds, TimeUnitNanoseconds}

// UnmarshalText refuses unknown units when the configuration is read.
func (u *TimeUnit) UnmarshalText(text []byte) error {
	unit, err := configenum.Parse("time_unit", text, timeUnits...)
	if err != nil {
		return err
	}
	*u = unit
	return nil
}

// DefaultTime is the `default_time` setting.
type DefaultTime string

const (
	DefaultTimeNone     DefaultTime = "none"
	DefaultTimeReceived DefaultTime = "received"
)

// UnmarshalText refuses anything but none and received when the configuration is read.
func (d *DefaultTime) UnmarshalText(text []byte) error {
	v, err := configenum.Parse("default_time", text, DefaultTimeNone, DefaultTimeReceived)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// validate reports every problem, each naming its key.
func (cfg *InputConfig) validate() []error {
	_, errs := cfg.converter()
	return errs
}

// converter compiles the settings into the converter every event goes through, or lists what
// is wrong with them.
func (cfg *InputConfig) converter() (*auditevent.Converter, []error) {
	var errs []error
	rules := auditevent.Rules{DefaultTimeReceived: cfg.DefaultTime == DefaultTimeReceived}
	// Reading the configuration refuses unknown units and shapes; a Config built in code may
	// still hold one, or leave them empty for the default.
	if unit, ok := auditevent.ParseTimeUnit(string(cfg.TimeUnit)); ok {
		rules.TimeUnit = unit
	} else if cfg.TimeUnit != "" {
		errs = append(errs, fmt.Errorf("time_unit: %q is not a unit", cfg.TimeUnit))
	}
	for i, name := range cfg.RequiredFields {
		f, ok := auditevent.FieldByName(name)
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("required_fields[%d]: %q is not a canonical field", i, name))
		case f == auditevent.FieldTime && rules.DefaultTimeReceived:
			errs = append(errs, fmt.Errorf("required_fields[%d]: time cannot be required with default_time %q, which fills it in", i, DefaultTimeReceived))
		default:
			rules.Required |= auditevent.NewFieldSet(f)
		}
	}
	if !slices.Contains(cfg.RequiredFields, auditevent.FieldOrgID.Name()) {
		errs = append(errs, errors.New("required_fields: must include org_id, the tenant key: an event without one could not be delivered"))
	}
	var mapping *auditevent.Mapping
	if len(cfg.Mapping) > 0 {
		var problems []auditevent.MappingProblem
		mapping, problems = auditevent.NewMapping(cfg.Mapping)
		for _, p := range problems {
			errs = append(errs, fmt.Errorf("mapping::%s: %s", p.Field, p.Reason))
		}
		// A field every event needs but the mapping does not fill would refuse every mapped event.
		for _, name := range cfg.RequiredFields {
			f, known := auditevent.FieldByName(name)
			if _, ok := cfg.Mapping[name]; !ok && known && f != auditevent.FieldTime {
				errs = append(errs, fmt.Errorf("mapping: must map %s, which required_fields lists", name))
			}
		}
		if _, ok := cfg.Mapping[auditevent.FieldTime.Name()]; !ok && !rules.DefaultTimeReceived {
			errs = append(errs, fmt.Errorf("mapping: must map time, unless default_time is %q", DefaultTimeReceived))
		}
	}
	shape := auditevent.ShapeAuto
	switch cfg.Shape {
	case ShapeAuto, "":
	case ShapeMapped:
		shape = auditevent.ShapeMapped
		if len(cfg.Mapping) == 0 {
			errs = append(errs, errors.New("shape: mapped needs a mapping"))
		}
	default:
		errs = append(errs, fmt.Errorf("shape: %q is not a shape", cfg.Shape))
	}
	if cfg.MaxEventsPerRequest < 1 {
		errs = append(errs, errors.New("max_events_per_request: must be at least 1"))
	}
	if cfg.MaxEventBytes < 2 {
		errs = append(errs, errors.New("max_event_bytes: must be at least 2, the size of {}"))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	conv, err := auditevent.NewConverter(shape, rules, mapping)
	if err != nil {
		return nil, []error{err}
	}
	return conv, nil
}
