package lock

import (
	"strings"
	"testing"
)

// TestSourceEntriesChecked: source entries are held to what packages are,
// and must be source RPMs; one listed in two arch sections is one entry.
func TestSourceEntriesChecked(t *testing.T) {
	entry := func(url, arch, sum string) string {
		s := "  - url: " + url + "\n    repoid: base-source\n    size: 10\n    checksum: sha256:" + strings.Repeat(sum, 64) + "\n    name: tar\n    evr: 2:1.23-11.el6\n"
		if arch != "" {
			s += "    arch: " + arch + "\n"
		}
		return s
	}
	head := "lockfileVersion: 1\nlockfileVendor: redhat\narches:\n"
	section := func(arch, src string) string {
		return "- arch: " + arch + "\n  packages: []\n  source:\n" + src + "  module_metadata: []\n"
	}
	const u = "https://vault.centos.org/6.6/os/Source/SPackages/tar-1.23-11.el6.src.rpm"
	for _, tt := range []struct {
		name, lock, err string
		sources         int
	}{
		{"one", head + section("x86_64", entry(u, "", "3")), "", 1},
		{"in two arches", head + section("x86_64", entry(u, "", "3")) + section("aarch64", entry(u, "", "3")), "", 1},
		{"two checksums", head + section("x86_64", entry(u, "", "3")) + section("aarch64", entry(u, "", "4")), "listed twice with different checksums", 0},
		{"a binary", head + section("x86_64", entry("https://x/tar-1.23-11.el6.x86_64.rpm", "", "3")), "want src", 0},
		{"bad checksum", head + section("x86_64", strings.Replace(entry(u, "", "3"), "sha256:", "md5:", 1)), "is not sha256", 0},
		{"bad name", head + section("x86_64", strings.Replace(entry(u, "", "3"), "name: tar", "name: ../tar", 1)), "tar", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Parse([]byte(tt.lock))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := l.Sources(); len(got) != tt.sources || got[0].Arch != "src" || len(l.SourcePtrs()) != tt.sources {
				t.Errorf("sources %+v", got)
			}
		})
	}
}
