package rpmmd

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// TestCheckHref: a location href stays inside its repository however it is
// spelt; a file:// base URL decodes percent-escapes before the path is opened.
func TestCheckHref(t *testing.T) {
	for _, tt := range []struct {
		href string
		ok   bool
	}{
		{"Packages/bash-4.1.2-29.el6.x86_64.rpm", true},
		{"repodata/abc-primary.xml.gz", true},
		{"Packages/a+b..c.rpm", true},
		{"", false},
		{"../x.rpm", false},
		{"Packages/../../x.rpm", false},
		{"/etc/passwd", false},
		{"http://evil.example/x.rpm", false},
		{"file:///etc/passwd", false},
		{`Packages\..\..\x.rpm`, false},
		{"%2e%2e/%2e%2e/etc/passwd", false},
		{"Packages/%2E%2E/%2e%2e/x.rpm", false},
		{"%2fetc/passwd", false},
		{"Packages/%5c..%5cx.rpm", false},
		{"Packages/a%00.rpm", false},
		{"Packages/a%zz.rpm", false},
	} {
		err := CheckHref(tt.href)
		if (err == nil) != tt.ok {
			t.Errorf("CheckHref(%q) = %v, want ok=%v", tt.href, err, tt.ok)
		}
	}
}

// FuzzPlainHref: what the quick check of a location accepts, the full
// check accepts too.
func FuzzPlainHref(f *testing.F) {
	for _, h := range []string{"Packages/a.rpm", "a..b", "../a", "a/../../b", "/a", "a:b", "a%2e", `a\b`, "a\x00", ".", "./a"} {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, href string) {
		if plainHref(href) {
			if err := checkHrefFull(href); err != nil {
				t.Fatalf("plainHref(%q) but %v", href, err)
			}
		}
	})
}

func FuzzParseRepomd(f *testing.F) {
	f.Add(`<repomd><data type="primary"><checksum type="sha256">00</checksum><location href="repodata/p.xml.gz"/><size>1</size></data></repomd>`)
	f.Fuzz(func(t *testing.T, xml string) {
		md, err := ParseRepomd(strings.NewReader(xml))
		if err == nil {
			for _, mf := range md.Files {
				if CheckHref(mf.Href) != nil {
					t.Fatalf("unsafe href %q accepted", mf.Href)
				}
			}
		}
	})
}

func TestVerifyingReaderSHA1(t *testing.T) {
	data := []byte("primary")
	sum := "b8e0a6eaab5a1fa19c0b5c7f4b0b9f0a6a1d6bbd" // not sha1("primary")
	r, err := VerifyingReader(bytes.NewReader(data), Checksum{Type: "sha1", Hex: sum}, int64(len(data)), "primary.xml.gz")
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(r)
	var ce *ChecksumMismatchError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "primary.xml.gz") {
		t.Fatalf("want a checksum mismatch naming the file, got %v", err)
	}
	r, _ = VerifyingReader(bytes.NewReader(data), Checksum{Type: "sha1", Hex: "3ec4ffad7ab9ef8e6a3f2a1b5b4d9c8b7a6f5e4d"}, 3, "x")
	if _, err := io.ReadAll(r); err == nil || !strings.Contains(err.Error(), "larger than the declared 3 bytes") {
		t.Errorf("oversized: %v", err)
	}
}

// verifiedReader says its bytes are checked against sum already.
type verifiedReader struct {
	io.Reader
	sum Checksum
}

func (v verifiedReader) VerifiedAs() Checksum { return v.sum }

// TestVerifyingReaderOfVerified: a reader Verified as the checksum wanted
// is not hashed again (its bytes pass whatever they are), but is still
// held to the declared size; Verified as another checksum, it is hashed.
func TestVerifyingReaderOfVerified(t *testing.T) {
	data := []byte("primary")
	sum := Checksum{Type: "sha1", Hex: "b8e0a6eaab5a1fa19c0b5c7f4b0b9f0a6a1d6bbd"} // not sha1("primary")
	for _, tt := range []struct {
		name string
		as   Checksum
		size int64
		want string // in the error; "" for none
	}{
		{"verified as wanted", sum, int64(len(data)), ""},
		{"verified as wanted, size unknown", sum, -1, ""},
		{"verified as wanted, too long", sum, 3, "larger than the declared 3 bytes"},
		{"verified as wanted, too short", sum, 10, "declared 10 (truncated?)"},
		{"verified as another", Checksum{Type: "sha1", Hex: "00"}, int64(len(data)), "checksum"},
	} {
		r, err := VerifyingReader(verifiedReader{bytes.NewReader(data), tt.as}, sum, tt.size, "x")
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.ReadAll(r)
		if (tt.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}
}

// TestNormalizeSumType: rpm-md's checksum type names come out as Checksum
// names them, whatever their case, with old createrepo's "sha" as sha1.
func TestNormalizeSumType(t *testing.T) {
	for in, want := range map[string]string{
		"sha256": "sha256", "SHA256": "sha256", "sha": "sha1", "SHA": "sha1",
		"sha1": "sha1", "sha512": "sha512", "md5": "md5", "": "",
	} {
		if got := NormalizeSumType(in); got != want {
			t.Errorf("NormalizeSumType(%q) = %q, want %q", in, got, want)
		}
	}
}
