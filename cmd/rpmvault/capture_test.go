package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/rpmdb"
)

// on66Only writes the shipped manifest without its device-mapper
// constraint: only the 6.6 repos and docker, nothing of the 6.5 box's release.
func on66Only(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(shippedManifest)
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.Replace(data, []byte("constraints: [\"device-mapper-libs >= 1.02.90\"]\n"), nil, 1)
	manifest := filepath.Join(t.TempDir(), "docker-on-a-box.yaml")
	if err := os.WriteFile(manifest, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return manifest
}

// planNEVRAs runs resolve --json and returns the plan's NEVRAs, sorted.
func planNEVRAs(t *testing.T, args ...string) (nevras []string, stderr string) {
	t.Helper()
	code, stdout, stderr := rpmvault(t, append([]string{"resolve", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("resolve %v: exit %d: %s", args, code, stderr)
	}
	var out planJSON
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("resolve --json: %v\n%s", err, stdout)
	}
	for _, p := range out.Packages {
		pkg := resolver.Package{Name: p.Name, EVR: resolver.EVR{Epoch: p.Epoch, Version: p.Version, Release: p.Release}, Arch: p.Arch}
		nevras = append(nevras, pkg.NEVRA())
	}
	sort.Strings(nevras)
	return nevras, stderr
}

// TestCaptureOfA65Box is the first "must show": a CentOS 6.5 box
// installed with real rpm, captured, then resolved against the 6.6 repos
// alone gives dnf's answer on that box; the ABI check finds the seeds'
// deferred-remove symbol from the capture alone; the rpm one-liner's
// capture gives the same resolve answer.
func TestCaptureOfA65Box(t *testing.T) {
	fixtures.NeedTool(t, "rpm")
	fixtures.NeedTool(t, "gcc")
	w, maps := fixtureWorld(t)
	root := seedBaseline65(t, w)
	dir := t.TempDir()
	capture := filepath.Join(dir, "box.capture")
	code, stdout, stderr := rpmvault(t, "capture", "--root", root, "-o", capture, "--json")
	if code != 0 {
		t.Fatalf("capture: exit %d: %s", code, stderr)
	}
	var sum struct{ Packages, Libraries, Symbols int }
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil || sum.Packages != len(w.Baseline65Specs()) || sum.Libraries == 0 {
		t.Fatalf("capture --json %q (%v): want %d packages and some libraries", stdout, err, len(w.Baseline65Specs()))
	}
	data, err := os.ReadFile(capture)
	t.Logf("capture: %d packages, %d libraries, %d symbols, %d bytes", sum.Packages, sum.Libraries, sum.Symbols, len(data))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, want := range []string{"@ device-mapper-libs (none) 1.02.79 8.el6 x86_64\n", "L 64 x86_64 libdevmapper.so.1.02 /lib64/libdevmapper.so.1.02\n", "E dm_task_create@Base\n", "F /bin/sh\n", "R 0 /bin/sh \n"} {
		if !strings.Contains(text, want) {
			t.Errorf("capture lacks %q", want)
		}
	}
	if strings.Contains(text, "dm_task_get_info_with_deferred_remove") {
		t.Errorf("the 6.5 libdevmapper does not export dm_task_get_info_with_deferred_remove, yet the capture says so")
	}

	// The documented one-liner writes the same file minus the library lines.
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "rpm -qa --qf '"+rpmdb.CaptureQueryFormat+"'") {
		t.Errorf("README does not show the capture one-liner with rpmdb.CaptureQueryFormat")
	}
	oneLiner := filepath.Join(dir, "rpm-qa.capture")
	out, err := exec.Command("sh", "-c", "rpm --root \"$1\" -qa --qf '"+rpmdb.CaptureQueryFormat+"' > \"$2\"", "sh", root, oneLiner).CombinedOutput()
	if err != nil {
		t.Fatalf("one-liner: %v %s", err, out)
	}
	plain, err := os.ReadFile(oneLiner)
	if err != nil {
		t.Fatal(err)
	}
	var stripped []string
	for _, line := range strings.SplitAfter(text, "\n") {
		if !strings.HasPrefix(line, "L ") && !strings.HasPrefix(line, "N ") && !strings.HasPrefix(line, "E ") {
			stripped = append(stripped, line)
		}
	}
	if strings.Join(stripped, "") != string(plain) {
		t.Errorf("capture minus its library lines differs from the one-liner's output")
	}

	manifest := on66Only(t)
	store := t.TempDir()
	args := append([]string{"-m", manifest, "--store", store, "--no-abi"}, maps...)
	ours, warn := planNEVRAs(t, append(args, "--baseline", capture)...)
	if strings.Contains(warn, "in no repo") {
		t.Errorf("a capture carries the dependencies; no warning about unknown packages expected:\n%s", warn)
	}
	theirs := w.DNFInstallSet(t, root, map[string]string{
		"base": filepath.Join(w.Root, "vault/6.6/os/x86_64"), "updates": filepath.Join(w.Root, "vault/6.6/updates/x86_64"),
	}, "docker-engine")
	if strings.Join(ours, " ") != strings.Join(theirs, " ") {
		t.Errorf("on the captured 6.5 box, rpmvault and dnf disagree:\n rpmvault %v\n dnf      %v", ours, theirs)
	}
	// why of a package the box keeps says so, rather than "nothing pulls it in".
	if code, stdout, stderr := rpmvault(t, append([]string{"why", "bash", "-m", manifest, "--store", store, "--baseline", capture}, maps...)...); code != 0 || !strings.Contains(stdout, "is installed on the target") {
		t.Errorf("why bash on the captured box: exit %d, want 0 and \"is installed on the target\"\n%s%s", code, stdout, stderr)
	}
	fromOneLiner, _ := planNEVRAs(t, append(args, "--baseline", oneLiner)...)
	if strings.Join(fromOneLiner, " ") != strings.Join(ours, " ") {
		t.Errorf("the one-liner's capture resolves differently:\n capture   %v\n one-liner %v", ours, fromOneLiner)
	}
	// A NEVRA list knows nothing of what the box's packages provide: without
	// the box's release repo it plans far more (the 13 vs dnf's 4).
	nevraList := filepath.Join(dir, "rpm-qa.txt")
	os.WriteFile(nevraList, []byte(w.Baseline65()), 0o644)
	fromList, warn := planNEVRAs(t, append(args, "--baseline", nevraList)...)
	if len(fromList) <= len(ours) || !strings.Contains(warn, "rpmvault capture") {
		t.Errorf("a plain rpm -qa list should plan more (%d vs %d) and suggest a capture:\n%s", len(fromList), len(ours), warn)
	}
	t.Logf("6.5 box + 6.6 repos: capture plans %d packages (dnf %d), an rpm -qa list %d", len(ours), len(theirs), len(fromList))

	// The ABI check reads the box's libdevmapper from the capture: no repo
	// in the manifest has the 6.5 package.
	code, stdout, stderr = rpmvault(t, append([]string{"abi", "-m", manifest, "--store", store, "--baseline", capture, "--json"}, maps...)...)
	if code != exitUnresolvable {
		t.Fatalf("abi with the capture: exit %d, want 3\n%s%s", code, stdout, stderr)
	}
	var rep struct {
		Findings []struct {
			Symbol, Provider, Fix string
			Installed             bool
		}
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Symbol != "dm_task_get_info_with_deferred_remove" || !rep.Findings[0].Installed ||
		rep.Findings[0].Provider != "device-mapper-libs-1.02.79-8.el6.x86_64" || rep.Findings[0].Fix != "device-mapper-libs >= 1.02.90-2.el6" {
		t.Errorf("abi findings from the capture: %+v", rep.Findings)
	}
}

func TestNoBaselineWarns(t *testing.T) {
	_, maps := fixtureWorld(t)
	manifest := on66Only(t)
	data, _ := os.ReadFile(manifest)
	os.WriteFile(manifest, bytes.Replace(data, []byte("baseline: empty\n"), nil, 1), 0o644)
	_, stderr := planNEVRAs(t, append([]string{"-m", manifest, "--no-abi"}, maps...)...)
	if !strings.Contains(stderr, "the plan is for an empty root") || !strings.Contains(stderr, "rpmvault capture") {
		t.Errorf("no warning about the empty baseline:\n%s", stderr)
	}
	// baseline: empty says so on purpose: no warning.
	_, stderr = planNEVRAs(t, append([]string{"-m", on66Only(t), "--no-abi"}, maps...)...)
	if strings.Contains(stderr, "empty root") {
		t.Errorf("baseline: empty still warns:\n%s", stderr)
	}
}
