package schema

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditship/auditship/internal/auditevent"
)

// trickyRecord holds values that CSV must quote, and one it must repair.
func trickyRecord() plog.LogRecord {
	lr := plog.NewLogRecord()
	lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Date(2026, 1, 2, 3, 4, 5, 6_000, time.UTC)))
	lr.SetEventName("user,login")
	a := lr.Attributes()
	a.PutStr(auditevent.AttrOrgID, "org-1")
	a.PutStr(auditevent.AttrEventID, "ev-3")
	a.PutStr(auditevent.AttrUserID, "a,b")
	a.PutStr(auditevent.AttrUserEmail, `say "hi"`)
	a.PutStr(auditevent.AttrResourceType, "line1\r\nline2")
	a.PutStr(auditevent.AttrDomain, " padded ")
	a.PutStr(auditevent.AttrDatastoreID, `back\slash`)
	a.PutStr(auditevent.AttrAppID, "ünï ☃")
	a.PutStr(auditevent.AttrService, "bad \xff byte")
	a.PutStr(auditevent.AttrRoleID, `"`)
	a.PutInt(auditevent.AttrSavepointRevision, 7)
	return lr
}

// row is a CSV row with the 29 columns given by name; unnamed ones are empty.
func row(values map[string]string) []string {
	out := make([]string, len(airkitColumnNames))
	for i, name := range airkitColumnNames {
		out[i] = values[name]
	}
	return out
}

func readCSV(t *testing.T, file []byte) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(file))
	r.FieldsPerRecord = 0 // every row as long as the header
	rows, err := r.ReadAll()
	require.NoError(t, err, "%s", file)
	return rows
}

func TestAirkitCSV(t *testing.T) {
	file := encodeFile(t, Config{Schema: Airkit, Format: CSV},
		recordFrom(t, airkitFull), recordFrom(t, airkitSparse), trickyRecord())
	rows := readCSV(t, file)
	require.Len(t, rows, 4)
	assert.Equal(t, airkitColumnNames, rows[0], "the header names the 29 columns in order")

	var full map[string]any
	require.NoError(t, json.Unmarshal([]byte(airkitFull), &full))
	wantFull := map[string]string{}
	for k, v := range full {
		if s, ok := v.(string); ok {
			wantFull[k] = s
		}
	}
	wantFull["EVENT_YEAR"] = "2026"
	assert.Equal(t, row(wantFull), rows[1], "every column of a full row")

	assert.Equal(t, row(map[string]string{
		"ORGANIZATION_ID": "org-1", "EVENT_ID": "ev-2", "EVENT_YEAR": "2025", "EVENT_MONTH": "2025-01-01",
		"EVENT_DATE": "2025-01-31", "EVENT_TIME": "2025-01-31 23:59:59.999", "EVENT_TYPE": "invalid_login",
	}), rows[2])

	assert.Equal(t, row(map[string]string{
		"ORGANIZATION_ID": "org-1", "EVENT_ID": "ev-3", "EVENT_YEAR": "2026", "EVENT_MONTH": "2026-01-01",
		"EVENT_DATE": "2026-01-02", "EVENT_TIME": "2026-01-02 03:04:05.000006",
		// encoding/csv reads CRLF inside quotes as LF; TestAirkitCSVText checks the bytes.
		"USER_ID": "a,b", "EMAIL": `say "hi"`, "RESOURCE_TYPE": "line1\nline2", "DOMAIN": " padded ",
		"DATASTORE_ID": `back\slash`, "APP_ID": "ünï ☃", "SERVICE": "bad \uFFFD byte", "ROLE_ID": `"`,
		"SAVEPOINT_REVISION": "7", "EVENT_TYPE": "user,login",
	}), rows[3])
}

// The raw text: what encoding/csv cannot show, NULL against the empty string, and plain numbers.
func TestAirkitCSVText(t *testing.T) {
	enc, err := New(Config{Schema: Airkit, Format: CSV})
	require.NoError(t, err)
	fields := []string{"org-1", "ev-2", "2025", "2025-01-01", "2025-01-31", "2025-01-31 23:59:59.999"}
	fields = append(fields, make([]string, 12)...) // ROOT_SCOPE_USER_ID .. DATASTORE_ID: NULL
	fields = append(fields, `""`)                  // API_KEY_ID: the empty string
	fields = append(fields, make([]string, 9)...)  // NOTIFIER_ID .. LOGIN_TYPE: NULL
	fields = append(fields, "invalid_login")
	assert.Equal(t, strings.Join(fields, ","), string(enc.AppendRecord(nil, recordFrom(t, airkitSparse))))

	got := string(enc.AppendRecord(nil, trickyRecord()))
	for _, quoted := range []string{`"user,login"`, `"a,b"`, `"say ""hi"""`, "\"line1\r\nline2\"", `" padded "`, `"back\slash"`, `""""`} {
		assert.Contains(t, got, ","+quoted, "quoted where needed")
	}
	assert.Contains(t, got, ",2026,2026-01-01,2026-01-02,2026-01-02 03:04:05.000006,", "numbers and dates unquoted")
	assert.Contains(t, got, ",ünï ☃,", "plain text unquoted")
}

func TestAirkitCSVLineEnds(t *testing.T) {
	lr := recordFrom(t, airkitFull)
	file := encodeFile(t, Config{Schema: Airkit, Format: CSV}, lr, lr, lr)
	assert.Equal(t, 4, bytes.Count(file, []byte("\r\n")), "header and three rows")
	assert.Equal(t, 4, bytes.Count(file, []byte("\n")), "no bare line feed")
	assert.True(t, bytes.HasSuffix(file, []byte("\r\n")))

	empty := encodeFile(t, Config{Schema: Airkit, Format: CSV})
	assert.Equal(t, strings.Join(airkitColumnNames, ",")+"\r\n", string(empty), "no records: the header alone")
}

func TestAirkitOCSFColumns(t *testing.T) {
	classified := classify(recordFrom(t, airkitFull), 3, 3002, 1, 1, 1)
	unclassified := recordFrom(t, airkitSparse)

	rows := readCSV(t, encodeFile(t, Config{Schema: Airkit, Format: CSV, OCSFColumns: true}, classified, unclassified))
	require.Len(t, rows, 3)
	assert.Equal(t, append(append([]string{}, airkitColumnNames...), ocsfColumnNames...), rows[0])
	assert.Equal(t, []string{"3", "3002", "1", "300201", "1", "1"}, rows[1][29:])
	assert.Equal(t, []string{"", "", "", "", "", ""}, rows[2][29:])
	assert.Equal(t, "user_login", rows[1][28], "Airkit's columns come first, unchanged")

	for _, format := range []Format{NDJSON, JSON} {
		enc, err := New(Config{Schema: Airkit, Format: format, OCSFColumns: true})
		require.NoError(t, err)
		got := enc.AppendRecord(nil, classified)
		assert.Equal(t, append(append([]string{}, airkitColumnNames...), ocsfColumnNames...), jsonKeys(t, got))
		obj := decodeJSON(t, got).(map[string]any)
		assert.Equal(t, []any{3.0, 3002.0, 1.0, 300201.0, 1.0, 1.0},
			[]any{obj["OCSF_CATEGORY_UID"], obj["OCSF_CLASS_UID"], obj["OCSF_ACTIVITY_ID"], obj["OCSF_TYPE_UID"], obj["OCSF_SEVERITY_ID"], obj["OCSF_STATUS_ID"]})
		obj = decodeJSON(t, enc.AppendRecord(nil, unclassified)).(map[string]any)
		assert.Contains(t, obj, "OCSF_CLASS_UID")
		assert.Nil(t, obj["OCSF_CLASS_UID"], "absent is null")
	}
}

// jsonKeys returns the keys of a JSON object in the order written.
func jsonKeys(t *testing.T, data []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('{'), tok)
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		require.NoError(t, err)
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		require.NoError(t, dec.Decode(&skip))
	}
	return keys
}

func TestAirkitNDJSON(t *testing.T) {
	file := encodeFile(t, Config{Schema: Airkit}, recordFrom(t, airkitFull), recordFrom(t, airkitSparse), trickyRecord())
	lines := strings.Split(strings.TrimSuffix(string(file), "\n"), "\n")
	require.Len(t, lines, 3)

	assert.Equal(t, airkitColumnNames, jsonKeys(t, []byte(lines[0])), "UPPER keys, in Airkit's order")
	assert.Equal(t, decodeJSON(t, []byte(airkitFull)), decodeJSON(t, []byte(lines[0])), "every column, EVENT_YEAR a number")
	assert.Equal(t, airkitFull, lines[0], "row in, row out")

	sparse := decodeJSON(t, []byte(lines[1])).(map[string]any)
	assert.Len(t, sparse, 29)
	assert.Nil(t, sparse["USER_ID"], "NULL is null")
	assert.Equal(t, "", sparse["API_KEY_ID"], "the empty string stays a string")
	assert.Equal(t, 2025.0, sparse["EVENT_YEAR"])

	tricky := decodeJSON(t, []byte(lines[2])).(map[string]any)
	assert.Equal(t, "line1\r\nline2", tricky["RESOURCE_TYPE"])
	assert.Equal(t, "7", tricky["SAVEPOINT_REVISION"], "VARCHAR even when the attribute is a number")
	assert.Equal(t, "bad \uFFFD byte", tricky["SERVICE"])

	array := encodeFile(t, Config{Schema: Airkit, Format: JSON}, recordFrom(t, airkitFull), recordFrom(t, airkitSparse))
	var rows []map[string]any
	require.NoError(t, json.Unmarshal(array, &rows))
	require.Len(t, rows, 2)
	assert.Equal(t, decodeJSON(t, []byte(airkitFull)), any(rows[0]))
}

func TestAirkitOCSFColumnsOfOtherTypes(t *testing.T) {
	lr := recordFrom(t, airkitSparse)
	a := lr.Attributes()
	a.PutStr(auditevent.AttrOCSFCategoryUID, "+3")
	a.PutStr(auditevent.AttrOCSFClassUID, "03002")
	a.PutStr(auditevent.AttrOCSFActivityID, "logon, or so")
	a.PutDouble(auditevent.AttrOCSFTypeUID, 300201)
	a.PutEmpty(auditevent.AttrOCSFSeverityID)

	enc, err := New(Config{Schema: Airkit, OCSFColumns: true})
	require.NoError(t, err)
	obj := decodeJSON(t, enc.AppendRecord(nil, lr)).(map[string]any)
	assert.Equal(t, []any{3.0, 3002.0, "logon, or so", 300201.0, nil, nil},
		[]any{obj["OCSF_CATEGORY_UID"], obj["OCSF_CLASS_UID"], obj["OCSF_ACTIVITY_ID"], obj["OCSF_TYPE_UID"], obj["OCSF_SEVERITY_ID"], obj["OCSF_STATUS_ID"]})

	rows := readCSV(t, encodeFile(t, Config{Schema: Airkit, Format: CSV, OCSFColumns: true}, lr))
	assert.Equal(t, []string{"+3", "03002", "logon, or so", "300201", "", ""}, rows[1][29:])
}
