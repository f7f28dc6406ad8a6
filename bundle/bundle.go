package bundle

import (
	"archive/tar"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/rpmvault/rpmvault/internal/atomicfile"
	"github.com/rpmvault/rpmvault/internal/digest"
	"github.com/rpmvault/rpmvault/internal/safename"
	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/mirror"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/sbom"
	"github.com/rpmvault/rpmvault/store"
)

//go:embed install.sh
var installScript []byte

// mtime is the fixed modification time of every bundle entry, so two bundles
// of one lock are byte-identical.
var mtime = time.Date(2015, 7, 14, 0, 0, 0, 0, time.UTC)

// Input is what a bundle is made of.
type Input struct {
	Lock  *lock.Lock
	Store store.Store
	// Keys are the repos' public keys, by file name under keys/.
	Keys map[string][]byte
	// Binary is the static rpmvault to ship as bin/rpmvault.
	Binary string
}

// Write builds the bundle for in at out (a .tar.gz), deterministically: the
// same lock and store give the same bytes. Everything is staged in a temporary
// directory and the archive is renamed into place only when complete.
func Write(out string, in Input) error {
	return WriteContext(context.Background(), out, in)
}

// WriteContext is Write, stopping when ctx is done (SIGINT, SIGTERM): the
// temporaries are removed and no archive is left behind.
func WriteContext(ctx context.Context, out string, in Input) error {
	name := Name(out)
	stage, err := os.MkdirTemp(filepath.Dir(out), ".bundle-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	root := filepath.Join(stage, name)
	if err := stageFiles(ctx, root, in); err != nil {
		return err
	}
	return atomicfile.Write(out, 0o644, func(w io.Writer) error { return writeTarGz(ctx, w, stage) })
}

// Name is the bundle's top directory: the archive name without .tar.gz.
func Name(archive string) string {
	base := filepath.Base(archive)
	for _, ext := range []string{".tar.gz", ".tgz"} {
		base = strings.TrimSuffix(base, ext)
	}
	return base
}

func stageFiles(ctx context.Context, root string, in Input) error {
	rpms := filepath.Join(root, "rpms")
	for _, d := range []string{rpms, filepath.Join(root, "keys"), filepath.Join(root, "bin")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	var plan strings.Builder
	plan.WriteString("# STEP NEVRA FILE, in install order (read by install.sh)\n")
	for _, p := range in.Lock.Packages() {
		sha := p.SHA256()
		if sha == "" {
			return fmt.Errorf("%s has no sha256 in the lock (run rpmvault mirror first)", p.NEVRA())
		}
		dst, err := p.FilePath(rpms)
		if err != nil {
			return err
		}
		if err := copyObject(ctx, in.Store, sha, dst); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("%s is not in the store %s (run rpmvault mirror first)", p.NEVRA(), in.Store)
			}
			return fmt.Errorf("%s: %w", p.NEVRA(), err)
		}
		// repodata records file times: keep them fixed for determinism.
		if err := os.Chtimes(dst, mtime, mtime); err != nil {
			return err
		}
		fmt.Fprintf(&plan, "%d %s rpms/%s\n", p.Step, p.NEVRA(), p.FileName())
	}
	// The bundle is a yum repository too: repodata over rpms/.
	if err := mirror.CreateRepo(root); err != nil {
		return fmt.Errorf("repodata: %w", err)
	}
	// The source RPMs (resolve --source) go to sources/, after the
	// repodata: they are carried, never installed.
	if err := stageSources(ctx, filepath.Join(root, sbom.SourcesDir), in); err != nil {
		return err
	}
	// And it describes itself: CycloneDX and SPDX documents of its RPMs.
	if err := sbom.Write(root, in.Lock); err != nil {
		return err
	}
	lockBytes, err := in.Lock.Marshal()
	if err != nil {
		return err
	}
	files := map[string][]byte{"lock.yaml": lockBytes, "plan.txt": []byte(plan.String()), "install.sh": installScript}
	for name, b := range in.Keys {
		if err := safename.Check("key file name", name); err != nil {
			return err
		}
		files[path.Join("keys", name)] = b
	}
	for name, b := range files {
		mode := os.FileMode(0o644)
		if name == "install.sh" {
			mode = 0o755
		}
		if err := os.WriteFile(filepath.Join(root, name), b, mode); err != nil {
			return err
		}
	}
	if in.Binary != "" {
		if err := copyFile(ctx, in.Binary, filepath.Join(root, "bin", "rpmvault"), 0o755); err != nil {
			return fmt.Errorf("bundle binary: %w", err)
		}
	}
	sums, err := checksums(root)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(root, "SHA256SUMS"), sums, 0o644)
}

// stageSources copies the lock's source RPMs from the store into dir.
func stageSources(ctx context.Context, dir string, in Input) error {
	srcs := in.Lock.Sources()
	if len(srcs) == 0 {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, p := range srcs {
		sha := p.SHA256()
		if sha == "" {
			return fmt.Errorf("source %s has no sha256 in the lock (run rpmvault mirror first)", p.NEVRA())
		}
		dst, err := p.FilePath(dir)
		if err != nil {
			return err
		}
		if err := copyObject(ctx, in.Store, sha, dst); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("source %s is not in the store %s (run rpmvault mirror first)", p.NEVRA(), in.Store)
			}
			return fmt.Errorf("source %s: %w", p.NEVRA(), err)
		}
	}
	return nil
}

// bundlePath is where a lock entry's file is in a bundle: rpms/ for a
// binary, sources/ for a source RPM.
func bundlePath(p lock.Package) string {
	if p.Arch == resolver.SourceArch {
		return sbom.SourcesDir + "/" + p.FileName()
	}
	return "rpms/" + p.FileName()
}

// copyObject copies a store object to dst, re-hashing it on the way: a
// bundle never carries bytes that do not match their name.
func copyObject(ctx context.Context, s store.Store, sha, dst string) error {
	obj, err := s.Open(ctx, sha)
	if err != nil {
		return err
	}
	defer obj.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, ctxReader{ctx: ctx, r: obj}); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func copyFile(ctx context.Context, src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, ctxReader{ctx: ctx, r: in, f: in}); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// ctxReader stops reading once ctx is done; a read of f blocked on a pipe
// is released through its deadline.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
	f   *os.File // r, when it is a file that may block
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, fmt.Errorf("interrupted: %w", err)
	}
	stop := func() bool { return false }
	if r.f != nil {
		stop = context.AfterFunc(r.ctx, func() { r.f.SetReadDeadline(time.Now()) })
	}
	n, err := r.r.Read(p)
	stop()
	if cerr := r.ctx.Err(); err != nil && cerr != nil {
		return n, fmt.Errorf("interrupted: %w", cerr)
	}
	return n, err
}

// checksums lists "sha256  path" for every file below root but SHA256SUMS.
func checksums(root string) ([]byte, error) {
	var lines []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "SHA256SUMS" {
			return nil
		}
		sum, err := digest.FileSHA256(p)
		if err != nil {
			return err
		}
		lines = append(lines, sum+"  "+filepath.ToSlash(rel))
		return nil
	})
	sort.Slice(lines, func(i, j int) bool { return lines[i][66:] < lines[j][66:] })
	return []byte(strings.Join(lines, "\n") + "\n"), err
}

// writeTarGz archives dir's contents with sorted names, fixed times and
// owners, and a gzip header without name or time.
func writeTarGz(ctx context.Context, w io.Writer, dir string) error {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(paths)
	// The RPMs are compressed already: a fast deflate (klauspost's, some
	// 40x faster than compress/gzip's best on such data) loses little,
	// and a fixed level keeps the bytes deterministic.
	gz, err := gzip.NewWriterLevel(w, gzip.DefaultCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(gz)
	for _, p := range paths {
		st, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		hdr := &tar.Header{Name: filepath.ToSlash(rel), ModTime: mtime, Uname: "root", Gname: "root", Format: tar.FormatPAX}
		switch {
		case st.IsDir():
			hdr.Typeflag, hdr.Mode, hdr.Name = tar.TypeDir, 0o755, hdr.Name+"/"
		case st.Mode().IsRegular():
			hdr.Typeflag, hdr.Size, hdr.Mode = tar.TypeReg, st.Size(), 0o644
			if st.Mode()&0o111 != 0 {
				hdr.Mode = 0o755
			}
		default:
			return fmt.Errorf("%s: only files and directories go into a bundle", rel)
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeReg {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, ctxReader{ctx: ctx, r: f})
			f.Close()
			if err != nil {
				return err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// Error is a bundle that fails verification; the CLI exits 4 on it.
type Error struct {
	File   string
	Detail string
}

func (e *Error) Error() string { return "bundle file " + e.File + ": " + e.Detail }

// Verify checks an extracted bundle against nothing but itself: every file
// listed in SHA256SUMS has its checksum, no file is missing or extra, the
// lock names exactly the RPMs present with their pinned sha256 and header
// NEVRA, and signatures check against keys/. Whoever made the bundle
// controls all of that: VerifyWith starts from an Anchor they do not.
func Verify(dir string) (*lock.Lock, error) {
	l, _, err := VerifyWith(dir, Anchor{})
	return l, err
}

// verifySBOM checks that the bundle's SBOMs say exactly what its RPMs and
// lock give (run once the RPMs' signatures are checked).
func verifySBOM(dir string, l *lock.Lock) error {
	if err := sbom.Verify(dir, l); err != nil {
		var m *sbom.MismatchError
		if errors.As(err, &m) {
			return &Error{File: m.File, Detail: m.Detail}
		}
		return &Error{File: "rpms/", Detail: err.Error()}
	}
	return nil
}

// verifyFiles checks SHA256SUMS and the lock's pins over an extracted bundle.
func verifyFiles(dir string) (*lock.Lock, error) {
	sums, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		return nil, &Error{File: "SHA256SUMS", Detail: "missing"}
	}
	listed := map[string]string{}
	for i, line := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok || !digest.ValidSHA256(sum) {
			return nil, &Error{File: "SHA256SUMS", Detail: fmt.Sprintf("line %d is malformed", i+1)}
		}
		listed[name] = sum
	}
	present := map[string]bool{}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if !d.Type().IsRegular() {
			// What is read through a link may change before rpm reads it.
			return &Error{File: rel, Detail: fmt.Sprintf("is a %s: a bundle holds only regular files and directories", d.Type())}
		}
		if rel == "SHA256SUMS" || rel == "sha256.err" {
			return nil
		}
		present[rel] = true
		want, ok := listed[rel]
		if !ok {
			return &Error{File: rel, Detail: "is not listed in SHA256SUMS (extra or renamed file)"}
		}
		if strings.HasPrefix(rel, "rpms/") || strings.HasPrefix(rel, sbom.SourcesDir+"/") {
			// Hashed by VerifyWith's pass over each package, which checks
			// its digests and signature too: the bundle is read once.
			return nil
		}
		got, err := digest.FileSHA256(p)
		if err != nil {
			return err
		}
		if got != want {
			return &Error{File: rel, Detail: fmt.Sprintf("sha256 %s, SHA256SUMS says %s", got, want)}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var missing []string
	for name := range listed {
		if !present[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, &Error{File: missing[0], Detail: fmt.Sprintf("is missing (%d file(s) missing)", len(missing))}
	}
	lock, err := lock.Read(filepath.Join(dir, "lock.yaml"))
	if err != nil {
		return nil, &Error{File: "lock.yaml", Detail: err.Error()}
	}
	inLock := map[string]bool{}
	for _, p := range append(lock.Packages(), lock.Sources()...) {
		name := bundlePath(p)
		inLock[name] = true
		if listed[name] == "" {
			return nil, &Error{File: name, Detail: "pinned by lock.yaml but not in the bundle"}
		}
		if listed[name] != p.SHA256() {
			return nil, &Error{File: name, Detail: fmt.Sprintf("sha256 %s, lock.yaml pins %s", listed[name], p.SHA256())}
		}
	}
	for name := range listed {
		if (strings.HasPrefix(name, "rpms/") || strings.HasPrefix(name, sbom.SourcesDir+"/")) && !inLock[name] {
			return nil, &Error{File: name, Detail: "is not pinned by lock.yaml"}
		}
	}
	return lock, nil
}

// OpenVerified opens a bundle (archive or directory) and verifies it
// against itself (see Verify); the caller runs cleanup when done with dir.
func OpenVerified(path string) (dir string, lock *lock.Lock, cleanup func(), err error) {
	dir, lock, _, cleanup, err = OpenAnchored(path, Anchor{})
	return dir, lock, cleanup, err
}

// OpenAnchored opens a bundle (archive or directory) and verifies it from
// anchor; the caller runs cleanup when done with dir.
func OpenAnchored(path string, anchor Anchor) (dir string, lock *lock.Lock, trust *Trust, cleanup func(), err error) {
	dir, cleanup, err = Open(path)
	if err != nil {
		return "", nil, nil, nil, err
	}
	if lock, trust, err = VerifyWith(dir, anchor); err != nil {
		cleanup()
		return "", nil, nil, nil, err
	}
	return dir, lock, trust, cleanup, nil
}

// Open returns the directory of a bundle given as an archive (extracted to
// a temporary directory, removed by cleanup) or as an extracted directory.
func Open(path string) (dir string, cleanup func(), err error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", nil, err
	}
	if st.IsDir() {
		// Its files are checked not to be links: the directory named may be one.
		real, err := filepath.EvalSymlinks(path)
		return real, func() {}, err
	}
	tmp, err := os.MkdirTemp("", "rpmvault-bundle-")
	if err != nil {
		return "", nil, err
	}
	dir, err = Extract(path, tmp)
	if err != nil {
		os.RemoveAll(tmp)
		var be *Error
		if errors.As(err, &be) {
			return "", nil, err
		}
		return "", nil, &Error{File: filepath.Base(path), Detail: err.Error()}
	}
	return dir, func() { os.RemoveAll(tmp) }, nil
}
