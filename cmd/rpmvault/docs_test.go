package main

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/resolver/manifest"
)

// TestDocsStayTrue checks that docs/ names every key of the formats it
// documents, and that every local link of the README and docs/ exists.
func TestDocsStayTrue(t *testing.T) {
	keys := func(v any) []string {
		var out []string
		typ := reflect.TypeOf(v)
		for i := 0; i < typ.NumField(); i++ {
			tag, _, _ := strings.Cut(typ.Field(i).Tag.Get("yaml"), ",")
			if tag != "" && tag != "-" {
				out = append(out, tag)
			}
		}
		return out
	}
	for doc, types := range map[string][]any{
		"manifest.md": {manifest.Manifest{}, manifest.Repo{}},
		"lockfile.md": {lock.Lock{}, lock.Arch{}, lock.Package{}, lock.Meta{}, lock.Repo{}},
	} {
		data, err := os.ReadFile(filepath.Join("../../docs", doc))
		if err != nil {
			t.Fatal(err)
		}
		for _, typ := range types {
			for _, k := range keys(typ) {
				if !strings.Contains(string(data), "`"+k+"`") && !strings.Contains(string(data), k+":") {
					t.Errorf("docs/%s does not document %T's key %q", doc, typ, k)
				}
			}
		}
	}
	link := regexp.MustCompile(`\]\(([^)#:]+)\)`)
	files, _ := filepath.Glob("../../docs/*.md")
	for _, f := range append(files, "../../README.md") {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(data), -1) {
			if _, err := os.Stat(filepath.Join(filepath.Dir(f), m[1])); err != nil {
				t.Errorf("%s links %s, which does not exist", f, m[1])
			}
		}
		if strings.Contains(string(data), "DESIGN.md") {
			t.Errorf("%s refers to DESIGN.md, which the repository does not have", f)
		}
	}
}
