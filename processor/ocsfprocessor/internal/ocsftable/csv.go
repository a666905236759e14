package ocsftable

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// csvFile is one embedded CSV read into memory, with its columns found by header name so that
// adding or reordering columns in the shared reference files does not break the build.
type csvFile struct {
	name    string
	columns map[string]int
	rows    []csvRow
}

type csvRow struct {
	line   int
	fields []string
}

func readCSV(name string, required ...string) (*csvFile, error) {
	f, err := dataFS.Open("data/" + name)
	if err != nil {
		return nil, fmt.Errorf("open embedded %s: %w", name, err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: read header: %w", name, err)
	}
	t := &csvFile{name: name, columns: make(map[string]int, len(header))}
	for i, h := range header {
		t.columns[strings.TrimSpace(h)] = i
	}
	for _, col := range required {
		if _, ok := t.columns[col]; !ok {
			return nil, fmt.Errorf("%s: missing column %q", name, col)
		}
	}
	for {
		fields, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := r.FieldPos(0)
		t.rows = append(t.rows, csvRow{line: line, fields: fields})
	}
	return t, nil
}

// get returns the trimmed value of column col in row; the column must have been required.
func (t *csvFile) get(row csvRow, col string) string {
	i := t.columns[col]
	if i >= len(row.fields) {
		return ""
	}
	return strings.TrimSpace(row.fields[i])
}

// int reads an integer column; empty means absent.
func (t *csvFile) int(row csvRow, col string) (n int64, present bool, err error) {
	s := t.get(row, col)
	if s == "" {
		return 0, false, nil
	}
	n, err = strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false, t.errorf(row, "column %s: %q is not an integer", col, s)
	}
	return n, true, nil
}

func (t *csvFile) errorf(row csvRow, format string, args ...any) error {
	return fmt.Errorf("%s line %d: %s", t.name, row.line, fmt.Sprintf(format, args...))
}
