package resolver

import (
	"fmt"
	"math"
	"math/bits"
	"unsafe"

	"github.com/rpmvault/rpmvault/internal/safename"
	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

// checkEntry checks every id and range of an entry once, as it is opened,
// so that using it in place can trust them: the checksum only catches
// accidents, and an entry is a file anyone with the store's permissions
// can write. Each id is bounded by its table, each package's ranges are
// in order and follow the previous package's, the string offsets rise,
// the string index names every string exactly once and has room to end
// a probe. openParsed then gives the records the checks primary.xml's get
// (checked). What it does not check is that two strings or two EVRs
// differ: the writer never repeats one, and a repeat could only make a
// look-up miss, not read outside a table. Every section is released
// (mapping.done) once read, so opening leaves no page resident.
func checkEntry(m mapping, b *poolBase, pkgs []uniPkg, repo string) error {
	nStrs := uint32(len(b.strOff) - 1)
	nEVRs, nRels := uint32(len(b.evrs)), uint32(len(b.rels))
	if nStrs == 0 || nEVRs == 0 || len(b.depIDs) == 0 {
		return fmt.Errorf("string, EVR or dependency table is empty (entry 0 is missing)")
	}
	if b.strOff[0] != 0 || b.strOff[1] != 0 {
		return fmt.Errorf("string table: entry 0 is not empty")
	}
	for k := uint32(1); k <= nStrs; k++ {
		if b.strOff[k] < b.strOff[k-1] {
			return fmt.Errorf("string %d: offsets fall (%d after %d)", k-1, b.strOff[k], b.strOff[k-1])
		}
	}
	if int(b.strOff[nStrs]) != len(b.blob) {
		return fmt.Errorf("string offsets end at %d, not at the %d bytes of strings", b.strOff[nStrs], len(b.blob))
	}
	m.done(bytesOf(b.strOff))
	if err := checkIndex(b.strSlots, nStrs); err != nil {
		return err
	}
	m.done(bytesOf(b.strSlots))
	for i, e := range b.evrs {
		if e.ver >= strID(nStrs) || e.rel >= strID(nStrs) {
			return fmt.Errorf("EVR %d: string index out of range (%d strings)", i, nStrs)
		}
		if e.epoch != int64(int(e.epoch)) {
			return fmt.Errorf("EVR %d: epoch %d is out of range", i, e.epoch)
		}
	}
	if b.evrs[0] != (evrRec{}) {
		return fmt.Errorf("EVR table: entry 0 is not empty")
	}
	// Released as soon as read: with their pages kept until the records
	// were checked, opening a large entry had a dozen megabytes of it
	// resident at once.
	m.done(bytesOf(b.evrs))
	for i, d := range b.rels {
		switch {
		case d.name >= strID(nStrs):
			return fmt.Errorf("reldep %d: string index %d out of range (%d strings)", i, d.name, nStrs)
		case d.evr >= evrID(nEVRs):
			return fmt.Errorf("reldep %d: EVR index %d out of range (%d EVRs)", i, d.evr, nEVRs)
		case Flags(d.flags)&^(Less|Greater|Equal) != 0:
			return fmt.Errorf("reldep %d: flags %#x have unknown bits", i, d.flags)
		}
	}
	m.done(bytesOf(b.rels))
	for k, id := range b.depIDs {
		if id >= nRels {
			return fmt.Errorf("dep %d: reldep index %d out of range (%d reldeps)", k, id, nRels)
		}
	}
	m.done(bytesOf(b.depIDs))
	for k, id := range b.files {
		if uint32(id) >= nStrs {
			return fmt.Errorf("file %d: string index %d out of range (%d strings)", k, id, nStrs)
		}
	}
	m.done(bytesOf(b.files))

	repoID, _ := b.find(repo)
	dep, file := uint32(1), uint32(0)
	for i := range pkgs {
		r := &pkgs[i]
		for _, id := range []strID{r.name, r.arch, r.repo, r.srpm, r.loc, r.sumType, r.sumHex} {
			if uint32(id) >= nStrs {
				return fmt.Errorf("package %d: string index %d out of range (%d strings)", i, id, nStrs)
			}
		}
		switch {
		case uint32(r.evr) >= nEVRs:
			return fmt.Errorf("package %d: EVR index %d out of range (%d EVRs)", i, r.evr, nEVRs)
		case r.dep != dep || r.prov < r.dep || r.req < r.prov || r.con < r.req || r.obs < r.con || r.obs > uint32(len(b.depIDs)):
			return fmt.Errorf("package %d: deps [%d %d %d %d %d] do not follow %d within the %d declared", i, r.dep, r.prov, r.req, r.con, r.obs, dep, len(b.depIDs))
		case r.files != file || r.filesEnd < r.files || r.filesEnd > uint32(len(b.files)):
			return fmt.Errorf("package %d: files [%d %d] do not follow %d within the %d declared", i, r.files, r.filesEnd, file, len(b.files))
		case r.repo != repoID:
			return fmt.Errorf("package %d: repo is %q, not %q", i, b.blob[b.strOff[r.repo]:b.strOff[r.repo+1]], repo)
		case !boolByte(&r.fullFiles) || !boolByte(&r.hidden) || r.hidden:
			return fmt.Errorf("package %d: flags are not 0 or 1", i)
		}
		dep, file = r.obs, r.filesEnd
		if i%4096 == 4095 {
			m.done(bytesOf(pkgs[i-4095 : i+1]))
		}
	}
	if dep != uint32(len(b.depIDs)) || file != uint32(len(b.files)) {
		return fmt.Errorf("declared %d deps and %d files more than the packages use", uint32(len(b.depIDs))-dep, uint32(len(b.files))-file)
	}
	m.done(bytesOf(pkgs))
	for _, c := range []struct {
		what string
		csr  *csr
	}{{"by-name index", &b.idx.byName}, {"whatprovides index", &b.idx.whatProv}, {"file-owner index", &b.idx.fileOwners}} {
		if err := checkCSR(m, c.csr, uint32(len(pkgs))); err != nil {
			return fmt.Errorf("%s: %w", c.what, err)
		}
	}
	for k, id := range b.idx.fileDeps {
		if uint32(id) >= nStrs || (k > 0 && id <= b.idx.fileDeps[k-1]) {
			return fmt.Errorf("file deps: entry %d (%d) is out of range or out of order", k, id)
		}
	}
	m.done(bytesOf(b.idx.fileDeps))
	return nil
}

// checkCSR: an index's starts rise from 0 to its list's end, and each
// key's packages are in range and ascending, as the solver expects.
func checkCSR(m mapping, c *csr, npkgs uint32) error {
	if c.start[0] != 0 || int(c.start[len(c.start)-1]) != len(c.list) {
		return fmt.Errorf("starts run from %d to %d, not 0 to %d", c.start[0], c.start[len(c.start)-1], len(c.list))
	}
	for k := 1; k < len(c.start); k++ {
		from, to := c.start[k-1], c.start[k]
		if to < from || int(to) > len(c.list) {
			return fmt.Errorf("key %d: starts fall or pass the list's %d entries", k-1, len(c.list))
		}
		for j := from; j < to; j++ {
			if uint32(c.list[j]) >= npkgs || (j > from && c.list[j] <= c.list[j-1]) {
				return fmt.Errorf("key %d: package %d is out of range or out of order", k-1, c.list[j])
			}
		}
	}
	m.done(bytesOf(c.start))
	m.done(bytesOf(c.list))
	return nil
}

// checked makes checkRepoPackage's checks of an entry's packages, as
// primary.xml's records get them: their name parts and locations. The
// strings are checked in their order, each once, so their bytes are read
// front to back, and released as for checkEntry.
func (rp *repoPart) checked() bool {
	const (
		isName = 1 << iota
		isArch
		isVersion
		isRelease
		isHref
	)
	pl := rp.pool
	kinds := make([]uint8, pl.nstrs())
	usedEVR := make([]bool, pl.nevrs())
	for i := range rp.pkgs {
		r := &rp.pkgs[i]
		if r.size < 0 || r.hdrStart < 0 || r.hdrEnd < r.hdrStart {
			return false
		}
		kinds[r.name] |= isName
		kinds[r.arch] |= isArch
		kinds[r.loc] |= isHref
		usedEVR[r.evr] = true
		if i%4096 == 4095 {
			rp.entry.done(bytesOf(rp.pkgs[i-4095 : i+1]))
		}
	}
	rp.entry.done(bytesOf(rp.pkgs))
	for i, used := range usedEVR {
		if e := pl.evrRec(evrID(i)); used {
			// safename.Check refuses "", so no part may be empty but the release.
			kinds[e.ver] |= isVersion
			if e.rel != 0 {
				kinds[e.rel] |= isRelease
			}
		}
	}
	checks := []struct {
		bit  uint8
		what string
	}{{isName, "package name"}, {isArch, "arch"}, {isVersion, "version"}, {isRelease, "release"}}
	for k, kind := range kinds {
		if kind == 0 {
			continue
		}
		s := pl.str(strID(k))
		for _, c := range checks {
			if kind&c.bit != 0 && safename.Check(c.what, s) != nil {
				return false
			}
		}
		if kind&isHref != 0 && rpmmd.CheckHref(s) != nil {
			return false
		}
	}
	if b := pl.base.blob; len(b) > 0 {
		rp.entry.done(unsafe.Slice(unsafe.StringData(b), len(b)))
	}
	rp.entry.done(bytesOf(pl.base.strOff))
	return true
}

// checkIndex: the stored string index is a power of two in size, larger
// than the table (so a probe meets an empty slot), and names each string
// exactly once.
func checkIndex(slots []uint32, nStrs uint32) error {
	n := len(slots)
	if n == 0 || bits.OnesCount(uint(n)) != 1 || uint64(n) <= uint64(nStrs) || n > math.MaxInt32 {
		return fmt.Errorf("string index: %d slots for %d strings", n, nStrs)
	}
	seen := make([]uint64, (nStrs+63)/64)
	count := uint32(0)
	for _, v := range slots {
		if v == 0 {
			continue
		}
		if v > nStrs {
			return fmt.Errorf("string index: slot names string %d of %d", v-1, nStrs)
		}
		w, bit := (v-1)/64, uint64(1)<<((v-1)%64)
		if seen[w]&bit != 0 {
			return fmt.Errorf("string index: string %d is in it twice", v-1)
		}
		seen[w] |= bit
		count++
	}
	if count != nStrs {
		return fmt.Errorf("string index: %d of %d strings are in it", count, nStrs)
	}
	return nil
}

// boolByte: the byte under a mapped bool is 0 or 1, the only values Go
// gives a bool.
func boolByte(b *bool) bool {
	return *(*uint8)(unsafe.Pointer(b)) <= 1
}
