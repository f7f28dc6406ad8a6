package resolver_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/fetch"
	"github.com/rpmvault/rpmvault/resolver/manifest"
)

// fileParsedCache keeps parsed entries as files, as a store does, so that
// a resolve maps them (the in-memory cachingFetcher's are read onto the
// heap instead).
type fileParsedCache struct {
	fetch.HTTPFetcher
	dir string
}

func (f *fileParsedCache) OpenParsed(key string) (io.ReadCloser, error) {
	return os.Open(filepath.Join(f.dir, key))
}

func (f *fileParsedCache) SaveParsed(key string, write func(io.Writer) error) error {
	var b strings.Builder
	if err := write(&b); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(f.dir, key), []byte(b.String()), 0o644)
}

// TestMappedResolveMatchesHeap: resolves reading mapped entries (the
// solve's copy of the records, the plan made in one pass over the string
// table, pages released as they go) give the plan a resolve from XML
// gives, field for field.
func TestMappedResolveMatchesHeap(t *testing.T) {
	dir := t.TempDir()
	repo, err := fixtures.GenerateLargeRepo(filepath.Join(dir, "repo"), fixtures.LargeRepoOptions{Seed: 7, Packages: 2000, Files: 4})
	if err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(dir, "cache")
	if err := os.Mkdir(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, size := range []string{"small", "medium", "large"} {
		m, err := manifest.Parse([]byte(fmt.Sprintf("name: t\nrepos:\n  - id: big\n    baseurl: [%s]\n    gpgcheck: false\ninstall: [%s]\n",
			repo.Dir, repo.Targets[size])))
		if err != nil {
			t.Fatal(err)
		}
		want, _, err := resolver.Resolve(context.Background(), m.Sources(), m.Request(), &fetch.HTTPFetcher{})
		if err != nil {
			t.Fatal(err)
		}
		f := &fileParsedCache{dir: cache}
		for _, pass := range []string{"cold", "warm"} {
			got, _, err := resolver.Resolve(context.Background(), m.Sources(), m.Request(), f)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s %s: the plan differs from a resolve without cache", size, pass)
			}
		}
	}
	entries, _ := os.ReadDir(cache)
	if len(entries) == 0 {
		t.Fatal("no parsed entries were written")
	}
}
