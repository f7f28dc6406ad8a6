package rpmfile

import (
	"crypto"
	_ "crypto/md5" // EL6's file digests are MD5
	_ "crypto/sha1"
	_ "crypto/sha256"
	_ "crypto/sha512"
	"fmt"

	rpmutils "github.com/sassoftware/go-rpmutils"
)

// DigestAlgo reads a digest algorithm tag of a header (FILEDIGESTALGO,
// PAYLOADDIGESTALGO: an OpenPGP hash number, as rpm writes them); def when
// the header has none (MD5 for file digests: rpm before 4.6, and EL6).
func DigestAlgo(h *rpmutils.RpmHeader, tag int, def crypto.Hash) (crypto.Hash, error) {
	if !h.HasTag(tag) {
		return def, nil
	}
	v, err := h.GetInts(tag)
	if err != nil || len(v) == 0 {
		return 0, fmt.Errorf("unreadable digest algorithm (tag %d)", tag)
	}
	if algo := pgpHash(v[0]); algo != 0 && algo.Available() {
		return algo, nil
	}
	return 0, fmt.Errorf("digest algorithm %d is not supported", v[0])
}

// pgpHash maps an OpenPGP hash algorithm number to the hash; 0 when unknown.
func pgpHash(n int) crypto.Hash {
	switch n {
	case 1:
		return crypto.MD5
	case 2:
		return crypto.SHA1
	case 8:
		return crypto.SHA256
	case 9:
		return crypto.SHA384
	case 10:
		return crypto.SHA512
	case 11:
		return crypto.SHA224
	}
	return 0
}
