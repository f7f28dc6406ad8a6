package installer_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/installer"
)

// TestExtractHardLinks: rpm writes a hard-link set's content once, with its
// last member; every member must be extracted, as one file (rpm links
// them), including sets of empty files, whose members all come without
// content.
func TestExtractHardLinks(t *testing.T) {
	cases := []struct {
		name, install string
		links         []string // one hard-link set
		content       string
		mode          os.FileMode
	}{
		{"three names", `mkdir -p %{buildroot}/usr/bin
printf 'data\n' > %{buildroot}/usr/bin/a
chmod 4755 %{buildroot}/usr/bin/a
ln %{buildroot}/usr/bin/a %{buildroot}/usr/bin/b
mkdir -p %{buildroot}/usr/sbin
ln %{buildroot}/usr/bin/a %{buildroot}/usr/sbin/c`, []string{"/usr/bin/a", "/usr/bin/b", "/usr/sbin/c"}, "data\n", 0o755 | os.ModeSetuid},
		{"empty files", `mkdir -p %{buildroot}/etc
: > %{buildroot}/etc/e1
ln %{buildroot}/etc/e1 %{buildroot}/etc/e2`, []string{"/etc/e1", "/etc/e2"}, "", 0o644},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rpmFile := fixtures.RPMBuild(t, "hardlinks", c.install, c.links)
			root := filepath.Join(t.TempDir(), "root")
			if err := installer.Extract(root, []string{rpmFile}); err != nil {
				t.Fatal(err)
			}
			var ino uint64
			for i, l := range c.links {
				p := filepath.Join(root, l)
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatalf("%s was not extracted: %v", l, err)
				}
				if string(b) != c.content {
					t.Errorf("%s holds %q, want %q", l, b, c.content)
				}
				st, err := os.Lstat(p)
				if err != nil {
					t.Fatal(err)
				}
				if st.Mode() != c.mode {
					t.Errorf("%s: mode %v, want %v", l, st.Mode(), c.mode)
				}
				sys := st.Sys().(*syscall.Stat_t)
				if i == 0 {
					ino = sys.Ino
				} else if sys.Ino != ino {
					t.Errorf("%s is not a hard link of %s", l, c.links[0])
				}
			}
		})
	}
}
