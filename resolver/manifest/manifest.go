package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rpmvault/rpmvault/internal/safename"
	"github.com/rpmvault/rpmvault/resolver"
)

// Manifest says what a bundle holds: where packages come from and what to
// install. It is the YAML file docs/manifest.md describes.
type Manifest struct {
	Name       string `yaml:"name"`
	Arch       string `yaml:"arch"`
	Releasever string `yaml:"releasever"`
	Multilib   bool   `yaml:"multilib"`
	Repos      []Repo `yaml:"repos"`
	// RepoFiles are yum .repo files whose enabled repos are sources too.
	RepoFiles []string `yaml:"repofiles"`
	// EnableRepo enables repos (ids or globs, as yum --enablerepo) that a
	// .repo file ships disabled, e.g. CentOS-Vault.repo's C6.5-base.
	EnableRepo []string `yaml:"enablerepo"`
	// Vars sets yum variables ($infra, $contentdir, $YUM0, ...) beyond
	// releasever and arch, as /etc/yum/vars does on a box.
	Vars        map[string]string `yaml:"vars"`
	Install     []string          `yaml:"install"`
	Constraints []string          `yaml:"constraints"`
	Exclude     []string          `yaml:"exclude"`
	// Baseline is "empty" (or unset) or an installed-set file: ship only what
	// the target lacks.
	Baseline string `yaml:"baseline"`

	// Dir is the directory of the manifest file; relative paths resolve against it.
	Dir string `yaml:"-"`

	fileRepos []resolver.Repo // the enabled repos of RepoFiles, read by Load
	// fileSourceRepos are the source repos of RepoFiles, enabled or not:
	// --source enables the ones beside enabled repos, as dnf download
	// --source and yumdownloader --source do.
	fileSourceRepos []fileRepo
}

// Repo is one source of packages.
type Repo struct {
	ID       string     `yaml:"id"`
	BaseURL  stringList `yaml:"baseurl"`
	Packages []string   `yaml:"packages"`
	GPGKey   stringList `yaml:"gpgkey"`
	GPGCheck *bool      `yaml:"gpgcheck"`
	Priority int        `yaml:"priority"`
	// As in a .repo file.
	Mirrorlist        string     `yaml:"mirrorlist"`
	Metalink          string     `yaml:"metalink"`
	Exclude           stringList `yaml:"exclude"`
	IncludePkgs       stringList `yaml:"includepkgs"`
	SkipIfUnavailable bool       `yaml:"skip_if_unavailable"`
	// Source marks a repo of source RPMs, read only by resolve --source.
	// Unset, a repo is one when its id is a source repo's as dnf names
	// them (ID-source, or X-source-rpms beside X-rpms).
	Source *bool `yaml:"source"`
}

// stringList accepts a YAML scalar or a sequence, as yum accepts one baseurl
// or several.
type stringList []string

func (l *stringList) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*l = strings.Fields(n.Value)
		return nil
	case yaml.SequenceNode:
		var s []string
		if err := n.Decode(&s); err != nil {
			return err
		}
		*l = s
		return nil
	}
	return fmt.Errorf("line %d: want a string or a list of strings", n.Line)
}

// Load reads and validates a manifest file.
func Load(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	m, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", path, err)
	}
	abs, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", path, err)
	}
	m.Dir = abs
	if err := m.loadRepoFiles(); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", path, err)
	}
	return m, nil
}

// loadRepoFiles reads the manifest's .repo files and keeps their enabled
// repos and those enablerepo enables. Every enablerepo entry must match a
// repo, and every file must leave at least one repo to read from: both
// mistakes otherwise surface much later as "nothing provides".
func (m *Manifest) loadRepoFiles() error {
	vars := m.vars()
	matched := make([]bool, len(m.EnableRepo))
	var ids []string
	var allDisabled error // reported after enablerepo's own mistakes, which cause it
	// A repo id names one repo: the lock records it per package.
	definedIn := map[string]string{}
	for _, r := range m.Repos {
		definedIn[r.ID] = "the manifest's repos"
	}
	for _, rf := range m.RepoFiles {
		repos, err := loadRepoFile(m.localPath(rf), vars)
		if err != nil {
			return err
		}
		for _, fr := range repos {
			if where, ok := definedIn[fr.ID]; ok {
				return fmt.Errorf("repo id %q of %s is defined in %s too: a repo id names one repo (yum too lists it once); rename or drop one", fr.ID, rf, where)
			}
			definedIn[fr.ID] = rf
			if err := safename.Check("repo id", fr.ID); err != nil {
				return fmt.Errorf("repo file %s: %w", rf, err)
			}
		}
		var disabled []string
		kept := 0
		for _, fr := range repos {
			ids = append(ids, fr.ID)
			enabled := fr.Enabled
			if IsSourceRepoID(fr.ID) {
				// Read only by --source, which enables those beside
				// enabled repos, as dnf does: CentOS-Sources.repo ships
				// every one disabled.
				fr.Source = true
			}
			for i, g := range m.EnableRepo {
				// Case-insensitive: C6.5-base and c6.5-base are one repo to a person.
				if ok, _ := path.Match(strings.ToLower(g), strings.ToLower(fr.ID)); ok {
					enabled, matched[i] = true, true
				}
			}
			if fr.Source {
				fr.Enabled = enabled
				m.fileSourceRepos = append(m.fileSourceRepos, fr)
				kept++
				continue
			}
			if !enabled {
				disabled = append(disabled, fr.ID)
				continue
			}
			if !fr.hasURL() {
				return fmt.Errorf("repo file %s: repo %s is enabled by enablerepo but has no baseurl, mirrorlist or metalink", rf, fr.ID)
			}
			m.fileRepos = append(m.fileRepos, fr.Repo)
			kept++
		}
		if kept == 0 && len(disabled) > 0 && allDisabled == nil {
			allDisabled = fmt.Errorf("repo file %s: every repo is disabled (enabled=0): %s; enable the ones to use with enablerepo: [%s] in the manifest",
				rf, strings.Join(disabled, ", "), disabled[0])
		}
		if len(repos) == 0 {
			return fmt.Errorf("repo file %s defines no repo (no [id] section with a baseurl, mirrorlist or metalink)", rf)
		}
	}
	for i, g := range m.EnableRepo {
		if !matched[i] {
			return fmt.Errorf("enablerepo %q matches no repo of %s (their repos: %s)", g, strings.Join(m.RepoFiles, ", "), strings.Join(ids, ", "))
		}
	}
	return allDisabled
}

// vars are the yum variables of the manifest's releasever, arch and vars.
func (m *Manifest) vars() map[string]string {
	return yumVars(m.Releasever, m.Arch, m.Vars)
}

// Parse decodes and validates manifest YAML. Unknown keys are errors,
// so a misspelt "constraint:" cannot silently drop a constraint.
func Parse(data []byte) (*Manifest, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty manifest: it needs at least name, repos and install")
		}
		return nil, explainYAMLError(err, data)
	}
	if m.Arch == "" {
		m.Arch = "x86_64"
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

func (m *Manifest) validate() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if m.Name == "" {
		add("name is missing")
	} else if err := safename.Check("manifest name", m.Name); err != nil {
		add("%v", err) // it names the default lock file
	}
	if len(m.Install) == 0 {
		add("install lists nothing to install")
	}
	if len(m.Repos) == 0 && len(m.RepoFiles) == 0 {
		add("no repos and no repofiles: there is nowhere to take packages from")
	}
	if len(m.EnableRepo) > 0 && len(m.RepoFiles) == 0 {
		add("enablerepo needs repofiles: it enables repos a .repo file disables")
	}
	for _, g := range m.EnableRepo {
		if _, err := path.Match(g, ""); err != nil {
			add("enablerepo %q is not a valid glob", g)
		}
	}
	seen := map[string]bool{}
	for i, r := range m.Repos {
		switch {
		case r.ID == "":
			add("repos[%d] has no id", i)
		case seen[r.ID]:
			add("repo id %q is used twice", r.ID)
		default:
			if err := safename.Check("repo id", r.ID); err != nil {
				add("repos[%d]: %v", i, err)
			}
		}
		seen[r.ID] = true
		if len(r.BaseURL) == 0 && len(r.Packages) == 0 && r.Mirrorlist == "" && r.Metalink == "" {
			add("repo %q has no baseurl, mirrorlist, metalink or packages", r.ID)
		}
	}
	for _, c := range m.Constraints {
		if _, err := resolver.ParseDep(c); err != nil {
			add("constraint %q: %v", c, err)
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// Sources returns the manifest's repos of binary packages with $releasever
// and $basearch expanded, relative local paths made absolute, and yum's
// defaults applied (gpgcheck on, priority 99). Repos of source RPMs are
// SourceRepos'.
func (m *Manifest) Sources() []resolver.Repo {
	var out []resolver.Repo
	for _, r := range m.allRepos() {
		if !r.Source {
			out = append(out, r)
		}
	}
	return append(out, m.fileRepos...)
}

// SourceRepos returns the repos of source RPMs that resolve --source reads,
// in the manifest's order: the manifest's repos marked source (or named
// ID-source), then the source repos of its .repo files that are enabled or
// sit beside an enabled repo (ID-source beside ID, X-source-rpms beside
// X-rpms), as dnf download --source enables them.
func (m *Manifest) SourceRepos() []resolver.Repo {
	var out []resolver.Repo
	for _, r := range m.allRepos() {
		if r.Source {
			out = append(out, r)
		}
	}
	binary := map[string]bool{}
	for _, r := range m.Sources() {
		binary[resolver.SourcePartner(r.ID)] = true
	}
	for _, fr := range m.fileSourceRepos {
		if fr.Enabled || binary[fr.ID] {
			out = append(out, fr.Repo)
		}
	}
	return out
}

// IsSourceRepoID reports whether id names a repo of source RPMs as dnf and
// yum name them: ID-source (CentOS-Sources.repo's base-source, EPEL's
// epel-source) or X-source-rpms (RHEL's).
func IsSourceRepoID(id string) bool {
	return strings.HasSuffix(id, "-source") || strings.HasSuffix(id, "-source-rpms")
}

// allRepos expands the manifest's own repos (not its .repo files').
func (m *Manifest) allRepos() []resolver.Repo {
	repos := make([]resolver.Repo, 0, len(m.Repos))
	for _, r := range m.Repos {
		repo := resolver.Repo{ID: r.ID, GPGCheck: true, Priority: r.Priority, SkipIfUnavailable: r.SkipIfUnavailable, Source: IsSourceRepoID(r.ID)}
		if r.Source != nil {
			repo.Source = *r.Source
		}
		vars := m.vars()
		repo.Exclude, repo.IncludePkgs = r.Exclude, r.IncludePkgs
		if r.Mirrorlist != "" {
			repo.Mirrorlist = m.location(r.Mirrorlist, vars)
		}
		if r.Metalink != "" {
			repo.Metalink = m.location(r.Metalink, vars)
		}
		if r.GPGCheck != nil {
			repo.GPGCheck = *r.GPGCheck
		}
		if repo.Priority == 0 {
			repo.Priority = resolver.DefaultPriority
		}
		for _, u := range r.BaseURL {
			repo.BaseURLs = append(repo.BaseURLs, m.location(u, vars))
		}
		for _, u := range r.Packages {
			repo.Packages = append(repo.Packages, m.location(u, vars))
		}
		for _, u := range r.GPGKey {
			repo.GPGKeys = append(repo.GPGKeys, m.location(u, vars))
		}
		repos = append(repos, repo)
	}
	return repos
}

// Request is what the manifest asks the resolver for: its install specs,
// constraints, excludes, arch and multilib. The caller adds the installed
// set (the baseline) and any constraints of its own.
func (m *Manifest) Request() resolver.Request {
	return resolver.Request{
		Install:     m.Install,
		Constraints: slices.Clone(m.Constraints),
		Exclude:     m.Exclude,
		Arch:        m.Arch,
		Multilib:    m.Multilib,
	}
}

// BaselinePath returns the installed-set file of the baseline, or "" for an
// empty baseline.
func (m *Manifest) BaselinePath() string {
	if m.Baseline == "" || m.Baseline == "empty" {
		return ""
	}
	return m.localPath(m.Baseline)
}

// location expands yum variables and anchors relative local paths at the
// manifest's directory; URLs pass through.
func (m *Manifest) location(s string, vars map[string]string) string {
	s = expandVars(s, vars)
	if strings.Contains(s, "://") {
		return s
	}
	return m.localPath(s)
}

func (m *Manifest) localPath(p string) string {
	if filepath.IsAbs(p) || m.Dir == "" {
		return p
	}
	return filepath.Join(m.Dir, p)
}
