package resolver

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"hash"
	"strings"
)

// metalink is what mirrors.fedoraproject.org answers for a repo: the
// mirrors' repomd.xml URLs and the size and checksums repomd.xml must have
// (yum 3.2.29 and dnf read the same file, from metalink= or mirrorlist=).
type metalink struct {
	Size   int64
	Hashes map[string]string // type ("sha256", "sha512", "sha1", "md5") → lower-case hex
	// Bases are the mirrors' repo base URLs in the metalink's order, the
	// "repodata/repomd.xml" stripped.
	Bases []string
}

// isMetalink says whether a mirrorlist answer is really a metalink.
func isMetalink(b []byte) bool {
	b = bytes.TrimSpace(b)
	return bytes.HasPrefix(b, []byte("<?xml")) || bytes.HasPrefix(b, []byte("<metalink"))
}

func parseMetalink(b []byte) (*metalink, error) {
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
		ml := &metalink{Size: f.Size, Hashes: map[string]string{}}
		for _, h := range f.Hashes {
			ml.Hashes[strings.ToLower(h.Type)] = strings.ToLower(strings.TrimSpace(h.Value))
		}
		for _, u := range f.URLs {
			v := strings.TrimSpace(u.Value)
			if base, ok := strings.CutSuffix(v, "repodata/repomd.xml"); ok && (u.Protocol == "http" || u.Protocol == "https" || u.Protocol == "") {
				ml.Bases = append(ml.Bases, base)
			}
		}
		if len(ml.Bases) == 0 {
			return nil, fmt.Errorf("metalink lists no http(s) mirror of repodata/repomd.xml")
		}
		if ml.Hashes["sha256"] == "" && ml.Hashes["sha512"] == "" && ml.Hashes["sha1"] == "" {
			return nil, fmt.Errorf("metalink gives no sha256, sha512 or sha1 of repomd.xml to check mirrors against")
		}
		return ml, nil
	}
	return nil, fmt.Errorf("metalink has no entry for repomd.xml")
}

// check verifies a mirror's repomd.xml against the metalink: a stale or
// altered mirror is refused before its repomd.xml is parsed.
func (ml *metalink) check(raw []byte, what string) error {
	if ml.Size > 0 && int64(len(raw)) != ml.Size {
		return fmt.Errorf("%s: %d bytes, the metalink says %d: the mirror is stale or altered", what, len(raw), ml.Size)
	}
	for _, c := range []struct {
		typ string
		h   func() hash.Hash
	}{{"sha512", sha512.New}, {"sha256", sha256.New}, {"sha1", sha1.New}} {
		want := ml.Hashes[c.typ]
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
