package mirror_test

import (
	"os"
	"testing"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/mirror"
)

// TestCheckFileDigestsHardLinks: real rpmbuild packages with hard-link sets
// (content written once, with the last member; a set of empty files with
// no content at all) pass the file-digest check.
func TestCheckFileDigestsHardLinks(t *testing.T) {
	for _, c := range []struct{ name, install string }{
		{"content", "mkdir -p %{buildroot}/usr/bin\nprintf 'data\\n' > %{buildroot}/usr/bin/a\nln %{buildroot}/usr/bin/a %{buildroot}/usr/bin/b"},
		{"empty", "mkdir -p %{buildroot}/usr/bin\n: > %{buildroot}/usr/bin/a\nln %{buildroot}/usr/bin/a %{buildroot}/usr/bin/b"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := os.ReadFile(fixtures.RPMBuild(t, "links", c.install, []string{"/usr/bin/a", "/usr/bin/b"}))
			if err != nil {
				t.Fatal(err)
			}
			if err := mirror.CheckRPMFiles(b); err != nil {
				t.Errorf("a genuine package with a hard-link set: %v", err)
			}
		})
	}
}
