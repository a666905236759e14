package main

import (
	"slices"
	"testing"
)

func TestEnvFlag(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    []string
		wantErr bool
	}{
		{name: "one", args: []string{"GOGC=400"}, want: []string{"GOGC=400"}},
		{name: "repeated", args: []string{"GOGC=400", "GOMEMLIMIT=110MiB"}, want: []string{"GOGC=400", "GOMEMLIMIT=110MiB"}},
		{name: "empty value", args: []string{"GODEBUG="}, want: []string{"GODEBUG="}},
		{name: "no equals sign", args: []string{"GOGC"}, wantErr: true},
		{name: "no name", args: []string{"=400"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f envFlag
			var err error
			for _, a := range tt.args {
				if err = f.Set(a); err != nil {
					break
				}
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("Set error = %v, want error %v", err, tt.wantErr)
			}
			if !tt.wantErr && !slices.Equal(f, tt.want) {
				t.Errorf("got %q, want %q", f, tt.want)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		want float64
	}{
		{name: "none", xs: nil, want: 0},
		{name: "one", xs: []float64{8.5}, want: 8.5},
		{name: "odd, unsorted", xs: []float64{9, 7, 8}, want: 8},
		{name: "even, unsorted", xs: []float64{10, 7, 9, 8}, want: 8.5},
		{name: "negative", xs: []float64{-1, 0.5, -2}, want: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			xs := slices.Clone(tt.xs)
			if got := median(xs); got != tt.want {
				t.Errorf("median(%v) = %v, want %v", tt.xs, got, tt.want)
			}
			if !slices.Equal(xs, tt.xs) {
				t.Errorf("median reordered its argument: %v", xs)
			}
		})
	}
}

func TestSummary(t *testing.T) {
	tests := []struct {
		name          string
		cpu, baseline []float64
		want          string
	}{
		{
			name: "collector alone",
			cpu:  []float64{9, 8},
			want: "collector CPU-seconds per million events: 9.00 8.00, median 8.50\n",
		},
		{
			name:     "against a baseline",
			cpu:      []float64{8, 9, 7},
			baseline: []float64{9, 8.5, 8},
			want: "collector CPU-seconds per million events: 8.00 9.00 7.00, median 8.00\n" +
				"baseline CPU-seconds per million events: 9.00 8.50 8.00, median 8.50\n" +
				"collector minus baseline, round by round: -1.00 0.50 -1.00, median -1.00; collector lower in 2 of 3 rounds\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summary(tt.cpu, tt.baseline); got != tt.want {
				t.Errorf("summary:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}
