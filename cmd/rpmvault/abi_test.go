package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/fixtures"
)

// on65 writes the shipped manifest for a CentOS 6.5 box without the
// device-mapper constraint: the metadata alone then looks satisfied.
func on65(t *testing.T) (manifest, baseline string) {
	t.Helper()
	w, _ := fixtureWorld(t)
	data, err := os.ReadFile(shippedManifest)
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.Replace(data, []byte("constraints: [\"device-mapper-libs >= 1.02.90\"]\n"), nil, 1)
	data = bytes.Replace(data, []byte("repos:\n"), []byte("repos:\n  - id: base65\n    baseurl: [https://vault.centos.org/6.5/os/x86_64/]\n    gpgkey: https://vault.centos.org/RPM-GPG-KEY-CentOS-6\n"), 1)
	dir := t.TempDir()
	manifest, baseline = filepath.Join(dir, "docker-on-6.5.yaml"), filepath.Join(dir, "installed.txt")
	os.WriteFile(manifest, data, 0o644)
	os.WriteFile(baseline, []byte(w.Baseline65()), 0o644)
	return manifest, baseline
}

func TestABIFindsWhatMetadataDoesNotSay(t *testing.T) {
	fixtures.NeedTool(t, "gcc")
	manifest, baseline := on65(t)
	_, maps := fixtureWorld(t)
	store := t.TempDir()
	args := append([]string{"abi", "-m", manifest, "--baseline", baseline, "--store", store}, maps...)
	code, stdout, stderr := rpmvault(t, args...)
	if code != exitUnresolvable {
		t.Fatalf("abi: exit %d, want 3\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"/usr/bin/docker", "dm_task_get_info_with_deferred_remove", "libdevmapper.so.1.02", "device-mapper-libs-1.02.79-8.el6", "device-mapper-libs >= 1.02.90"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("finding does not mention %q:\n%s", want, stdout)
		}
	}
	if n := strings.Count(stdout, "dm_task_get_info_with_deferred_remove"); n != 1 {
		t.Errorf("want exactly one finding, got %d:\n%s", n, stdout)
	}
	// resolve is a metadata operation unless asked; --abi runs the same
	// check. mirror -m runs it by default, and --no-abi turns it off.
	resolveArgs := append([]string{"resolve", "-m", manifest, "--baseline", baseline, "--store", store}, maps...)
	if code, _, stderr := rpmvault(t, resolveArgs...); code != 0 {
		t.Errorf("resolve: exit %d: %s", code, stderr)
	}
	if code, _, stderr := rpmvault(t, append(resolveArgs, "--abi")...); code != exitUnresolvable || !strings.Contains(stderr, "dm_task_get_info_with_deferred_remove") {
		t.Errorf("resolve --abi: exit %d: %s", code, stderr)
	}
	lockFile := filepath.Join(t.TempDir(), "l.yaml")
	mirrorArgs := append([]string{"mirror", "-m", manifest, "--baseline", baseline, "--store", store, "--lock", lockFile}, maps...)
	if code, _, stderr := rpmvault(t, mirrorArgs...); code != exitUnresolvable || !strings.Contains(stderr, "dm_task_get_info_with_deferred_remove") {
		t.Errorf("mirror -m: exit %d: %s", code, stderr)
	}
	if code, _, stderr := rpmvault(t, append(mirrorArgs, "--no-abi")...); code != 0 {
		t.Errorf("mirror -m --no-abi: exit %d: %s", code, stderr)
	}

	// --fix adds the constraint and the family upgrade follows.
	code, stdout, stderr = rpmvault(t, append(args, "--fix")...)
	if code != 0 {
		t.Fatalf("abi --fix: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"device-mapper-libs-1.02.90-2.el6_6.1", "device-mapper-event-1.02.90-2.el6_6.1", "lvm2-2.02.111-2.el6_6.1"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("fixed closure lacks %s:\n%s", want, stdout)
		}
	}
}

func TestABIEmptyRootHasNoFinding(t *testing.T) {
	fixtures.NeedTool(t, "gcc")
	_, maps := fixtureWorld(t)
	code, stdout, stderr := rpmvault(t, append([]string{"abi", "-m", shippedManifest, "--store", t.TempDir()}, maps...)...)
	if code != 0 || !strings.Contains(stdout, " 0 findings") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestFixedBundleRunsDocker installs the --fix closure onto a real 6.5 root
// and runs the fixture docker binary there: before the fix it fails to load.
func TestFixedBundleRunsDocker(t *testing.T) {
	fixtures.NeedTool(t, "gcc")
	fixtures.NeedTool(t, "rpm")
	w, _ := fixtureWorld(t)
	manifest, baseline := on65(t)
	root := seedBaseline65(t, w)
	// Unfixed: metadata is satisfied, so install docker-engine alone.
	docker := w.RPMPath("docker/rpm/1.7.1/centos-6/RPMS/x86_64", "docker-engine-1.7.1-1.el6.x86_64")
	before := t.TempDir()
	exec.Command("cp", "-a", root+"/.", before).Run()
	run := func(r string) ([]byte, error) {
		cmd := exec.Command(filepath.Join(r, "usr/bin/docker"))
		cmd.Env = []string{"LD_LIBRARY_PATH=" + filepath.Join(r, "lib64")}
		return cmd.CombinedOutput()
	}
	if out, err := exec.Command("rpm", "--root", before, "-i", "--nodeps", "--nosignature", docker).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	if out, err := run(before); err == nil || !fixtures.IsDeferredRemoveLoadError(out) {
		t.Fatalf("docker with the 6.5 libdevmapper: err %v, output %s", err, out)
	}
	// Fixed: bundle with the constraint --fix found, install, run.
	data, _ := os.ReadFile(manifest)
	fixed := filepath.Join(t.TempDir(), "fixed.yaml")
	os.WriteFile(fixed, append(data, []byte("constraints: [\"device-mapper-libs >= 1.02.90-2.el6\"]\n")...), 0o644)
	b, _, _, _ := makeBundleFrom(t, fixed, "--baseline", baseline)
	if code, stdout, stderr := rpmvault(t, "install", b, "--root", root, "--import-keys"); code != 0 {
		t.Fatalf("install: exit %d\n%s%s", code, stdout, stderr)
	}
	out, err := run(root)
	if err != nil || string(out) != fixtures.DockerOutput {
		t.Fatalf("docker after the fix: %v %q", err, out)
	}
}
