package schema

import (
	"errors"
	"fmt"

	"github.com/auditship/auditship/internal/configenum"
)

// Name is an output schema. It is a collector config value: unmarshalling refuses anything but
// the constants below.
type Name string

const (
	// GoodData writes one GoodData audit entry per event. The empty Name means GoodData.
	GoodData Name = "gooddata"
	// Airkit writes one Airkit row (the 29 columns) per event.
	Airkit Name = "airkit"
	// OCSF writes one OCSF 1.3.0 event per event, from the classification of the ocsf
	// processor.
	OCSF Name = "ocsf"
)

// UnmarshalText accepts "gooddata", "airkit", "ocsf", or an empty value for gooddata.
func (n *Name) UnmarshalText(text []byte) error {
	v, err := configenum.Parse("schema", text, GoodData, Airkit, OCSF, "")
	if err != nil {
		return err
	}
	*n = v
	return nil
}

// Format is how records are laid out in a file. It is a collector config value: unmarshalling
// refuses anything but the constants below.
type Format string

const (
	// NDJSON writes one JSON object per line, each line ending in \n. The empty Format means
	// NDJSON.
	NDJSON Format = "ndjson"
	// JSON writes one JSON array of objects.
	JSON Format = "json"
	// CSV writes RFC 4180 CSV with a header row (Airkit only).
	CSV Format = "csv"
)

// UnmarshalText accepts "ndjson", "json", "csv", or an empty value for ndjson.
func (f *Format) UnmarshalText(text []byte) error {
	v, err := configenum.Parse("format", text, NDJSON, JSON, CSV, "")
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// Config chooses an Encoder. The zero Config is GoodData NDJSON.
type Config struct {
	// Schema is the shape of each record: gooddata (default), airkit or ocsf.
	Schema Name `mapstructure:"schema"`
	// Format is the layout of the file: ndjson (default), json (an array) or, for airkit, csv.
	// ocsf takes ndjson only.
	Format Format `mapstructure:"format"`
	// OCSFColumns adds the OCSF ids (OCSF_CATEGORY_UID, OCSF_CLASS_UID, OCSF_ACTIVITY_ID,
	// OCSF_TYPE_UID, OCSF_SEVERITY_ID, OCSF_STATUS_ID) after Airkit's 29 columns. Airkit only:
	// GoodData entries carry categoryUid and classUid already. Default false.
	OCSFColumns bool `mapstructure:"ocsf_columns"`
}

// Validate reports every problem of c at once, each naming its key.
func (c Config) Validate() error {
	var errs []error
	schema, format := c.Schema, c.Format
	if schema == "" {
		schema = GoodData
	}
	if format == "" {
		format = NDJSON
	}
	switch schema {
	case GoodData:
		if format == CSV {
			errs = append(errs, fmt.Errorf("format: %q is not available for schema %q: use %q or %q", format, schema, NDJSON, JSON))
		}
		if c.OCSFColumns {
			errs = append(errs, fmt.Errorf("ocsf_columns: applies to schema %q only; GoodData entries carry categoryUid and classUid", Airkit))
		}
	case Airkit:
	case OCSF:
		if format != NDJSON {
			errs = append(errs, fmt.Errorf("format: %q is not available for schema %q: OCSF events are written one per line, use %q", format, schema, NDJSON))
		}
		if c.OCSFColumns {
			errs = append(errs, fmt.Errorf("ocsf_columns: applies to schema %q only; OCSF events carry the OCSF ids as attributes", Airkit))
		}
	default:
		errs = append(errs, fmt.Errorf("schema: unknown schema %q: use %q, %q or %q", schema, GoodData, Airkit, OCSF))
	}
	switch format {
	case NDJSON, JSON, CSV:
	default:
		errs = append(errs, fmt.Errorf("format: unknown format %q: use %q, %q or %q", format, NDJSON, JSON, CSV))
	}
	return errors.Join(errs...)
}
