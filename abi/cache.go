package abi

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rpmvault/rpmvault/internal/atomicfile"
	"github.com/rpmvault/rpmvault/internal/digest"
)

// cache keeps per-package summaries on disk, one JSON file per package
// sha256. A missing, unreadable or outdated entry is a miss, never an error:
// the package is simply read again.
type cache struct {
	dir string // "" disables the disk cache
}

func (c cache) path(sha string) string {
	return filepath.Join(c.dir, sha[:2], sha+".json")
}

func (c cache) get(sha string) (*pkgSummary, bool) {
	if c.dir == "" || !digest.ValidSHA256(sha) {
		return nil, false
	}
	data, err := os.ReadFile(c.path(sha))
	if err != nil {
		return nil, false
	}
	var s pkgSummary
	if err := json.Unmarshal(data, &s); err != nil || s.Format != summaryFormat {
		return nil, false
	}
	return &s, true
}

// put writes the entry atomically (a reader sees a whole entry or none).
func (c cache) put(sha string, s *pkgSummary) error {
	if c.dir == "" || !digest.ValidSHA256(sha) {
		return nil
	}
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("abi cache: encode %s: %w", sha, err)
	}
	final := c.path(sha)
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return fmt.Errorf("abi cache: %w", err)
	}
	if err := atomicfile.WriteFile(final, data, 0o644); err != nil {
		return fmt.Errorf("abi cache: %w", err)
	}
	return nil
}
