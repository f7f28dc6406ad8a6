package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// File is a temporary file that becomes its destination only on Commit.
// Abort (safe to defer, and after Commit) removes it otherwise.
type File struct {
	*os.File
	done bool
}

// Create opens a new temporary file in dir (pattern as os.CreateTemp). The
// final name may be chosen later (content-addressed files learn theirs from
// what was written), but it must be in the same directory or file system for
// the rename to be atomic.
func Create(dir, pattern string) (*File, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return &File{File: f}, nil
}

// Commit syncs the file, gives it mode perm, and renames it to path.
func (f *File) Commit(path string, perm fs.FileMode) error {
	return f.commit(path, perm, Rename)
}

// CommitUnsynced is Commit without the fsync of path's directory, for a
// caller that syncs each directory once for many files (see RenameUnsynced).
func (f *File) CommitUnsynced(path string, perm fs.FileMode) error {
	return f.commit(path, perm, RenameUnsynced)
}

func (f *File) commit(path string, perm fs.FileMode, rename func(*os.File, string, fs.FileMode) error) error {
	if f.done {
		return errors.New("atomicfile: commit of a file already committed or aborted")
	}
	f.done = true
	name := f.Name()
	if err := rename(f.File, path, perm); err != nil {
		f.File.Close()
		os.Remove(name)
		return err
	}
	return f.File.Close()
}

// Abort discards the file unless it was committed.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.File.Close()
	os.Remove(f.Name())
}

// Rename makes the open file f durable under path: fsync, chmod, rename,
// fsync of path's directory. f stays open; the caller closes it. f must be a
// file the caller owns (a download, a temporary file) on path's file system.
func Rename(f *os.File, path string, perm fs.FileMode) error {
	if err := RenameUnsynced(f, path, perm); err != nil {
		return err
	}
	return SyncDir(filepath.Dir(path))
}

// RenameUnsynced is Rename without the fsync of the directory, for a caller
// that moves many files into few directories and syncs each directory once
// (SyncDir) before anything relies on the names: the file's content is
// durable, its name until then may be lost in a crash (a store object is
// then fetched again).
func RenameUnsynced(f *os.File, path string, perm fs.FileMode) error {
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", f.Name(), err)
	}
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("chmod %s: %w", f.Name(), err)
	}
	return os.Rename(f.Name(), path)
}

// Write writes path through write, atomically, with mode perm. The
// directory must exist.
func Write(path string, perm fs.FileMode, write func(io.Writer) error) error {
	return writeVia(path, perm, write, Rename)
}

// WriteVolatile is Write without any fsync: path holds the old content
// or the new, never a mix, for every reader while the system runs, but a
// crash may leave it empty or cut short. It is for caches whose entries
// are checked when read (a checksum inside) and can be made again, where
// syncing tens of megabytes would be most of a command's time.
func WriteVolatile(path string, perm fs.FileMode, write func(io.Writer) error) error {
	return writeVia(path, perm, write, func(f *os.File, path string, perm fs.FileMode) error {
		if err := f.Chmod(perm); err != nil {
			return fmt.Errorf("chmod %s: %w", f.Name(), err)
		}
		return os.Rename(f.Name(), path)
	})
}

// writeVia writes a temporary file beside path through write and puts it
// in place with rename.
func writeVia(path string, perm fs.FileMode, write func(io.Writer) error, rename func(*os.File, string, fs.FileMode) error) error {
	f, err := Create(filepath.Dir(path), "."+filepath.Base(path)+"-*.tmp")
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := write(f); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.commit(path, perm, rename)
}

// WriteFile writes data to path atomically, with mode perm.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// SyncDir fsyncs a directory, so the names created or renamed in it are
// durable. File systems that cannot sync a directory are not an error.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, fs.ErrInvalid) {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
