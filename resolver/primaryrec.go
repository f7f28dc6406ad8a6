package resolver

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// What primaryReader does with a package once read: checks, and the caches
// in front of the pool.

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
		CheckHref(pr.pool.str(c.loc)) == nil && c.size >= 0 && c.hdrStart >= 0 && c.hdrEnd >= c.hdrStart
}

func (pr *primaryReader) nameOK(id strID) bool {
	if int(id) < len(pr.good) && pr.good[id] {
		return true
	}
	if CheckNamePart("", pr.pool.str(id)) != nil {
		return false
	}
	if int(id) >= len(pr.good) {
		pr.good = append(pr.good, make([]bool, int(id)+1-len(pr.good)+4096)...)
	}
	pr.good[id] = true
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
