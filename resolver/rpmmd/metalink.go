package rpmmd

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"hash"
	"io"
	"strings"
)

// Metalink is what mirrors.fedoraproject.org answers for a repo: the
// mirrors' repomd.xml URLs and the size and checksums repomd.xml must have
// (yum 3.2.29 and dnf read the same file, from metalink= or mirrorlist=).
type Metalink struct {
	size   int64
	hashes map[string]string // type ("sha256", "sha512", "sha1", "md5") → lower-case hex
	// bases are the mirrors' repo base URLs in the metalink's order, the
	// "repodata/repomd.xml" stripped.
	bases []string
}

// isMetalink says whether a mirrorlist answer is really a metalink.
func isMetalink(b []byte) bool {
	b = bytes.TrimSpace(b)
	return bytes.HasPrefix(b, []byte("<?xml")) || bytes.HasPrefix(b, []byte("<metalink"))
}

func parseMetalink(b []byte) (*Metalink, error) {
	var doc struct {
		Files []struct {
			Name   string `xml:"name,attr"`
			Size   int64  `xml:"size"`
			Hashes []struct {
				Type  string `xml:"type,attr"`
				Value string `xml:",chardata"`
			} `xml:"verification>hash"`
			URLs []struct {
				Protocol string `xml:"protocol,attr"`
				Value    string `xml:",chardata"`
			} `xml:"resources>url"`
		} `xml:"files>file"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("not a metalink: %w", err)
	}
	for _, f := range doc.Files {
		if f.Name != "repomd.xml" {
			continue
		}
		ml := &Metalink{size: f.Size, hashes: map[string]string{}}
		for _, h := range f.Hashes {
			ml.hashes[strings.ToLower(h.Type)] = strings.ToLower(strings.TrimSpace(h.Value))
		}
		for _, u := range f.URLs {
			v := strings.TrimSpace(u.Value)
			if base, ok := strings.CutSuffix(v, "repodata/repomd.xml"); ok && (u.Protocol == "http" || u.Protocol == "https" || u.Protocol == "") {
				ml.bases = append(ml.bases, base)
			}
		}
		if len(ml.bases) == 0 {
			return nil, fmt.Errorf("metalink lists no http(s) mirror of repodata/repomd.xml")
		}
		if ml.hashes["sha256"] == "" && ml.hashes["sha512"] == "" && ml.hashes["sha1"] == "" {
			return nil, fmt.Errorf("metalink gives no sha256, sha512 or sha1 of repomd.xml to check mirrors against")
		}
		return ml, nil
	}
	return nil, fmt.Errorf("metalink has no entry for repomd.xml")
}

// Check verifies a mirror's repomd.xml against the metalink: a stale or
// altered mirror is refused before its repomd.xml is parsed.
func (ml *Metalink) Check(raw []byte, what string) error {
	if ml.size > 0 && int64(len(raw)) != ml.size {
		return fmt.Errorf("%s: %d bytes, the metalink says %d: the mirror is stale or altered", what, len(raw), ml.size)
	}
	for _, c := range []struct {
		typ string
		h   func() hash.Hash
	}{{"sha512", sha512.New}, {"sha256", sha256.New}, {"sha1", sha1.New}} {
		want := ml.hashes[c.typ]
		if want == "" {
			continue
		}
		h := c.h()
		h.Write(raw)
		if got := hex.EncodeToString(h.Sum(nil)); got != want {
			return fmt.Errorf("%s: %s %s, the metalink says %s: the mirror is stale or altered", what, c.typ, got, want)
		}
	}
	return nil
}

// ReadMirrorlist reads yum's mirrorlist, one base URL per line, or a
// metalink (from metalink=, or from mirrorlist= as EPEL's epel.repo has it),
// and returns the base URLs it names and, for a metalink, what every
// mirror's repomd.xml must match.
func ReadMirrorlist(ctx context.Context, f Fetcher, u string) ([]string, *Metalink, error) {
	rc, err := f.Fetch(WithMaxSize(ctx, 1<<20), u, 0, -1)
	if err != nil {
		return nil, nil, fmt.Errorf("mirrorlist %s: %w", u, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, nil, fmt.Errorf("mirrorlist %s: %w", u, err)
	}
	if isMetalink(b) {
		ml, err := parseMetalink(b)
		if err != nil {
			return nil, nil, fmt.Errorf("metalink %s: %w", u, err)
		}
		if err := remoteNamesRemote(u, ml.bases); err != nil {
			return nil, nil, err
		}
		return ml.bases, ml, nil
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			if !strings.Contains(line, "://") {
				return nil, nil, fmt.Errorf("mirrorlist %s: %q is not a URL (is the mirrorlist URL right?)", u, line)
			}
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		return nil, nil, fmt.Errorf("mirrorlist %s lists no mirror", u)
	}
	if err := remoteNamesRemote(u, out); err != nil {
		return nil, nil, err
	}
	return out, nil, nil
}

// remoteNamesRemote refuses a mirrorlist or metalink fetched over the
// network that names anything but http(s) mirrors: a server's answer must
// not make rpmvault read this machine's files (a file:// base URL becomes a
// local source the lock may then read packages from).
func remoteNamesRemote(list string, bases []string) error {
	if !isHTTP(list) {
		return nil
	}
	for _, b := range bases {
		if !isHTTP(b) {
			return fmt.Errorf("mirrorlist %s names %q, which is not an http(s) URL: a server's answer may not name local files; refusing it", list, b)
		}
	}
	return nil
}

func isHTTP(u string) bool {
	return strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://")
}
