package abi_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/abi"
	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/mirror"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/fetch"
)

// noELFWorld is a repo of n x86_64 packages with only scripts, configs and
// data (like initscripts' shell parts) and the closure of all of them. The
// fixture builder writes FILECOLORS as rpmbuild does, so the check can tell
// from the header alone that there is nothing to read.
type noELFWorld struct {
	repos []resolver.Repo
	files []string
}

func buildNoELFWorld(b *testing.B, n, fillers int) *noELFWorld {
	b.Helper()
	dir := b.TempDir()
	w := &noELFWorld{}
	for i := 0; i < n; i++ {
		s := fixtures.Spec{Name: fmt.Sprintf("data%02d", i), Version: "1.0", Release: "1.el6", Arch: "x86_64"}
		if i > 0 {
			s.Requires = []string{fmt.Sprintf("data%02d", i-1)}
		}
		for j := 0; j < 40; j++ {
			s.Files = append(s.Files, fixtures.File{
				Path: fmt.Sprintf("/usr/share/data%02d/file%02d.txt", i, j),
				Body: []byte(strings.Repeat(fmt.Sprintf("line %d of file %d of package %d\n", j, j, i), 60)),
			})
		}
		p, err := fixtures.WriteRPM(filepath.Join(dir, "Packages"), s)
		if err != nil {
			b.Fatal(err)
		}
		w.files = append(w.files, p)
	}
	// The rest of a realistic repo: packages the closure does not touch,
	// so that resolving reads metadata of a real size.
	for i := 0; i < fillers; i++ {
		s := fixtures.Spec{Name: fmt.Sprintf("other%04d", i), Version: "1.0", Release: "1.el6", Arch: "x86_64",
			Provides: []string{fmt.Sprintf("libother%04d.so.1()(64bit)", i)},
			Requires: []string{"/bin/sh", fmt.Sprintf("libother%04d.so.1()(64bit)", (i+1)%fillers)},
			Files:    []fixtures.File{{Path: fmt.Sprintf("/usr/share/doc/other%04d/README", i), Body: []byte("readme\n")}}}
		if _, err := fixtures.WriteRPM(filepath.Join(dir, "Packages"), s); err != nil {
			b.Fatal(err)
		}
	}
	if err := mirror.CreateRepo(dir); err != nil {
		b.Fatal(err)
	}
	w.repos = []resolver.Repo{{ID: "base", BaseURLs: []string{dir}, Priority: 99}}
	return w
}

func (w *noELFWorld) resolve(b *testing.B, n int) (*resolver.Plan, *resolver.Universe) {
	u, err := resolver.LoadUniverse(context.Background(), w.repos, resolver.LoadOptions{Fetcher: &fetch.HTTPFetcher{}})
	if err != nil {
		b.Fatal(err)
	}
	plan, err := resolver.Solve(u, resolver.Request{Install: []string{fmt.Sprintf("data%02d", n-1)}, Arch: "x86_64"})
	if err != nil {
		b.Fatal(err)
	}
	if len(plan.Packages) != n {
		b.Fatalf("closure of %d packages, want %d", len(plan.Packages), n)
	}
	resolver.AttachURLs(plan, w.repos)
	return plan, u
}

// BenchmarkNoELF compares, for a 40-package closure without ELF files out of
// a 2040-package repo, the ABI check (cold: every payload read; warm:
// summaries from the cache) with what resolve does anyway (load the repo
// metadata and solve) and with hashing the closure's RPMs once (what
// mirroring pays to verify them).
func BenchmarkNoELF(b *testing.B) {
	const n = 40
	w := buildNoELFWorld(b, n, 2000)
	plan, u := w.resolve(b, n)
	opts := abi.Options{Opener: &fetchOpener{Fetcher: &fetch.HTTPFetcher{}, Repos: w.repos}, Available: u.Packages()}

	b.Run("resolve", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			w.resolve(b, n)
		}
	})
	b.Run("sha256-rpms", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for _, f := range w.files {
				fh, err := os.Open(f)
				if err != nil {
					b.Fatal(err)
				}
				h := sha256.New()
				io.Copy(h, fh)
				fh.Close()
			}
		}
	})
	b.Run("check-cold", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			rep, err := abi.Check(context.Background(), plan, opts)
			if err != nil || rep.Objects != 0 || rep.Read != n {
				b.Fatalf("%v %+v", err, rep)
			}
		}
	})
	warm := opts
	warm.CacheDir = b.TempDir()
	if _, err := abi.Check(context.Background(), plan, warm); err != nil {
		b.Fatal(err)
	}
	b.Run("check-warm", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			rep, err := abi.Check(context.Background(), plan, warm)
			if err != nil || rep.Read != 0 {
				b.Fatalf("%v %+v", err, rep)
			}
		}
	})
}
