package mirror

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

// copyLocal copies a regular file of at most limit bytes: a device such
// as /dev/zero or a FIFO is not a package.
func copyLocal(src, dst string, limit int64) (int64, error) {
	in, err := openRegular(src, limit)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, io.LimitReader(in, limit))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// openRegular opens a regular file of at most limit bytes.
func openRegular(src string, limit int64) (*os.File, error) {
	in, err := os.Open(src)
	if err != nil {
		return nil, err
	}
	st, err := in.Stat()
	if err != nil {
		in.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		in.Close()
		return nil, fmt.Errorf("%s is not a regular file (%s)", src, st.Mode().Type())
	}
	if st.Size() > limit {
		in.Close()
		return nil, &rpmmd.TooLargeError{URL: src, Max: limit}
	}
	return in, nil
}

// localURLPath returns the path of a file:// URL or a plain path.
func localURLPath(u string) (string, bool) {
	if p, ok := strings.CutPrefix(u, "file://"); ok {
		return p, true
	}
	return u, !strings.Contains(u, "://")
}

// localSources maps each repo of the lock to the local directories and
// files its source names (local base URLs and header-only package paths).
func localSources(l *lock.Lock) map[string][]string {
	out := map[string][]string{}
	for _, r := range l.RPMVault.Repos {
		for _, u := range append(append([]string(nil), r.BaseURLs...), r.Packages...) {
			if p, ok := localURLPath(u); ok && p != "" {
				if abs, err := filepath.Abs(p); err == nil {
					out[r.ID] = append(out[r.ID], abs)
				}
			}
		}
	}
	return out
}

// checkURL refuses a lock URL that is neither http(s) nor a file inside a
// local source of the package's repo: a lock must not make the mirror read
// whatever path it names (say /dev/zero or ~/.ssh).
func (m *mirrorer) checkURL(p *lock.Package, u string) error {
	if strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
		return nil
	}
	if path, ok := localURLPath(u); ok && path != "" {
		clean, _ := filepath.Abs(path)
		for _, root := range m.local[p.RepoID] {
			if clean == root || strings.HasPrefix(clean, root+string(filepath.Separator)) {
				return nil
			}
		}
	}
	return &URLError{Package: p.NEVRA(), URL: u, Detail: fmt.Sprintf("is not http(s) and not inside a local directory or file that repo %q names; refusing to read it", p.RepoID)}
}

// URLError is a lock URL the mirror will not fetch from.
type URLError struct {
	Package, URL, Detail string
}

func (e *URLError) Error() string { return fmt.Sprintf("%s: url %s %s", e.Package, e.URL, e.Detail) }
