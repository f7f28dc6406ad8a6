package rpmdb

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/rpmvault/rpmvault/resolver"
)

// CaptureQueryFormat is the rpm query format of a capture: run on the target as
//
//	rpm -qa --qf '<CaptureQueryFormat>' > box.capture
//
// it writes every installed package with its provides, requires, conflicts,
// obsoletes and files, using only tags and formats rpm 4.8 (CentOS 6) knows.
// `rpmvault capture` runs the same query and adds, after each package, the
// shared libraries it owns with their sonames and exported symbols.
const CaptureQueryFormat = `@ %{NAME} %{EPOCH} %{VERSION} %{RELEASE} %{ARCH}\n[P %{PROVIDEFLAGS} %{PROVIDENAME} %{PROVIDEVERSION}\n][R %{REQUIREFLAGS} %{REQUIRENAME} %{REQUIREVERSION}\n][C %{CONFLICTFLAGS} %{CONFLICTNAME} %{CONFLICTVERSION}\n][O %{OBSOLETEFLAGS} %{OBSOLETENAME} %{OBSOLETEVERSION}\n][F %{FILENAMES}\n]`

// Library is one shared library an installed package owns, as a capture
// records it: what the ABI check needs to know about it without its RPM.
type Library struct {
	Path    string
	Soname  string
	Bits    int    // 32 or 64
	Machine string // as the abi package names ELF machines, e.g. "x86_64"
	Needed  []string
	// Exports are the defined dynamic symbols as "name@version" ("name@"
	// when unversioned), sorted.
	Exports []string
}

// Baseline is a target's installed set as a baseline file describes it.
type Baseline struct {
	Packages []*resolver.Package
	// Captured says the file is a capture: its packages carry their
	// provides, requires and files, so the solver needs no repo to know them.
	Captured bool
	// Libraries maps a package's NEVRA to the shared libraries it owns. It
	// is nil unless the capture recorded libraries (rpmvault capture does,
	// the rpm one-liner does not); then a package absent from it owns none.
	Libraries map[string][]Library
}

// captureParser reads capture lines into a Baseline. ParseBaseline starts
// it at the first package line, so cur is never nil.
type captureParser struct {
	b   *Baseline
	cur *resolver.Package
	lib *Library
}

func (c *captureParser) line(text string) error {
	kind, rest, _ := strings.Cut(text, " ")
	switch kind {
	case "@":
		c.flushLib()
		p, err := parseInstalledLine(strings.TrimSpace(rest))
		if err != nil {
			return err
		}
		p.Repo = resolver.InstalledRepo
		p.FullFiles = true
		c.cur = p
		if p.Name != "gpg-pubkey" {
			c.b.Packages = append(c.b.Packages, p)
		}
	case "P", "R", "C", "O", "F", "L", "N", "E":
		if c.cur.Name == "gpg-pubkey" {
			return nil // an imported key, not a package: its provides name the key's owner
		}
		return c.entry(kind, rest, text)
	default:
		return fmt.Errorf("unknown capture line %q (want @, P, R, C, O, F, L, N or E)", text)
	}
	return nil
}

func (c *captureParser) entry(kind, rest, text string) error {
	switch kind {
	case "P", "R", "C", "O":
		d, err := parseCaptureDep(rest)
		if err != nil {
			return err
		}
		switch kind {
		case "P":
			c.cur.Provides = append(c.cur.Provides, d)
		case "R":
			if !strings.HasPrefix(d.Name, "rpmlib(") { // rpm's own feature markers
				c.cur.Requires = append(c.cur.Requires, d)
			}
		case "C":
			c.cur.Conflicts = append(c.cur.Conflicts, d)
		case "O":
			c.cur.Obsoletes = append(c.cur.Obsoletes, d)
		}
	case "F":
		if rest != "" && rest != "(none)" {
			c.cur.Files = append(c.cur.Files, rest)
		}
	case "L":
		c.flushLib()
		f := strings.SplitN(rest, " ", 4)
		if len(f) != 4 {
			return fmt.Errorf("want L BITS MACHINE SONAME PATH, got %q", text)
		}
		bits, err := strconv.Atoi(f[0])
		if err != nil || (bits != 32 && bits != 64) {
			return fmt.Errorf("bad ELF class %q (want 32 or 64)", f[0])
		}
		soname := f[2]
		if soname == "-" {
			soname = ""
		}
		c.lib = &Library{Bits: bits, Machine: f[1], Soname: soname, Path: f[3]}
	case "N", "E":
		if c.lib == nil {
			return fmt.Errorf("%q comes before any library line (L ...)", text)
		}
		if kind == "N" {
			c.lib.Needed = append(c.lib.Needed, rest)
		} else {
			c.lib.Exports = append(c.lib.Exports, rest)
		}
	}
	return nil
}

func (c *captureParser) flushLib() {
	if c.lib == nil {
		return
	}
	if c.b.Libraries == nil {
		c.b.Libraries = map[string][]Library{}
	}
	sort.Strings(c.lib.Exports)
	key := c.cur.NEVRA()
	c.b.Libraries[key] = append(c.b.Libraries[key], *c.lib)
	c.lib = nil
}

// parseCaptureDep reads "FLAGS NAME VERSION" (VERSION empty when
// unversioned). A name may hold spaces (rich dependencies, key owners); a
// version never does.
func parseCaptureDep(s string) (resolver.Dep, error) {
	fl, rest, _ := strings.Cut(s, " ")
	i := strings.LastIndexByte(rest, ' ')
	if i <= 0 {
		return resolver.Dep{}, fmt.Errorf("want FLAGS NAME VERSION, got %q", s)
	}
	name, ver := rest[:i], rest[i+1:]
	flags, err := strconv.ParseUint(fl, 10, 32)
	if err != nil {
		return resolver.Dep{}, fmt.Errorf("bad dependency flags %q", fl)
	}
	return resolver.DepFromRPM(name, uint32(flags), ver)
}
