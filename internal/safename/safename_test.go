package safename

import (
	"strings"
	"testing"
)

func TestJoinInside(t *testing.T) {
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{"a-1-1.x86_64.rpm", true}, {"rpms/a.rpm", true}, {"../x", false}, {"a/../../x", false},
		{"/etc/passwd", false}, {".", false}, {"a\x00b", false}, {strings.Repeat("a", 256), false},
	} {
		_, err := JoinInside("/srv/dir", tt.name)
		if (err == nil) != tt.ok {
			t.Errorf("JoinInside(%q): %v", tt.name, err)
		}
	}
}

// TestCheck: a part of a file name is refused with the reason, typed, and
// a plain one passes.
func TestCheck(t *testing.T) {
	for _, tt := range []struct {
		v, why string
	}{
		{"docker-engine", ""}, {"1.02.90", ""}, {"el6_6", ""}, {"a..b", `contains ".."`},
		{"", "is empty"}, {strings.Repeat("a", 201), "is 201 bytes long (at most 200)"},
		{"a/b", "contains a path separator"}, {`a\b`, "contains a path separator"},
		{"a\x00b", "contains a control character"}, {"a\x7fb", "contains a control character"},
	} {
		err := Check("package name", tt.v)
		if tt.why == "" {
			if err != nil {
				t.Errorf("Check(%q): %v", tt.v, err)
			}
			continue
		}
		e, ok := err.(*Error)
		if !ok || e.Why != tt.why || e.What != "package name" {
			t.Errorf("Check(%q) = %v, want %q", tt.v, err, tt.why)
		}
	}
}
