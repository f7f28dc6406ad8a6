package abi_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/abi"
	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/mirror"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/fetch"
)

// gccBuild compiles src into dir/out with the fixture flags (no libc).
func gccBuild(t *testing.T, dir, out, src string, args ...string) []byte {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, out+".c"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("gcc", append([]string{"-Os", "-nostdlib", "-fno-stack-protector", "-Wl,--build-id=none", "-o", out, out + ".c"}, args...)...)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, b)
	}
	b, err := os.ReadFile(filepath.Join(dir, out))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCheckUnversioned: libraries without symbol versioning (most outside
// glibc and device-mapper) are checked too. The executable's unversioned
// imports are looked up in every library it loads; weak ones may be missing.
func TestCheckUnversioned(t *testing.T) {
	fixtures.NeedTool(t, "gcc")
	dir := t.TempDir()
	const lib = "int foo_a(void) { return 1; }\n"
	oldLib := gccBuild(t, dir, "libfoo.so.1", lib, "-shared", "-fPIC", "-Wl,-soname,libfoo.so.1")
	newLib := gccBuild(t, dir, "libfoo.so.1", lib+"int foo_b(void) { return 2; }\n", "-shared", "-fPIC", "-Wl,-soname,libfoo.so.1")
	prog := gccBuild(t, dir, "prog", `extern int foo_a(void), foo_b(void);
extern int foo_c(void) __attribute__((weak));
void _start(void) {
	long code = foo_a() + foo_b() + (foo_c ? foo_c() : 0);
	__asm__ volatile ("syscall" : : "a"(231L), "D"(code));
	for (;;) ;
}
`, "-fPIE", "-pie", "libfoo.so.1")

	repo := filepath.Join(t.TempDir(), "repo")
	for _, s := range []fixtures.Spec{
		{Name: "foo-libs", Version: "1.0", Release: "1", Provides: []string{"libfoo.so.1()(64bit)"},
			Files: []fixtures.File{{Path: "/usr/lib64/libfoo.so.1", Mode: 0o755, Body: oldLib}}},
		{Name: "foo-libs", Version: "1.1", Release: "1", Provides: []string{"libfoo.so.1()(64bit)"},
			Files: []fixtures.File{{Path: "/usr/lib64/libfoo.so.1", Mode: 0o755, Body: newLib}}},
		{Name: "prog", Version: "1.0", Release: "1", Requires: []string{"libfoo.so.1()(64bit)"},
			Files: []fixtures.File{{Path: "/usr/bin/prog", Mode: 0o755, Body: prog}}},
	} {
		if _, err := fixtures.WriteRPM(repo, s); err != nil {
			t.Fatal(err)
		}
	}
	if err := mirror.CreateRepo(repo); err != nil {
		t.Fatal(err)
	}
	repos := []resolver.Repo{{ID: "base", BaseURLs: []string{repo}, Priority: 99}}
	ctx := context.Background()
	u, err := resolver.LoadUniverse(ctx, repos, resolver.LoadOptions{Fetcher: &fetch.HTTPFetcher{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		installed string
		want      []string
	}{
		{"old library installed", "foo-libs 0 1.0 1 x86_64", []string{
			"/usr/bin/prog (prog-1.0-1.x86_64) needs foo_b from libfoo.so.1, which foo-libs-1.0-1.x86_64 (installed) does not export; fix: foo-libs >= 1.1-1"}},
		{"new library installed", "foo-libs 0 1.1 1 x86_64", nil},
		{"empty root", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var inst []*resolver.Package
			if tc.installed != "" {
				inst = installed(t, tc.installed)
			}
			plan, err := resolver.Solve(u, resolver.Request{Install: []string{"prog"}, Installed: inst, Arch: "x86_64"})
			if err != nil {
				t.Fatal(err)
			}
			resolver.AttachURLs(plan, repos)
			rep, err := abi.Check(ctx, plan, abi.Options{Opener: &fetchOpener{Fetcher: &fetch.HTTPFetcher{}, Repos: repos}, Installed: inst, Available: u.Packages()})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range rep.Findings {
				got = append(got, f.String())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") || len(rep.Unverified) != 0 {
				t.Fatalf("findings\n%s\nwant\n%s\nunverified %v", strings.Join(got, "\n"), strings.Join(tc.want, "\n"), rep.Unverified)
			}
		})
	}
}
