package resolver_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/fetch"
)

// TestFileListsAgreeWithHeaders: the file lists createrepo_c writes for
// real RPMs, merged into the packages primary.xml gives (all of them, or
// only wanted paths), are the lists in the RPMs' own headers, and every
// package says it has its full list.
func TestFileListsAgreeWithHeaders(t *testing.T) {
	createrepo := fixtures.NeedTool(t, "createrepo_c")
	w, _ := servedWorld(t)
	tree := w.Tree("vault/6.6/os/x86_64")
	dir := t.TempDir()
	pkgs := filepath.Join(dir, "Packages")
	if err := os.Mkdir(pkgs, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range tree.Specs {
		src := filepath.Join(w.Root, tree.Path, tree.PackageDir, s.FileName())
		if err := os.Symlink(src, filepath.Join(pkgs, s.FileName())); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command(createrepo, "-q", dir).CombinedOutput(); err != nil {
		t.Fatalf("createrepo_c: %v\n%s", err, out)
	}
	load := func(r resolver.Repo) *resolver.Universe {
		t.Helper()
		u, err := resolver.LoadUniverse(context.Background(), []resolver.Repo{r}, resolver.LoadOptions{Fetcher: &fetch.HTTPFetcher{}})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	headers := map[string][]string{}
	every := map[string]bool{}
	for _, p := range load(resolver.Repo{ID: "hdr", Packages: []string{pkgs}}).Packages() {
		headers[p.NEVRA()] = slices.Sorted(slices.Values(p.Files))
		for _, f := range p.Files {
			every[f] = true
		}
	}
	if len(headers) != len(tree.Specs) {
		t.Fatalf("%d headers read, want %d", len(headers), len(tree.Specs))
	}
	// A few paths, some of which primary.xml already lists.
	some := map[string]bool{}
	for f := range every {
		if len(some) < 40 || f == "/bin/sh" {
			some[f] = true
		}
	}
	for _, wanted := range []map[string]bool{nil, some} {
		u := load(resolver.Repo{ID: "md", BaseURLs: []string{dir}})
		if err := u.LoadFileLists(wanted); err != nil {
			t.Fatal(err)
		}
		got := u.Packages()
		if len(got) != len(headers) {
			t.Fatalf("%d packages from repodata, %d from headers", len(got), len(headers))
		}
		for _, p := range got {
			want, ok := headers[p.NEVRA()]
			if !ok {
				t.Fatalf("%s is not among the RPMs", p.NEVRA())
			}
			if wanted != nil {
				want = slices.DeleteFunc(slices.Clone(want), func(f string) bool { return !wanted[f] })
			}
			files := slices.Sorted(slices.Values(p.Files))
			if wanted != nil {
				files = slices.DeleteFunc(files, func(f string) bool { return !wanted[f] })
			}
			if !slices.Equal(slices.Compact(files), want) {
				t.Errorf("%s (wanted %d paths): files %q, header has %q", p.NEVRA(), len(wanted), files, want)
			}
			if !p.FullFiles {
				t.Errorf("%s: FullFiles false after the file lists merged", p.NEVRA())
			}
		}
	}
}
