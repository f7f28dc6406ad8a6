package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/lock"
)

// TestMultilibTwinsOnTheBox: a CentOS 6 box often has glibc.i686 beside
// glibc.x86_64. Upgrading glibc for docker upgrades the 32-bit twin too,
// as dnf does on that box, without multilib in the manifest: it used to be
// "unresolvable" (no 32-bit candidate was considered).
func TestMultilibTwinsOnTheBox(t *testing.T) {
	fixtures.NeedTool(t, "rpm")
	w, maps := fixtureWorld(t)
	root := seedBaseline65(t, w)
	twin := w.RPMPath("vault/6.5/os/x86_64", "glibc-2.12-1.132.el6.i686")
	if out, err := exec.Command("rpm", "--root", root, "-i", "--nosignature", "--nodeps", twin).CombinedOutput(); err != nil {
		t.Fatalf("install glibc.i686 into the 6.5 root: %v\n%s", err, out)
	}
	// A real box has imported keys too: rpm -qa lists them as gpg-pubkey.
	if out, err := exec.Command("rpm", "--root", root, "--import", filepath.Join(w.Root, "vault/RPM-GPG-KEY-CentOS-6")).CombinedOutput(); err != nil {
		t.Fatalf("import the CentOS key into the root: %v\n%s", err, out)
	}
	dir := t.TempDir()
	capture := filepath.Join(dir, "box.capture")
	code, stdout, stderr := rpmvault(t, "capture", "--root", root, "-o", capture, "--json")
	if code != 0 {
		t.Fatalf("capture: exit %d: %s", code, stderr)
	}
	list := filepath.Join(dir, "rpm-qa.txt")
	out, err := exec.Command("rpm", "--root", root, "-qa").Output()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(list, out, 0o644)
	var sum struct{ Packages int }
	keys := strings.Count(string(out), "gpg-pubkey-")
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil || keys != 1 || sum.Packages != strings.Count(string(out), "\n")-keys {
		t.Errorf("capture --json counts %d packages (%v); rpm -qa lists %d lines, %d of them keys", sum.Packages, err, strings.Count(string(out), "\n"), keys)
	}

	// docker and the 6.6 glibc (for 64-bit programs): glibc-common goes to
	// 6.6 with it, and the 6.5 glibc.i686 requires the old glibc-common.
	manifest := on66Only(t)
	data, _ := os.ReadFile(manifest)
	data = []byte(strings.Replace(string(data), "install: [docker-engine-1.7.1]", "install: [docker-engine-1.7.1, glibc-2.12-1.149.el6.x86_64]", 1))
	os.WriteFile(manifest, data, 0o644)
	args := append([]string{"-m", manifest, "--store", t.TempDir(), "--no-abi"}, maps...)
	ours, _ := planNEVRAs(t, append(args, "--baseline", capture)...)
	theirs := w.DNFInstallSet(t, root, map[string]string{
		"base": filepath.Join(w.Root, "vault/6.6/os/x86_64"), "updates": filepath.Join(w.Root, "vault/6.6/updates/x86_64"),
	}, "docker-engine-1.7.1", "glibc-2.12-1.149.el6.x86_64")
	if strings.Join(ours, " ") != strings.Join(theirs, " ") {
		t.Errorf("on a 6.5 box with glibc.i686, rpmvault and dnf disagree:\n rpmvault %v\n dnf      %v", ours, theirs)
	}
	if !slices.Contains(ours, "glibc-2.12-1.149.el6.i686") {
		t.Errorf("the 32-bit twin is not upgraded with glibc: %v", ours)
	}
	fromList, _ := planNEVRAs(t, append(args, "--baseline", list)...)
	if !slices.Contains(fromList, "glibc-2.12-1.149.el6.i686") || slices.Contains(fromList, "device-mapper-libs-1.02.90-2.el6_6.1.i686") {
		t.Errorf("from rpm -qa: only the installed 32-bit package gets a 32-bit upgrade: %v", fromList)
	}
}

// TestNothingToShip: a box that has the whole closure already gets an
// empty plan; every command along the way says so, its --json lists are
// [], and installing the empty bundle is "nothing to install", not an error.
func TestNothingToShip(t *testing.T) {
	_, maps := fixtureWorld(t)
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	full := filepath.Join(dir, "full.lock.yaml")
	if code, _, stderr := rpmvault(t, append([]string{"resolve", "-m", shippedManifest, "--lock", full, "--store", store}, maps...)...); code != 0 {
		t.Fatalf("resolve: exit %d: %s", code, stderr)
	}
	l, err := lock.Read(full)
	if err != nil {
		t.Fatal(err)
	}
	var box []string
	for _, p := range l.Packages() {
		box = append(box, p.NEVRA())
	}
	baseline := filepath.Join(dir, "rpm-qa.txt")
	os.WriteFile(baseline, []byte(strings.Join(box, "\n")+"\n"), 0o644)

	empty := filepath.Join(dir, "empty.lock.yaml")
	base := append([]string{"-m", shippedManifest, "--baseline", baseline, "--store", store}, maps...)
	for _, args := range [][]string{
		append([]string{"resolve", "--json", "--lock", empty}, base...),
		{"graph", "--format", "json", "--lock", empty, "--store", store},
	} {
		code, stdout, stderr := rpmvault(t, args...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", args[0], code, stderr)
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatalf("%s --json: %v\n%s", args[0], err, stdout)
		}
		for _, key := range []string{"packages", "nodes", "edges"} {
			if v, ok := doc[key]; ok {
				if list, isList := v.([]any); !isList || len(list) != 0 {
					t.Errorf("%s --json: %s is %v, want []", args[0], key, v)
				}
			}
		}
	}
	b := filepath.Join(dir, "empty.tar.gz")
	if code, _, stderr := rpmvault(t, append([]string{"bundle", "--lock", empty, "--store", store, "-o", b, "--binary", os.Args[0]}, maps...)...); code != 0 {
		t.Fatalf("bundle of nothing: exit %d: %s", code, stderr)
	}
	code, stdout, stderr := rpmvault(t, append([]string{"install", b, "--root", t.TempDir(), "--dry-run", "--json"}, lockAnchor(t, b)...)...)
	if code != 0 {
		t.Fatalf("install --dry-run of an empty bundle: exit %d: %s", code, stderr)
	}
	var plan planJSON
	if err := json.Unmarshal([]byte(stdout), &plan); err != nil || plan.Packages == nil || len(plan.Packages) != 0 {
		t.Errorf("install --json of an empty bundle: %v %q", err, stdout)
	}
}

// TestStockRepoFilesAsAdminsHaveThem: CentOS-Base.repo as older CentOS 6
// releases ship it (no &infra=), saved on Windows (BOM, CRLF), with a
// disabled stanza that names no URL and a "key: value" line, resolves the
// same set as explicit baseurls.
func TestStockRepoFilesAsAdminsHaveThem(t *testing.T) {
	_, maps := fixtureWorld(t)
	stockBase, err := os.ReadFile(filepath.Join(stockRepos, "CentOS-Base.repo"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(stockBase), "&infra=$infra", "")
	text = strings.Replace(text, "gpgcheck=1", "gpgcheck: 1", 1)
	text += "\n[c6-media]\nname=CentOS-$releasever - Media\nenabled=0\n"
	text = "\ufeff" + strings.ReplaceAll(text, "\n", "\r\n")
	dir := t.TempDir()
	repoFile := filepath.Join(dir, "CentOS-Base.repo")
	os.WriteFile(repoFile, []byte(text), 0o644)
	explicit := writeManifest(t, `repos:
  - id: base
    baseurl: https://vault.centos.org/6.6/os/x86_64/
  - id: updates
    baseurl: https://vault.centos.org/6.6/updates/x86_64/
  - id: extras
    baseurl: https://vault.centos.org/6.6/extras/x86_64/
`+dockerRepo)
	stock := writeManifest(t, "repofiles: ["+repoFile+"]\nrepos:\n"+dockerRepo)
	a, _ := planNEVRAs(t, append([]string{"-m", explicit, "--no-abi", "--store", filepath.Join(dir, "s1")}, maps...)...)
	b, _ := planNEVRAs(t, append([]string{"-m", stock, "--no-abi", "--store", filepath.Join(dir, "s2")}, maps...)...)
	if strings.Join(a, " ") != strings.Join(b, " ") {
		t.Errorf("the admin's CentOS-Base.repo resolves differently:\n stock    %v\n explicit %v", b, a)
	}
}

// TestBundleSBOMsValidate: the SBOMs of a real bundle (the fixture world's
// docker closure: epochs, noarch, header-only docker-engine, signed RPMs)
// validate against the official CycloneDX 1.5 and SPDX 2.3 schemas
// vendored in sbom/testdata/schema.
func TestBundleSBOMsValidate(t *testing.T) {
	_, maps := fixtureWorld(t)
	dir := t.TempDir()
	b := filepath.Join(dir, "docker.tar.gz")
	if code, _, stderr := rpmvault(t, append([]string{"bundle", "-m", shippedManifest, "--no-abi", "--store", filepath.Join(dir, "store"),
		"--lock", filepath.Join(dir, "docker.lock.yaml"), "-o", b, "--binary", os.Args[0]}, maps...)...); code != 0 {
		t.Fatalf("bundle: exit %d: %s", code, stderr)
	}
	out := t.TempDir()
	if o, err := exec.Command("tar", "-xzf", b, "-C", out).CombinedOutput(); err != nil {
		t.Fatalf("untar: %v %s", err, o)
	}
	c := jsonschema.NewCompiler()
	files, _ := filepath.Glob("../../sbom/testdata/schema/*.json")
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource(doc.(map[string]any)["$id"].(string), doc); err != nil {
			t.Fatal(err)
		}
	}
	for file, id := range map[string]string{"sbom.cdx.json": "http://cyclonedx.org/schema/bom-1.5.schema.json", "sbom.spdx.json": "http://spdx.org/rdf/terms/2.3"} {
		s, err := c.Compile(id)
		if err != nil {
			t.Fatal(err)
		}
		r, err := os.Open(filepath.Join(out, "docker", file))
		if err != nil {
			t.Fatal(err)
		}
		inst, err := jsonschema.UnmarshalJSON(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(inst); err != nil {
			t.Errorf("%s of the docker bundle does not validate: %v", file, err)
		}
	}
}
