package resolver

import (
	"strings"
	"testing"
)

func TestParseDep(t *testing.T) {
	tests := []struct {
		in      string
		want    Dep
		wantErr bool
	}{
		{in: "libcgroup", want: Dep{Name: "libcgroup"}},
		{in: "device-mapper-libs >= 1.02.90", want: Dep{Name: "device-mapper-libs", Flags: Greater | Equal, EVR: EVR{Version: "1.02.90"}}},
		{in: "tar = 2:1.23-11.el6", want: Dep{Name: "tar", Flags: Equal, EVR: EVR{Epoch: 2, Version: "1.23", Release: "11.el6"}}},
		{in: "a < 1", want: Dep{Name: "a", Flags: Less, EVR: EVR{Version: "1"}}},
		{in: "a >= x:1", wantErr: true},
		{in: "a >=", wantErr: true},
		{in: "a != 1", wantErr: true},
		{in: "a = -1", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseDep(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseDep(%q) error %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && got != tt.want {
			t.Errorf("ParseDep(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if !tt.wantErr && got.String() != strings.Join(strings.Fields(tt.in), " ") {
			t.Errorf("String() = %q, want %q", got.String(), tt.in)
		}
	}
}
