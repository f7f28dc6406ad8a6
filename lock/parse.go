package lock

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rpmvault/rpmvault/internal/digest"
	"github.com/rpmvault/rpmvault/internal/safename"
	"github.com/rpmvault/rpmvault/resolver"
)

// Parse decodes a lockfile strictly: unknown keys, a foreign version, a
// malformed checksum or a duplicate package are errors.
func Parse(data []byte) (*Lock, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var l Lock
	if err := dec.Decode(&l); err != nil {
		return nil, err
	}
	if l.LockfileVersion != 1 {
		return nil, fmt.Errorf("lockfileVersion %d is not supported (want 1)", l.LockfileVersion)
	}
	var problems []string
	for ai := range l.Arches {
		a := &l.Arches[ai]
		for _, list := range [][]Package{a.Packages, a.Source} {
			for i := range list {
				if err := list[i].complete(a.Arch); err != nil {
					problems = append(problems, err.Error())
				}
			}
		}
	}
	if l.RPMVault.Manifest == "" && len(l.RPMVault.Install) == 0 && len(l.RPMVault.Repos) == 0 {
		problems = append(problems, l.adoptForeign()...)
	}
	arches := map[string]bool{}
	for _, a := range l.Arches {
		if arches[a.Arch] {
			problems = append(problems, fmt.Sprintf("arch %q has two sections", a.Arch))
		}
		arches[a.Arch] = true
		// One package may sit in several arch sections (the prototype lists
		// a noarch package under every arch), but once in each.
		seen := map[string]bool{}
		for _, p := range a.Packages {
			id := p.NEVRA()
			switch {
			case p.Name == "" || p.Version == "" || p.Arch == "":
				problems = append(problems, fmt.Sprintf("package %q lacks name, version or arch", p.URL))
			case seen[id]:
				problems = append(problems, id+" is listed twice")
			case p.URL == "":
				problems = append(problems, id+" has no url")
			}
			seen[id] = true
			problems = append(problems, checkEntry(id, p)...)
		}
	}
	problems = append(problems, checkSources(l.Arches)...)
	for _, r := range l.RPMVault.Repos {
		if err := safename.Check("repo id", r.ID); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return &l, nil
}

// checkSources holds source entries to what package entries are held to:
// identity, arch src, a well-formed checksum, plain names, a URL; a source
// RPM listed again (in another arch's list) must pin the same file.
func checkSources(arches []Arch) []string {
	var problems []string
	seen := map[string]string{}
	for _, a := range arches {
		for _, p := range a.Source {
			id := p.NEVRA()
			switch {
			case p.Name == "" || p.Version == "":
				problems = append(problems, fmt.Sprintf("source package %q lacks name or version", p.URL))
				continue
			case p.Arch != resolver.SourceArch:
				problems = append(problems, fmt.Sprintf("source package %s: arch %q, want src (a binary belongs in packages)", id, p.Arch))
			case p.URL == "":
				problems = append(problems, id+" has no url")
			}
			if prev, ok := seen[id]; ok && prev != p.Checksum {
				problems = append(problems, fmt.Sprintf("source package %s is listed twice with different checksums", id))
			}
			seen[id] = p.Checksum
			problems = append(problems, checkEntry(id, p)...)
		}
	}
	return problems
}

// checkEntry holds one entry, binary or source, to a well-formed checksum,
// plain names and a size that is not negative.
func checkEntry(id string, p Package) []string {
	var problems []string
	if p.Checksum != "" {
		typ, h, _ := strings.Cut(p.Checksum, ":")
		if !(typ == "sha256" && digest.ValidSHA256(h) || typ == "sha1" && digest.ValidSHA1(h)) {
			problems = append(problems, fmt.Sprintf("%s: checksum %q is not sha256:<64 lower-case hex> or sha1:<40 lower-case hex>", id, p.Checksum))
		}
	}
	if err := checkLockNames(p); err != nil {
		problems = append(problems, fmt.Sprintf("%s: %v", id, err))
	}
	if p.Size < 0 {
		problems = append(problems, id+" has a negative size")
	}
	return problems
}

// checkLockNames refuses a lock entry whose name parts could not be a file
// name: bundle, store and mirror build file names from them.
func checkLockNames(p Package) error {
	if err := resolver.CheckPackageNames(&resolver.Package{Name: p.Name, Arch: p.Arch,
		EVR: resolver.EVR{Version: p.Version, Release: p.Release}}); err != nil {
		return err
	}
	if p.RepoID != "" {
		return safename.Check("repo id", p.RepoID)
	}
	return nil
}

// complete fills what rpm-lockfile-prototype's format leaves out: epoch,
// version and release from evr; the arch from the URL's file name
// (name-version-release.arch.rpm: noarch and src packages sit in an arch
// section too), else from the arch section.
func (p *Package) complete(sectionArch string) error {
	if p.Version == "" && p.EVR != "" {
		evr, err := resolver.ParseEVR(p.EVR)
		if err != nil {
			return fmt.Errorf("package %s: evr %q: %v", p.Name, p.EVR, err)
		}
		p.Epoch, p.Version, p.Release = evr.Epoch, evr.Version, evr.Release
	}
	if p.Arch == "" {
		p.Arch = sectionArch
		if rest, ok := strings.CutSuffix(path.Base(p.URL), ".rpm"); ok {
			if a, ok := strings.CutPrefix(rest, p.Name+"-"+p.Version+"-"+p.Release+"."); ok && a != "" && !strings.Contains(a, ".") {
				p.Arch = a
			}
		}
	}
	return nil
}

// adoptForeign fills the rpmvault section of a lock another tool wrote: it
// is the closure itself, so everything in it is to be installed, and it
// names no keys, so every package must be pinned by sha256.
func (l *Lock) adoptForeign() []string {
	l.foreign = true
	var problems []string
	seenName, seenRepo := map[string]bool{}, map[string]bool{}
	for _, p := range append(l.Packages(), l.Sources()...) {
		if !seenName[p.Name] && p.Arch != resolver.SourceArch {
			seenName[p.Name] = true
			l.RPMVault.Install = append(l.RPMVault.Install, p.Name)
		}
		if !seenRepo[p.RepoID] {
			seenRepo[p.RepoID] = true
			l.RPMVault.Repos = append(l.RPMVault.Repos, Repo{ID: p.RepoID, Source: p.Arch == resolver.SourceArch})
		}
		if p.SHA256() == "" {
			problems = append(problems, fmt.Sprintf("%s: a lock without an rpmvault section names no signing keys, so it must pin every package by sha256, and this one has checksum %q", p.NEVRA(), p.Checksum))
		}
	}
	return problems
}
