package abi

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
)

// elfObject is the dynamic-linking summary of one ELF file of a payload.
type elfObject struct {
	Path    string `json:"path"`
	Bits    int    `json:"bits"` // 32 or 64
	Machine string `json:"machine"`
	Soname  string `json:"soname,omitempty"`
	// Interp says the file names a program interpreter: an executable.
	Interp bool     `json:"interp,omitempty"`
	Needed []string `json:"needed,omitempty"`
	// Imports are the undefined global and weak dynamic symbols.
	Imports []elfImport `json:"imports,omitempty"`
	// Exports are the defined global and weak dynamic symbols as
	// "name@version" ("name@" when unversioned), sorted.
	Exports []string `json:"exports,omitempty"`
	// Versions are the version nodes the object defines (verdef), without
	// the base entry that names the file itself.
	Versions []string `json:"versions,omitempty"`
}

// elfImport is one undefined dynamic symbol. Library and Version come from the
// version requirement (verneed) the linker recorded; both are empty for an
// unversioned reference.
type elfImport struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	Library string `json:"library,omitempty"`
	Weak    bool   `json:"weak,omitempty"`
}

// exports reports whether o defines name at version ("" accepts any version).
func (o *elfObject) exports(name, version string) bool {
	if version != "" {
		key := name + "@" + version
		i := sort.SearchStrings(o.Exports, key)
		return i < len(o.Exports) && o.Exports[i] == key
	}
	i := sort.SearchStrings(o.Exports, name+"@")
	return i < len(o.Exports) && len(o.Exports[i]) > len(name) && o.Exports[i][:len(name)+1] == name+"@"
}

// elfError says an ELF file could not be summarized.
type elfError struct {
	Path string
	Err  error
}

func (e *elfError) Error() string { return fmt.Sprintf("ELF file %s: %v", e.Path, e.Err) }
func (e *elfError) Unwrap() error { return e.Err }

var errTruncated = errors.New("truncated or malformed")

// Limits on what a summary reads from one ELF file: far above any real
// library, low enough that a hostile file cannot make us allocate without bound.
const (
	maxDynSyms = 1 << 21
	maxVerEnts = 1 << 16
)

// readObject summarizes an ELF file. It returns (nil, nil) for ELF files that
// take no part in dynamic linking (relocatable objects, core files, static
// executables). Malformed input gives an *elfError, never a panic.
func readObject(path string, data []byte) (obj *elfObject, err error) {
	defer func() {
		// debug/elf is hardened but not guaranteed against every malformed
		// input; one bad file in a payload must not take the process down.
		if r := recover(); r != nil {
			obj, err = nil, &elfError{Path: path, Err: fmt.Errorf("%w: %v", errTruncated, r)}
		}
	}()
	return parseObject(path, data)
}

// parseObject is readObject without the panic guard, for the fuzz target.
func parseObject(path string, data []byte) (*elfObject, error) {
	if err := precheck(data); err != nil {
		return nil, &elfError{Path: path, Err: err}
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, &elfError{Path: path, Err: err}
	}
	if f.Type != elf.ET_DYN && f.Type != elf.ET_EXEC {
		return nil, nil
	}
	if f.SectionByType(elf.SHT_DYNAMIC) == nil {
		return nil, nil // static executable
	}
	o := &elfObject{Path: path, Machine: machineName(f.Machine), Bits: 32}
	if f.Class == elf.ELFCLASS64 {
		o.Bits = 64
	}
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			o.Interp = true
		}
	}
	if o.Needed, err = f.DynString(elf.DT_NEEDED); err != nil {
		return nil, &elfError{Path: path, Err: err}
	}
	sonames, err := f.DynString(elf.DT_SONAME)
	if err != nil {
		return nil, &elfError{Path: path, Err: err}
	}
	if len(sonames) > 0 {
		o.Soname = sonames[0]
	}
	// Go 1.23's getSymbols slices past the end of an empty symbol table.
	if ds := f.SectionByType(elf.SHT_DYNSYM); ds != nil {
		symSize := uint64(elf.Sym32Size)
		if f.Class == elf.ELFCLASS64 {
			symSize = elf.Sym64Size
		}
		if ds.Size < symSize || ds.Size%symSize != 0 || ds.Size > uint64(len(data)) {
			return nil, &elfError{Path: path, Err: fmt.Errorf("%w: .dynsym of %d bytes", errTruncated, ds.Size)}
		}
	}
	syms, err := f.DynamicSymbols()
	if err != nil && !errors.Is(err, elf.ErrNoSymbols) {
		return nil, &elfError{Path: path, Err: err}
	}
	if len(syms) > maxDynSyms {
		return nil, &elfError{Path: path, Err: fmt.Errorf("%d dynamic symbols", len(syms))}
	}
	vi, err := readVersions(f)
	if err != nil {
		return nil, &elfError{Path: path, Err: err}
	}
	o.Versions = vi.defNames()
	for i, s := range syms {
		bind := elf.ST_BIND(s.Info)
		if s.Name == "" || (bind != elf.STB_GLOBAL && bind != elf.STB_WEAK) {
			continue
		}
		idx := vi.index(i + 1) // DynamicSymbols drops the null symbol 0
		if s.Section == elf.SHN_UNDEF {
			imp := elfImport{Name: s.Name, Weak: bind == elf.STB_WEAK}
			if n, ok := vi.need[idx&0x7fff]; ok {
				imp.Library, imp.Version = n.file, n.name
			}
			o.Imports = append(o.Imports, imp)
			continue
		}
		if idx&0x7fff == 0 {
			continue // local to the object
		}
		// A copy-relocated definition in an executable carries the index of
		// the requirement it was copied from.
		ver, ok := vi.def[idx&0x7fff]
		if !ok {
			ver = vi.need[idx&0x7fff].name
		}
		if idx&0x7fff == 1 {
			ver = "" // VER_NDX_GLOBAL: the base definition names the file, not a version
		}
		if s.Section == elf.SHN_ABS && s.Name == ver {
			continue // the marker symbol of a version node
		}
		o.Exports = append(o.Exports, s.Name+"@"+ver)
	}
	sort.Strings(o.Exports)
	o.Exports = dedupe(o.Exports)
	sort.Slice(o.Imports, func(i, j int) bool {
		a, b := o.Imports[i], o.Imports[j]
		if a.Library != b.Library {
			return a.Library < b.Library
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Version < b.Version
	})
	return o, nil
}

// precheck rejects headers whose section table cannot fit the file before
// debug/elf allocates for it.
func precheck(data []byte) error {
	if len(data) < 52 || string(data[:4]) != elf.ELFMAG {
		return fmt.Errorf("%w: not an ELF header", errTruncated)
	}
	var bo binary.ByteOrder
	switch elf.Data(data[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
		bo = binary.LittleEndian
	case elf.ELFDATA2MSB:
		bo = binary.BigEndian
	default:
		return fmt.Errorf("%w: bad data encoding", errTruncated)
	}
	var shoff uint64
	var shentsize, shnum uint16
	switch elf.Class(data[elf.EI_CLASS]) {
	case elf.ELFCLASS32:
		shoff = uint64(bo.Uint32(data[32:36]))
		shentsize, shnum = bo.Uint16(data[46:48]), bo.Uint16(data[48:50])
	case elf.ELFCLASS64:
		if len(data) < 64 {
			return fmt.Errorf("%w: short ELF64 header", errTruncated)
		}
		shoff = bo.Uint64(data[40:48])
		shentsize, shnum = bo.Uint16(data[58:60]), bo.Uint16(data[60:62])
	default:
		return fmt.Errorf("%w: bad ELF class", errTruncated)
	}
	if shnum > 0 && (shoff > uint64(len(data)) || uint64(shnum)*uint64(shentsize) > uint64(len(data))-shoff) {
		return fmt.Errorf("%w: section table (%d entries at %d) beyond the file's %d bytes", errTruncated, shnum, shoff, len(data))
	}
	return nil
}

func machineName(m elf.Machine) string {
	switch m {
	case elf.EM_X86_64:
		return "x86_64"
	case elf.EM_386:
		return "i386"
	case elf.EM_AARCH64:
		return "aarch64"
	case elf.EM_PPC64:
		return "ppc64"
	case elf.EM_S390:
		return "s390"
	}
	return fmt.Sprintf("machine-%d", int(m))
}

type verneed struct{ file, name string }

// versionInfo is an object's symbol versioning: versym indexes, the version
// definitions and the version requirements. Go 1.23's debug/elf reads only
// requirements, and not for every layout, so both are read here.
type versionInfo struct {
	versym []byte
	bo     binary.ByteOrder
	def    map[uint16]string
	base   uint16 // the definition flagged VER_FLG_BASE (the file's own name)
	need   map[uint16]verneed
}

func (v *versionInfo) index(sym int) uint16 {
	if v.versym == nil || sym < 0 || 2*sym+2 > len(v.versym) {
		return 1 // no versioning: global
	}
	return v.bo.Uint16(v.versym[2*sym:])
}

func (v *versionInfo) defNames() []string {
	var out []string
	for ndx, n := range v.def {
		if ndx != v.base && n != "" {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func readVersions(f *elf.File) (*versionInfo, error) {
	v := &versionInfo{bo: f.ByteOrder, def: map[uint16]string{}, need: map[uint16]verneed{}}
	if s := f.SectionByType(elf.SHT_GNU_VERSYM); s != nil {
		d, err := s.Data()
		if err != nil {
			return nil, fmt.Errorf("read .gnu.version: %w", err)
		}
		v.versym = d
	}
	strtab := func(s *elf.Section) ([]byte, error) {
		if int(s.Link) >= len(f.Sections) || s.Link == 0 {
			return nil, fmt.Errorf("%w: %s links to section %d", errTruncated, s.Name, s.Link)
		}
		return f.Sections[s.Link].Data()
	}
	if s := f.SectionByType(elf.SHT_GNU_VERDEF); s != nil {
		d, err := s.Data()
		if err != nil {
			return nil, fmt.Errorf("read .gnu.version_d: %w", err)
		}
		str, err := strtab(s)
		if err != nil {
			return nil, err
		}
		// Elf_Verdef: version, flags, ndx, cnt (u16), hash, aux, next (u32).
		for off, n := 0, 0; n < maxVerEnts; n++ {
			if off < 0 || off+20 > len(d) {
				return nil, fmt.Errorf("%w: verdef entry at %d", errTruncated, off)
			}
			flags, ndx, cnt := v.bo.Uint16(d[off+2:]), v.bo.Uint16(d[off+4:]), v.bo.Uint16(d[off+6:])
			aux, next := int(v.bo.Uint32(d[off+12:])), int(v.bo.Uint32(d[off+16:]))
			if cnt > 0 {
				a := off + aux
				if aux < 0 || a < off || a+8 > len(d) {
					return nil, fmt.Errorf("%w: verdaux at %d", errTruncated, a)
				}
				name, ok := cstring(str, v.bo.Uint32(d[a:]))
				if !ok {
					return nil, fmt.Errorf("%w: verdef name", errTruncated)
				}
				v.def[ndx&0x7fff] = name
				if flags&1 != 0 { // VER_FLG_BASE
					v.base = ndx & 0x7fff
				}
			}
			if next == 0 {
				break
			}
			off += next
		}
	}
	if s := f.SectionByType(elf.SHT_GNU_VERNEED); s != nil {
		d, err := s.Data()
		if err != nil {
			return nil, fmt.Errorf("read .gnu.version_r: %w", err)
		}
		str, err := strtab(s)
		if err != nil {
			return nil, err
		}
		// Elf_Verneed: version, cnt (u16), file, aux, next (u32).
		// Elf_Vernaux: hash (u32), flags, other (u16), name, next (u32).
		entries := 0
		for off := 0; ; {
			if off < 0 || off+16 > len(d) {
				return nil, fmt.Errorf("%w: verneed entry at %d", errTruncated, off)
			}
			cnt := int(v.bo.Uint16(d[off+2:]))
			file, ok := cstring(str, v.bo.Uint32(d[off+4:]))
			if !ok {
				return nil, fmt.Errorf("%w: verneed file name", errTruncated)
			}
			aux, next := int(v.bo.Uint32(d[off+8:])), int(v.bo.Uint32(d[off+12:]))
			for a, c := off+aux, 0; c < cnt; c++ {
				if entries++; entries > maxVerEnts {
					return nil, fmt.Errorf("%w: too many version requirements", errTruncated)
				}
				if a < off || a+16 > len(d) {
					return nil, fmt.Errorf("%w: vernaux at %d", errTruncated, a)
				}
				other := v.bo.Uint16(d[a+6:])
				name, ok := cstring(str, v.bo.Uint32(d[a+8:]))
				if !ok {
					return nil, fmt.Errorf("%w: vernaux name", errTruncated)
				}
				v.need[other&0x7fff] = verneed{file: file, name: name}
				an := int(v.bo.Uint32(d[a+12:]))
				if an == 0 {
					break
				}
				a += an
			}
			if entries++; next == 0 || entries > maxVerEnts {
				break
			}
			off += next
		}
	}
	return v, nil
}

func cstring(tab []byte, off uint32) (string, bool) {
	if uint64(off) >= uint64(len(tab)) {
		return "", false
	}
	end := bytes.IndexByte(tab[off:], 0)
	if end < 0 {
		return "", false
	}
	return string(tab[off : int(off)+end]), true
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func elfNewFile(b []byte) (*elf.File, error) { return elf.NewFile(bytes.NewReader(b)) }
