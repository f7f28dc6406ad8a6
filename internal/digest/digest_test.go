package digest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidSHA256(t *testing.T) {
	good := strings.Repeat("ab", 32)
	tests := []struct {
		in   string
		want bool
	}{
		{good, true},
		{strings.ToUpper(good), false}, // one spelling, so one store name
		{good[:63], false},
		{good + "0", false},
		{"../" + good[3:], false},
		{strings.Repeat("g", 64), false},
		{"", false},
	}
	for _, tt := range tests {
		if got := ValidSHA256(tt.in); got != tt.want {
			t.Errorf("ValidSHA256(%q) = %v", tt.in, got)
		}
	}
	if !ValidSHA1(good[:40]) || ValidSHA1(good) {
		t.Error("ValidSHA1")
	}
}

func TestFileSHA256(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	os.WriteFile(p, []byte("abc"), 0o644)
	got, err := FileSHA256(p)
	if err != nil || got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("%s %v", got, err)
	}
	if _, err := FileSHA256(p + ".missing"); err == nil {
		t.Error("no error for a missing file")
	}
}
