//go:build demo

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/fixtures"
)

func TestDemo(t *testing.T) {
	for _, tool := range []string{"rpm", "gpg1", "rpmsign", "gcc"} {
		fixtures.NeedTool(t, tool)
	}
	work := t.TempDir()
	code, stdout, stderr := rpmvault(t, "demo", "--workdir", work, "--quiet")
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"docker-engine-1.7.1-1.el6.x86_64\n", "Docker version 1.7.1", "demo done"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, stdout)
		}
	}
	if _, err := os.Stat(filepath.Join(work, "docker-engine-1.7.1-el6.tar.gz")); err != nil {
		t.Errorf("--workdir did not keep the bundle: %v", err)
	}
}
