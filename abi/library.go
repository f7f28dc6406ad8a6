package abi

import "github.com/rpmvault/rpmvault/resolver/rpmdb"

// ReadLibrary summarizes one file of an installed system for a capture: its
// soname, class, machine, needed libraries and exported symbols. It returns
// (nil, nil) when data is not a shared library (not ELF, not dynamic, or an
// executable without a soname).
func ReadLibrary(path string, data []byte) (*rpmdb.Library, error) {
	if len(data) < 4 || string(data[:4]) != "\x7fELF" {
		return nil, nil
	}
	o, err := readObject(path, data)
	if err != nil || o == nil {
		return nil, err
	}
	if o.Soname == "" && o.Interp {
		return nil, nil // a (PIE) executable: nothing links against it
	}
	return &rpmdb.Library{Path: o.Path, Soname: o.Soname, Bits: o.Bits, Machine: o.Machine, Needed: o.Needed, Exports: o.Exports}, nil
}

// capturedSummary is the ELF summary of an installed package built from
// the libraries a capture recorded, in place of reading its RPM.
func capturedSummary(libs []rpmdb.Library) *pkgSummary {
	s := &pkgSummary{Format: summaryFormat}
	for _, l := range libs {
		s.Objects = append(s.Objects, &elfObject{Path: l.Path, Soname: l.Soname, Bits: l.Bits, Machine: l.Machine, Needed: l.Needed, Exports: l.Exports})
	}
	return s
}
