package resolver

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

// readPrimaryStd is the encoding/xml reading of primary.xml that ReadPrimary
// replaced for speed; tests check both agree.
func readPrimaryStd(r io.Reader, repo string, fn func(*Package) error) error {
	dec := xml.NewDecoder(r)
	strs := map[string]string{}
	intern := func(s string) string {
		if v, ok := strs[s]; ok {
			return v
		}
		strs[s] = s
		return s
	}
	seenRoot := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			if !seenRoot {
				return errors.New("primary.xml: no <metadata> element")
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("primary.xml: %w", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "metadata":
			seenRoot = true
			continue
		case "package":
		default:
			if err := dec.Skip(); err != nil {
				return fmt.Errorf("primary.xml: %w", err)
			}
			continue
		}
		var xp xmlPackage
		if err := dec.DecodeElement(&xp, &se); err != nil {
			return fmt.Errorf("primary.xml: %w", err)
		}
		p, err := xp.pkg(repo, intern)
		if err != nil {
			return err
		}
		if p == nil {
			continue
		}
		if err := fn(p); err != nil {
			return err
		}
	}
}

// xmlPackage is one <package> of primary.xml as encoding/xml decodes it:
// the reference the fast reader (primaryReader) is checked against.
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
		Checksum: rpmmd.Checksum{Type: rpmmd.NormalizeSumType(xp.Checksum.Type), Hex: strings.ToLower(strings.TrimSpace(xp.Checksum.Value))},
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
		Checksum: rpmmd.Checksum{Type: rpmmd.NormalizeSumType(xp.Checksum.Type), Hex: strings.ToLower(strings.TrimSpace(xp.Checksum.Value))},
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
		var deps []Dep // nil when empty, as a record of the pool materialises
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
