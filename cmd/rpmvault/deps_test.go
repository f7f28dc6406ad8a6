package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencyBoundaries checks what the release builds link: the
// target-side installer never links download code, and the rpmvault binary
// (without -tags demo) does not carry the fixture world.
func TestDependencyBoundaries(t *testing.T) {
	tests := []struct {
		pkg       string
		forbidden []string
	}{
		{"github.com/rpmvault/rpmvault/installer", []string{"github.com/rpmvault/rpmvault/mirror", "github.com/cavaliergopher/grab/v3", "github.com/rpmvault/rpmvault/fixtures"}},
		{"github.com/rpmvault/rpmvault/lock", []string{"github.com/rpmvault/rpmvault/mirror", "github.com/cavaliergopher/grab/v3"}},
		{"github.com/rpmvault/rpmvault/cmd/rpmvault", []string{"github.com/rpmvault/rpmvault/fixtures", "github.com/google/rpmpack"}},
	}
	for _, tt := range tests {
		out, err := exec.Command("go", "list", "-deps", tt.pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", tt.pkg, err, out)
		}
		deps := map[string]bool{}
		for _, d := range strings.Fields(string(out)) {
			deps[d] = true
		}
		if !deps[tt.pkg] {
			t.Fatalf("go list -deps %s does not list the package itself:\n%s", tt.pkg, out)
		}
		for _, f := range tt.forbidden {
			if deps[f] {
				t.Errorf("%s depends on %s", tt.pkg, f)
			}
		}
	}
}
