package resolver

import (
	"fmt"
	"strings"
	"testing"
)

// tokens lists what the scanner reads from doc, the error last, with the
// quick paths or only the general one.
func tokens(doc string, general bool) []string {
	s := newXMLScanner(&oneByteReader{strings.NewReader(doc), len(doc) % 3})
	s.general = general
	var out []string
	for {
		err := s.next()
		if err == errXMLEOF {
			return out
		}
		if err != nil {
			return append(out, "error: "+err.Error())
		}
		tok := fmt.Sprintf("%d %q empty=%v text=%q", s.kind, s.name, s.empty, s.text)
		if s.kind == tokStart {
			for _, a := range s.attrs {
				tok += fmt.Sprintf(" %q=%q", a.name, a.value)
			}
		}
		out = append(out, tok)
	}
}

// oneByteReader hands out its input a byte at a time when slow is 1, so
// that tags straddle the scanner's window as often as possible.
type oneByteReader struct {
	r    *strings.Reader
	slow int
}

func (o *oneByteReader) Read(p []byte) (int, error) {
	if o.slow == 1 && len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

// FuzzQuickTagsAgree: the quick paths (xmlquick.go) read every input to the
// same tokens, and the same error, as the general path.
func FuzzQuickTagsAgree(f *testing.F) {
	for _, doc := range []string{
		`<metadata xmlns="a" xmlns:rpm="b"><package type="rpm"><name>a&amp;b</name><rpm:entry name="c" flags="GE" epoch='0' ver="1&lt;2" rel="1"/></package></metadata>`,
		`<a/b></a/b><a / ><a x"y"="1"><a x=1><a x = "1" / ><:a></:a ><a:b:c d:e:f="g"/></a:b:c>`,
		`<a x="&bogus;"/><a x=">"/><a x="<"></a ><!-- c --><![CDATA[x]]><?pi?><!DOCTYPE x>`,
		"<a\tb\n=\r'1'\n/>",
	} {
		f.Add(doc)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		quick, general := tokens(doc, false), tokens(doc, true)
		if strings.Join(quick, "\n") != strings.Join(general, "\n") {
			t.Fatalf("%q:\nquick   %q\ngeneral %q", doc, quick, general)
		}
	})
}

// FuzzPrimaryStagesAgree: primary.xml read with its two stages on
// goroutines of their own (as a resolve reads it) gives the packages and
// the error ReadPrimary's turn-taking gives.
func FuzzPrimaryStagesAgree(f *testing.F) {
	f.Add(`<metadata><package type="rpm"><name>a</name><arch>x86_64</arch><version epoch="0" ver="1" rel="1"/><location href="a.rpm"/><format><rpm:provides><rpm:entry name="a" flags="EQ" ver="1"/></rpm:provides><file>/x</file></format></package><package><name>b</name></package></metadata>`)
	f.Add(`<metadata><package><name>a</name><arch>x86_64</arch><version ver="1"/><location href="a.rpm"/></package><package><name>c</name><arch>x86_64</arch><version ver="1"/><location href="/c.rpm"/></package></metadata>`)
	f.Fuzz(func(t *testing.T, doc string) {
		read := func(concurrent bool) string {
			part := newRepoPart(8)
			err := readPrimary(strings.NewReader(doc), part, "r", false, concurrent, nil)
			out := fmt.Sprint(err)
			for i := range part.pkgs {
				out += fmt.Sprintf("\n%+v", *part.pool.materialise(&part.pkgs[i], true, nil))
			}
			return out
		}
		if a, b := read(true), read(false); a != b {
			t.Fatalf("%q:\nconcurrent %s\nin turns   %s", doc, a, b)
		}
	})
}
