package installer_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/installer"
)

// TestExtractSymlinkEscapes: links whose text looks harmless but that
// resolve, through links extracted before or after them (or already in the
// root), outside the root. Each is refused, and the root is left as it was.
func TestExtractSymlinkEscapes(t *testing.T) {
	type pkg []fixtures.File
	cases := []struct {
		name     string
		pkgs     []pkg
		existing map[string]string // links already in the root: path -> target
	}{
		// rpmpack sorts a payload by path: b comes before c, so when b is
		// extracted c does not exist yet.
		{"b -> c/.. then c -> .", []pkg{{{Path: "/c", LinkTo: "."}, {Path: "/b", LinkTo: "c/.."}}}, nil},
		{"a -> . then b -> a/..", []pkg{{{Path: "/a", LinkTo: "."}, {Path: "/b", LinkTo: "a/.."}}}, nil},
		{"absolute link then ..", []pkg{{{Path: "/d", LinkTo: "/"}, {Path: "/e", LinkTo: "d/.."}}}, nil},
		{"deep chain", []pkg{{{Path: "/x/y", LinkTo: "../.."}, {Path: "/x/z", LinkTo: "."}}}, nil},
		{"across packages", []pkg{{{Path: "/c", LinkTo: "."}, {Path: "/ok", Body: []byte("fine")}}, {{Path: "/b", LinkTo: "c/.."}}}, nil},
		{"through a link already in the root", []pkg{{{Path: "/b", LinkTo: "c/../x"}}}, map[string]string{"c": "."}},
		{"loop", []pkg{{{Path: "/l1", LinkTo: "l2/.."}, {Path: "/l2", LinkTo: "l1"}}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			var files []string
			for i, p := range c.pkgs {
				f, err := fixtures.WriteRPM(dir, fixtures.Spec{Name: "evil" + string(rune('a'+i)), Version: "1", Release: "1", Files: p})
				if err != nil {
					t.Fatal(err)
				}
				files = append(files, f)
			}
			root := filepath.Join(t.TempDir(), "root")
			os.MkdirAll(root, 0o755)
			for name, target := range c.existing {
				if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
					t.Fatal(err)
				}
			}
			before := listTree(t, root)
			err := installer.Extract(root, files)
			var ee *installer.EscapeError
			if !errors.As(err, &ee) {
				t.Fatalf("want an EscapeError, got %v", err)
			}
			if !strings.Contains(err.Error(), "outside the root") && !strings.Contains(err.Error(), "symlinks") {
				t.Errorf("error does not say why: %v", err)
			}
			if after := listTree(t, root); after != before {
				t.Errorf("a refused extraction changed the root:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// TestExtractAtomicAndModes: a good package followed by a hostile one
// leaves nothing; modes keep setuid, setgid and sticky bits whatever the umask.
func TestExtractAtomicAndModes(t *testing.T) {
	dir := t.TempDir()
	good, err := fixtures.WriteRPM(dir, fixtures.Spec{Name: "good", Version: "1", Release: "1", Files: []fixtures.File{
		{Path: "/usr/bin/su", Mode: 0o4755, Body: []byte("su")},
		{Path: "/usr/bin/wall", Mode: 0o2755, Body: []byte("wall")},
		{Path: "/tmp", Dir: true, Mode: 0o1777},
		{Path: "/proc", Dir: true, Mode: 0o555},
		{Path: "/proc/keep", Body: []byte("k")},
		{Path: "/lib64/libc.so.6", LinkTo: "libc-2.12.so"},
		{Path: "/lib64/libc-2.12.so", Mode: 0o755, Body: []byte("libc")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	evil, err := fixtures.WriteRPM(dir, fixtures.Spec{Name: "evil", Version: "1", Release: "1", Files: []fixtures.File{
		{Path: "/c", LinkTo: "."}, {Path: "/b", LinkTo: "c/.."},
	}})
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "root")
	if err := installer.Extract(root, []string{good, evil}); err == nil {
		t.Fatal("a hostile package was extracted")
	}
	if _, err := os.Lstat(root); !os.IsNotExist(err) {
		t.Errorf("a refused extraction left %s behind (%v): %s", root, err, listTree(t, root))
	}

	if err := installer.Extract(root, []string{good}); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{
		"usr/bin/su":   0o755 | os.ModeSetuid,
		"usr/bin/wall": 0o755 | os.ModeSetgid,
		"tmp":          0o777 | os.ModeSticky | os.ModeDir,
		"proc":         0o555 | os.ModeDir,
	} {
		st, err := os.Lstat(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode() != want {
			t.Errorf("%s: mode %v, want %v", p, st.Mode(), want)
		}
	}
	if b, err := os.ReadFile(filepath.Join(root, "lib64/libc.so.6")); err != nil || string(b) != "libc" {
		t.Errorf("libc.so.6 -> libc-2.12.so: %q %v", b, err)
	}
	// A second extraction merges into the root it made.
	if err := installer.Extract(root, []string{good}); err != nil {
		t.Fatalf("extracting again into the same root: %v", err)
	}
	if m, _ := filepath.Glob(filepath.Join(root, ".rpmvault-extract-*")); len(m) != 0 {
		t.Errorf("staging left behind: %v", m)
	}
}

// listTree describes every entry below root (path, type, link target).
func listTree(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	filepath.Walk(root, func(p string, st os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		b.WriteString(rel + ":" + st.Mode().Type().String())
		if st.Mode()&os.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			b.WriteString("->" + target)
		}
		b.WriteString(" ")
		return nil
	})
	return b.String()
}
