package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/rpmvault/rpmvault/store"
)

// Tree is where a published repository lives: a directory or an S3 prefix.
type Tree interface {
	// Open opens the file at name (a clean slash path inside the tree).
	Open(ctx context.Context, name string) (File, error)
	// Exists reports whether name is there.
	Exists(ctx context.Context, name string) (bool, error)
	// Write stores name whole or not at all. Without replace an existing
	// name is kept (packages are named by content: same name, same bytes).
	Write(ctx context.Context, name string, size int64, r io.Reader, replace bool) error
	String() string
}

// File is an open published file.
type File interface {
	io.ReadSeekCloser
	ModTime() time.Time
}

// OpenTree opens DIR or s3://BUCKET/PREFIX as a tree.
func OpenTree(ctx context.Context, spec string, cfg store.S3Config) (Tree, error) {
	if strings.HasPrefix(spec, "s3://") {
		s, err := store.OpenS3(ctx, spec, cfg)
		if err != nil {
			return nil, err
		}
		return &s3Tree{client: s.Client(), bucket: s.Bucket(), prefix: s.Prefix(), name: s.String()}, nil
	}
	if strings.Contains(spec, "://") {
		return nil, fmt.Errorf("%q: want a directory or s3://BUCKET/PREFIX", spec)
	}
	abs, err := filepath.Abs(spec)
	if err != nil {
		return nil, err
	}
	return dirTree(abs), nil
}

type dirTree string

func (d dirTree) String() string { return string(d) }

type osFile struct{ *os.File }

func (f osFile) ModTime() time.Time {
	st, err := f.Stat()
	if err != nil {
		return time.Time{}
	}
	return st.ModTime()
}

// path resolves name inside the tree, refusing what would leave it
// through a symlink (the tree's own repos/NAME/rpms link stays inside).
func (d dirTree) path(name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", fmt.Errorf("%q is not a path inside %s: %w", name, d, fs.ErrNotExist)
	}
	p := filepath.Join(string(d), filepath.FromSlash(name))
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", err
	}
	root, err := filepath.EvalSymlinks(string(d))
	if err != nil {
		return "", err
	}
	if real != root && !strings.HasPrefix(real, root+string(filepath.Separator)) {
		return "", fmt.Errorf("%s leaves %s: %w", name, d, fs.ErrNotExist)
	}
	return real, nil
}

func (d dirTree) Open(_ context.Context, name string) (File, error) {
	p, err := d.path(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s in %s is not a file: %w", name, d, fs.ErrNotExist)
	}
	return osFile{f}, nil
}

func (d dirTree) Exists(ctx context.Context, name string) (bool, error) {
	f, err := d.Open(ctx, name)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	f.Close()
	return true, nil
}

func (d dirTree) Write(_ context.Context, name string, size int64, r io.Reader, replace bool) error {
	if !fs.ValidPath(name) {
		return fmt.Errorf("%q is not a path inside %s", name, d)
	}
	p := filepath.Join(string(d), filepath.FromSlash(name))
	if _, err := os.Stat(p); err == nil && !replace {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".publish-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, r)
	if err == nil && size >= 0 && n != size {
		err = fmt.Errorf("%d bytes, want %d", n, size)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return os.Rename(tmp.Name(), p)
}

// link makes repos/NAME/rpms point at the tree's rpms/, so the directory
// works as a yum baseurl under any web server or as file://.
func (d dirTree) link(repoDir string) error {
	p := filepath.Join(string(d), filepath.FromSlash(repoDir), "rpms")
	if t, err := os.Readlink(p); err == nil && t == "../../rpms" {
		return nil
	}
	if err := os.MkdirAll(filepath.Join(string(d), "rpms"), 0o755); err != nil {
		return err
	}
	tmp := p + ".tmp"
	os.Remove(tmp)
	if err := os.Symlink("../../rpms", tmp); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

type s3Tree struct {
	client *minio.Client
	bucket string
	prefix string
	name   string
}

func (s *s3Tree) String() string { return s.name }

type s3File struct {
	*minio.Object
	mod time.Time
}

func (f s3File) ModTime() time.Time { return f.mod }

func notFound(err error) bool {
	r := minio.ToErrorResponse(err)
	return r.StatusCode == http.StatusNotFound || r.Code == "NoSuchKey"
}

func (s *s3Tree) Open(ctx context.Context, name string) (File, error) {
	if !fs.ValidPath(name) {
		return nil, fs.ErrNotExist
	}
	o, err := s.client.GetObject(ctx, s.bucket, s.prefix+name, minio.GetObjectOptions{})
	if err != nil {
		return nil, err
	}
	st, err := o.Stat()
	if err != nil {
		o.Close()
		if notFound(err) {
			return nil, fmt.Errorf("%s in %s: %w", name, s, fs.ErrNotExist)
		}
		return nil, err
	}
	return s3File{Object: o, mod: st.LastModified}, nil
}

func (s *s3Tree) Exists(ctx context.Context, name string) (bool, error) {
	_, err := s.client.StatObject(ctx, s.bucket, s.prefix+name, minio.StatObjectOptions{})
	if notFound(err) {
		return false, nil
	}
	return err == nil, err
}

func (s *s3Tree) Write(ctx context.Context, name string, size int64, r io.Reader, replace bool) error {
	if !fs.ValidPath(name) {
		return fmt.Errorf("%q is not a path inside %s", name, s)
	}
	opts := minio.PutObjectOptions{DisableContentSha256: true, PartSize: store.DefaultPartSize}
	if !replace {
		opts.SetMatchETagExcept("*")
	}
	_, err := s.client.PutObject(ctx, s.bucket, s.prefix+name, r, size, opts)
	if r := minio.ToErrorResponse(err); !replace && (r.StatusCode == http.StatusPreconditionFailed || r.Code == "PreconditionFailed") {
		return nil // already published by someone else: same name, same bytes
	}
	if err != nil {
		return fmt.Errorf("write %s to %s: %w", name, s, err)
	}
	return nil
}

// cleanPath turns a URL path into a tree path ("" for the root).
func cleanPath(p string) string {
	return strings.TrimPrefix(path.Clean("/"+p), "/")
}
