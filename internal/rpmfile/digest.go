package rpmfile

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
)

// Signature header tags of the main header's digests.
const (
	SigTagSHA1   = 269
	SigTagSHA256 = 273
)

// CheckDigests checks the main header against the SHA-256 and SHA-1
// digests its signature header records (rpm writes one or both). It is what
// makes a header read on its own — a Range request for a header-only
// source — trustworthy before a parser sees it: a damaged header fails
// here instead of yielding wrong dependencies. A header with neither digest
// passes (old packages); VerifyRPM's signature check covers those.
func (h *RawHeader) CheckDigests() error {
	sigs, err := ParseIndex(h.Signature())
	if err != nil {
		return fmt.Errorf("signature header: %w", err)
	}
	for _, d := range []struct {
		tag  int
		name string
		h    func() hash.Hash
	}{{SigTagSHA256, "SHA256", sha256.New}, {SigTagSHA1, "SHA1", sha1.New}} {
		want, ok := sigs.Str(d.tag)
		if !ok {
			continue
		}
		sum := d.h()
		sum.Write(h.Main())
		if got := hex.EncodeToString(sum.Sum(nil)); got != want {
			return fmt.Errorf("header %s digest mismatch: want %s, got %s", d.name, want, got)
		}
	}
	return nil
}
