package abi

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// cache keeps per-package summaries on disk, one JSON file per package
// sha256. A missing, unreadable or outdated entry is a miss, never an error:
// the package is simply read again.
type cache struct {
	dir string // "" disables the disk cache
}

func validSHA256(h string) bool {
	if len(h) != 64 {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil
}

func (c cache) path(sha string) string {
	return filepath.Join(c.dir, sha[:2], sha+".json")
}

func (c cache) get(sha string) (*pkgSummary, bool) {
	if c.dir == "" || !validSHA256(sha) {
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

// put writes the entry atomically: a temp file in the same directory,
// fsynced, renamed over the final name, and the directory fsynced.
func (c cache) put(sha string, s *pkgSummary) error {
	if c.dir == "" || !validSHA256(sha) {
		return nil
	}
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("abi cache: encode %s: %w", sha, err)
	}
	final := c.path(sha)
	dir := filepath.Dir(final)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("abi cache: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+sha+".*.tmp")
	if err != nil {
		return fmt.Errorf("abi cache: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("abi cache: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("abi cache: sync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("abi cache: close %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return fmt.Errorf("abi cache: %w", err)
	}
	ok = true
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("abi cache: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, fs.ErrInvalid) {
		return fmt.Errorf("abi cache: sync %s: %w", dir, err)
	}
	return nil
}
