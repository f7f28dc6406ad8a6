package digest

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
)

// ValidSHA256 reports whether s is a SHA-256 digest as rpmvault writes it:
// 64 lower-case hex digits. Store object names and cache keys are built
// from such strings only, so a name can never be a path.
func ValidSHA256(s string) bool { return validHex(s, sha256.Size*2) }

// ValidSHA1 is ValidSHA256 for the sha1 digests of old rpm-md trees.
func ValidSHA1(s string) bool { return validHex(s, 40) }

func validHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// SHA256 returns the hex SHA-256 of everything r yields, and how many bytes that was.
func SHA256(r io.Reader) (string, int64, error) {
	h := sha256.New()
	// 128 KiB: large enough that syscalls are few, small enough that
	// hashing a thousand files does not allocate a gigabyte.
	n, err := io.CopyBuffer(h, r, make([]byte, 128<<10))
	if err != nil {
		return "", n, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// FileSHA256 returns the hex SHA-256 of a file's content.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sum, _, err := SHA256(f)
	return sum, err
}
