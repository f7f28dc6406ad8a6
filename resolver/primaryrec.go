package resolver

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/rpmvault/rpmvault/internal/safename"
	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

// primaryReader is the second stage of reading primary.xml: it interns
// each package's fields into the part's pool and adds it as a record of
// ids, with no *Package or Dep strings in between, so a repo never exists
// twice in memory and almost nothing is garbage.
type primaryReader struct {
	part    *repoPart
	pool    *idPool
	repo    strID
	sources bool // a repo of source RPMs: only they are kept, without dependencies

	cur      scannedPkg
	nameText []byte   // the package's <name>, for messages
	epochErr error    // a bad epoch of <version>
	depErr   [4]error // the first bad entry of each dependency list
	files    []strID  // the package's <file>s, copied by addScanned
	good     []uint64 // a bit by id: strings safename.Check accepted
	names    *nameCache

	// One-entry caches: a package's entries mostly repeat its own version,
	// and packages their predecessor's arch and checksum type. A look-up
	// in the pool is a hash and two or three cache misses.
	lastVer, lastRel lastString
	lastEVR          evrRec
	lastEVRID        evrID
	last             [2]lastString // arch, checksum type
}

// batch adds the packages of b.
func (pr *primaryReader) batch(b *primaryBatch, added func() error) error {
	for i := range b.pkgs {
		rp := &b.pkgs[i]
		pr.build(b, rp)
		if err := pr.finish(); err != nil {
			return fmt.Errorf("primary.xml line %d: %w", rp.line, err)
		}
		if added != nil && len(pr.part.pkgs) > 0 {
			if err := added(); err != nil {
				return err
			}
		}
	}
	return nil
}

// build interns rp's fields into pr.cur.
func (pr *primaryReader) build(b *primaryBatch, rp *rawPkg) {
	pl := pr.pool
	deps := pr.cur.deps
	pr.cur = scannedPkg{size: rp.size, hdrStart: rp.hdrStart, hdrEnd: rp.hdrEnd}
	c := &pr.cur
	for k := range deps {
		c.deps[k] = deps[k][:0]
	}
	name := b.bytes(rp.name)
	pr.nameText = append(pr.nameText[:0], name...)
	c.name = pr.names.intern(pl, name)
	c.arch = pr.intern(&pr.last[0], b.bytes(rp.arch))
	c.evr = pr.evr(evrRec{epoch: int64(rp.epoch), ver: pr.internPart(&pr.lastVer, b.bytes(rp.ver)), rel: pr.internPart(&pr.lastRel, b.bytes(rp.rel))})
	c.sumType = pr.sumType(b.bytes(rp.sumType))
	c.sumHex = pl.internBytes(b.bytes(rp.sumHex))
	c.srpm = pl.internBytes(b.bytes(rp.srpm))
	c.loc = pl.internBytes(b.bytes(rp.loc))
	pr.epochErr, pr.depErr = rp.epochErr, rp.depErr
	pr.files = pr.files[:0]
	for _, f := range b.files[rp.files[0]:rp.files[1]] {
		pr.files = append(pr.files, pl.internBytes(b.bytes(f)))
	}
	for _, e := range b.ents[rp.ents[0]:rp.ents[1]] {
		d := depRec{flags: uint8(e.flags)}
		if e.flags != 0 {
			if ver, rel := pr.internPart(&pr.lastVer, b.bytes(e.ver)), pr.internPart(&pr.lastRel, b.bytes(e.rel)); e.epoch != 0 || ver != 0 || rel != 0 {
				d.evr = pr.evr(evrRec{epoch: int64(e.epoch), ver: ver, rel: rel})
			}
		}
		if e.pre {
			d.phase = PhasePre
		}
		if n := b.bytes(e.name); c.name != 0 && bytes.Equal(n, name) {
			d.name = c.name // the package's own name, as it provides
		} else {
			d.name = pr.names.intern(pl, n)
		}
		c.deps[e.list] = append(c.deps[e.list], d)
	}
}

// internPart interns a version or release through its one-entry cache;
// an absent one is id 0.
func (pr *primaryReader) internPart(c *lastString, b []byte) strID {
	if len(b) == 0 {
		return 0
	}
	return pr.intern(c, b)
}

// finish checks the package read and adds its record to the part: the
// same packages, checks and messages as the reference reader
// (rpmmd_std_test.go) that decodes into *Package records.
func (pr *primaryReader) finish() error {
	c, pl := &pr.cur, pr.pool
	arch := pl.str(c.arch)
	if pr.sources && arch != SourceArch {
		return nil // a repo of source RPMs: only they are kept
	}
	if pr.epochErr != nil {
		return fmt.Errorf("package %s: %w", pr.nameText, pr.epochErr)
	}
	if !pr.sources && (arch == "src" || arch == "nosrc") {
		return nil
	}
	if !pr.quickCheck() {
		// The slow way, for the exact message (nil if the quick check was
		// only cautious).
		if err := checkRepoPackage(pr.identity()); err != nil {
			return err
		}
	}
	if pr.sources {
		c.srpm, c.deps, c.files = 0, [4][]depRec{}, nil
	} else {
		for _, err := range pr.depErr {
			if err != nil {
				return fmt.Errorf("package %s: %w", pr.identity().NEVRA(), err)
			}
		}
		c.files = pr.files
	}
	pr.part.addScanned(c, pr.repo)
	return nil
}

// quickCheck makes checkRepoPackage's checks on ids, each distinct name
// part once: false when checkRepoPackage must look.
func (pr *primaryReader) quickCheck() bool {
	c := &pr.cur
	e := pr.pool.evrRec(c.evr)
	return c.name != 0 && c.arch != 0 && e.ver != 0 &&
		pr.nameOK(c.name) && pr.nameOK(e.ver) && (e.rel == 0 || pr.nameOK(e.rel)) && pr.nameOK(c.arch) &&
		rpmmd.CheckHref(pr.pool.str(c.loc)) == nil && c.size >= 0 && c.hdrStart >= 0 && c.hdrEnd >= c.hdrStart
}

func (pr *primaryReader) nameOK(id strID) bool {
	w, bit := int(id/64), uint64(1)<<(id%64)
	if w < len(pr.good) && pr.good[w]&bit != 0 {
		return true
	}
	if safename.Check("", pr.pool.str(id)) != nil {
		return false
	}
	if w >= len(pr.good) {
		pr.good = append(pr.good, make([]uint64, w+1-len(pr.good)+64)...)
	}
	pr.good[w] |= bit
	return true
}

// identity is the package read as a *Package without its dependencies,
// for checks and messages.
func (pr *primaryReader) identity() *Package {
	c, s := &pr.cur, pr.pool.str
	return &Package{Name: s(c.name), Arch: s(c.arch), EVR: pr.pool.evr(c.evr), Location: s(c.loc),
		Size: c.size, HeaderStart: c.hdrStart, HeaderEnd: c.hdrEnd}
}

type lastString struct {
	b  []byte
	id strID
}

// intern interns b through the one-entry cache c.
func (pr *primaryReader) intern(c *lastString, b []byte) strID {
	if !bytes.Equal(b, c.b) || c.id == 0 {
		c.b, c.id = append(c.b[:0], b...), pr.pool.internBytes(b)
	}
	return c.id
}

// sumType interns a checksum type under the name the rest of rpmvault
// knows it by (rpmmd.NormalizeSumType: old createrepo's "sha" is "sha1"),
// remembering the last one as written.
func (pr *primaryReader) sumType(b []byte) strID {
	c := &pr.last[1]
	if !bytes.Equal(b, c.b) || c.id == 0 {
		c.b, c.id = append(c.b[:0], b...), pr.pool.intern(rpmmd.NormalizeSumType(string(b)))
	}
	return c.id
}

// evr interns e, remembering the last one.
func (pr *primaryReader) evr(e evrRec) evrID {
	if e != pr.lastEVR || pr.lastEVRID == 0 {
		pr.lastEVR, pr.lastEVRID = e, pr.pool.internEVRRec(e)
	}
	return pr.lastEVRID
}

// nameCache is a small direct-mapped cache in front of the pool for the
// names of packages and dependencies: the same few thousand names (sonames,
// /bin/sh, a family's packages) come up again and again, and the pool's
// table, tens of megabytes with its strings, costs a few cache misses a
// look-up, where this costs one at most.
type nameCache struct {
	slot [1 << 12]struct {
		s  string
		id strID
	}
}

func (c *nameCache) intern(pl *idPool, b []byte) strID {
	e := &c.slot[quickHash(b)&uint64(len(c.slot)-1)]
	if e.id != 0 && e.s == string(b) {
		return e.id
	}
	id := pl.internBytes(b)
	e.s, e.id = pl.str(id), id
	return id
}

// quickHash mixes a name's length and its first and last eight bytes: a
// few instructions, and names differ there.
func quickHash(b []byte) uint64 {
	n := len(b)
	var h uint64
	switch {
	case n >= 8:
		h = binary.LittleEndian.Uint64(b) ^ binary.LittleEndian.Uint64(b[n-8:])*0x9e3779b97f4a7c15
	default:
		for _, c := range b {
			h = h<<8 | uint64(c)
		}
	}
	h ^= uint64(n)
	h *= 0xff51afd7ed558ccd
	return h ^ h>>29
}
