package rpmdb

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/rpmvault/rpmvault/resolver"
)

// ParseInstalled reads an installed set (see ParseBaseline) and returns its packages.
func ParseInstalled(r io.Reader) ([]*resolver.Package, error) {
	b, err := ParseBaseline(r)
	if err != nil {
		return nil, err
	}
	return b.Packages, nil
}

// ParseBaseline reads an installed set in any of the forms a target gives:
// a capture (rpmvault capture, or rpm -qa --qf with CaptureQueryFormat:
// packages with their dependencies and files, and libraries with their
// symbols), lines of `rpm -qa --qf '%{NAME} %{EPOCH} %{VERSION} %{RELEASE}
// %{ARCH}\n'` (epoch "(none)" when absent), or plain `rpm -qa` NEVRA lines.
// Blank lines and lines starting with '#' are skipped; gpg-pubkey entries
// are not packages.
func ParseBaseline(r io.Reader) (*Baseline, error) {
	b := &Baseline{}
	var capture *captureParser
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		raw := strings.TrimRight(sc.Text(), "\r")
		text := strings.TrimSpace(raw)
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if capture == nil && len(b.Packages) == 0 && strings.HasPrefix(text, "@ ") {
			capture = &captureParser{b: b}
			b.Captured = true
		}
		if capture != nil {
			if err := capture.line(raw); err != nil {
				return nil, fmt.Errorf("line %d: %w", line, err)
			}
			continue
		}
		if strings.HasPrefix(text, "gpg-pubkey-") {
			continue // rpm -qa prints imported keys without an arch
		}
		p, err := parseInstalledLine(text)
		if err != nil {
			return nil, fmt.Errorf("line %d %q: %w", line, text, err)
		}
		if p.Name == "gpg-pubkey" {
			continue
		}
		p.Repo = resolver.InstalledRepo
		b.Packages = append(b.Packages, p)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if capture != nil {
		capture.flushLib()
	}
	return b, nil
}

// LoadInstalled reads an installed-set file and returns its packages.
func LoadInstalled(file string) ([]*resolver.Package, error) {
	b, err := LoadBaseline(file)
	if err != nil {
		return nil, err
	}
	return b.Packages, nil
}

// LoadBaseline reads an installed-set file: a capture or an rpm -qa listing.
func LoadBaseline(file string) (*Baseline, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("read installed set: %w", err)
	}
	defer f.Close()
	b, err := ParseBaseline(f)
	if err != nil {
		return nil, fmt.Errorf("installed set %s: %w (want the output of rpmvault capture, or of rpm -qa)", file, err)
	}
	return b, nil
}

func parseInstalledLine(text string) (*resolver.Package, error) {
	f := strings.Fields(text)
	if len(f) == 0 {
		return nil, errors.New("a package line names no package")
	}
	if len(f) == 5 && (f[1] == "(none)" || isDigits(f[1])) {
		p := &resolver.Package{Name: f[0], EVR: resolver.EVR{Version: f[2], Release: f[3]}, Arch: f[4]}
		if f[1] != "(none)" {
			e, err := strconv.Atoi(f[1])
			if err != nil || e < 0 {
				return nil, fmt.Errorf("bad epoch %q", f[1])
			}
			p.EVR.Epoch = e
		}
		return p, nil
	}
	p, err := parseNEVRA(f[0])
	if err != nil {
		if len(f) == 5 {
			return nil, fmt.Errorf("bad epoch %q", f[1])
		}
		if len(f) == 1 {
			return nil, err
		}
		return nil, fmt.Errorf("want NAME EPOCH VERSION RELEASE ARCH or a NEVRA (rpm -qa, rpm -qa --last), got %d fields: %w", len(f), err)
	}
	// rpm -qa --last: the NEVRA, then its install time.
	return p, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// parseNEVRA parses name-[epoch:]version-release.arch.
func parseNEVRA(s string) (*resolver.Package, error) {
	dot := strings.LastIndexByte(s, '.')
	if dot <= 0 || dot == len(s)-1 {
		return nil, fmt.Errorf("%q has no .arch", s)
	}
	arch, rest := s[dot+1:], s[:dot]
	r := strings.LastIndexByte(rest, '-')
	if r <= 0 {
		return nil, fmt.Errorf("%q has no release", s)
	}
	v := strings.LastIndexByte(rest[:r], '-')
	if v <= 0 {
		return nil, fmt.Errorf("%q has no version", s)
	}
	p := &resolver.Package{Name: rest[:v], Arch: arch}
	// Names never hold a ':': "E:N-V-R.A" is yum's form of a NEVRA, with
	// the epoch first.
	epoch := ""
	if e, name, ok := strings.Cut(p.Name, ":"); ok {
		epoch, p.Name = e, name
		if !isDigits(e) && e != "(none)" {
			return nil, fmt.Errorf("%q: bad epoch %q", s, e)
		}
	}
	verRel := rest[v+1:]
	// rpm --qf '%{NAME}-%{EPOCH}:%{VERSION}...' prints "(none)" for no epoch.
	if rest, ok := strings.CutPrefix(verRel, "(none):"); ok {
		if epoch != "" {
			return nil, fmt.Errorf("%q has two epochs", s)
		}
		verRel = rest
	}
	if epoch != "" && epoch != "(none)" {
		if strings.Contains(verRel, ":") {
			return nil, fmt.Errorf("%q has two epochs", s)
		}
		verRel = epoch + ":" + verRel
	}
	if p.Name == "" {
		return nil, fmt.Errorf("%q has no name", s)
	}
	evr, err := resolver.ParseEVR(verRel)
	if err != nil {
		return nil, err
	}
	if evr.Release == "" || evr.Version == "" {
		return nil, fmt.Errorf("%q lacks version or release", s)
	}
	p.EVR = evr
	return p, nil
}
