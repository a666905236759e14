package schema

import (
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditship/auditship/internal/auditevent"
)

// ocsfColumn is a column appended after Airkit's 29 when ocsf_columns is on. Only the ids are
// written: they are what a warehouse filters and joins on, and the names follow from them.
type ocsfColumn struct {
	name, attr string
}

var ocsfColumns = [...]ocsfColumn{
	{"OCSF_CATEGORY_UID", auditevent.AttrOCSFCategoryUID},
	{"OCSF_CLASS_UID", auditevent.AttrOCSFClassUID},
	{"OCSF_ACTIVITY_ID", auditevent.AttrOCSFActivityID},
	{"OCSF_TYPE_UID", auditevent.AttrOCSFTypeUID},
	{"OCSF_SEVERITY_ID", auditevent.AttrOCSFSeverityID},
	{"OCSF_STATUS_ID", auditevent.AttrOCSFStatusID},
}

// ocsfIDs are a record's values of ocsfColumns, read in one pass over its attributes.
type ocsfIDs struct {
	values  [len(ocsfColumns)]pcommon.Value
	present uint8
}

func (ids *ocsfIDs) load(lr plog.LogRecord) {
	for k, v := range lr.Attributes().All() {
		if !strings.HasPrefix(k, "ocsf.") {
			continue
		}
		for i := range ocsfColumns {
			if k == ocsfColumns[i].attr && ids.present&(1<<i) == 0 {
				ids.values[i] = v
				ids.present |= 1 << i
				break
			}
		}
	}
}

// get is id i, and false when the record has none (absent, or an empty value).
func (ids *ocsfIDs) get(i int) (pcommon.Value, bool) {
	if ids.present&(1<<i) == 0 || ids.values[i].Type() == pcommon.ValueTypeEmpty {
		return pcommon.Value{}, false
	}
	return ids.values[i], true
}

// airkitJSONEncoder writes Airkit rows as JSON objects with the UPPER_SNAKE column names, in
// NDJSON (`.ndjson`: Airkit names no files, so the extension says what the file is) or in one
// array (`.json`).
type airkitJSONEncoder struct {
	framing
	ocsf bool
}

func newAirkitJSON(array, ocsf bool) *airkitJSONEncoder {
	f := ndjsonFraming
	f.extension = ".ndjson"
	if array {
		f = jsonArrayFraming
		f.extension = ".json"
	}
	return &airkitJSONEncoder{framing: f, ocsf: ocsf}
}

func (e *airkitJSONEncoder) AppendRecord(buf []byte, lr plog.LogRecord) []byte {
	buf = auditevent.AppendAirkitJSON(buf, lr)
	if !e.ocsf {
		return buf
	}
	buf = buf[:len(buf)-1] // reopen the object for the OCSF columns
	var ids ocsfIDs
	ids.load(lr)
	for i, c := range ocsfColumns {
		buf = append(buf, ',', '"')
		buf = append(buf, c.name...)
		buf = append(buf, '"', ':')
		v, ok := ids.get(i)
		buf = appendOCSFJSON(buf, v, ok)
	}
	return append(buf, '}')
}

// appendOCSFJSON writes an OCSF id as a JSON number, or null when absent. An id that is not an
// integer (only a hand-made record has one) is kept as a string rather than dropped.
func appendOCSFJSON(buf []byte, v pcommon.Value, ok bool) []byte {
	if !ok {
		return append(buf, "null"...)
	}
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(buf, v.Int(), 10)
	case pcommon.ValueTypeStr:
		// Reformatted, not copied: "+3" and "03" parse but are not JSON numbers.
		if n, err := strconv.ParseInt(v.Str(), 10, 64); err == nil {
			return strconv.AppendInt(buf, n, 10)
		}
		return auditevent.AppendJSONString(buf, v.Str())
	default:
		return auditevent.AppendJSONValue(buf, v)
	}
}

// airkitCSVEncoder writes Airkit rows as RFC 4180 CSV for warehouses such as Snowflake: a
// header row with the column names, CRLF line ends, SQL NULL as an empty field and the empty
// string as "" (Snowflake's EMPTY_FIELD_AS_NULL tells the two apart), EVENT_YEAR as a plain
// number.
type airkitCSVEncoder struct {
	framing
	ocsf bool
}

func newAirkitCSV(ocsf bool) *airkitCSVEncoder {
	var header []byte
	for i, c := range auditevent.AirkitColumns {
		if i > 0 {
			header = append(header, ',')
		}
		header = append(header, c.Name...)
	}
	if ocsf {
		for _, c := range ocsfColumns {
			header = append(header, ',')
			header = append(header, c.name...)
		}
	}
	header = append(header, csvLineEnd...)
	return &airkitCSVEncoder{
		framing: framing{header: header, terminator: []byte(csvLineEnd), contentType: contentTypeCSV, extension: ".csv"},
		ocsf:    ocsf,
	}
}

func (e *airkitCSVEncoder) AppendRecord(buf []byte, lr plog.LogRecord) []byte {
	var row auditevent.AirkitRow
	row.Load(lr)
	for i := range auditevent.AirkitColumns {
		if i > 0 {
			buf = append(buf, ',')
		}
		start := len(buf)
		var ok bool
		if buf, ok = row.AppendText(buf, i); ok {
			buf = finishCSVField(buf, start)
		}
	}
	if !e.ocsf {
		return buf
	}
	var ids ocsfIDs
	ids.load(lr)
	for i := range ocsfColumns {
		buf = append(buf, ',')
		v, ok := ids.get(i)
		if !ok {
			continue
		}
		start := len(buf)
		if v.Type() == pcommon.ValueTypeInt {
			buf = strconv.AppendInt(buf, v.Int(), 10)
		} else {
			buf = append(buf, v.AsString()...)
		}
		buf = finishCSVField(buf, start)
	}
	return buf
}
