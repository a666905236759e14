package schema

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		errs []string
	}{
		{name: "zero is gooddata ndjson", cfg: Config{}},
		{name: "gooddata json", cfg: Config{Schema: GoodData, Format: JSON}},
		{name: "airkit default", cfg: Config{Schema: Airkit}},
		{name: "airkit csv ocsf", cfg: Config{Schema: Airkit, Format: CSV, OCSFColumns: true}},
		{name: "airkit json array", cfg: Config{Schema: Airkit, Format: JSON}},
		{name: "gooddata csv", cfg: Config{Format: CSV}, errs: []string{`format: "csv" is not available for schema "gooddata": use "ndjson" or "json"`}},
		{name: "gooddata csv and ocsf", cfg: Config{Schema: GoodData, Format: CSV, OCSFColumns: true}, errs: []string{
			`format: "csv" is not available for schema "gooddata"`,
			`ocsf_columns: applies to schema "airkit" only`,
		}},
		{name: "ocsf", cfg: Config{Schema: OCSF}},
		{name: "ocsf ndjson", cfg: Config{Schema: OCSF, Format: NDJSON}},
		{name: "ocsf json", cfg: Config{Schema: OCSF, Format: JSON}, errs: []string{
			`format: "json" is not available for schema "ocsf": OCSF events are written one per line, use "ndjson"`,
		}},
		{name: "ocsf csv and columns", cfg: Config{Schema: OCSF, Format: CSV, OCSFColumns: true}, errs: []string{
			`format: "csv" is not available for schema "ocsf"`,
			`ocsf_columns: applies to schema "airkit" only`,
		}},
		{name: "unknown schema and format", cfg: Config{Schema: "splunk", Format: "xml"}, errs: []string{
			`schema: unknown schema "splunk": use "gooddata", "airkit" or "ocsf"`,
			`format: unknown format "xml": use "ndjson", "json" or "csv"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			_, newErr := New(tt.cfg)
			if len(tt.errs) == 0 {
				require.NoError(t, err)
				require.NoError(t, newErr)
				return
			}
			require.Error(t, err)
			for _, want := range tt.errs {
				assert.Contains(t, err.Error(), want)
			}
			assert.Equal(t, err.Error(), newErr.Error(), "New refuses what Validate refuses")
		})
	}
}

func TestUnmarshalText(t *testing.T) {
	var n Name
	require.NoError(t, n.UnmarshalText([]byte("airkit")))
	assert.Equal(t, Airkit, n)
	require.NoError(t, n.UnmarshalText([]byte("")))
	assert.Equal(t, Name(""), n)
	require.NoError(t, n.UnmarshalText([]byte("ocsf")))
	assert.Equal(t, OCSF, n)
	assert.EqualError(t, n.UnmarshalText([]byte("GoodData")), `schema "GoodData": must be "gooddata", "airkit", "ocsf" or empty`)

	var f Format
	require.NoError(t, f.UnmarshalText([]byte("csv")))
	assert.Equal(t, CSV, f)
	assert.EqualError(t, f.UnmarshalText([]byte("parquet")), `format "parquet": must be "ndjson", "json", "csv" or empty`)
}

func TestEncoderFraming(t *testing.T) {
	tests := []struct {
		cfg                                   Config
		contentType, extension                string
		header, separator, terminator, footer string
	}{
		{cfg: Config{}, contentType: "application/x-ndjson", extension: ".json", terminator: "\n"},
		{cfg: Config{Format: JSON}, contentType: "application/json", extension: ".json", header: "[", separator: ",\n", footer: "]\n"},
		{cfg: Config{Schema: Airkit}, contentType: "application/x-ndjson", extension: ".ndjson", terminator: "\n"},
		{cfg: Config{Schema: Airkit, Format: JSON}, contentType: "application/json", extension: ".json", header: "[", separator: ",\n", footer: "]\n"},
		{cfg: Config{Schema: Airkit, Format: CSV}, contentType: "text/csv; charset=utf-8", extension: ".csv", terminator: "\r\n"},
		{cfg: Config{Schema: OCSF}, contentType: "application/x-ndjson", extension: ".ndjson", terminator: "\n"},
	}
	for _, tt := range tests {
		t.Run(string(tt.cfg.Schema)+"/"+string(tt.cfg.Format), func(t *testing.T) {
			enc, err := New(tt.cfg)
			require.NoError(t, err)
			assert.Equal(t, tt.contentType, enc.ContentType())
			assert.Equal(t, tt.extension, enc.Extension())
			if tt.cfg.Format != CSV {
				assert.Equal(t, tt.header, string(enc.Header()))
			}
			assert.Equal(t, tt.separator, string(enc.Separator()))
			assert.Equal(t, tt.terminator, string(enc.Terminator()))
			assert.Equal(t, tt.footer, string(enc.Footer()))
		})
	}
}

func TestAppendFileAppends(t *testing.T) {
	enc, err := New(Config{Format: JSON})
	require.NoError(t, err)
	got := AppendFile([]byte("x"), enc, [][]byte{[]byte("1"), []byte("2"), []byte("3")})
	assert.Equal(t, "x[1,\n2,\n3]\n", string(got))
	enc, _ = New(Config{})
	assert.Equal(t, "a\nb\n", string(AppendFile(nil, enc, [][]byte{[]byte("a"), []byte("b")})))
	assert.Empty(t, AppendFile(nil, enc, nil))
}
