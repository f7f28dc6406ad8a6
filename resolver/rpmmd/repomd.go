package rpmmd

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/url"
	"path"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/ulikunitz/xz"
)

// Checksum is a digest as rpm-md declares it.
type Checksum struct {
	Type string // "sha256" or "sha1" (rpm-md also says "sha" for sha1)
	Hex  string
}

func (c Checksum) String() string { return c.Type + ":" + c.Hex }

// MetadataFile is one file repomd.xml points to.
type MetadataFile struct {
	Type     string
	Href     string
	Checksum Checksum // of the file as stored (compressed)
	Size     int64
	OpenSize int64
}

// RepoMD is a parsed repomd.xml.
type RepoMD struct {
	Revision string
	Files    map[string]MetadataFile // by type: primary, filelists, other, ...
}

// MaxRepomdSize bounds repomd.xml, which is a few kilobytes in practice.
const MaxRepomdSize = 16 << 20

// ParseRepomd reads repomd.xml.
func ParseRepomd(r io.Reader) (*RepoMD, error) {
	var doc struct {
		Revision string `xml:"revision"`
		Data     []struct {
			Type     string `xml:"type,attr"`
			Checksum struct {
				Type  string `xml:"type,attr"`
				Value string `xml:",chardata"`
			} `xml:"checksum"`
			Location struct {
				Href string `xml:"href,attr"`
			} `xml:"location"`
			Size     int64 `xml:"size"`
			OpenSize int64 `xml:"open-size"`
		} `xml:"data"`
	}
	lr := &io.LimitedReader{R: r, N: MaxRepomdSize + 1}
	if err := xml.NewDecoder(lr).Decode(&doc); err != nil {
		return nil, fmt.Errorf("parse repomd.xml: %w", err)
	}
	if lr.N <= 0 {
		return nil, fmt.Errorf("repomd.xml is larger than %d bytes", MaxRepomdSize)
	}
	md := &RepoMD{Revision: doc.Revision, Files: map[string]MetadataFile{}}
	for _, d := range doc.Data {
		if err := CheckHref(d.Location.Href); err != nil {
			return nil, fmt.Errorf("repomd.xml %s: %w", d.Type, err)
		}
		sum := Checksum{Type: NormalizeSumType(d.Checksum.Type), Hex: strings.ToLower(strings.TrimSpace(d.Checksum.Value))}
		if _, err := newHash(sum.Type); err != nil {
			return nil, fmt.Errorf("repomd.xml %s: %w", d.Type, err)
		}
		if _, err := hex.DecodeString(sum.Hex); err != nil || sum.Hex == "" {
			return nil, fmt.Errorf("repomd.xml %s: checksum %q is not hex", d.Type, sum.Hex)
		}
		if d.Size < 0 || d.OpenSize < 0 {
			return nil, fmt.Errorf("repomd.xml %s: negative size", d.Type)
		}
		md.Files[d.Type] = MetadataFile{Type: d.Type, Href: d.Location.Href, Checksum: sum, Size: d.Size, OpenSize: d.OpenSize}
	}
	if _, ok := md.Files["primary"]; !ok {
		return nil, errors.New("repomd.xml names no primary metadata")
	}
	return md, nil
}

// CheckHref refuses metadata locations that would leave the repository:
// absolute paths, URLs, "..", backslashes and NUL, written out or
// percent-encoded.
func CheckHref(href string) error {
	if href == "" {
		return errors.New("empty location href")
	}
	if plainHref(href) {
		return nil
	}
	return checkHrefFull(href)
}

// plainHref: href has no '%', ':', '\\', NUL or "..", nor a leading '/'.
// Its decoded form is then itself, and no cleaning can climb out of the
// repository: checkHrefFull would accept it. Every package of a repo has an
// href, and nearly all are plain.
func plainHref(href string) bool {
	return href != "" && href[0] != '/' && !strings.ContainsAny(href, "%:\\\x00") && !strings.Contains(href, "..")
}

func checkHrefFull(href string) error {
	// A file:// base URL is read through url.Parse, which decodes %2e%2e
	// and %2f: the href must stay inside in its decoded form too.
	decoded, err := url.PathUnescape(href)
	if err != nil {
		return fmt.Errorf("location href %q: %w", href, err)
	}
	for _, h := range []string{href, decoded} {
		clean := path.Clean(h)
		if strings.HasPrefix(h, "/") || strings.Contains(h, "://") || clean == ".." || strings.HasPrefix(clean, "../") || strings.ContainsAny(h, "\\\x00") {
			return fmt.Errorf("location href %q leaves the repository", href)
		}
	}
	return nil
}

// NormalizeSumType is a checksum type as rpm-md writes it, named the way
// Checksum names it: lower case, and "sha" (old createrepo's name for
// sha1) as "sha1". Package records read from primary.xml need the same
// names as repomd.xml's, since locks and the mirror accept only sha256 and
// sha1.
func NormalizeSumType(t string) string {
	t = strings.ToLower(t)
	if t == "sha" {
		return "sha1"
	}
	return t
}

func newHash(typ string) (hash.Hash, error) {
	switch typ {
	case "sha1":
		return sha1.New(), nil
	case "sha256":
		return sha256.New(), nil
	case "sha512":
		return sha512.New(), nil
	}
	return nil, fmt.Errorf("unsupported checksum type %q (want sha1 or sha256)", typ)
}

// ChecksumMismatchError reports content that does not hash to what its
// metadata or lock declares.
type ChecksumMismatchError struct {
	What      string
	Want, Got Checksum
}

func (e *ChecksumMismatchError) Error() string {
	return fmt.Sprintf("%s: checksum mismatch: want %s, got %s", e.What, e.Want, e.Got)
}

// verifyingReader hashes what it passes through and fails at EOF if the
// digest or the size is not the expected one, so no caller can consume a
// whole stream without it having been checked.
type verifyingReader struct {
	r    io.Reader
	h    hash.Hash // nil: r is Verified as want
	want Checksum
	size int64 // expected size, or -1
	n    int64
	what string
}

// Verified is implemented by a reader whose every byte is checked against
// a checksum already: the metadata cache's reading of a file it has just
// hashed as it stored it, or of a stored file it checks as it reads it.
// VerifyingReader then only counts its bytes against the declared size,
// so that no byte is hashed twice.
type Verified interface {
	VerifiedAs() Checksum
}

// VerifyingReader wraps r so that reading it to EOF checks want (and size,
// if >= 0). A reader that is Verified as want is not hashed again.
func VerifyingReader(r io.Reader, want Checksum, size int64, what string) (io.Reader, error) {
	h, err := newHash(want.Type)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if v, ok := r.(Verified); ok && v.VerifiedAs() == want {
		h = nil
	}
	return &verifyingReader{r: r, h: h, want: want, size: size, what: what}, nil
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	if v.h != nil {
		v.h.Write(p[:n])
	}
	v.n += int64(n)
	if v.size >= 0 && v.n > v.size {
		return n, fmt.Errorf("%s: larger than the declared %d bytes", v.what, v.size)
	}
	if err == io.EOF {
		if v.size >= 0 && v.n != v.size {
			return n, fmt.Errorf("%s: %d bytes, declared %d (truncated?)", v.what, v.n, v.size)
		}
		if v.h == nil {
			return n, err // r checked it
		}
		got := Checksum{Type: v.want.Type, Hex: hex.EncodeToString(v.h.Sum(nil))}
		if got.Hex != v.want.Hex {
			return n, &ChecksumMismatchError{What: v.what, Want: v.want, Got: got}
		}
	}
	return n, err
}

// DefaultMaxMetadataSize bounds the uncompressed size of one metadata file: a
// decompression bomb stops here. The largest real filelists are a few hundred MB.
const DefaultMaxMetadataSize = 4 << 30

// Decompress returns the uncompressed stream of a metadata file, recognising
// gzip, bzip2 and xz by their magic bytes (plain XML passes through), and
// refusing more than limit uncompressed bytes.
func Decompress(r io.Reader, name string, limit int64) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(6)
	var out io.Reader
	var closer io.Closer
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		// klauspost's inflate is a third faster than compress/gzip's.
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out, closer = gz, gz
	case bytes.HasPrefix(magic, []byte("BZh")):
		out = bzip2.NewReader(br)
	case bytes.HasPrefix(magic, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		xr, err := xz.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = xr
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return nil, fmt.Errorf("%s: zstd metadata is not supported (CentOS 6 trees use gzip)", name)
	default:
		out = br
	}
	return &limitedReadCloser{r: out, c: closer, left: limit, limit: limit, name: name}, nil
}

type limitedReadCloser struct {
	r           io.Reader
	c           io.Closer
	left, limit int64
	name        string
}

func (l *limitedReadCloser) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// At the limit: a stream that ends here is whole, one byte more
		// is a bomb (or a file other than the one declared).
		var one [1]byte
		if n, err := io.ReadFull(l.r, one[:]); n == 0 && errors.Is(err, io.EOF) {
			return 0, io.EOF
		}
		return 0, fmt.Errorf("%s: uncompressed size exceeds the limit of %d bytes (decompression bomb?)", l.name, l.limit)
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

func (l *limitedReadCloser) Close() error {
	if l.c != nil {
		return l.c.Close()
	}
	return nil
}
