package resolver

import (
	"fmt"
	"io"
	"strings"
	"testing"
)

// chunkReader hands out its input n bytes at a time, so that packages
// straddle the scanner's window at every offset.
type chunkReader struct {
	r *strings.Reader
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(p) > c.n {
		p = p[:c.n]
	}
	return c.r.Read(p)
}

// readPrimaryText reads doc with the quick path of primaryquick.go, or
// with the general path alone, and prints the packages and the error.
func readPrimaryText(doc string, chunk int, general bool) string {
	var r io.Reader = strings.NewReader(doc)
	if chunk > 0 {
		r = &chunkReader{strings.NewReader(doc), chunk}
	}
	s := newXMLScanner(r)
	s.general = general
	part := newRepoPart(8)
	err := readPrimaryFrom(s, part, "r", false, false, nil)
	out := fmt.Sprint(err)
	for i := range part.pkgs {
		out += fmt.Sprintf("\n%+v", *part.pool.materialise(&part.pkgs[i], true, nil))
	}
	return out
}

// quickPackageSeeds are packages in the plain form and near it.
var quickPackageSeeds = []string{
	// As createrepo_c and the generated repos write it.
	`<?xml version="1.0" encoding="UTF-8"?>
<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="2">
<package type="rpm">
  <name>glibc</name>
  <arch>x86_64</arch>
  <version epoch="0" ver="2.12" rel="1.149.el6"/>
  <checksum type="sha256" pkgid="YES">ED9652ef891d8fe437c6b66c22e703ccab83f793b6ed967640df4f95d6b9618b</checksum>
  <summary>generated package glibc</summary>
  <description>A generated package for rpmvault&#39;s benchmarks.</description>
  <packager></packager>
  <url></url>
  <time file="0" build="1400000000"/>
  <size package="2667957" installed="0" archive="0"/>
  <location href="Packages/glibc-2.12-1.149.el6.x86_64.rpm"/>
  <format>
    <rpm:license>GPLv2</rpm:license>
    <rpm:vendor></rpm:vendor>
    <rpm:sourcerpm>glibc-2.12-1.149.el6.src.rpm</rpm:sourcerpm>
    <rpm:header-range start="280" end="11000"/>
    <rpm:provides>
      <rpm:entry name="glibc" flags="EQ" epoch="0" ver="2.12" rel="1.149.el6"/>
      <rpm:entry name="libc.so.6()(64bit)"/>
    </rpm:provides>
    <rpm:requires>
      <rpm:entry name="/bin/sh" pre="1"/>
      <rpm:entry name="rpmlib(PayloadFilesHavePrefix)" flags="LE" epoch="0" ver="4.0" rel="1"/>
      <rpm:entry name="glibc-common" flags="GE" epoch="1" ver="2.12"/>
    </rpm:requires>
    <rpm:conflicts><rpm:entry name="kernel" flags="LT" ver="2.6.32"/></rpm:conflicts>
    <rpm:obsoletes><rpm:entry name="glibc-profile" flags="LT" epoch="0" ver="2.4"/></rpm:obsoletes>
    <file>/etc/ld.so.conf</file>
    <file type="dir">/etc/ld.so.conf.d</file>
  </format>
</package>
<package type="rpm"><name>b</name><arch>noarch</arch><version ver="1"/><location href="b.rpm"/><format/></package>
</metadata>`,
	// An empty list carries on into the next package.
	`<metadata><package><name>a</name><arch>noarch</arch><version ver="1"/><location href="a.rpm"/><format><rpm:provides/></format></package>` +
		`<package><name>b</name><arch>noarch</arch><version ver="1"/><location href="b.rpm"/><rpm:entry name="x"/></package></metadata>`,
	// Fields nested, repeated, empty, split by tags and references.
	`<metadata><package type='rpm' x="&amp;"><format><name>a</name></format><arch>noarch</arch><version ver="1" ver="2" epoch="x"/><version ver="3"/>` +
		`<location href="a&amp;b.rpm"/><name>a<b/>c</name><file/><file> /f </file><summary>&bogus;</summary></package></metadata>`,
	`<metadata><package><name>a</name><arch>noarch</arch><version ver="1"/><location href="a.rpm"/><size package="-1"/>` +
		`<rpm:provides><rpm:entry/><rpm:entry name="a" flags="XX"/><entry name="b" flags="EQ" epoch="-1"/></rpm:provides></package></metadata>`,
	`<metadata><package><name>a<!-- c --></name><arch>noarch</arch><version ver="1"/><location href="a.rpm"/></package>` +
		`<package><package><name>b</name></package></package><package><name>c</name></rpm:package></metadata>`,
	`<metadata><package><name>&#97;</name><arch>noarch</arch><version ver="1"/><location href="a.rpm"/><header-range start="5" end="1"/>` +
		`<checksum type="SHA">AB</checksum><size package="99999999999999999999"/></package></metadata>`,
}

// FuzzQuickPackageAgrees: primary.xml read with the quick path for plain
// packages gives the packages and the error the general path alone gives,
// wherever the reads split the input.
func FuzzQuickPackageAgrees(f *testing.F) {
	for _, doc := range quickPackageSeeds {
		f.Add(doc, 0)
		f.Add(doc, 97)
	}
	f.Fuzz(func(t *testing.T, doc string, chunk int) {
		chunk = max(chunk, 0) % 4096
		if quick, general := readPrimaryText(doc, chunk, false), readPrimaryText(doc, chunk, true); quick != general {
			t.Fatalf("%q (reads of %d):\nquick   %s\ngeneral %s", doc, chunk, quick, general)
		}
	})
}

// TestQuickPackageTakesThePlainForm: the quick path reads the packages
// createrepo writes (the general path reading them too would pass
// FuzzQuickPackageAgrees but lose the point of it).
func TestQuickPackageTakesThePlainForm(t *testing.T) {
	s := newXMLScanner(strings.NewReader(quickPackageSeeds[0]))
	ps := &primaryScan{s: s, b: &primaryBatch{}}
	quick := 0
	for {
		if ps.quickPackage() {
			quick++
			continue
		}
		if err := s.next(); err != nil {
			break
		}
	}
	if quick != 2 {
		t.Errorf("the quick path read %d of the 2 packages", quick)
	}
}
