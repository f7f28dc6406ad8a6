package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/fixtures"
)

// TestJSONOnEveryDataCommand runs every command that prints data with
// --json: the output is one JSON document, and its lists are [] when
// empty, never null.
func TestJSONOnEveryDataCommand(t *testing.T) {
	fixtures.NeedTool(t, "rpm")
	_, maps := fixtureWorld(t)
	dir := t.TempDir()
	store, lockFile, b := filepath.Join(dir, "store"), filepath.Join(dir, "docker.lock.yaml"), filepath.Join(dir, "docker.tar.gz")
	root := t.TempDir()
	steps := []struct {
		name string
		args []string
		keys []string // must be present
	}{
		{"version", []string{"version"}, []string{"version", "go"}},
		{"resolve", []string{"resolve", "-m", shippedManifest, "--lock", lockFile}, []string{"packages", "steps"}},
		{"why", []string{"why", "-m", shippedManifest, "ncurses-base"}, []string{"package", "chain"}},
		{"mirror", []string{"mirror", "--lock", lockFile, "--store", store}, []string{"packages", "downloaded_bytes", "store"}},
		{"abi", []string{"abi", "-m", shippedManifest, "--store", store}, []string{"findings", "packages", "objects"}},
		{"bundle", []string{"bundle", "--lock", lockFile, "--store", store, "-o", b, "--binary", os.Args[0]}, []string{"bundle", "lock_sha256", "packages"}},
		{"verify", []string{"verify", b}, []string{"ok", "packages", "trust"}},
		{"install --dry-run", []string{"install", b, "--root", root, "--dry-run"}, []string{"packages", "steps"}},
		{"doctor", []string{"doctor", "--root", root}, nil},
		{"store verify", []string{"store", "verify", "--store", store}, []string{"objects", "bad"}},
		{"capture", []string{"capture", "--root", root, "-o", filepath.Join(dir, "box.capture")}, []string{"packages", "libraries"}},
		{"graph", []string{"graph", "--lock", lockFile, "--store", store, "--format", "json"}, []string{"nodes", "edges"}},
		{"report", []string{"report", "--lock", lockFile, "--store", store, "-o", filepath.Join(dir, "r.html")}, []string{"file", "packages"}},
		{"publish", []string{"publish", "--lock", lockFile, "--store", store, "--to", filepath.Join(dir, "pub")}, []string{"name", "written", "repo_file"}},
	}
	for _, st := range steps {
		args := append([]string(nil), st.args...)
		if st.name != "graph" { // graph's JSON is --format json
			args = append(args, "--json")
		}
		if st.name != "version" && st.name != "doctor" && st.name != "verify" && st.name != "install --dry-run" && st.name != "store verify" && st.name != "capture" && st.name != "graph" && st.name != "report" && st.name != "publish" {
			args = append(args, maps...)
		}
		if st.name == "verify" {
			args = append(args, "--lock-sha256", lockSHA(t, b))
		}
		code, stdout, stderr := rpmvault(t, args...)
		if code != 0 && !(st.name == "doctor" && code == exitPreflight) {
			t.Errorf("%s --json: exit %d: %s", st.name, code, stderr)
			continue
		}
		var doc any
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Errorf("%s --json is not one JSON document: %v\n%s", st.name, err, stdout)
			continue
		}
		if strings.Contains(stdout, ": null") {
			t.Errorf("%s --json prints null where a list or value belongs:\n%s", st.name, stdout)
		}
		obj, _ := doc.(map[string]any)
		for _, k := range st.keys {
			if _, ok := obj[k]; !ok {
				t.Errorf("%s --json lacks %q: %s", st.name, k, stdout)
			}
		}
	}
}

func lockSHA(t *testing.T, b string) string {
	t.Helper()
	return lockAnchor(t, b)[1]
}

func TestDNFHabits(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"--version", []string{"--version"}, 0, []string{"rpmvault ", "go1."}},
		{"mistyped command", []string{"resolv", "-m", "x.yaml"}, exitUsage, []string{`unknown command "resolv"; did you mean resolve?`}},
		{"mistyped command, no flags", []string{"captur"}, exitUsage, []string{"did you mean capture?"}},
		{"old flag name", []string{"install", "--help"}, 0, []string{"--baseline"}},
		{"mistyped subcommand", []string{"store", "verfy"}, exitUsage, []string{`unknown command "verfy"; did you mean verify?`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := rpmvault(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d: %s", code, tt.code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout+stderr, w) {
					t.Errorf("output lacks %q:\n%s%s", w, stdout, stderr)
				}
			}
		})
	}
	// A mistyped manifest key is named, with the closest valid key and all of them.
	m := filepath.Join(t.TempDir(), "m.yaml")
	os.WriteFile(m, []byte("name: x\nconstraint: [a]\nrepos:\n  - id: a\n    baseurls: [http://x/]\ninstall: [a]\n"), 0o644)
	_, _, stderr := rpmvault(t, "resolve", "-m", m)
	for _, w := range []string{`line 2: unknown key "constraint"; did you mean "constraints"?`, `line 5: unknown key "baseurls" in a repo; did you mean "baseurl"?`, "valid keys: id, baseurl"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("manifest typo: error lacks %q:\n%s", w, stderr)
		}
	}
	if strings.Contains(stderr, "manifest.Manifest") {
		t.Errorf("error names a Go type:\n%s", stderr)
	}
	// A value of the wrong kind is named by its key, in YAML's words.
	os.WriteFile(m, []byte("name: x\ninstall: docker-engine\nrepos:\n  id: a\n"), 0o644)
	_, _, stderr = rpmvault(t, "resolve", "-m", m)
	for _, w := range []string{"line 2: install: want a list of strings", "line 4: repos: want a list of repos"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("manifest of wrong kinds: error lacks %q:\n%s", w, stderr)
		}
	}
	if strings.Contains(stderr, "[]string") || strings.Contains(stderr, "resolver.") || strings.Contains(stderr, "manifest.Repo") || strings.Contains(stderr, "manifest.stringList") {
		t.Errorf("error names a Go type:\n%s", stderr)
	}
	// A mistyped key of the config file is named with the closest one.
	cfg := filepath.Join(t.TempDir(), "rpmvault.yaml")
	os.WriteFile(cfg, []byte("mirror-mapp: [a=b]\n"), 0o644)
	if code, _, stderr := rpmvault(t, "--config", cfg, "version"); code != exitUsage || !strings.Contains(stderr, `unknown key "mirror-mapp"; did you mean "mirror-map"?`) {
		t.Errorf("config typo: exit %d: %s", code, stderr)
	}
}

// TestRepeatableFlagExtendsConfig: --mirror-map on the command line adds to
// the config file's list instead of replacing it.
func TestRepeatableFlagExtendsConfig(t *testing.T) {
	_, maps := fixtureWorld(t)
	// The config file maps vault; the command line the rest.
	var fileMap, flagMaps []string
	for i := 0; i < len(maps); i += 2 {
		if strings.HasPrefix(maps[i+1], "https://vault.centos.org=") {
			fileMap = append(fileMap, maps[i+1])
		} else {
			flagMaps = append(flagMaps, maps[i], maps[i+1])
		}
	}
	conf := filepath.Join(t.TempDir(), "rpmvault.yaml")
	os.WriteFile(conf, []byte("mirror-map:\n  - "+fileMap[0]+"\n"), 0o644)
	code, _, stderr := rpmvault(t, append([]string{"resolve", "-m", shippedManifest, "--config", conf}, flagMaps...)...)
	if code != 0 {
		t.Fatalf("resolve with the vault mapped in the config and docker on the command line: exit %d: %s", code, stderr)
	}
}
