package resolver_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/fetch"
	"github.com/rpmvault/rpmvault/resolver/manifest"
	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

// cachingFetcher reads a local repo, keeps parsed entries in memory and
// records which metadata files it was asked for.
type cachingFetcher struct {
	fetch.HTTPFetcher
	mu      sync.Mutex
	fetched []string
	entries map[string][]byte
}

func (f *cachingFetcher) Fetch(ctx context.Context, u string, start, end int64) (io.ReadCloser, error) {
	f.mu.Lock()
	f.fetched = append(f.fetched, filepath.Base(u))
	f.mu.Unlock()
	return f.HTTPFetcher.Fetch(ctx, u, start, end)
}

func (f *cachingFetcher) OpenParsed(key string) (io.ReadCloser, error) {
	b, ok := f.entries[key]
	if !ok {
		return nil, os.ErrNotExist
	}
	return io.NopCloser(strings.NewReader(string(b))), nil
}

func (f *cachingFetcher) SaveParsed(key string, write func(io.Writer) error) error {
	var b strings.Builder
	if err := write(&b); err != nil {
		return err
	}
	f.entries[key] = []byte(b.String())
	return nil
}

// read says whether the last resolve read primary.xml and filelists.xml.
func (f *cachingFetcher) read() (primary, filelists bool) {
	for _, name := range f.fetched {
		primary = primary || strings.Contains(name, "primary.xml")
		filelists = filelists || strings.Contains(name, "filelists.xml")
	}
	f.fetched = nil
	return primary, filelists
}

// TestParsedCache: a second resolve of an unchanged repo reads no XML and
// answers the same; a request for a path the entries do not hold reads the
// file lists again; a damaged entry is read from XML anew.
func TestParsedCache(t *testing.T) {
	dir := t.TempDir()
	repo, err := fixtures.GenerateLargeRepo(dir, fixtures.LargeRepoOptions{Seed: 5, Packages: 1500, Files: 4})
	if err != nil {
		t.Fatal(err)
	}
	m := func(specs ...string) *manifest.Manifest {
		mf, err := manifest.Parse([]byte(fmt.Sprintf("name: t\nrepos:\n  - id: big\n    baseurl: [%s]\n    gpgcheck: false\ninstall: [%s]\n",
			dir, strings.Join(specs, ", "))))
		if err != nil {
			t.Fatal(err)
		}
		return mf
	}
	resolve := func(f rpmmd.Fetcher, specs ...string) ([]string, *resolver.Universe) {
		t.Helper()
		mf := m(specs...)
		plan, u, err := resolver.Resolve(context.Background(), mf.Sources(), mf.Request(), f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, pp := range plan.Packages {
			out = append(out, fmt.Sprintf("%d %s", pp.Step, pp.Package.NEVRA()))
		}
		return out, u
	}
	large := repo.Targets["large"]
	want, u := resolve(&fetch.HTTPFetcher{}, large)
	// A path only filelists know, which nothing requires.
	var path string
	for _, p := range u.Packages() {
		if strings.HasPrefix(p.Name, "l1-") {
			path = "/usr/share/" + p.Name + "/file03"
			break
		}
	}
	wantPath, _ := resolve(&fetch.HTTPFetcher{}, path)

	f := &cachingFetcher{entries: map[string][]byte{}}
	steps := []struct {
		name                       string
		specs                      []string
		want                       []string
		damage                     string // the entry to damage: "packages" or "files"
		readPrimary, readFilelists bool
	}{
		{name: "cold", specs: []string{large}, want: want, readPrimary: true, readFilelists: true},
		{name: "warm", specs: []string{large}, want: want},
		{name: "a path not kept", specs: []string{path}, want: wantPath, readFilelists: true},
		{name: "warm again", specs: []string{path}, want: wantPath},
		{name: "damaged file lists", specs: []string{large}, want: want, damage: "files", readFilelists: true},
		{name: "damaged packages", specs: []string{large}, want: want, damage: "packages", readPrimary: true, readFilelists: true},
		{name: "rewritten", specs: []string{large}, want: want},
	}
	for _, st := range steps {
		if st.damage != "" {
			if len(f.entries) != 2 {
				t.Fatalf("%d parsed entries, want 2 (packages and file lists)", len(f.entries))
			}
			for k, b := range f.entries {
				if strings.HasSuffix(k, "-files") == (st.damage == "files") {
					b[len(b)/2] ^= 0x55
				}
			}
		}
		got, _ := resolve(f, st.specs...)
		if !reflect.DeepEqual(got, st.want) {
			t.Errorf("%s: plan differs from a resolve without cache:\n got %v\nwant %v", st.name, got, st.want)
		}
		primary, filelists := f.read()
		if primary != st.readPrimary || filelists != st.readFilelists {
			t.Errorf("%s: read primary %v, filelists %v; want %v, %v", st.name, primary, filelists, st.readPrimary, st.readFilelists)
		}
	}
	if _, err := f.OpenParsed("nothing"); !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
}
