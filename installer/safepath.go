package installer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// maxLinkHops is the kernel's limit on symlinks followed in one lookup (ELOOP).
const maxLinkHops = 40

var errLeavesRoot = errors.New("leads outside the root")

// resolve follows vpath (a path inside the root, "/" being the root)
// component by component, as openat with RESOLVE_IN_ROOT would: every
// symlink met is read and followed, absolute targets restart at the root,
// and ".." at the root is an escape. The final component is followed too
// when followLast is set. Components that do not exist yet are taken as
// written; checkAllLinks runs again once the whole tree is there. It returns
// the resolved path inside the root.
func (x *extraction) resolve(vpath string, followLast bool) (string, error) {
	var cur []string
	todo := splitPath(vpath)
	hops := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(cur) == 0 {
				return "", errLeavesRoot
			}
			cur = cur[:len(cur)-1]
			continue
		}
		next := append(cur[:len(cur):len(cur)], c)
		real, st, err := x.lstat(next)
		if err != nil {
			if !os.IsNotExist(err) {
				return "", err
			}
			cur = next
			continue
		}
		if st.Mode()&os.ModeSymlink == 0 || (len(todo) == 0 && !followLast) {
			cur = next
			continue
		}
		if hops++; hops > maxLinkHops {
			return "", errors.New("goes through too many levels of symlinks")
		}
		target, err := os.Readlink(real)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(target, "/") {
			cur = nil
		}
		todo = append(splitPath(target), todo...)
	}
	return "/" + strings.Join(cur, "/"), nil
}

func splitPath(p string) []string { return strings.Split(p, "/") }

// lstat looks a path up in the tree being extracted, then in the root as it
// already is: the two become one tree when the extraction is moved in.
func (x *extraction) lstat(comps []string) (string, os.FileInfo, error) {
	rel := filepath.FromSlash(strings.Join(comps, "/"))
	p := filepath.Join(x.stage, rel)
	st, err := os.Lstat(p)
	if err == nil || !os.IsNotExist(err) {
		return p, st, err
	}
	p = filepath.Join(x.root, rel)
	if p == x.stage {
		return p, nil, os.ErrNotExist
	}
	st, err = os.Lstat(p)
	return p, st, err
}

// merge moves the extracted tree below stage/rel into root/rel: new entries
// are renamed into place, directories already there are merged into, files
// and symlinks replace files and symlinks. With check set it only verifies
// that the move can be done (no directory replaced by a file or the reverse,
// no directory of the root that is a symlink written through), so that a
// refusal comes before anything was moved.
func (x *extraction) merge(stage, root, rel string, check bool) error {
	entries, err := os.ReadDir(filepath.Join(stage, rel))
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := filepath.Join(rel, e.Name())
		s, r := filepath.Join(stage, name), filepath.Join(root, name)
		rst, err := os.Lstat(r)
		if os.IsNotExist(err) {
			if !check {
				if err := os.Rename(s, r); err != nil {
					return err
				}
			}
			continue
		}
		if err != nil {
			return err
		}
		vpath := "/" + filepath.ToSlash(name)
		switch {
		case e.IsDir() && rst.IsDir():
			if err := x.merge(stage, root, name, check); err != nil {
				return err
			}
		case e.IsDir():
			return &EscapeError{"extraction", vpath, "is a directory in the payload but a file or symlink in the root (it would be written through)"}
		case rst.IsDir():
			return &EscapeError{"extraction", vpath, "is a file or symlink in the payload but a directory in the root"}
		case !check:
			if err := os.Rename(s, r); err != nil {
				return err
			}
		}
	}
	return nil
}

// applyDirModes gives the directories the payloads declared their modes,
// deepest first, once everything below them is in place.
func (x *extraction) applyDirModes() error {
	paths := make([]string, 0, len(x.dirModes))
	for p := range x.dirModes {
		paths = append(paths, p)
	}
	sort.Slice(paths, func(i, j int) bool { return strings.Count(paths[i], "/") > strings.Count(paths[j], "/") })
	for _, p := range paths {
		dst := filepath.Join(x.root, filepath.FromSlash(p))
		st, err := os.Lstat(dst)
		if err != nil {
			return err
		}
		if !st.IsDir() {
			return fmt.Errorf("%s is no longer a directory", dst)
		}
		if err := os.Chmod(dst, x.dirModes[p]); err != nil {
			return err
		}
	}
	return nil
}
