package mirror

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"

	"golang.org/x/crypto/openpgp"        //nolint:staticcheck // frozen, but the last Go code that verifies V3 signatures
	"golang.org/x/crypto/openpgp/packet" //nolint:staticcheck

	"github.com/rpmvault/rpmvault/internal/rpmfile"
	"github.com/rpmvault/rpmvault/lock"
)

// VerifyError says that content is not what it must be: a checksum, size,
// digest or signature mismatch. The CLI exits 4 on it.
type VerifyError struct {
	Package string // NEVRA or file
	URL     string
	Detail  string
}

func (e *VerifyError) Error() string {
	s := e.Package
	if e.URL != "" {
		s += " from " + e.URL
	}
	return s + ": " + e.Detail
}

// ErrNotSigned is a package that carries no signature where one is required.
var ErrNotSigned = errors.New("package is not signed")

// Keyring holds the public keys packages may be signed with.
type Keyring struct {
	keys openpgp.EntityList
}

// ParseKeys reads ASCII-armored (or binary) public keys, as a repo's gpgkey
// serves them: every armored block of each blob.
func ParseKeys(blobs ...[]byte) (*Keyring, error) {
	kr := &Keyring{}
	const begin = "-----BEGIN PGP"
	for _, b := range blobs {
		if !bytes.Contains(b, []byte(begin)) {
			el, err := openpgp.ReadKeyRing(bytes.NewReader(b))
			if err != nil {
				return nil, fmt.Errorf("read gpg key: %w", err)
			}
			kr.keys = append(kr.keys, el...)
			continue
		}
		// Every armored block, as rpm --import reads them all: reading
		// only the first would let a file hold a key nobody looked at.
		blocks := bytes.Split(b, []byte(begin))
		for _, blk := range blocks[1:] {
			el, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(append([]byte(begin), blk...)))
			if err != nil {
				return nil, fmt.Errorf("read gpg key: %w", err)
			}
			kr.keys = append(kr.keys, el...)
		}
	}
	return kr, nil
}

// KeyIDs lists the key ids of the keyring, upper-case hex.
func (k *Keyring) KeyIDs() []string {
	var out []string
	for _, e := range k.keys {
		out = append(out, fmt.Sprintf("%016X", e.PrimaryKey.KeyId))
	}
	return out
}

// RPMFacts is what verification learnt about a package file.
type RPMFacts struct {
	SHA256 string
	Size   int64
	KeyID  string // signer, upper-case hex; "" when unsigned
	// What the header says the package is (epoch "0" when it has none).
	Name, Epoch, Version, Release, Arch string
}

// rpm signature and header tags used for verification.
const (
	sigTagRSA        = 268
	sigTagPGP        = 1002
	sigTagGPG        = 1005
	sigTagDSA        = 267
	tagPayloadDigest = 5092
	// PAYLOADDIGESTALGO: an OpenPGP hash number; SHA-256 when absent.
	tagPayloadDigestAlgo = 5093
)

// VerifyRPM reads a whole RPM from r, checking its header digests, its
// payload digest and, when keys is not nil (gpgcheck on), that a key of keys
// signed it in a way that covers the payload: a header+payload signature
// (1002/1005, as CentOS 6 packages carry); or a header signature over a
// header whose payload digest (5092) matches; or a header signature over a
// header whose per-file digests match every file of the payload, none
// missing or extra (rpm's own check at unpack). A header signature alone
// proves nothing about the payload. It streams: memory stays flat whatever
// the payload size.
func VerifyRPM(r io.Reader, keys *Keyring) (*RPMFacts, error) {
	return verifyRPM(r, keys, true)
}

// verifyRPM is VerifyRPM; without hashWhole it leaves the file's sha256 to
// the caller (a digest.Reader the bytes pass through already takes it) and
// RPMFacts.SHA256 empty.
func verifyRPM(r io.Reader, keys *Keyring, hashWhole bool) (*RPMFacts, error) {
	tee := r
	var whole *concurrentHash
	if hashWhole {
		// The file's digest and the payload's are two passes over the same
		// bytes: the file's is taken on another core.
		whole = newConcurrentHash(sha256.New())
		defer whole.Close()
		tee = io.TeeReader(r, whole)
	}
	raw, err := rpmfile.ReadRawHeader(tee)
	if err != nil {
		return nil, err
	}
	hc, err := checkHeader(raw, keys)
	if err != nil {
		return nil, err
	}
	n, err := hc.checkPayload(tee)
	if err != nil {
		return nil, err
	}
	facts := hc.facts(n)
	if whole != nil {
		facts.SHA256 = hex.EncodeToString(whole.Sum())
	}
	return facts, nil
}

// Matches checks that the header is the package the lock entry p (and so
// the file name derived from it) says it is: a genuinely signed package of
// another version under this one's name is a substitution.
func (f *RPMFacts) Matches(p lock.Package) error {
	epoch := f.Epoch
	if epoch == "" {
		epoch = "0"
	}
	if f.Name != p.Name || epoch != strconv.Itoa(p.Epoch) || f.Version != p.Version || f.Release != p.Release || f.Arch != p.Arch {
		return fmt.Errorf("the package's header says %s-%s:%s-%s.%s, the lock says %s (a substituted package)",
			f.Name, epoch, f.Version, f.Release, f.Arch, p.NEVRA())
	}
	return nil
}

// copyBuffer is the buffer size for copying package files: large enough
// that system calls are a small part of moving a gigabyte.
const copyBuffer = 1 << 20

// concurrentHash hashes what is written to it on its own goroutine, a few
// chunks behind the writer.
type concurrentHash struct {
	h          hash.Hash
	full, free chan []byte
	done       chan struct{}
	closed     bool
}

func newConcurrentHash(h hash.Hash) *concurrentHash {
	const chunks = 4
	c := &concurrentHash{h: h, full: make(chan []byte, chunks), free: make(chan []byte, chunks), done: make(chan struct{})}
	for range chunks {
		c.free <- make([]byte, 0, 64<<10)
	}
	go func() {
		defer close(c.done)
		for b := range c.full {
			c.h.Write(b)
			c.free <- b[:0]
		}
	}()
	return c
}

func (c *concurrentHash) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		b := <-c.free
		k := min(len(p), cap(b))
		c.full <- append(b, p[:k]...)
		p = p[k:]
	}
	return n, nil
}

// Sum waits until everything written is hashed and returns the digest.
func (c *concurrentHash) Sum() []byte {
	c.Close()
	return c.h.Sum(nil)
}

// Close stops the goroutine once it has hashed what was written.
func (c *concurrentHash) Close() {
	if !c.closed {
		c.closed = true
		close(c.full)
		<-c.done
	}
}

// signerKeyID returns the key id of an RPM's signature ("" if unsigned),
// without verifying it.
func signerKeyID(raw *rpmfile.RawHeader) (string, error) {
	sigs, err := rpmfile.ParseIndex(raw.Signature())
	if err != nil {
		return "", err
	}
	for _, tag := range []int{sigTagRSA, sigTagDSA, sigTagPGP, sigTagGPG} {
		if blob, ok := sigs.Bin(tag); ok {
			_, _, id, err := signatureCheck(blob, nil)
			return id, err
		}
	}
	return "", nil
}

// signatureCheck parses an OpenPGP signature packet (V3 as CentOS 6 uses, or
// V4) and returns the hash to feed and the check to run on it.
func signatureCheck(blob []byte, keys *Keyring) (hash.Hash, func(hash.Hash) error, string, error) {
	pkt, err := packet.Read(bytes.NewReader(blob))
	if err != nil {
		return nil, nil, "", fmt.Errorf("parse signature: %w", err)
	}
	var keyID uint64
	var hashFn crypto.Hash
	var verify func(pk *packet.PublicKey, h hash.Hash) error
	switch sig := pkt.(type) {
	case *packet.SignatureV3:
		keyID, hashFn = sig.IssuerKeyId, sig.Hash
		verify = func(pk *packet.PublicKey, h hash.Hash) error { return pk.VerifySignatureV3(h, sig) }
	case *packet.Signature:
		if sig.IssuerKeyId == nil {
			return nil, nil, "", errors.New("signature names no issuer key")
		}
		keyID, hashFn = *sig.IssuerKeyId, sig.Hash
		verify = func(pk *packet.PublicKey, h hash.Hash) error { return pk.VerifySignature(h, sig) }
	default:
		return nil, nil, "", fmt.Errorf("unexpected OpenPGP packet %T in signature", pkt)
	}
	if !hashFn.Available() {
		return nil, nil, "", fmt.Errorf("signature uses unsupported hash %v", hashFn)
	}
	id := fmt.Sprintf("%016X", keyID)
	check := func(h hash.Hash) error {
		if keys == nil {
			return nil
		}
		found := keys.keys.KeysById(keyID)
		if len(found) == 0 {
			return fmt.Errorf("signed by unknown key %s (not among the repo's gpgkey: %s)", id, strings.Join(keys.KeyIDs(), ", "))
		}
		var last error
		for _, k := range found {
			if last = verify(k.PublicKey, h); last == nil {
				return nil
			}
		}
		return fmt.Errorf("bad signature by key %s: %w", id, last)
	}
	return hashFn.New(), check, id, nil
}
