package safename

import (
	"fmt"
	"path/filepath"
	"strings"
)

// maxNamePart bounds a package's name, version, release, arch or repo id:
// real ones are tens of bytes, and a file name built from them must stay
// under the file system's 255-byte limit.
const maxNamePart = 200

// maxFileName is NAME_MAX on Linux file systems.
const maxFileName = 255

// Error is a name taken from metadata, a header or a lock that
// cannot be part of a file name.
type Error struct {
	What  string // "package name", "version", ...
	Value string
	Why   string
}

func (e *Error) Error() string {
	v := e.Value
	if len(v) > 64 {
		v = v[:64] + "…"
	}
	return fmt.Sprintf("%s %q %s: refusing it, since it would become part of a file name", e.What, v, e.Why)
}

// Check refuses a value that becomes part of a file name unless it
// is plainly one: not empty, no '/', '\\', "..", NUL or other control
// characters, and at most 200 bytes. Metadata, RPM headers and
// lockfiles come from others; what they name must not climb out of the
// directory it is written to.
func Check(what, v string) error {
	why := ""
	switch {
	case v == "":
		why = "is empty"
	case len(v) > maxNamePart:
		why = fmt.Sprintf("is %d bytes long (at most %d)", len(v), maxNamePart)
	case strings.ContainsAny(v, `/\`):
		why = "contains a path separator"
	case strings.Contains(v, ".."):
		why = `contains ".."`
	case strings.IndexFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
		why = "contains a control character"
	default:
		return nil
	}
	return &Error{What: what, Value: v, Why: why}
}

// JoinInside joins dir and a relative name built from checked parts and
// makes sure the result is a file strictly inside dir, with a base name the
// file system accepts. It is the last check before a name from elsewhere
// becomes a path.
func JoinInside(dir, name string) (string, error) {
	if name == "" || filepath.IsAbs(name) || strings.ContainsRune(name, 0) {
		return "", fmt.Errorf("file name %q: not a relative name", name)
	}
	p := filepath.Join(dir, name)
	rel, err := filepath.Rel(dir, p)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", fmt.Errorf("file name %q leaves the directory %s", name, dir)
	}
	if len(filepath.Base(p)) > maxFileName {
		return "", fmt.Errorf("file name %q is longer than %d bytes", filepath.Base(p), maxFileName)
	}
	return p, nil
}
