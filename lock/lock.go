package lock

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rpmvault/rpmvault/internal/atomicfile"
	"github.com/rpmvault/rpmvault/internal/safename"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/manifest"
)

// Lock is a lockfile: the exact packages of a resolved manifest, named by
// sha256 (URLs are hints). It is a superset of the rpms.lock.yaml format of
// konflux's rpm-lockfile-prototype, so tools that read that format read ours.
type Lock struct {
	LockfileVersion int    `yaml:"lockfileVersion"`
	LockfileVendor  string `yaml:"lockfileVendor"`
	Arches          []Arch `yaml:"arches"`
	RPMVault        Meta   `yaml:"rpmvault"`

	foreign bool // read without an rpmvault section (rpm-lockfile-prototype's format)
}

// Foreign says the lock came from another tool (rpm-lockfile-prototype's
// rpms.lock.yaml, no rpmvault section): its packages are trusted by the
// sha256 it pins alone, and it is not rewritten.
func (l *Lock) Foreign() bool { return l.foreign }

// Arch is the package list of one architecture, with the source RPMs and
// module metadata files of rpm-lockfile-prototype's format.
type Arch struct {
	Arch           string           `yaml:"arch"`
	Packages       []Package        `yaml:"packages"`
	Source         []Package        `yaml:"source"`
	ModuleMetadata []ModuleMetadata `yaml:"module_metadata"`
}

// ModuleMetadata pins a repo's modules.yaml, as rpm-lockfile-prototype
// writes it for modular repos. rpmvault writes none (CentOS 6 has no
// modules) and keeps what it reads.
type ModuleMetadata struct {
	URL      string `yaml:"url"`
	RepoID   string `yaml:"repoid"`
	Size     int64  `yaml:"size"`
	Checksum string `yaml:"checksum"`
}

// Package pins one RPM.
type Package struct {
	URL    string `yaml:"url"`
	RepoID string `yaml:"repoid"`
	Size   int64  `yaml:"size"`
	// "sha256:<hex>"; "sha1:<hex>" or left out until mirrored (Hermeto
	// reads a checksum that is there as ALGORITHM:HEX, so never "").
	Checksum  string `yaml:"checksum,omitempty"`
	Name      string `yaml:"name"`
	EVR       string `yaml:"evr"`
	SourceRPM string `yaml:"sourcerpm,omitempty"` // none for a source RPM itself

	// rpmvault's additions. A lock from rpm-lockfile-prototype has none of
	// them: Parse derives epoch, version and release from evr and the arch
	// from the URL's file name or the arch section.
	Epoch      int      `yaml:"epoch"`
	Version    string   `yaml:"version"`
	Release    string   `yaml:"release"`
	Arch       string   `yaml:"arch"`
	Mirrors    []string `yaml:"mirrors,omitempty"` // every URL it can be fetched from, best first
	SigningKey string   `yaml:"signingKey,omitempty"`
	Action     string   `yaml:"action,omitempty"`
	Reason     string   `yaml:"reason,omitempty"`
	Step       int      `yaml:"step,omitempty"`
}

// Meta is the rest of what reproducing a bundle needs.
type Meta struct {
	Manifest string `yaml:"manifest"`
	// The request, so the target can re-plan against its own installed set.
	Install     []string `yaml:"install"`
	Constraints []string `yaml:"constraints,omitempty"`
	Exclude     []string `yaml:"exclude,omitempty"`
	Multilib    bool     `yaml:"multilib,omitempty"`
	Baseline    []string `yaml:"baseline,omitempty"` // NEVRAs of the installed set resolved against
	Repos       []Repo   `yaml:"repos"`
	Steps       int      `yaml:"steps"`
}

// Repo records the snapshot a repo was resolved against.
type Repo struct {
	ID       string   `yaml:"id"`
	BaseURLs []string `yaml:"baseurls,omitempty"`
	GPGKeys  []string `yaml:"gpgkeys,omitempty"`
	// Packages are the files or directories of a source without repodata;
	// only they and local base URLs make local paths in the lock fetchable.
	Packages     []string `yaml:"packages,omitempty"`
	GPGCheck     bool     `yaml:"gpgcheck"`
	RepomdSHA256 string   `yaml:"repomdSha256,omitempty"`
	// Source says the repo holds source RPMs (resolve --source).
	Source bool `yaml:"source,omitempty"`
}

// Vendor is what konflux's tooling writes as lockfileVendor.
const Vendor = "redhat"

// New pins a resolved plan of manifest m.
func New(m *manifest.Manifest, plan *resolver.Plan, sources []resolver.SourceState, baseline []*resolver.Package) *Lock {
	arch, repos := m.Arch, resolver.EffectiveRepos(m.Sources(), sources)
	l := &Lock{LockfileVersion: 1, LockfileVendor: Vendor}
	la := Arch{Arch: arch, Packages: []Package{}, Source: []Package{}, ModuleMetadata: []ModuleMetadata{}}
	for _, pp := range plan.Packages {
		la.Packages = append(la.Packages, PackageOf(pp))
	}
	// Sorted by URL as rpm-lockfile-prototype writes them, so a re-lock
	// diffs cleanly; each package keeps its install step and reason.
	sort.SliceStable(la.Packages, func(i, j int) bool { return la.Packages[i].URL < la.Packages[j].URL })
	l.Arches = []Arch{la}
	state := map[string]resolver.SourceState{}
	for _, s := range sources {
		state[s.Repo] = s
	}
	for _, r := range repos {
		l.RPMVault.Repos = append(l.RPMVault.Repos, Repo{
			ID: r.ID, BaseURLs: r.BaseURLs, GPGKeys: r.GPGKeys, Packages: r.Packages, GPGCheck: r.GPGCheck, RepomdSHA256: state[r.ID].RepomdSum,
		})
	}
	for _, b := range baseline {
		l.RPMVault.Baseline = append(l.RPMVault.Baseline, b.NEVRA())
	}
	sort.Strings(l.RPMVault.Baseline)
	l.RPMVault.Manifest, l.RPMVault.Steps = m.Name, plan.Steps
	l.RPMVault.Install, l.RPMVault.Constraints, l.RPMVault.Exclude, l.RPMVault.Multilib = m.Install, m.Constraints, m.Exclude, m.Multilib
	return l
}

// PackageOf pins one planned package: identity, the URLs AttachURLs gave
// it, and the checksum its metadata declares ("" for a header-only source
// until it is mirrored).
func PackageOf(pp resolver.PlannedPackage) Package {
	p := pp.Package
	lp := Package{
		RepoID: p.Repo, Size: p.Size, Name: p.Name, SourceRPM: p.SourceRPM,
		EVR: p.EVR.String(), Epoch: p.EVR.Epoch, Version: p.EVR.Version, Release: p.EVR.Release, Arch: p.Arch,
		Mirrors: pp.URLs, Action: string(pp.Action), Reason: pp.Reason.String(), Step: pp.Step,
	}
	if len(pp.URLs) > 0 {
		lp.URL = pp.URLs[0]
	}
	if p.Checksum.Hex != "" {
		lp.Checksum = p.Checksum.Type + ":" + p.Checksum.Hex
	}
	return lp
}

// AddSources pins the source RPMs of the lock's binaries (resolve
// --source): arches[].source, sorted by URL as the prototype writes them,
// and the source repos they came from, with their snapshots.
func (l *Lock) AddSources(sp *resolver.SourcePlan) {
	if len(l.Arches) == 0 {
		return
	}
	a := &l.Arches[0]
	a.Source = []Package{}
	for _, pp := range sp.Packages {
		a.Source = append(a.Source, PackageOf(pp))
	}
	sort.SliceStable(a.Source, func(i, j int) bool { return a.Source[i].URL < a.Source[j].URL })
	state := map[string]resolver.SourceState{}
	for _, st := range sp.Sources {
		state[st.Repo] = st
	}
	for _, r := range sp.Repos {
		if _, dup := l.Repo(r.ID); dup {
			continue
		}
		l.RPMVault.Repos = append(l.RPMVault.Repos, Repo{
			ID: r.ID, BaseURLs: r.BaseURLs, GPGKeys: r.GPGKeys, Packages: r.Packages, GPGCheck: r.GPGCheck, RepomdSHA256: state[r.ID].RepomdSum, Source: true,
		})
	}
}

// Sources returns every pinned source RPM, once each (a lock of several
// arches lists a source RPM in each arch's source list), in file order.
func (l *Lock) Sources() []Package {
	var out []Package
	seen := map[string]bool{}
	for _, a := range l.Arches {
		for _, p := range a.Source {
			if id := p.NEVRA() + " " + p.Checksum; !seen[id] {
				seen[id] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// SourcePtrs returns pointers to every source RPM entry, once each, for
// filling in what mirroring learns (sha256, size, signer).
func (l *Lock) SourcePtrs() []*Package {
	var out []*Package
	seen := map[string]*Package{}
	for a := range l.Arches {
		for i := range l.Arches[a].Source {
			p := &l.Arches[a].Source[i]
			if id := p.NEVRA() + " " + p.Checksum; seen[id] == nil {
				seen[id] = p
				out = append(out, p)
			}
		}
	}
	return out
}

// Packages returns every pinned package of every arch, in install order.
func (l *Lock) Packages() []Package {
	var out []Package
	for _, a := range l.Arches {
		out = append(out, a.Packages...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Step < out[j].Step })
	return out
}

// ArchNames lists the lock's arch sections in order.
func (l *Lock) ArchNames() []string {
	var out []string
	for _, a := range l.Arches {
		out = append(out, a.Arch)
	}
	return out
}

// SelectArch keeps only the section of arch, as a bundle is for one
// machine: rpm-lockfile-prototype writes one section per arch it was asked
// for. A lock of one section is left as it is.
func (l *Lock) SelectArch(arch string) error {
	if len(l.Arches) <= 1 {
		return nil
	}
	for _, a := range l.Arches {
		if a.Arch == arch {
			l.Arches = []Arch{a}
			if l.foreign {
				l.RPMVault = Meta{}
				l.adoptForeign()
			}
			return nil
		}
	}
	return fmt.Errorf("the lock has no %s section (its arches: %s): pick one with --arch", arch, strings.Join(l.ArchNames(), ", "))
}

// SHA256 returns the package's pinned sha256 in hex, or "" when the lock
// does not pin one yet.
func (p Package) SHA256() string {
	if h, ok := strings.CutPrefix(p.Checksum, "sha256:"); ok {
		return h
	}
	return ""
}

// FileName is the package's conventional file name.
func (p Package) FileName() string {
	return fmt.Sprintf("%s-%s-%s.%s.rpm", p.Name, p.Version, p.Release, p.Arch)
}

// NEVRA returns name-[epoch:]version-release.arch.
func (p Package) NEVRA() string { return p.Name + "-" + p.EVR + "." + p.Arch }

// Repo returns the lock's record of a repo id.
func (l *Lock) Repo(id string) (Repo, bool) {
	for _, r := range l.RPMVault.Repos {
		if r.ID == id {
			return r, true
		}
	}
	return Repo{}, false
}

// Marshal encodes the lock as YAML.
func (l *Lock) Marshal() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("# rpmvault lockfile: the exact packages of a bundle, named by sha256.\n# Reproduce the bundle with: rpmvault bundle --lock THIS_FILE -o BUNDLE.tar.gz\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(l); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Write writes l to path atomically.
func Write(path string, l *Lock) error {
	data, err := l.Marshal()
	if err != nil {
		return fmt.Errorf("encode lock: %w", err)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if err := atomicfile.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write lock %s: %w", path, err)
	}
	return nil
}

// MaxSize bounds a lockfile: 100,000 packages take about 70 MB.
const MaxSize = 256 << 20

// Read reads and validates a lockfile.
func Read(path string) (*Lock, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read lock: %w", err)
	}
	defer f.Close()
	// A bundle's lock.yaml is read before anything vouches for it: a
	// gzip of zeros must not be read into memory whole.
	if st, err := f.Stat(); err == nil && st.Size() > MaxSize {
		return nil, fmt.Errorf("lock %s is larger than %d MiB: not a lockfile", path, MaxSize>>20)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read lock: %w", err)
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("lock %s is larger than %d MiB: not a lockfile", path, MaxSize>>20)
	}
	l, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return l, nil
}

// FilePath returns where the package's file goes in dir, refusing a name
// that is not a plain file name inside dir.
func (p Package) FilePath(dir string) (string, error) {
	if err := checkLockNames(p); err != nil {
		return "", fmt.Errorf("%s: %w", p.NEVRA(), err)
	}
	return safename.JoinInside(dir, p.FileName())
}
