package resolver

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// xmlPackage is one <package> of primary.xml, as the scanner fills it (the
// xml tags serve the encoding/xml reference reader the tests compare with).
type xmlPackage struct {
	Name    string `xml:"name"`
	Arch    string `xml:"arch"`
	Version struct {
		Epoch string `xml:"epoch,attr"`
		Ver   string `xml:"ver,attr"`
		Rel   string `xml:"rel,attr"`
	} `xml:"version"`
	Checksum struct {
		Type  string `xml:"type,attr"`
		Value string `xml:",chardata"`
	} `xml:"checksum"`
	Size struct {
		Package int64 `xml:"package,attr"`
	} `xml:"size"`
	Location struct {
		Href string `xml:"href,attr"`
	} `xml:"location"`
	Format struct {
		SourceRPM   string `xml:"sourcerpm"`
		HeaderRange struct {
			Start int64 `xml:"start,attr"`
			End   int64 `xml:"end,attr"`
		} `xml:"header-range"`
		Provides  []xmlEntry `xml:"provides>entry"`
		Requires  []xmlEntry `xml:"requires>entry"`
		Conflicts []xmlEntry `xml:"conflicts>entry"`
		Obsoletes []xmlEntry `xml:"obsoletes>entry"`
		Files     []string   `xml:"file"`
	} `xml:"format"`
}

type xmlEntry struct {
	Name  string `xml:"name,attr"`
	Flags string `xml:"flags,attr"`
	Epoch string `xml:"epoch,attr"`
	Ver   string `xml:"ver,attr"`
	Rel   string `xml:"rel,attr"`
	Pre   string `xml:"pre,attr"`
}

var xmlFlagBits = map[string]Flags{"LT": Less, "LE": Less | Equal, "EQ": Equal, "GE": Greater | Equal, "GT": Greater}

func (e xmlEntry) dep() (Dep, error) {
	d := Dep{Name: e.Name}
	if d.Name == "" {
		return d, errors.New("dependency entry without a name")
	}
	if e.Flags != "" {
		f, ok := xmlFlagBits[e.Flags]
		if !ok {
			return d, fmt.Errorf("dependency %s: unknown flags %q", e.Name, e.Flags)
		}
		d.Flags = f
		epoch, err := parseEpoch(e.Epoch)
		if err != nil {
			return d, fmt.Errorf("dependency %s: %w", e.Name, err)
		}
		d.EVR = EVR{Epoch: epoch, Version: e.Ver, Release: e.Rel}
	}
	if e.Pre == "1" {
		d.Phase = PhasePre
	}
	return d, nil
}

func parseEpoch(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad epoch %q", s)
	}
	return n, nil
}

// ReadPrimary streams primary.xml (uncompressed) and calls fn for each
// package. Memory stays proportional to one package plus the strings kept.
func ReadPrimary(r io.Reader, repo string, fn func(*Package) error) error {
	return readPrimaryOwnStrings(r, repo, false, fn)
}

// ReadSourcePrimary is ReadPrimary for a repo of source RPMs: it calls fn
// for each source package (arch "src") and skips the rest.
func ReadSourcePrimary(r io.Reader, repo string, fn func(*Package) error) error {
	return readPrimaryOwnStrings(r, repo, true, fn)
}

func readPrimaryOwnStrings(r io.Reader, repo string, sources bool, fn func(*Package) error) error {
	// Names and versions repeat across packages and dependencies: one copy
	// of each is kept.
	strs := make(map[string]string, 1<<16)
	intern := func(b []byte) string {
		if v, ok := strs[string(b)]; ok {
			return v
		}
		v := string(b)
		strs[v] = v
		return v
	}
	internString := func(v string) string {
		if c, ok := strs[v]; ok {
			return c
		}
		strs[v] = v
		return v
	}
	return readPrimary(r, repo, sources, intern, internString, fn)
}

// readPrimary is ReadPrimary with the interning given: a universe's
// reader interns into its id pool, so the strings are kept once, there.
func readPrimary(r io.Reader, repo string, sources bool, intern func([]byte) string, internString func(string) string, fn func(*Package) error) error {
	s := newXMLScanner(r)
	var (
		seenRoot bool
		xp       *xmlPackage // the package being read
		spare    *xmlPackage // reused for the next one
		text     *string     // where character data goes
		textBuf  []byte      // text's character data so far
		deps     *[]xmlEntry // the dependency list being read
		stack    []string    // open elements, to catch mismatched tags
	)
	for {
		err := s.next()
		if err == errXMLEOF {
			switch {
			case !seenRoot:
				return errors.New("primary.xml: no <metadata> element")
			case len(stack) > 0:
				return fmt.Errorf("primary.xml: ends inside <%s>", stack[len(stack)-1])
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("primary.xml %w", err)
		}
		if s.kind == tokText {
			// Comments and CDATA split text into many tokens: collect
			// them in one buffer (appending to the string each time was
			// quadratic), bounded like any one token.
			if text != nil {
				if len(textBuf)+len(s.text) > maxXMLToken {
					return fmt.Errorf("primary.xml line %d: text longer than %d MiB: not rpm-md", s.line(), maxXMLToken>>20)
				}
				textBuf = append(textBuf, s.text...)
			}
			continue
		}
		if text != nil {
			*text = string(textBuf)
			textBuf = textBuf[:0]
		}
		switch s.kind {
		case tokEnd:
			if len(stack) == 0 || stack[len(stack)-1] != string(s.name) {
				return fmt.Errorf("primary.xml line %d: unexpected </%s>", s.line(), s.name)
			}
			stack = stack[:len(stack)-1]
		case tokStart:
			if !s.empty {
				stack = append(stack, intern(s.name))
			}
		}
		if s.kind == tokStart {
			switch string(s.name) {
			case "metadata":
				seenRoot = true
			case "package":
				xp = spare.reset()
				spare = xp
			}
		}
		if xp == nil {
			continue
		}
		if s.kind == tokEnd {
			switch string(s.name) {
			case "package":
				pkg := xp.pkg
				if sources {
					pkg = xp.sourcePkg // a repo of source RPMs: only they are kept
				}
				p, err := pkg(repo, internString)
				if err != nil {
					return fmt.Errorf("primary.xml line %d: %w", s.line(), err)
				}
				xp = nil
				if p != nil {
					if err := fn(p); err != nil {
						return err
					}
				}
			case "provides", "requires", "conflicts", "obsoletes":
				deps = nil
			}
			text = nil
			continue
		}
		text = nil
		switch string(s.name) {
		case "name":
			text = &xp.Name
		case "arch":
			text = &xp.Arch
		case "version":
			xp.Version.Epoch, xp.Version.Ver, xp.Version.Rel = intern(s.attr("epoch")), intern(s.attr("ver")), intern(s.attr("rel"))
		case "checksum":
			xp.Checksum.Type = intern(s.attr("type"))
			text = &xp.Checksum.Value
		case "size":
			if xp.Size.Package, err = parseIntAttr(s, "package"); err != nil {
				return err
			}
		case "location":
			xp.Location.Href = string(s.attr("href"))
		case "sourcerpm":
			text = &xp.Format.SourceRPM
		case "header-range":
			if xp.Format.HeaderRange.Start, err = parseIntAttr(s, "start"); err != nil {
				return err
			}
			if xp.Format.HeaderRange.End, err = parseIntAttr(s, "end"); err != nil {
				return err
			}
		case "provides":
			deps = &xp.Format.Provides
		case "requires":
			deps = &xp.Format.Requires
		case "conflicts":
			deps = &xp.Format.Conflicts
		case "obsoletes":
			deps = &xp.Format.Obsoletes
		case "entry":
			if deps != nil {
				*deps = append(*deps, xmlEntry{Name: intern(s.attr("name")), Flags: internSmall(s.attr("flags"), intern),
					Epoch: internSmall(s.attr("epoch"), intern), Ver: intern(s.attr("ver")), Rel: intern(s.attr("rel")), Pre: internSmall(s.attr("pre"), intern)})
			}
		case "file":
			xp.Format.Files = append(xp.Format.Files, "")
			text = &xp.Format.Files[len(xp.Format.Files)-1]
		}
		if s.empty {
			text = nil
		}
	}
}

// internSmall interns the few values of flags, epoch and pre attributes
// without a map look-up.
func internSmall(b []byte, intern func([]byte) string) string {
	switch string(b) {
	case "":
		return ""
	case "0":
		return "0"
	case "1":
		return "1"
	case "EQ":
		return "EQ"
	case "GE":
		return "GE"
	case "LE":
		return "LE"
	case "LT":
		return "LT"
	case "GT":
		return "GT"
	}
	return intern(b)
}

func parseIntAttr(s *xmlScanner, name string) (int64, error) {
	v := s.attr(name)
	if len(v) == 0 {
		return 0, nil
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("primary.xml line %d: attribute %s=%q is not a number", s.line(), name, v)
	}
	return n, nil
}

// reset returns xp cleared for the next package, keeping the capacity of
// its dependency lists; the Files slice goes to the Package, so it starts anew.
func (xp *xmlPackage) reset() *xmlPackage {
	if xp == nil {
		return &xmlPackage{}
	}
	f := xp.Format
	*xp = xmlPackage{}
	xp.Format.Provides, xp.Format.Requires = f.Provides[:0], f.Requires[:0]
	xp.Format.Conflicts, xp.Format.Obsoletes = f.Conflicts[:0], f.Obsoletes[:0]
	return xp
}

// sourcePkg is the record of a source package (nil for any other): its
// identity and where its file is.
func (xp *xmlPackage) sourcePkg(repo string, intern func(string) string) (*Package, error) {
	if xp.Arch != SourceArch {
		return nil, nil
	}
	epoch, err := parseEpoch(xp.Version.Epoch)
	if err != nil {
		return nil, fmt.Errorf("package %s: %w", xp.Name, err)
	}
	p := &Package{
		Name: intern(xp.Name), Arch: SourceArch,
		EVR:  EVR{Epoch: epoch, Version: intern(xp.Version.Ver), Release: intern(xp.Version.Rel)},
		Repo: repo, Location: xp.Location.Href,
		Checksum: Checksum{Type: normalizeSumType(xp.Checksum.Type), Hex: strings.ToLower(strings.TrimSpace(xp.Checksum.Value))},
		Size:     xp.Size.Package, HeaderStart: xp.Format.HeaderRange.Start, HeaderEnd: xp.Format.HeaderRange.End,
	}
	if err := checkRepoPackage(p); err != nil {
		return nil, err
	}
	return p, nil
}

func (xp *xmlPackage) pkg(repo string, intern func(string) string) (*Package, error) {
	epoch, err := parseEpoch(xp.Version.Epoch)
	if err != nil {
		return nil, fmt.Errorf("package %s: %w", xp.Name, err)
	}
	p := &Package{
		Name: intern(xp.Name), Arch: intern(xp.Arch),
		EVR:       EVR{Epoch: epoch, Version: intern(xp.Version.Ver), Release: intern(xp.Version.Rel)},
		SourceRPM: intern(xp.Format.SourceRPM), Repo: repo, Location: xp.Location.Href,
		Checksum: Checksum{Type: normalizeSumType(xp.Checksum.Type), Hex: strings.ToLower(strings.TrimSpace(xp.Checksum.Value))},
		Size:     xp.Size.Package, HeaderStart: xp.Format.HeaderRange.Start, HeaderEnd: xp.Format.HeaderRange.End,
		Files: xp.Format.Files,
	}
	if p.Arch == "src" || p.Arch == "nosrc" {
		return nil, nil
	}
	if err := checkRepoPackage(p); err != nil {
		return nil, err
	}
	for _, l := range []struct {
		dst *[]Dep
		src []xmlEntry
	}{{&p.Provides, xp.Format.Provides}, {&p.Requires, xp.Format.Requires}, {&p.Conflicts, xp.Format.Conflicts}, {&p.Obsoletes, xp.Format.Obsoletes}} {
		deps := make([]Dep, 0, len(l.src))
		for _, e := range l.src {
			d, err := e.dep()
			if err != nil {
				return nil, fmt.Errorf("package %s: %w", p.NEVRA(), err)
			}
			if strings.HasPrefix(d.Name, "rpmlib(") {
				continue
			}
			deps = append(deps, d)
		}
		*l.dst = deps
	}
	return p, nil
}

// ReadFilelists streams filelists.xml (uncompressed), calling fn with each
// package's pkgid and the files of it that keep accepts (all with keep nil).
// Paths keep refuses are never turned into strings: a repo's file lists run
// to millions of entries, and a resolve needs a handful of them.
func ReadFilelists(r io.Reader, keep func(path []byte) bool, fn func(pkgid string, files []string) error) error {
	s := newXMLScanner(r)
	var (
		pkgid  string
		files  []string
		path   []byte // the <file> being read
		inPkg  bool
		inFile bool
		depth  int
	)
	for {
		err := s.next()
		if err == errXMLEOF {
			if depth != 0 {
				return errors.New("filelists.xml: ends inside an element")
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("filelists.xml %w", err)
		}
		switch s.kind {
		case tokStart:
			if !s.empty {
				depth++
			}
			switch string(s.name) {
			case "package":
				pkgid, files, inPkg = strings.ToLower(string(s.attr("pkgid"))), nil, !s.empty
			case "file":
				if inPkg && !s.empty {
					path, inFile = path[:0], true
				}
			}
		case tokText:
			if inFile {
				path = append(path, s.text...)
			}
		case tokEnd:
			depth--
			switch string(s.name) {
			case "file":
				if inFile && (keep == nil || keep(path)) {
					files = append(files, string(path))
				}
				inFile = false
			case "package":
				inPkg = false
				if err := fn(pkgid, files); err != nil {
					return err
				}
			}
		}
	}
}
