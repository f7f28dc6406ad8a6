package mirror

import (
	"crypto"
	"encoding/hex"
	"fmt"
	"hash"
	"io"

	rpmutils "github.com/sassoftware/go-rpmutils"

	"github.com/rpmvault/rpmvault/internal/rpmfile"
	"github.com/rpmvault/rpmvault/resolver"
)

// headerCheck is VerifyRPM's verdict on a package's header, taken before
// the payload is read, and what it will hold the payload to.
type headerCheck struct {
	raw    *rpmfile.RawHeader
	parsed *rpmutils.RpmHeader
	keys   *Keyring
	// The header's payload digest (5092), when it has one.
	hasPayloadDigest bool
	payloadDigest    string
	payloadAlgo      crypto.Hash
	signer           string
	headerSigned     bool // a header-only signature checked out (with keys)
	// Signatures over header+payload, to check once the payload is read;
	// only with keys: without, nothing would be checked against the hash.
	payloadSigs []pendingSig
}

type pendingSig struct {
	h      hash.Hash
	verify func(hash.Hash) error
}

// checkHeader checks a package's header: its digests, its header-only
// signatures (against keys, when not nil), and what covers the payload.
func checkHeader(raw *rpmfile.RawHeader, keys *Keyring) (*headerCheck, error) {
	sigHeader := raw.Signature()
	hdr := raw.Main()
	sigs, err := rpmfile.ParseIndex(sigHeader)
	if err != nil {
		return nil, fmt.Errorf("signature header: %w", err)
	}
	main, err := rpmfile.ParseIndex(hdr)
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if err := raw.CheckDigests(); err != nil {
		return nil, err
	}
	parsed, err := rpmfile.ParseHeader(raw)
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	hc := &headerCheck{raw: raw, parsed: parsed, keys: keys}
	// (CentOS 6's packages have no payload digest: rpm 4.14 added it.)
	hc.payloadDigest, hc.hasPayloadDigest = main.Str(tagPayloadDigest) // a string array: its first element
	if hc.hasPayloadDigest {
		if hc.payloadAlgo, err = rpmfile.DigestAlgo(parsed, tagPayloadDigestAlgo, crypto.SHA256); err != nil {
			return nil, fmt.Errorf("payload digest: %w", err)
		}
	}
	for _, tag := range []int{sigTagRSA, sigTagDSA, sigTagPGP, sigTagGPG} {
		blob, ok := sigs.Bin(tag)
		if !ok {
			continue
		}
		h, verify, keyID, err := signatureCheck(blob, keys)
		if err != nil {
			return nil, err
		}
		hc.signer = keyID
		if keys == nil {
			// gpgcheck off: the signer is recorded, nothing is verified,
			// so nothing is hashed for it.
			continue
		}
		h.Write(hdr)
		if tag == sigTagPGP || tag == sigTagGPG {
			hc.payloadSigs = append(hc.payloadSigs, pendingSig{h, verify})
			continue
		}
		// A header signature is checked before the payload is read: the
		// file digests the payload is held to must come from a header a
		// trusted key signed.
		if err := verify(h); err != nil {
			return nil, err
		}
		hc.headerSigned = true
	}
	return hc, nil
}

// unsigned is the error for a package nothing signed while gpgcheck is on.
func (hc *headerCheck) unsigned() error {
	if hc.keys != nil && len(hc.payloadSigs) == 0 && !hc.headerSigned {
		return fmt.Errorf("%w, and gpgcheck is on (set gpgcheck: false for the repo only if that is intended)", ErrNotSigned)
	}
	return nil
}

// fileDigests reports whether only the signed header's per-file digests can
// vouch for the payload: a header signature, nothing signed over the
// payload, and no payload digest.
func (hc *headerCheck) fileDigests() bool {
	return hc.keys != nil && hc.headerSigned && len(hc.payloadSigs) == 0 && !hc.hasPayloadDigest
}

// sha256PayloadOnly reports whether the payload is held to nothing but a
// SHA-256 payload digest, which a digest.Pair can take in the same pass as
// the file's own sha256.
func (hc *headerCheck) sha256PayloadOnly() bool {
	return hc.hasPayloadDigest && hc.payloadAlgo == crypto.SHA256 && len(hc.payloadSigs) == 0 && !hc.fileDigests()
}

// checkPayloadSum compares a SHA-256 payload digest taken elsewhere (see
// sha256PayloadOnly) with the header's.
func (hc *headerCheck) checkPayloadSum(sum []byte) error {
	if got := hex.EncodeToString(sum); got != hc.payloadDigest {
		return fmt.Errorf("payload digest mismatch: want %s, got %s", hc.payloadDigest, got)
	}
	return nil
}

// checkPayload reads the payload from r to its end, hashing it once for
// every digest and signature that covers it, and checks them. It returns
// the payload's size.
func (hc *headerCheck) checkPayload(r io.Reader) (int64, error) {
	// With no writers the copy still reads through (to a caller's digest).
	var writers []io.Writer
	var payloadSum hash.Hash
	if hc.hasPayloadDigest {
		payloadSum = hc.payloadAlgo.New()
		writers = append(writers, payloadSum)
	}
	for _, s := range hc.payloadSigs {
		writers = append(writers, s.h)
	}
	// Signed header, nothing signed over the payload: only the signed
	// header's file digests can vouch for the payload. Check them as the
	// payload streams by.
	var fileCheck chan error
	var pw *io.PipeWriter
	if hc.fileDigests() {
		var pr *io.PipeReader
		pr, pw = io.Pipe()
		fileCheck = make(chan error, 1)
		go func() {
			err := checkFileDigests(hc.parsed, pr)
			pr.CloseWithError(err)
			fileCheck <- err
		}()
		writers = append(writers, pw)
	}
	n, err := io.CopyBuffer(io.MultiWriter(writers...), r, make([]byte, copyBuffer))
	if fileCheck != nil {
		pw.Close()
		if ferr := <-fileCheck; ferr != nil {
			return n, fmt.Errorf("the header signature does not cover this payload: %w (a tampered package: fetch it again from a trusted source)", ferr)
		}
	}
	if err != nil {
		return n, fmt.Errorf("read payload: %w", err)
	}
	if hc.hasPayloadDigest {
		if err := hc.checkPayloadSum(payloadSum.Sum(nil)); err != nil {
			return n, err
		}
	}
	if err := hc.unsigned(); err != nil {
		return n, err
	}
	for _, s := range hc.payloadSigs {
		if err := s.verify(s.h); err != nil {
			return n, err
		}
	}
	return n, nil
}

// facts describes the package, payloadSize bytes of payload after its
// header (SHA256 is left to the caller).
func (hc *headerCheck) facts(payloadSize int64) *RPMFacts {
	f := &RPMFacts{Size: int64(len(hc.raw.Bytes)) + payloadSize, KeyID: hc.signer}
	if nevra, err := hc.parsed.GetNEVRA(); err == nil {
		f.Name, f.Version, f.Release, f.Arch = nevra.Name, nevra.Version, nevra.Release, nevra.Arch
		f.Epoch = nevra.Epoch
		if hc.raw.Source {
			// A source RPM's ARCH is its build host's; rpm, yum and locks call it src.
			f.Arch = resolver.SourceArch
		}
	}
	return f
}
