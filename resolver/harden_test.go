package resolver_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rpmvault/rpmvault/resolver"
)

const primaryTail = `</name><arch>x86_64</arch><version epoch="0" ver="1" rel="1"/><location href="Packages/a.rpm"/></package></metadata>`

// TestPrimaryCommentSplitTextIsLinear is a complexity regression guard,
// not a speed goal: 4 MiB of a name split by comments took 89 s when each
// piece was appended to a string. The bound is ~50x what a linear parse
// needs on a loaded machine.
func TestPrimaryCommentSplitTextIsLinear(t *testing.T) {
	for _, piece := range []string{"a<!---->", "a<![CDATA[b]]>", "&amp;<!-- -->"} {
		var doc bytes.Buffer
		doc.WriteString(`<metadata><package type="rpm"><name>`)
		for doc.Len() < 4<<20 {
			doc.WriteString(piece)
		}
		doc.WriteString(primaryTail)
		start := time.Now()
		err := resolver.ReadPrimary(bytes.NewReader(doc.Bytes()), "r", func(*resolver.Package) error { return nil })
		if d := time.Since(start); d > time.Second {
			t.Errorf("%q x %d: %v (must be linear)", piece, doc.Len()/len(piece), d)
		}
		// The name is far too long to be a file name: refused, by name.
		var ne *resolver.NamePartError
		if !errors.As(err, &ne) || ne.What != "package name" {
			t.Errorf("%q: %v, want a refused package name", piece, err)
		}
	}
}

// FuzzPrimaryLinear repeats a fuzzed piece of XML inside a package record
// up to 1 MiB and bounds the time per input: super-linear behaviour in any
// construct shows up as a timeout rather than as a slow CI.
func FuzzPrimaryLinear(f *testing.F) {
	f.Add(`<name>`, `a<!---->`, `</name>`)
	f.Add(`<format><rpm:requires>`, `<rpm:entry name="a" flags="GE" ver="1"/>`, `</rpm:requires></format>`)
	f.Add(`<format>`, `<file>/a<![CDATA[b]]></file>`, `</format>`)
	f.Add(`<name>`, `&#x41;&amp;`, `</name>`)
	f.Add(`<x a="`, `&lt;`, `"/>`)
	f.Fuzz(func(t *testing.T, head, piece, tail string) {
		if piece == "" {
			return
		}
		var doc strings.Builder
		doc.WriteString(`<metadata><package type="rpm">` + head)
		for doc.Len() < 1<<20 {
			doc.WriteString(piece)
		}
		doc.WriteString(tail + `<arch>x86_64</arch><version epoch="0" ver="1" rel="1"/><location href="a.rpm"/></package></metadata>`)
		done := make(chan struct{})
		go func() {
			defer close(done)
			resolver.ReadPrimary(strings.NewReader(doc.String()), "r", func(*resolver.Package) error { return nil })
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("1 MiB of %q took over 5 s: super-linear", piece)
		}
	})
}

func TestHostileNamesAreRefused(t *testing.T) {
	tests := []struct{ field, xml string }{
		{"package name", `<name>../../../../tmp/x</name><arch>x86_64</arch><version epoch="0" ver="1" rel="1"/>`},
		{"package name", `<name>a/b</name><arch>x86_64</arch><version epoch="0" ver="1" rel="1"/>`},
		{"package name", `<name>a&#x0;b</name><arch>x86_64</arch><version epoch="0" ver="1" rel="1"/>`},
		{"arch", `<name>a</name><arch>../x86_64</arch><version epoch="0" ver="1" rel="1"/>`},
		{"version", `<name>a</name><arch>x86_64</arch><version epoch="0" ver="1/../../x" rel="1"/>`},
		{"release", `<name>a</name><arch>x86_64</arch><version epoch="0" ver="1" rel="..\x"/>`},
	}
	for _, tt := range tests {
		doc := `<metadata><package type="rpm">` + tt.xml + `<location href="Packages/a.rpm"/></package></metadata>`
		for name, read := range map[string]func(*bytes.Reader) error{
			"scanner": func(r *bytes.Reader) error {
				return resolver.ReadPrimary(r, "r", func(*resolver.Package) error { return nil })
			},
			"encoding/xml": func(r *bytes.Reader) error {
				return resolver.ReadPrimaryStd(r, "r", func(*resolver.Package) error { return nil })
			},
		} {
			err := read(bytes.NewReader([]byte(doc)))
			if name == "encoding/xml" && strings.Contains(tt.xml, "&#x0;") && err != nil {
				continue // encoding/xml refuses NUL itself
			}
			var ne *resolver.NamePartError
			if !errors.As(err, &ne) || ne.What != tt.field || !strings.Contains(err.Error(), "file name") {
				t.Errorf("%s: %s: %v, want the %s refused", name, tt.xml, err, tt.field)
			}
		}
	}
}

func TestJoinInside(t *testing.T) {
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{"a-1-1.x86_64.rpm", true}, {"rpms/a.rpm", true}, {"../x", false}, {"a/../../x", false},
		{"/etc/passwd", false}, {".", false}, {"a\x00b", false}, {strings.Repeat("a", 256), false},
	} {
		_, err := resolver.JoinInside("/srv/dir", tt.name)
		if (err == nil) != tt.ok {
			t.Errorf("JoinInside(%q): %v", tt.name, err)
		}
	}
}
