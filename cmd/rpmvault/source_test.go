package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/bundle"
	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/lock"
)

// worldFileOf is the world's file behind a lock URL (the real upstream URL).
func worldFileOf(t *testing.T, w *fixtures.World, u string) string {
	t.Helper()
	for dir, up := range fixtures.Upstreams {
		if rest, ok := strings.CutPrefix(u, up+"/"); ok {
			return filepath.Join(w.Root, dir, filepath.FromSlash(rest))
		}
	}
	t.Fatalf("%s is not a URL of the fixture world", u)
	return ""
}

// sourceLock resolves the shipped manifest with --source into a lock.
func sourceLock(t *testing.T, maps []string, extra ...string) (string, *lock.Lock, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "docker.lock.yaml")
	code, stdout, stderr := rpmvault(t, append(append([]string{"resolve", "-m", shippedManifest, "--source", "--lock", file, "--json"}, extra...), maps...)...)
	if code != 0 {
		t.Fatalf("resolve --source: exit %d: %s", code, stderr)
	}
	l, err := lock.Read(file)
	if err != nil {
		t.Fatal(err)
	}
	return file, l, stdout
}

// TestResolveSourceLocksEverySRPM: resolve --source pins exactly the source
// RPMs that real rpm reads from the closure's binaries (SOURCERPM), once
// each, sorted by URL, each from the source repo beside its binary's.
func TestResolveSourceLocksEverySRPM(t *testing.T) {
	fixtures.NeedTool(t, "rpm")
	w, maps := fixtureWorld(t)
	file, l, stdout := sourceLock(t, maps)
	want := map[string]string{} // SRPM file name -> repo it must come from
	for _, p := range l.Packages() {
		srpm := strings.TrimSpace(runOut(t, "rpm", "-qp", "--qf", "%{SOURCERPM}", worldFileOf(t, w, p.URL)))
		if srpm != p.SourceRPM {
			t.Errorf("%s: lock sourcerpm %s, rpm says %s", p.NEVRA(), p.SourceRPM, srpm)
		}
		want[srpm] = p.RepoID + "-source"
	}
	srcs := l.Sources()
	if len(srcs) != len(want) || len(srcs) >= len(l.Packages()) {
		t.Errorf("%d source RPMs for %d binaries, want %d distinct", len(srcs), len(l.Packages()), len(want))
	}
	var urls []string
	for _, s := range srcs {
		name := path.Base(s.URL)
		repo, ok := want[name]
		switch {
		case !ok:
			t.Errorf("%s is the source of no binary of the closure", s.URL)
		case s.RepoID != repo || s.Arch != "src" || s.SourceRPM != "" || s.Reason == "":
			t.Errorf("%s: repo %s (want %s), arch %s, sourcerpm %q, reason %q", name, s.RepoID, repo, s.Arch, s.SourceRPM, s.Reason)
		case s.FileName() != name:
			t.Errorf("%s: lock names it %s", s.URL, s.FileName())
		}
		if repo != "docker-source" && !strings.HasPrefix(s.Checksum, "sha256:") {
			t.Errorf("%s from repodata has checksum %q", name, s.Checksum)
		}
		urls = append(urls, s.URL)
	}
	if !sort.StringsAreSorted(urls) {
		t.Errorf("sources are not sorted by URL: %v", urls)
	}
	for _, n := range []string{"glibc-2.12-1.149.el6.src.rpm", "lvm2-2.02.111-2.el6_6.1.src.rpm", "docker-engine-1.7.1-1.el6.src.rpm"} {
		if _, ok := want[n]; !ok {
			t.Errorf("the closure's sources lack %s: %v", n, want)
		}
	}
	for _, id := range []string{"base-source", "updates-source", "docker-source"} {
		if r, ok := l.Repo(id); !ok || !r.Source || !r.GPGCheck || len(r.GPGKeys) == 0 {
			t.Errorf("lock repo %s: %+v", id, r)
		}
	}
	raw, _ := os.ReadFile(file)
	if strings.Contains(string(raw), "sourcerpm: \"\"") {
		t.Error("source entries carry an empty sourcerpm key (the prototype leaves it out)")
	}
	var out struct {
		Sources []map[string]any `json:"sources"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil || len(out.Sources) != len(srcs) {
		t.Errorf("resolve --source --json: %d sources (%v)", len(out.Sources), err)
	}
	// Without --source, nothing of the source repos is read or locked.
	plain := filepath.Join(t.TempDir(), "plain.lock.yaml")
	if code, _, stderr := rpmvault(t, append([]string{"resolve", "-m", shippedManifest, "--lock", plain}, maps...)...); code != 0 {
		t.Fatal(stderr)
	}
	if pl, err := lock.Read(plain); err != nil || len(pl.Sources()) != 0 || len(pl.RPMVault.Repos) != 3 {
		t.Errorf("resolve without --source: %v sources, repos %+v", err, pl.RPMVault.Repos)
	}
}

// TestResolveSourceMissingSRPM: a binary whose source RPM no source repo
// has is an error naming the binary, its SOURCERPM and the repos searched
// (exit 3), or with --allow-missing-source a warning.
func TestResolveSourceMissingSRPM(t *testing.T) {
	_, maps := fixtureWorld(t)
	shipped, err := os.ReadFile(shippedManifest)
	if err != nil {
		t.Fatal(err)
	}
	text := string(shipped)
	i := strings.Index(text, "  - id: docker-source")
	j := strings.Index(text, "install:")
	m := filepath.Join(t.TempDir(), "nodockersrc.yaml")
	if err := os.WriteFile(m, []byte(text[:i]+text[j:]), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := rpmvault(t, append([]string{"resolve", "-m", m, "--source"}, maps...)...)
	for _, want := range []string{"docker-engine-1.7.1-1.el6.x86_64", "docker-engine-1.7.1-1.el6.src.rpm", "base-source, updates-source", "--allow-missing-source"} {
		if code != exitUnresolvable || !strings.Contains(stderr, want) {
			t.Errorf("exit %d (want 3), stderr lacks %q:\n%s", code, want, stderr)
		}
	}
	file := filepath.Join(t.TempDir(), "l.yaml")
	code, _, stderr = rpmvault(t, append([]string{"resolve", "-m", m, "--source", "--allow-missing-source", "--lock", file}, maps...)...)
	if code != 0 || !strings.Contains(stderr, "docker-engine-1.7.1-1.el6.src.rpm") {
		t.Fatalf("--allow-missing-source: exit %d: %s", code, stderr)
	}
	l, err := lock.Read(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range l.Sources() {
		if s.Name == "docker-engine" {
			t.Errorf("a missing source RPM is locked: %+v", s)
		}
	}
	if len(l.Sources()) == 0 {
		t.Error("the sources that exist are not locked")
	}
}

// TestMirrorRefusesTamperedSRPM: a source RPM takes the binaries' verified
// path: a server that corrupts it never gets it into the store (exit 4).
func TestMirrorRefusesTamperedSRPM(t *testing.T) {
	_, maps := fixtureWorld(t)
	file, _, _ := sourceLock(t, maps)
	srv, own := ownServer(t)
	srv.SetFaults(fixtures.Faults{FlipByte: true, PathPrefix: "/docker/rpm/1.7.1/centos-6/SRPMS/"})
	store := filepath.Join(t.TempDir(), "store")
	code, _, stderr := rpmvault(t, append([]string{"mirror", "--lock", file, "--store", store, "--jobs", "2"}, own...)...)
	if code != exitVerification || !strings.Contains(stderr, "docker-engine-1.7.1-1.el6.src") {
		t.Fatalf("mirror of a corrupted SRPM: exit %d (want 4): %s", code, stderr)
	}
	srv.SetFaults(fixtures.Faults{})
	if code, _, stderr := rpmvault(t, append([]string{"mirror", "--lock", file, "--store", store}, own...)...); code != 0 {
		t.Fatalf("mirror from a good server: exit %d: %s", code, stderr)
	}
	l, err := lock.Read(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range l.Sources() {
		if s.SHA256() == "" || s.SigningKey == "" {
			t.Errorf("mirror did not pin %s: %+v", s.NEVRA(), s)
		}
	}
}

// TestBundleCarriesSRPMs: the bundle carries the lock's source RPMs in
// sources/ (checksummed, in the SBOM, outside plan.txt and repodata),
// verify checks them like the binaries, and real rpm reads them. A lock in
// rpm-lockfile-prototype's shape with source entries drives it too.
func TestBundleCarriesSRPMs(t *testing.T) {
	rpmBin := fixtures.NeedTool(t, "rpm")
	w, maps := fixtureWorld(t)
	file, _, _ := sourceLock(t, maps)
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	// mirror pins what the lock could not (the header-only docker sources).
	if code, _, stderr := rpmvault(t, append([]string{"mirror", "--lock", file, "--store", store}, maps...)...); code != 0 {
		t.Fatalf("mirror: exit %d: %s", code, stderr)
	}
	b := filepath.Join(dir, "docker.tar.gz")
	code, stdout, stderr := rpmvault(t, append([]string{"bundle", "--lock", file, "--store", store, "-o", b, "--binary", os.Args[0]}, maps...)...)
	if code != 0 || !strings.Contains(stdout, "source RPMs in sources/") {
		t.Fatalf("bundle: exit %d: %s%s", code, stdout, stderr)
	}
	l, err := lock.Read(file)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := bundle.Extract(b, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sums, _ := os.ReadFile(filepath.Join(ex, "SHA256SUMS"))
	plan, _ := os.ReadFile(filepath.Join(ex, "plan.txt"))
	cdx, _ := os.ReadFile(filepath.Join(ex, "sbom.cdx.json"))
	for _, s := range l.Sources() {
		rel := "sources/" + s.FileName()
		if !strings.Contains(string(sums), s.SHA256()+"  "+rel) {
			t.Errorf("SHA256SUMS lacks %s with sha256 %s", rel, s.SHA256())
		}
		if strings.Contains(string(plan), s.FileName()) {
			t.Errorf("plan.txt installs the source RPM %s", s.FileName())
		}
		if !strings.Contains(string(cdx), s.SHA256()) {
			t.Errorf("the SBOM does not list %s", rel)
		}
	}
	if out := runOut(t, "sh", "-c", "gzip -dc "+filepath.Join(ex, "repodata", "*-primary.xml.gz")); strings.Contains(out, `<arch>src</arch>`) {
		t.Error("the bundle's repodata lists source RPMs: yum would see them")
	}
	// Real rpm: the bundled SRPM is a source package, signed by a key of the world.
	root := t.TempDir()
	for key := range w.Keys {
		runOut(t, rpmBin, "--root", root, "--import", filepath.Join(w.Root, key))
	}
	for _, name := range []string{"docker-engine-1.7.1-1.el6.src.rpm", "lvm2-2.02.111-2.el6_6.1.src.rpm"} {
		p := filepath.Join(ex, "sources", name)
		if out := runOut(t, rpmBin, "--root", root, "-K", p); !strings.Contains(out, "digests signatures OK") {
			t.Errorf("rpm -K %s: %s", name, out)
		}
		if out := runOut(t, rpmBin, "-qpi", p); !strings.Contains(out, "Source RPM  : (none)") || !strings.Contains(out, "Signature   : RSA/") {
			t.Errorf("rpm -qpi %s:\n%s", name, out)
		}
	}
	if code, stdout, stderr := rpmvault(t, "verify", b, "--json"); code != 0 || !strings.Contains(stdout, `"sources": `+itoa(len(l.Sources()))) {
		t.Errorf("verify: exit %d: %s%s", code, stdout, stderr)
	}
	for _, tt := range []struct {
		name   string
		tamper func(dir string)
		want   string
	}{
		{"flipped byte", func(d string) { flipByte(t, filepath.Join(d, "sources", "lvm2-2.02.111-2.el6_6.1.src.rpm")) }, "sources/lvm2-2.02.111-2.el6_6.1.src.rpm"},
		{"missing", func(d string) { os.Remove(filepath.Join(d, "sources", "glibc-2.12-1.149.el6.src.rpm")) }, "sources/glibc-2.12-1.149.el6.src.rpm"},
		{"extra", func(d string) { os.WriteFile(filepath.Join(d, "sources", "evil-1-1.src.rpm"), []byte("x"), 0o644) }, "sources/evil-1-1.src.rpm"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, err := bundle.Extract(b, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			tt.tamper(d)
			if code, _, stderr := rpmvault(t, "verify", d); code != exitVerification || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d (want 4) naming %s: %s", code, tt.want, stderr)
			}
		})
	}
	// install never installs a source RPM.
	if code, stdout, stderr := rpmvault(t, append([]string{"install", b, "--dry-run", "--json"}, lockAnchor(t, b)...)...); code != 0 || strings.Contains(stdout, ".src") {
		t.Errorf("install --dry-run: exit %d: %s%s", code, stdout, stderr)
	}

	// The prototype's own shape, with source entries, drives mirror and bundle.
	proto := filepath.Join(dir, "rpms.lock.yaml")
	text := string(prototypeLock(l.Packages()))
	text = strings.Replace(text, "  source: []\n", prototypeSources(l.Sources()), 1)
	if err := os.WriteFile(proto, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	store2 := filepath.Join(dir, "store2")
	if code, _, stderr := rpmvault(t, append([]string{"mirror", "--lock", proto, "--store", store2}, maps...)...); code != 0 {
		t.Fatalf("mirror --lock rpms.lock.yaml with sources: exit %d: %s", code, stderr)
	}
	b2 := filepath.Join(dir, "proto.tar.gz")
	if code, stdout, stderr := rpmvault(t, append([]string{"bundle", "--lock", proto, "--store", store2, "-o", b2, "--binary", os.Args[0]}, maps...)...); code != 0 || !strings.Contains(stdout, itoa(len(l.Sources()))+" source RPMs") {
		t.Fatalf("bundle --lock rpms.lock.yaml with sources: exit %d: %s%s", code, stdout, stderr)
	}
}

// prototypeSources writes source entries as rpm-lockfile-prototype does:
// url, repoid, size, checksum, name, evr.
func prototypeSources(srcs []lock.Package) string {
	var b strings.Builder
	b.WriteString("  source:\n")
	for _, s := range srcs {
		b.WriteString("  - url: " + s.URL + "\n    repoid: " + s.RepoID + "\n    size: " + itoa(int(s.Size)) +
			"\n    checksum: " + s.Checksum + "\n    name: " + s.Name + "\n    evr: " + s.EVR + "\n")
	}
	return b.String()
}

func itoa(n int) string { return strconv.Itoa(n) }

func runOut(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// TestSourceReposOfStockRepoFiles: CentOS 6's CentOS-Sources.repo as
// shipped (every repo disabled) gives --source the same source RPMs as the
// shipped manifest's explicit source repos: as with dnf download --source,
// the -source partner of each enabled repo is used (base, updates, extras;
// epel.repo's disabled epel-source, through its metalink), and
// centosplus-source, whose binary repo is disabled, is not read.
func TestSourceReposOfStockRepoFiles(t *testing.T) {
	_, maps := fixtureWorld(t)
	maps = append(maps, "--mirror-map", "http://vault.centos.org/centos="+worldSrv.URL+"/vault")
	_, want, _ := sourceLock(t, maps)
	m := writeManifest(t, "repofiles: ["+stockRepos+"/CentOS-Base.repo, "+stockRepos+"/CentOS-Sources.repo, "+stockRepos+"/epel.repo]\nrepos:\n"+dockerRepo+
		"  - id: docker-source\n    packages: [https://get.docker.com/rpm/1.7.1/centos-6/SRPMS/docker-engine-1.7.1-1.el6.src.rpm]\n")
	file := filepath.Join(t.TempDir(), "stock.lock.yaml")
	if code, _, stderr := rpmvault(t, append([]string{"resolve", "-m", m, "--source", "--lock", file}, maps...)...); code != 0 {
		t.Fatalf("resolve --source with CentOS-Sources.repo: exit %d: %s", code, stderr)
	}
	got, err := lock.Read(file)
	if err != nil {
		t.Fatal(err)
	}
	names := func(l *lock.Lock) string {
		var out []string
		for _, s := range l.Sources() {
			out = append(out, s.NEVRA()+" "+s.Checksum)
		}
		sort.Strings(out)
		return strings.Join(out, "\n")
	}
	if names(got) != names(want) {
		t.Errorf("CentOS-Sources.repo gives\n%s\nthe explicit source repos\n%s", names(got), names(want))
	}
	var repos []string
	for _, r := range got.RPMVault.Repos {
		if r.Source {
			repos = append(repos, r.ID)
		}
	}
	if strings.Join(repos, " ") != "docker-source base-source updates-source extras-source epel-source" {
		t.Errorf("source repos read: %v", repos)
	}
}
