package resolver

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

// EVR is an epoch:version-release triple. An empty Release in a dependency
// means "any release", as in rpm ("Requires: foo = 1.0" matches 1.0-7.el6).
type EVR struct {
	Epoch   int
	Version string
	Release string
}

// String formats the EVR the way rpm prints it: the epoch only when non-zero.
func (e EVR) String() string {
	var b strings.Builder
	if e.Epoch != 0 {
		b.WriteString(strconv.Itoa(e.Epoch))
		b.WriteByte(':')
	}
	b.WriteString(e.Version)
	if e.Release != "" {
		b.WriteByte('-')
		b.WriteString(e.Release)
	}
	return b.String()
}

// Flags are the comparison bits of a dependency, with rpm's values
// (RPMSENSE_LESS, RPMSENSE_GREATER, RPMSENSE_EQUAL) so header flags map directly.
type Flags uint32

const (
	Less    Flags = 1 << 1
	Greater Flags = 1 << 2
	Equal   Flags = 1 << 3
)

// Op returns the operator text ("<", ">=", "=", ...) or "" for an unversioned dependency.
func (f Flags) Op() string {
	switch f & (Less | Greater | Equal) {
	case Less:
		return "<"
	case Less | Equal:
		return "<="
	case Equal:
		return "="
	case Greater | Equal:
		return ">="
	case Greater:
		return ">"
	}
	return ""
}

// Phase says when a requirement must hold, from the Requires(pre)/(post)/...
// qualifiers. It only affects install ordering, never the closure.
type Phase uint8

const (
	PhasePre Phase = 1 << iota
	PhasePost
	PhasePreun
	PhasePostun
)

// Dep is one Provides/Requires/Conflicts/Obsoletes entry.
type Dep struct {
	Name  string
	EVR   EVR   // meaningful only when Flags != 0
	Flags Flags // zero when unversioned
	Phase Phase // Requires only
}

// String formats the dependency as rpm -q --requires would.
func (d Dep) String() string {
	if op := d.Flags.Op(); op != "" {
		return d.Name + " " + op + " " + d.EVR.String()
	}
	return d.Name
}

// Package is one RPM as far as resolution and fetching need it. It is built
// from rpm-md primary/filelists entries, from an RPM header, or from a line of
// an installed-set listing (then only Name, EVR and Arch are known).
type Package struct {
	Name string
	EVR  EVR
	Arch string

	Provides  []Dep
	Requires  []Dep
	Conflicts []Dep
	Obsoletes []Dep
	// Files holds the file paths known for this package. From primary.xml this
	// is only the "primary" subset; FullFiles says whether filelists was merged.
	Files     []string
	FullFiles bool

	SourceRPM string
	Repo      string         // repo id the package came from; "@installed" for the installed set
	Location  string         // href relative to the repo's base URL, or an absolute URL
	Checksum  rpmmd.Checksum // of the whole .rpm file, as the metadata declares it
	Size      int64          // size of the .rpm file in bytes
	// HeaderStart and HeaderEnd are rpm-md's rpm:header-range, for reading a
	// header with a Range request. Zero when unknown.
	HeaderStart, HeaderEnd int64
}

// NEVRA returns name-[epoch:]version-release.arch, the form rpm and dnf print.
func (p *Package) NEVRA() string {
	return fmt.Sprintf("%s-%s.%s", p.Name, p.EVR, p.Arch)
}

// NVRA returns name-version-release.arch without the epoch, the form of an RPM file name.
func (p *Package) NVRA() string {
	return fmt.Sprintf("%s-%s-%s.%s", p.Name, p.EVR.Version, p.EVR.Release, p.Arch)
}

// Satisfies reports whether p satisfies d: a Provides entry that matches it
// (name, flags and version), or for a path, a file of p.
func (p *Package) Satisfies(d Dep) bool {
	for _, pd := range p.Provides {
		if pd.Satisfies(d) {
			return true
		}
	}
	return strings.HasPrefix(d.Name, "/") && p.hasFile(d.Name)
}

// ProvidesName reports whether p provides name at any version: a Provides
// entry of that name, or a file of that path.
func (p *Package) ProvidesName(name string) bool {
	for _, d := range p.Provides {
		if d.Name == name {
			return true
		}
	}
	return strings.HasPrefix(name, "/") && p.hasFile(name)
}

func (p *Package) hasFile(path string) bool {
	for _, f := range p.Files {
		if f == path {
			return true
		}
	}
	return false
}

// InstalledRepo is the repo id of packages that are already on the target.
const InstalledRepo = "@installed"

// DefaultPriority is the repo priority when none is given, as in yum and dnf.
const DefaultPriority = 99

// Repo is one package source of a manifest after variable expansion.
type Repo struct {
	ID       string
	BaseURLs []string // tried in order; empty for a header-only source
	// Mirrorlist is a URL serving base URLs one per line (yum's mirrorlist),
	// or a metalink as mirrors.fedoraproject.org answers; its answers are
	// tried after BaseURLs.
	Mirrorlist string
	// Metalink is a URL serving a metalink: the mirrors' repomd.xml URLs
	// with the size and checksums every mirror's repomd.xml must have.
	Metalink string
	Packages []string // URLs or paths of individual RPMs (sources without repodata)
	GPGKeys  []string
	GPGCheck bool
	Priority int // lower wins, as yum's priorities plugin and dnf; default 99
	// Exclude and IncludePkgs are yum's per-repo filters: globs over name,
	// name.arch, name-version[-release][.arch] and NEVRA.
	Exclude, IncludePkgs []string
	// SkipIfUnavailable makes a repo that cannot be read a warning, not an error.
	SkipIfUnavailable bool
	// Source says the repo holds source RPMs: only resolve --source reads it.
	Source bool
}
