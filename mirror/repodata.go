package mirror

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	rpmutils "github.com/sassoftware/go-rpmutils"

	"github.com/rpmvault/rpmvault/internal/atomicfile"
	"github.com/rpmvault/rpmvault/internal/digest"
	"github.com/rpmvault/rpmvault/internal/rpmfile"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

// RepoEntry is one package of a repository to describe in rpm-md metadata:
// the package record plus the descriptive fields primary.xml carries.
type RepoEntry struct {
	Pkg *resolver.Package // Location, Checksum (sha256) and Size must be set

	Summary, Description, URL, License, Vendor, Group, BuildHost, Packager string
	BuildTime, FileTime                                                    int64
	InstalledSize, ArchiveSize                                             int64
	// Dirs are the paths of Pkg.Files that are directories; Ghosts are %ghost files.
	Dirs, Ghosts map[string]bool
}

// CreateRepo scans dir for .rpm files and writes dir/repodata, like
// `createrepo_c dir`.
func CreateRepo(dir string) error {
	entries, err := ScanRPMs(dir)
	if err != nil {
		return err
	}
	return WriteRepodata(dir, entries)
}

// ScanRPMs reads every .rpm below dir into repo entries, with Location
// relative to dir and the sha256 of each file.
func ScanRPMs(dir string) ([]RepoEntry, error) {
	var entries []RepoEntry
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "repodata" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".rpm") {
			return nil
		}
		e, err := scanRPM(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		e.Pkg.Location = filepath.ToSlash(rel)
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan %s for rpms: %w", dir, err)
	}
	return entries, nil
}

func scanRPM(path string) (RepoEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return RepoEntry{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return RepoEntry{}, err
	}
	return ScanRPM(f, path, st.ModTime().Unix())
}

// ScanRPM reads one package file from r into a repo entry (path names it in
// errors; Location is left for the caller). The sha256 and size are of the
// bytes read.
func ScanRPM(r io.Reader, path string, fileTime int64) (RepoEntry, error) {
	sum := sha256.New()
	tee := io.TeeReader(r, sum)
	raw, err := rpmfile.ReadRawHeader(tee)
	if err != nil {
		return RepoEntry{}, fmt.Errorf("read header of %s: %w", path, err)
	}
	h, err := rpmfile.ParseHeader(raw)
	if err != nil {
		return RepoEntry{}, fmt.Errorf("read header of %s: %w", path, err)
	}
	fromHeader := resolver.PackageFromHeader
	if raw.Source {
		fromHeader = resolver.SourceFromHeader // a source repo: arch "src", as createrepo_c writes it
	}
	p, err := fromHeader(h)
	if err != nil {
		return RepoEntry{}, fmt.Errorf("read header of %s: %w", path, err)
	}
	size, err := io.Copy(io.Discard, tee)
	if err != nil {
		return RepoEntry{}, fmt.Errorf("read %s: %w", path, err)
	}
	p.Size = int64(len(raw.Bytes)) + size
	p.Checksum = rpmmd.Checksum{Type: "sha256", Hex: hex.EncodeToString(sum.Sum(nil))}
	p.HeaderStart, p.HeaderEnd = raw.Start, raw.End
	e := RepoEntry{Pkg: p, FileTime: fileTime, Dirs: map[string]bool{}, Ghosts: map[string]bool{}}
	str := func(tag int) string { s, _ := h.GetString(tag); return s }
	e.Summary, e.Description, e.URL = str(rpmutils.SUMMARY), str(rpmutils.DESCRIPTION), str(rpmutils.URL)
	e.License, e.Vendor, e.Group = str(rpmutils.LICENSE), str(rpmutils.VENDOR), str(rpmutils.GROUP)
	e.BuildHost, e.Packager = str(rpmutils.BUILDHOST), str(rpmutils.PACKAGER)
	if t, err := h.GetInt(rpmutils.BUILDTIME); err == nil {
		e.BuildTime = int64(t)
	}
	e.InstalledSize, _ = h.InstalledSize()
	e.ArchiveSize, _ = h.PayloadSize()
	files, err := h.GetFiles()
	if err != nil {
		return RepoEntry{}, fmt.Errorf("file list of %s: %w", path, err)
	}
	for _, fi := range files {
		if fi.Mode()&0o170000 == 0o040000 {
			e.Dirs[fi.Name()] = true
		}
		if fi.Flags()&rpmutils.RPMFILE_GHOST != 0 {
			e.Ghosts[fi.Name()] = true
		}
	}
	return e, nil
}

// WriteRepodata writes dir/repodata (repomd.xml and gzip primary, filelists
// and other, sha256) for entries, readable by yum 3.2.29 and dnf. The output
// is deterministic: entries are sorted and no wall-clock time is recorded.
// Files are written to temporary names, synced, then renamed, repomd.xml last.
func WriteRepodata(dir string, entries []RepoEntry) error {
	sorted := append([]RepoEntry(nil), entries...)
	sort.Slice(sorted, func(i, j int) bool {
		a, b := sorted[i].Pkg, sorted[j].Pkg
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Location != b.Location {
			return a.Location < b.Location
		}
		return a.Arch < b.Arch
	})
	var revision int64
	for _, e := range sorted {
		if e.Pkg.Checksum.Type != "sha256" || !digest.ValidSHA256(e.Pkg.Checksum.Hex) {
			return fmt.Errorf("repodata for %s: package needs a sha256 checksum, has %q", e.Pkg.NEVRA(), e.Pkg.Checksum)
		}
		if err := checkHref(e.Pkg.Location); err != nil {
			return fmt.Errorf("repodata for %s: %w", e.Pkg.NEVRA(), err)
		}
		revision = max(revision, e.BuildTime)
	}
	rd := filepath.Join(dir, "repodata")
	if err := os.MkdirAll(rd, 0o755); err != nil {
		return err
	}
	var datas []repomdData
	for _, part := range []struct {
		kind  string
		write func(w io.Writer, entries []RepoEntry) error
	}{
		{"primary", writePrimary},
		{"filelists", writeFilelists},
		{"other", writeOther},
	} {
		d, err := writeMetadataFile(rd, part.kind, revision, func(w io.Writer) error { return part.write(w, sorted) })
		if err != nil {
			return fmt.Errorf("write %s metadata in %s: %w", part.kind, rd, err)
		}
		datas = append(datas, d)
	}
	if err := writeRepomd(rd, revision, datas); err != nil {
		return err
	}
	return removeStale(rd, datas)
}

// checkHref refuses locations that would escape the repository.
func checkHref(href string) error {
	clean := filepath.ToSlash(filepath.Clean(href))
	if href == "" || strings.HasPrefix(href, "/") || clean == ".." || strings.HasPrefix(clean, "../") || strings.Contains(href, "://") {
		return fmt.Errorf("location %q is not a relative path inside the repository", href)
	}
	return nil
}

type repomdData struct {
	kind               string
	href               string
	checksum, openSum  string
	size, openSize, ts int64
}

// countingHash tracks the size and sha256 of what passes through it.
type countingHash struct {
	h hash.Hash
	n int64
}

func (c *countingHash) Write(p []byte) (int, error) {
	c.h.Write(p)
	c.n += int64(len(p))
	return len(p), nil
}

func writeMetadataFile(rd, kind string, ts int64, body func(io.Writer) error) (repomdData, error) {
	tmp, err := atomicfile.Create(rd, "."+kind+"-*.tmp")
	if err != nil {
		return repomdData{}, err
	}
	defer tmp.Abort()
	gzSum := &countingHash{h: sha256.New()}
	gz := gzip.NewWriter(io.MultiWriter(tmp, gzSum))
	openSum := &countingHash{h: sha256.New()}
	bw := bufio.NewWriterSize(io.MultiWriter(gz, openSum), 256<<10)
	if err := body(bw); err != nil {
		return repomdData{}, err
	}
	if err := bw.Flush(); err != nil {
		return repomdData{}, err
	}
	if err := gz.Close(); err != nil {
		return repomdData{}, err
	}
	d := repomdData{
		kind:     kind,
		checksum: hex.EncodeToString(gzSum.h.Sum(nil)),
		openSum:  hex.EncodeToString(openSum.h.Sum(nil)),
		size:     gzSum.n,
		openSize: openSum.n,
		ts:       ts,
	}
	// Named by its checksum, as createrepo_c names it: known only now.
	d.href = "repodata/" + d.checksum + "-" + kind + ".xml.gz"
	if err := tmp.Commit(filepath.Join(rd, filepath.Base(d.href)), 0o644); err != nil {
		return repomdData{}, err
	}
	return d, nil
}

func writeRepomd(rd string, revision int64, datas []repomdData) error {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">` + "\n")
	fmt.Fprintf(&b, "  <revision>%d</revision>\n", revision)
	for _, d := range datas {
		fmt.Fprintf(&b, "  <data type=\"%s\">\n", d.kind)
		fmt.Fprintf(&b, "    <checksum type=\"sha256\">%s</checksum>\n", d.checksum)
		fmt.Fprintf(&b, "    <open-checksum type=\"sha256\">%s</open-checksum>\n", d.openSum)
		fmt.Fprintf(&b, "    <location href=\"%s\"/>\n", d.href)
		fmt.Fprintf(&b, "    <timestamp>%d</timestamp>\n", d.ts)
		fmt.Fprintf(&b, "    <size>%d</size>\n", d.size)
		fmt.Fprintf(&b, "    <open-size>%d</open-size>\n", d.openSize)
		b.WriteString("  </data>\n")
	}
	b.WriteString("</repomd>\n")
	return atomicfile.WriteFile(filepath.Join(rd, "repomd.xml"), []byte(b.String()), 0o644)
}

// removeStale deletes metadata files of earlier runs that repomd no longer names.
func removeStale(rd string, datas []repomdData) error {
	keep := map[string]bool{"repomd.xml": true}
	for _, d := range datas {
		keep[filepath.Base(d.href)] = true
	}
	ents, err := os.ReadDir(rd)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !keep[e.Name()] && strings.HasSuffix(e.Name(), ".xml.gz") {
			if err := os.Remove(filepath.Join(rd, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// esc escapes text for XML content and attribute values.
func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func versionAttrs(e resolver.EVR) string {
	return fmt.Sprintf(`epoch="%d" ver="%s" rel="%s"`, e.Epoch, esc(e.Version), esc(e.Release))
}

var xmlFlags = map[resolver.Flags]string{
	resolver.Less: "LT", resolver.Less | resolver.Equal: "LE", resolver.Equal: "EQ",
	resolver.Greater | resolver.Equal: "GE", resolver.Greater: "GT",
}

func writeDeps(w io.Writer, tag string, deps []resolver.Dep) {
	if len(deps) == 0 {
		return
	}
	fmt.Fprintf(w, "    <rpm:%s>\n", tag)
	seen := map[resolver.Dep]bool{}
	for _, d := range deps {
		if seen[d] {
			continue
		}
		seen[d] = true
		fmt.Fprintf(w, `      <rpm:entry name="%s"`, esc(d.Name))
		if f, ok := xmlFlags[d.Flags&(resolver.Less|resolver.Greater|resolver.Equal)]; ok {
			fmt.Fprintf(w, ` flags="%s" epoch="%d" ver="%s"`, f, d.EVR.Epoch, esc(d.EVR.Version))
			if d.EVR.Release != "" {
				fmt.Fprintf(w, ` rel="%s"`, esc(d.EVR.Release))
			}
		}
		// rpm-md keeps one bit of the phase: pre="1" for requirements that must
		// hold before or while scriptlets run (createrepo does the same).
		if d.Phase&(resolver.PhasePre|resolver.PhasePost) != 0 {
			io.WriteString(w, ` pre="1"`)
		}
		io.WriteString(w, "/>\n")
	}
	fmt.Fprintf(w, "    </rpm:%s>\n", tag)
}

// isPrimaryFile is createrepo's rule for the file paths primary.xml carries.
func isPrimaryFile(p string) bool {
	return strings.HasPrefix(p, "/etc/") || strings.Contains(p, "bin/") || p == "/usr/lib/sendmail"
}

func fileLine(w io.Writer, e *RepoEntry, path, indent string) {
	switch {
	case e.Dirs[path]:
		fmt.Fprintf(w, "%s<file type=\"dir\">%s</file>\n", indent, esc(path))
	case e.Ghosts[path]:
		fmt.Fprintf(w, "%s<file type=\"ghost\">%s</file>\n", indent, esc(path))
	default:
		fmt.Fprintf(w, "%s<file>%s</file>\n", indent, esc(path))
	}
}

func writePrimary(w io.Writer, entries []RepoEntry) error {
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<metadata xmlns=\"http://linux.duke.edu/metadata/common\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"%d\">\n", len(entries))
	for i := range entries {
		e := &entries[i]
		p := e.Pkg
		fmt.Fprintf(w, "<package type=\"rpm\">\n  <name>%s</name>\n  <arch>%s</arch>\n  <version %s/>\n", esc(p.Name), esc(p.Arch), versionAttrs(p.EVR))
		fmt.Fprintf(w, "  <checksum type=\"sha256\" pkgid=\"YES\">%s</checksum>\n", p.Checksum.Hex)
		fmt.Fprintf(w, "  <summary>%s</summary>\n  <description>%s</description>\n  <packager>%s</packager>\n  <url>%s</url>\n",
			esc(e.Summary), esc(e.Description), esc(e.Packager), esc(e.URL))
		fmt.Fprintf(w, "  <time file=\"%d\" build=\"%d\"/>\n", e.FileTime, e.BuildTime)
		fmt.Fprintf(w, "  <size package=\"%d\" installed=\"%d\" archive=\"%d\"/>\n", p.Size, e.InstalledSize, e.ArchiveSize)
		fmt.Fprintf(w, "  <location href=\"%s\"/>\n  <format>\n", esc(p.Location))
		fmt.Fprintf(w, "    <rpm:license>%s</rpm:license>\n    <rpm:vendor>%s</rpm:vendor>\n    <rpm:group>%s</rpm:group>\n    <rpm:buildhost>%s</rpm:buildhost>\n    <rpm:sourcerpm>%s</rpm:sourcerpm>\n",
			esc(e.License), esc(e.Vendor), esc(e.Group), esc(e.BuildHost), esc(p.SourceRPM))
		fmt.Fprintf(w, "    <rpm:header-range start=\"%d\" end=\"%d\"/>\n", p.HeaderStart, p.HeaderEnd)
		writeDeps(w, "provides", p.Provides)
		writeDeps(w, "requires", p.Requires)
		writeDeps(w, "conflicts", p.Conflicts)
		writeDeps(w, "obsoletes", p.Obsoletes)
		for _, f := range p.Files {
			if isPrimaryFile(f) {
				fileLine(w, e, f, "    ")
			}
		}
		if _, err := io.WriteString(w, "  </format>\n</package>\n"); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "</metadata>\n")
	return err
}

func pkgHead(e *RepoEntry) string {
	p := e.Pkg
	return fmt.Sprintf("<package pkgid=\"%s\" name=\"%s\" arch=\"%s\">\n  <version %s/>\n", p.Checksum.Hex, esc(p.Name), esc(p.Arch), versionAttrs(p.EVR))
}

func writeFilelists(w io.Writer, entries []RepoEntry) error {
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<filelists xmlns=\"http://linux.duke.edu/metadata/filelists\" packages=\"%d\">\n", len(entries))
	for i := range entries {
		e := &entries[i]
		io.WriteString(w, pkgHead(e))
		for _, f := range e.Pkg.Files {
			fileLine(w, e, f, "  ")
		}
		if _, err := io.WriteString(w, "</package>\n"); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "</filelists>\n")
	return err
}

func writeOther(w io.Writer, entries []RepoEntry) error {
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<otherdata xmlns=\"http://linux.duke.edu/metadata/other\" packages=\"%d\">\n", len(entries))
	for i := range entries {
		io.WriteString(w, pkgHead(&entries[i]))
		if _, err := io.WriteString(w, "</package>\n"); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "</otherdata>\n")
	return err
}
