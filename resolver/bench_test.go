package resolver_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/fetch"
	"github.com/rpmvault/rpmvault/resolver/manifest"
	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

// The hot paths of a resolve, on a generated repo of benchPackages packages
// (the 60,000-package comparison with dnf and libsolv is `make bench`).
const benchPackages = 10000

var (
	benchOnce sync.Once
	benchRepo *fixtures.LargeRepo
	benchErr  error
	benchDir  string // TestMain removes it
)

func largeRepo(b *testing.B) *fixtures.LargeRepo {
	b.Helper()
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "rpmvault-bench-")
		if err != nil {
			benchErr = err
			return
		}
		benchDir = dir
		benchRepo, benchErr = fixtures.GenerateLargeRepo(dir, fixtures.LargeRepoOptions{Seed: 1, Packages: benchPackages})
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchRepo
}

func BenchmarkReadPrimary(b *testing.B) {
	data := metadataOf(b, largeRepo(b).Dir, "primary")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer() // generating the repo is not the benchmark
	for range b.N {
		n := 0
		if err := resolver.ReadPrimary(bytes.NewReader(data), "big", func(*resolver.Package) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n < benchPackages {
			b.Fatalf("read %d packages", n)
		}
	}
}

func BenchmarkReadFilelists(b *testing.B) {
	data := metadataOf(b, largeRepo(b).Dir, "filelists")
	// Some 1,600 paths, as a resolve of a large closure wants.
	keep := map[string]bool{}
	for i := range 1600 {
		keep[fmt.Sprintf("/usr/share/l%d-pkg%05d/file02", i%4, i/4)] = true
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := resolver.ReadFilelists(bytes.NewReader(data), keep, func(string, []string) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func benchResolve(b *testing.B, target string, f rpmmd.Fetcher) {
	repo := largeRepo(b)
	m, err := manifest.Parse([]byte("name: bench\nrepos:\n  - id: big\n    baseurl: [" + repo.Dir + "]\n    gpgcheck: false\ninstall: [" + repo.Targets[target] + "]\n"))
	if err != nil {
		b.Fatal(err)
	}
	resolve := func() {
		if _, _, err := resolver.Resolve(context.Background(), m.Sources(), m.Request(), f); err != nil {
			b.Fatal(err)
		}
	}
	if _, ok := f.(resolver.ParsedCache); ok {
		resolve() // fill the cache
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		resolve()
	}
}

// BenchmarkResolveCold reads the XML metadata every time.
func BenchmarkResolveCold(b *testing.B) {
	for _, target := range []string{"small", "large"} {
		b.Run(target, func(b *testing.B) { benchResolve(b, target, &fetch.HTTPFetcher{}) })
	}
}

// BenchmarkResolveWarm reads the parsed cache.
func BenchmarkResolveWarm(b *testing.B) {
	for _, target := range []string{"small", "large"} {
		b.Run(target, func(b *testing.B) {
			benchResolve(b, target, &cachingFetcher{entries: map[string][]byte{}})
		})
	}
}

// BenchmarkSolve is the solver alone, on a universe already read.
func BenchmarkSolve(b *testing.B) {
	repo := largeRepo(b)
	u, err := resolver.LoadUniverse(context.Background(), []resolver.Repo{{ID: "big", BaseURLs: []string{repo.Dir}}},
		resolver.LoadOptions{Fetcher: &fetch.HTTPFetcher{}})
	if err != nil {
		b.Fatal(err)
	}
	for _, target := range []string{"small", "large"} {
		b.Run(target, func(b *testing.B) {
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := resolver.Solve(u, resolver.Request{Install: []string{repo.Targets[target]}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
