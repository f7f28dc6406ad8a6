package installer_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/rpmpack"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/installer"
)

func TestExtract(t *testing.T) {
	dir := t.TempDir()
	good, err := fixtures.WriteRPM(dir, fixtures.DockerEngine())
	if err != nil {
		t.Fatal(err)
	}
	bash, err := fixtures.WriteRPM(dir, fixtures.Spec{Name: "bash", Version: "4.1.2", Release: "29.el6",
		Files: []fixtures.File{{Path: "/bin/bash", Mode: 0o755, Body: []byte("#!bash")}, {Path: "/bin/sh", LinkTo: "bash"}, {Path: "/etc/alt", LinkTo: "/bin/bash"}}})
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "sysroot")
	if err := installer.Extract(root, []string{good, bash}); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(root, "usr/bin/docker"))
	if err != nil || st.Mode().Perm() != 0o755 {
		t.Fatalf("docker: %v %v", st, err)
	}
	if target, _ := os.Readlink(filepath.Join(root, "bin/sh")); target != "bash" {
		t.Errorf("/bin/sh -> %q", target)
	}

	hostile := []struct {
		name  string
		files []fixtures.File
	}{
		{"climbing symlink", []fixtures.File{{Path: "/etc/evil", LinkTo: "../../../../etc"}}},
		{"write through a symlink", []fixtures.File{{Path: "/etc/link", LinkTo: "/tmp"}, {Path: "/etc/link/owned", Body: []byte("x")}}},
	}
	for _, h := range hostile {
		t.Run(h.name, func(t *testing.T) {
			p, err := fixtures.WriteRPM(t.TempDir(), fixtures.Spec{Name: "evil", Version: "1", Release: "1", Files: h.files})
			if err != nil {
				t.Fatal(err)
			}
			err = installer.Extract(filepath.Join(t.TempDir(), "root"), []string{p})
			var ee *installer.EscapeError
			if !errors.As(err, &ee) || !strings.Contains(err.Error(), "evil-1-1.x86_64.rpm") {
				t.Fatalf("want an EscapeError naming the package, got %v", err)
			}
		})
	}
	// A payload path that climbs: the fixture builder refuses to make one, so
	// build it with rpmpack directly.
	r, err := rpmpack.NewRPM(rpmpack.RPMMetaData{Name: "evil", Version: "1", Release: "1", Arch: "x86_64"})
	if err != nil {
		t.Fatal(err)
	}
	r.AddFile(rpmpack.RPMFile{Name: "/usr/../../../../tmp/rpmvault-escaped", Body: []byte("x"), Mode: 0o644})
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "evil-1-1.x86_64.rpm")
	os.WriteFile(p, buf.Bytes(), 0o644)
	if err := installer.Extract(filepath.Join(t.TempDir(), "root"), []string{p}); err == nil || !strings.Contains(err.Error(), "rpmvault-escaped") {
		t.Errorf("climbing payload path: %v", err)
	}
	if _, err := os.Stat("/tmp/rpmvault-escaped"); err == nil {
		t.Error("a climbing payload path escaped")
	}
	if _, err := os.Stat("/tmp/owned"); err == nil {
		t.Error("a hostile payload wrote outside the root")
	}
}
