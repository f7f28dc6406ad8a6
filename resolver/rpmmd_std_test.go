package resolver

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
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
