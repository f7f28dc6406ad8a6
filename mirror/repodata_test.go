package mirror_test

import (
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/mirror"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

// primaryPkg is the part of a primary.xml package entry resolution relies on.
type primaryPkg struct {
	Name    string `xml:"name"`
	Arch    string `xml:"arch"`
	Version struct {
		Epoch string `xml:"epoch,attr"`
		Ver   string `xml:"ver,attr"`
		Rel   string `xml:"rel,attr"`
	} `xml:"version"`
	Checksum string `xml:"checksum"`
	Size     struct {
		Package string `xml:"package,attr"`
	} `xml:"size"`
	Location struct {
		Href string `xml:"href,attr"`
	} `xml:"location"`
	Format struct {
		SourceRPM   string `xml:"sourcerpm"`
		HeaderRange struct {
			Start string `xml:"start,attr"`
			End   string `xml:"end,attr"`
		} `xml:"header-range"`
		Provides  []entry  `xml:"provides>entry"`
		Requires  []entry  `xml:"requires>entry"`
		Conflicts []entry  `xml:"conflicts>entry"`
		Obsoletes []entry  `xml:"obsoletes>entry"`
		Files     []string `xml:"file"`
	} `xml:"format"`
}

type entry struct {
	Name  string `xml:"name,attr"`
	Flags string `xml:"flags,attr"`
	Epoch string `xml:"epoch,attr"`
	Ver   string `xml:"ver,attr"`
	Rel   string `xml:"rel,attr"`
	Pre   string `xml:"pre,attr"`
}

func readPrimary(t *testing.T, repo string) map[string]primaryPkg {
	t.Helper()
	repomd, err := os.ReadFile(filepath.Join(repo, "repodata", "repomd.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var md struct {
		Data []struct {
			Type     string `xml:"type,attr"`
			Location struct {
				Href string `xml:"href,attr"`
			} `xml:"location"`
		} `xml:"data"`
	}
	if err := xml.Unmarshal(repomd, &md); err != nil {
		t.Fatal(err)
	}
	for _, d := range md.Data {
		if d.Type != "primary" {
			continue
		}
		f, err := os.Open(filepath.Join(repo, d.Location.Href))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Packages []primaryPkg `xml:"package"`
		}
		if err := xml.NewDecoder(gz).Decode(&doc); err != nil {
			t.Fatal(err)
		}
		out := map[string]primaryPkg{}
		for _, p := range doc.Packages {
			for _, l := range [][]entry{p.Format.Provides, p.Format.Requires, p.Format.Conflicts, p.Format.Obsoletes} {
				sort.Slice(l, func(i, j int) bool { return fmt.Sprint(l[i]) < fmt.Sprint(l[j]) })
			}
			sort.Strings(p.Format.Files)
			out[p.Name+"."+p.Arch+"-"+p.Version.Ver+"-"+p.Version.Rel] = p
		}
		return out
	}
	t.Fatalf("no primary in %s", repo)
	return nil
}

// TestRepodataMatchesCreaterepo writes repodata for the fixture 6.6 os tree
// with our writer and with createrepo_c, and compares what resolution reads.
func TestRepodataMatchesCreaterepo(t *testing.T) {
	fixtures.NeedTool(t, "createrepo_c")
	root := t.TempDir()
	w, err := fixtures.BuildWorld(root, fixtures.WorldOptions{})
	if err != nil {
		t.Fatal(err)
	}
	repo := filepath.Join(w.Root, "vault/6.6/os/x86_64")
	ours := readPrimary(t, repo)

	theirs := t.TempDir()
	if out, err := exec.Command("createrepo_c", "-q", "-o", theirs, repo).CombinedOutput(); err != nil {
		t.Fatalf("createrepo_c: %v\n%s", err, out)
	}
	ref := readPrimary(t, theirs)
	if d := ref["initscripts.x86_64-9.03.46-1.el6.centos.1"]; len(d.Format.Requires) != 6 || len(d.Format.Files) != 2 || d.Format.HeaderRange.End == "" {
		t.Fatalf("reference parse looks wrong: %+v", d)
	}
	if len(ours) != len(ref) || len(ours) == 0 {
		t.Fatalf("we describe %d packages, createrepo_c %d", len(ours), len(ref))
	}
	for k, want := range ref {
		got, ok := ours[k]
		if !ok {
			t.Errorf("%s missing from our primary", k)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s differs:\n ours %+v\n createrepo_c %+v", k, got, want)
		}
	}
}

func TestWriteRepodataDeterministicAndReadableByDnf(t *testing.T) {
	root := t.TempDir()
	if _, err := fixtures.BuildWorld(root, fixtures.WorldOptions{}); err != nil {
		t.Fatal(err)
	}
	repo := filepath.Join(root, "vault/6.6/updates/x86_64")
	before, err := os.ReadFile(filepath.Join(repo, "repodata", "repomd.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := mirror.CreateRepo(repo); err != nil {
		t.Fatal(err)
	}
	after, err := os.ReadFile(filepath.Join(repo, "repodata", "repomd.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("repodata of the same packages changed between runs")
	}
	ents, _ := os.ReadDir(filepath.Join(repo, "repodata"))
	if len(ents) != 4 {
		t.Errorf("repodata holds %d files, want repomd + 3 (stale files must go)", len(ents))
	}

	fixtures.NeedTool(t, "dnf")
	dir := t.TempDir()
	conf := filepath.Join(dir, "dnf.conf")
	os.WriteFile(conf, []byte("[main]\n"), 0o644)
	out, err := exec.Command("dnf", "-q", "--config="+conf, "--setopt=reposdir="+dir, "--installroot="+filepath.Join(dir, "root"),
		"--setopt=cachedir="+filepath.Join(dir, "cache"), "--releasever=6", "--repofrompath=u,"+repo,
		"repoquery", "--qf", "%{name}-%{epoch}:%{version}-%{release}.%{arch} %{sourcerpm}", "--whatprovides", "libdevmapper.so.1.02()(64bit)").CombinedOutput()
	if err != nil {
		t.Fatalf("dnf repoquery: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "device-mapper-libs-0:1.02.90-2.el6_6.1.x86_64 lvm2-2.02.111-2.el6_6.1.src.rpm" {
		t.Errorf("dnf read %q", got)
	}
}

func TestWriteRepodataRefusesBadEntries(t *testing.T) {
	p := &resolver.Package{Name: "a", EVR: resolver.EVR{Version: "1", Release: "1"}, Arch: "noarch",
		Checksum: rpmmd.Checksum{Type: "sha256", Hex: strings.Repeat("a", 64)}}
	for _, loc := range []string{"../a.rpm", "/etc/a.rpm", "http://evil/a.rpm", "x/../../a.rpm"} {
		p.Location = loc
		err := mirror.WriteRepodata(t.TempDir(), []mirror.RepoEntry{{Pkg: p}})
		if err == nil || !strings.Contains(err.Error(), "not a relative path inside the repository") {
			t.Errorf("location %q: error %v", loc, err)
		}
	}
	p.Location, p.Checksum = "a.rpm", rpmmd.Checksum{Type: "sha1", Hex: "00"}
	if err := mirror.WriteRepodata(t.TempDir(), []mirror.RepoEntry{{Pkg: p}}); err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("sha1-only entry: error %v", err)
	}
}
