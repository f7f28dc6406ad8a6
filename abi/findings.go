package abi

import (
	"fmt"
	"strings"

	"github.com/rpmvault/rpmvault/resolver"
)

// Finding is one symbol an ELF file of the closure imports that the library
// providing its soname on the target does not export.
type Finding struct {
	File    string `json:"file"`    // the binary or library, e.g. /usr/bin/docker
	Package string `json:"package"` // NEVRA of the package that ships File
	Symbol  string `json:"symbol"`
	Version string `json:"version,omitempty"` // the symbol version required; "" if unversioned
	Library string `json:"library"`           // the soname, e.g. libdevmapper.so.1.02
	// Provider is the NEVRA of the package that provides Library on the
	// target and lacks the symbol; ProviderName its name.
	Provider     string `json:"provider"`
	ProviderName string `json:"provider_name"`
	// Installed says Provider is the baseline's installed version, left
	// in place by the plan.
	Installed bool `json:"installed"`
	// Fix is the lowest version in the repos that exports the symbol, as a
	// constraint ("device-mapper-libs >= 1.02.90-2.el6"); "" if none does.
	Fix    string       `json:"fix,omitempty"`
	FixEVR resolver.EVR `json:"-"`
}

// symbolString returns name@version, or the name of an unversioned symbol.
func (f Finding) symbolString() string {
	if f.Version == "" {
		return f.Symbol
	}
	return f.Symbol + "@" + f.Version
}

func (f Finding) String() string {
	where := f.Provider
	if f.Installed {
		where += " (installed)"
	}
	fix := "no version in the repos exports it"
	if f.Fix != "" {
		fix = "fix: " + f.Fix
	}
	return fmt.Sprintf("%s (%s) needs %s from %s, which %s does not export; %s",
		f.File, f.Package, f.symbolString(), f.Library, where, fix)
}

// Report is the result of Check.
type Report struct {
	Findings []Finding `json:"findings"`
	// Unverified says what could not be checked, and why: a soname whose
	// provider's RPM is not available, a provider whose payload has no ELF
	// library of that soname, an ELF file that could not be parsed.
	Unverified []string `json:"unverified,omitempty"`
	// Packages is how many closure packages were examined, Objects how many
	// dynamically linked ELF files they hold, Read how many RPMs were read
	// (the rest came from the cache).
	Packages int `json:"packages"`
	Objects  int `json:"objects"`
	Read     int `json:"read"`
}

// FindingsError says the closure's binaries would fail to load on the
// target: symbols their libraries there do not export. The CLI exits 3 on
// it, as on any closure that cannot be installed as asked.
type FindingsError struct {
	Findings []Finding
}

func (e *FindingsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d ABI finding(s): the closure's binaries would fail to load on the target (run rpmvault abi --fix to add the constraints that fix them, or pass --no-abi to skip the check)", len(e.Findings))
	for _, f := range e.Findings {
		b.WriteString("\n  " + f.String())
	}
	return b.String()
}

// Err returns a *FindingsError when the report has findings, else nil.
func (r *Report) Err() error {
	if len(r.Findings) == 0 {
		return nil
	}
	return &FindingsError{Findings: r.Findings}
}

// OpenError says a package's RPM could not be read for the check.
type OpenError struct {
	Package string
	Err     error
}

func (e *OpenError) Error() string {
	return fmt.Sprintf("abi check: read %s: %v", e.Package, e.Err)
}
func (e *OpenError) Unwrap() error { return e.Err }
