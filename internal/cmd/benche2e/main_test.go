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
