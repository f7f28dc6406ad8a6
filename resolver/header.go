package resolver

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"

	rpmutils "github.com/sassoftware/go-rpmutils"

	"github.com/rpmvault/rpmvault/internal/rpmfile"
)

// ReadPackageFile reads the package record of a local .rpm file.
func ReadPackageFile(file string) (*Package, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := ReadPackage(f)
	if err != nil {
		return nil, fmt.Errorf("read header of %s: %w", file, err)
	}
	if st, err := f.Stat(); err == nil {
		p.Size = st.Size()
	}
	p.Location = path.Base(file)
	return p, nil
}

// ReadPackage reads an RPM's headers from r and returns its package record.
// Size, Location and Checksum are left for the caller, who knows the file.
func ReadPackage(r io.Reader) (*Package, error) {
	return readPackage(r, PackageFromHeader)
}

// readSourcePackage reads a source RPM's headers from r and returns its
// record (arch "src"); a binary package is an error.
func readSourcePackage(r io.Reader) (*Package, error) {
	return readPackage(r, SourceFromHeader)
}

// readPackage reads the header of an RPM from r, checks its digests and
// makes the record with fromHeader.
func readPackage(r io.Reader, fromHeader func(*rpmutils.RpmHeader) (*Package, error)) (*Package, error) {
	raw, err := rpmfile.ReadRawHeader(r)
	if err != nil {
		return nil, err
	}
	if err := raw.CheckDigests(); err != nil {
		return nil, err
	}
	h, err := rpmfile.ParseHeader(raw)
	if err != nil {
		return nil, err
	}
	p, err := fromHeader(h)
	if err != nil {
		return nil, err
	}
	p.HeaderStart, p.HeaderEnd = raw.Start, raw.End
	return p, nil
}

// errSourcePackage is returned for a source RPM where an installable
// package is expected.
var errSourcePackage = errors.New("header has no source rpm tag: a source package (.src.rpm), not an installable one")

// SourceArch is the arch of every source package, as rpm, yum and rpm-md
// name it (the header's ARCH tag holds the build host's arch).
const SourceArch = "src"

// SourceFromHeader maps a source RPM's header to a package record: name,
// epoch, version, release and arch "src". Its requirements are build
// requirements, which no solve of an install uses, so they are left out.
func SourceFromHeader(h *rpmutils.RpmHeader) (*Package, error) {
	if !rpmfile.IsSource(h) {
		return nil, errors.New("a binary package, not a source RPM (its header names a source rpm)")
	}
	n, err := h.GetNEVRA()
	if err != nil {
		return nil, fmt.Errorf("read name/version: %w", err)
	}
	p := &Package{Name: n.Name, EVR: EVR{Version: n.Version, Release: n.Release}, Arch: SourceArch, FullFiles: true}
	if h.HasTag(rpmutils.EPOCH) {
		if e, err := h.GetInt(rpmutils.EPOCH); err == nil {
			p.EVR.Epoch = e
		}
	}
	if p.Name == "" || p.EVR.Version == "" {
		return nil, errors.New("header lacks name or version")
	}
	return p, nil
}

// rpm's RPMSENSE_* bits beyond the comparison flags.
const (
	senseScriptPre    = 1 << 9
	senseScriptPost   = 1 << 10
	senseScriptPreun  = 1 << 11
	senseScriptPostun = 1 << 12
	senseRpmlib       = 1 << 24
)

// phaseOf maps rpm's script-phase bits of a requirement to a Phase.
func phaseOf(f uint32) Phase {
	var ph Phase
	for _, b := range []struct {
		bit uint32
		ph  Phase
	}{{senseScriptPre, PhasePre}, {senseScriptPost, PhasePost}, {senseScriptPreun, PhasePreun}, {senseScriptPostun, PhasePostun}} {
		if f&b.bit != 0 {
			ph |= b.ph
		}
	}
	return ph
}

// DepFromRPM is a dependency as rpm gives it, in a header or in `rpm -q
// --qf` output: a name, the RPMSENSE flags (the comparison and the script
// phases) and a version, ignored when unversioned.
func DepFromRPM(name string, flags uint32, version string) (Dep, error) {
	d := Dep{Name: name, Flags: Flags(flags) & (Less | Greater | Equal), Phase: phaseOf(flags)}
	if d.Flags == 0 || version == "" {
		d.Flags = 0
		return d, nil
	}
	evr, err := ParseEVR(version)
	if err != nil {
		return Dep{}, err
	}
	d.EVR = evr
	return d, nil
}

// PackageFromHeader maps a parsed header to a package record: identity,
// dependencies with their flags and phases, and every file path.
func PackageFromHeader(h *rpmutils.RpmHeader) (*Package, error) {
	n, err := h.GetNEVRA()
	if err != nil {
		return nil, fmt.Errorf("read name/version: %w", err)
	}
	p := &Package{Name: n.Name, EVR: EVR{Version: n.Version, Release: n.Release}, Arch: n.Arch}
	if h.HasTag(rpmutils.EPOCH) {
		if e, err := h.GetInt(rpmutils.EPOCH); err == nil {
			p.EVR.Epoch = e
		}
	}
	if p.Name == "" || p.EVR.Version == "" || p.Arch == "" {
		return nil, errors.New("header lacks name, version or arch")
	}
	if p.SourceRPM, err = h.GetString(rpmutils.SOURCERPM); err != nil || p.SourceRPM == "" {
		return nil, errSourcePackage
	}
	for _, d := range []struct {
		dst                  *[]Dep
		name, flags, version int
	}{
		{&p.Provides, rpmutils.PROVIDENAME, rpmutils.PROVIDEFLAGS, rpmutils.PROVIDEVERSION},
		{&p.Requires, rpmutils.REQUIRENAME, rpmutils.REQUIREFLAGS, rpmutils.REQUIREVERSION},
		{&p.Conflicts, rpmutils.CONFLICTNAME, rpmutils.CONFLICTFLAGS, rpmutils.CONFLICTVERSION},
		{&p.Obsoletes, rpmutils.OBSOLETENAME, rpmutils.OBSOLETEFLAGS, rpmutils.OBSOLETEVERSION},
	} {
		deps, err := readDeps(h, d.name, d.flags, d.version)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.NEVRA(), err)
		}
		*d.dst = deps
	}
	files, err := h.GetFiles()
	if err != nil {
		return nil, fmt.Errorf("%s: file list: %w", p.NEVRA(), err)
	}
	p.Files = make([]string, 0, len(files))
	for _, f := range files {
		p.Files = append(p.Files, f.Name())
	}
	p.FullFiles = true
	return p, nil
}

func readDeps(h *rpmutils.RpmHeader, nameTag, flagsTag, versionTag int) ([]Dep, error) {
	if !h.HasTag(nameTag) {
		return nil, nil
	}
	names, err := h.GetStrings(nameTag)
	if err != nil {
		return nil, err
	}
	var flags []int
	if h.HasTag(flagsTag) {
		if flags, err = h.GetInts(flagsTag); err != nil {
			return nil, err
		}
	}
	var versions []string
	if h.HasTag(versionTag) {
		if versions, err = h.GetStrings(versionTag); err != nil {
			return nil, err
		}
	}
	if len(flags) != len(names) || len(versions) != len(names) {
		return nil, fmt.Errorf("dependency tag %d: %d names, %d flags, %d versions", nameTag, len(names), len(flags), len(versions))
	}
	deps := make([]Dep, 0, len(names))
	for i, name := range names {
		f := uint32(flags[i])
		if f&senseRpmlib != 0 || (len(name) > 7 && name[:7] == "rpmlib(") {
			continue // rpm's own feature markers, satisfied by rpm itself
		}
		d, err := DepFromRPM(name, f, versions[i])
		if err != nil {
			return nil, fmt.Errorf("dependency %s: %w", name, err)
		}
		deps = append(deps, d)
	}
	return deps, nil
}
