package mirror_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rpmvault/rpmvault/mirror"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/fetch"
)

// TestDamagedMetadataCopyIsDropped: a stored primary.xml.gz that no longer
// matches its checksum (a byte flipped, or cut short as a crash may leave
// an entry the cache does not fsync) fails the run that reads it and is
// removed, whether the checksum or the parser notices first, so the next
// run fetches it afresh and succeeds.
func TestDamagedMetadataCopyIsDropped(t *testing.T) {
	_, srv := serveSigned(t)
	store, err := mirror.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	load := func() error {
		// Without the parsed cache's entry, each load reads primary.xml.
		os.RemoveAll(filepath.Join(store.Root(), "metadata", "parsed"))
		f := &mirror.MetadataFetcher{Inner: &fetch.HTTPFetcher{}, Store: store, Retries: 1}
		_, err := resolver.LoadUniverse(context.Background(), []resolver.Repo{{ID: "base", BaseURLs: []string{srv.URL + "/vault/6.6/os/x86_64/"}}}, resolver.LoadOptions{Fetcher: f})
		return err
	}
	if err := load(); err != nil {
		t.Fatal(err)
	}
	stored, _ := filepath.Glob(filepath.Join(store.Root(), "metadata", "sha*", "*"))
	var primary string
	var good []byte
	for _, p := range stored {
		// The primary is the only metadata file a load reads.
		if b, err := os.ReadFile(p); err == nil && len(b) > 64 {
			primary, good = p, b
		}
	}
	if primary == "" {
		t.Fatalf("no stored primary among %v", stored)
	}
	for _, tt := range []struct {
		name   string
		damage func([]byte) []byte
	}{
		{"a byte flipped", func(b []byte) []byte { b[len(b)/2] ^= 0x55; return b }},
		{"cut short", func(b []byte) []byte { return b[:len(b)/2] }},
		{"empty", func([]byte) []byte { return nil }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(primary, tt.damage(append([]byte(nil), good...)), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := load(); err == nil {
				t.Fatal("a damaged primary.xml.gz loaded")
			}
			if _, err := os.Stat(primary); !os.IsNotExist(err) {
				t.Fatalf("the damaged copy is still in the store (%v)", err)
			}
			if err := load(); err != nil {
				t.Fatalf("the run after the damaged copy was dropped: %v", err)
			}
			if b, err := os.ReadFile(primary); err != nil || string(b) != string(good) {
				t.Fatalf("the primary was not stored afresh (%v)", err)
			}
		})
	}
}
