package mirror

import (
	"crypto"
	_ "crypto/md5" // EL6's file digests are MD5
	_ "crypto/sha512"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	rpmutils "github.com/sassoftware/go-rpmutils"

	"github.com/rpmvault/rpmvault/internal/rpmfile"
)

// Checking a payload against the per-file digests of its (signed) header:
// what rpm does at unpack ("cpio: Digest mismatch"), done before the package
// enters the store. It is the only thing tying a CentOS 6 payload to a header
// signature when the header+payload signature is missing, since those
// headers carry no payload digest.

// rpm's %ghost flag: listed in the header, absent from the payload.
const fileFlagGhost = 1 << 6

// checkFileDigests reads the payload from r and checks that it holds
// exactly the header's files: each regular file's content hashes to its
// header digest, each symlink points where the header says, no file is
// missing (ghosts excepted) and none is extra. It reads r to its end.
func checkFileDigests(h *rpmutils.RpmHeader, r io.Reader) error {
	algo, err := rpmfile.DigestAlgo(h, rpmutils.FILEDIGESTALGO, crypto.MD5) // MD5: rpm before 4.6, and EL6
	if err != nil {
		return fmt.Errorf("file digests: %w", err)
	}
	a, err := rpmfile.PayloadOf(r, h)
	if err != nil {
		return err
	}
	defer a.Close()
	files, err := h.GetFiles()
	if err != nil {
		return fmt.Errorf("file list: %w", err)
	}
	index := make(map[string]int, len(files))
	for i, f := range files {
		index[f.Name()] = i
	}
	seen := make([]bool, len(files))
	// Hard links: all but one entry of a link set carry no data; the set's
	// content is checked once, against every member's digest.
	inoDigest := map[uint64]string{}
	type pendingLink struct {
		ino    uint64
		digest string
		name   string
	}
	var links []pendingLink
	for {
		e, err := a.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		i, ok := index[e.Name]
		if e.File == nil || !ok {
			return fmt.Errorf("payload holds %s, which the header does not list", e.Name)
		}
		if seen[i] {
			return fmt.Errorf("payload holds %s twice", e.Name)
		}
		seen[i] = true
		f := e.File
		if e.Mode&rpmfile.ModeType != uint32(f.Mode())&rpmfile.ModeType {
			return fmt.Errorf("payload's %s is of another file type than the header says", e.Name)
		}
		switch e.Mode & rpmfile.ModeType {
		case rpmfile.ModeRegular:
			want := strings.ToLower(f.Digest())
			if e.HardLink {
				links = append(links, pendingLink{e.Ino, want, e.Name})
				continue
			}
			if e.Size != f.Size() {
				return fmt.Errorf("payload's %s is %d bytes, the header says %d", e.Name, e.Size, f.Size())
			}
			d := algo.New()
			if _, err := io.Copy(d, a); err != nil {
				return err
			}
			got := hex.EncodeToString(d.Sum(nil))
			if got != want {
				return fmt.Errorf("payload's %s does not match its header digest (%s, header says %s)", e.Name, got, want)
			}
			if e.Nlink > 1 {
				inoDigest[e.Ino] = got
			}
		case rpmfile.ModeSymlink:
			if e.Linkname != f.Linkname() {
				return fmt.Errorf("payload's symlink %s points to %q, the header says %q", e.Name, e.Linkname, f.Linkname())
			}
		}
	}
	// A set of empty files has no member with content: each is empty.
	empty := hex.EncodeToString(algo.New().Sum(nil))
	for _, l := range links {
		d, ok := inoDigest[l.ino]
		if !ok {
			d = empty
		}
		if d != l.digest {
			return fmt.Errorf("payload's hard link %s does not match its header digest", l.name)
		}
	}
	for i, f := range files {
		if !seen[i] && f.Flags()&fileFlagGhost == 0 {
			return fmt.Errorf("payload lacks %s, which the header lists", f.Name())
		}
	}
	// Whatever follows the archive is read, so the caller's digests of the
	// whole file see it.
	_, err = io.Copy(io.Discard, r)
	return err
}
