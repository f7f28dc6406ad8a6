package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestConfigLayering checks the precedence every command relies on:
// flag > RPMVAULT_* environment > config file > default.
func TestConfigLayering(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "rpmvault.yaml")
	if err := os.WriteFile(cfg, []byte("store: /from/file\njobs: 3\nmirror-map: [https://a=http://b]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		env       map[string]string
		args      []string
		wantStore string
		wantJobs  int
	}{
		{"file", nil, []string{"--config", cfg}, "/from/file", 3},
		{"env beats file", map[string]string{"RPMVAULT_STORE": "/from/env"}, []string{"--config", cfg}, "/from/env", 3},
		{"flag beats env", map[string]string{"RPMVAULT_STORE": "/from/env", "RPMVAULT_JOBS": "5"}, []string{"--config", cfg, "--store", "/from/flag"}, "/from/flag", 5},
		{"default", nil, nil, "/default", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			a := newApp(&bytes.Buffer{}, &bytes.Buffer{})
			root := a.rootCommand()
			var gotStore string
			var gotJobs int
			var gotMap []string
			probe := &cobra.Command{Use: "probe", RunE: func(*cobra.Command, []string) error {
				gotStore, gotJobs, gotMap = a.cfg.GetString("store"), a.cfg.GetInt("jobs"), a.cfg.GetStringSlice("mirror-map")
				return nil
			}}
			probe.Flags().String("store", "/default", "")
			probe.Flags().Int("jobs", 4, "")
			root.AddCommand(probe)
			root.SetArgs(append([]string{"probe"}, tt.args...))
			if err := root.Execute(); err != nil {
				t.Fatal(err)
			}
			if gotStore != tt.wantStore || gotJobs != tt.wantJobs {
				t.Errorf("store %q jobs %d, want %q %d", gotStore, gotJobs, tt.wantStore, tt.wantJobs)
			}
			if tt.args != nil && (len(gotMap) != 1 || gotMap[0] != "https://a=http://b") {
				t.Errorf("mirror-map from file: %v", gotMap)
			}
		})
	}
}

// TestListSettingsAddUp: a list setting (--mirror-map) set in several
// places adds up, most specific first: flags, then RPMVAULT_MIRROR_MAP
// (entries separated by commas or spaces), then the config file.
func TestListSettingsAddUp(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "rpmvault.yaml")
	if err := os.WriteFile(cfg, []byte("mirror-map: [https://f=http://file, https://dup=http://x]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  string
		args []string
		want string
	}{
		{"file", "", []string{"--config", cfg}, "https://f=http://file https://dup=http://x"},
		{"env, commas", "https://e=http://env,https://e2=http://env2", nil, "https://e=http://env https://e2=http://env2"},
		{"env, spaces", "https://e=http://env https://e2=http://env2", nil, "https://e=http://env https://e2=http://env2"},
		{"flag alone", "", []string{"--mirror-map", "https://g=http://flag"}, "https://g=http://flag"},
		{"env extends file", "https://e=http://env", []string{"--config", cfg}, "https://e=http://env https://f=http://file https://dup=http://x"},
		{"flag extends env and file", "https://e=http://env", []string{"--config", cfg, "--mirror-map", "https://g=http://flag", "--mirror-map", "https://dup=http://x"},
			"https://g=http://flag https://dup=http://x https://e=http://env https://f=http://file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("RPMVAULT_MIRROR_MAP", tt.env)
			if tt.env == "" {
				os.Unsetenv("RPMVAULT_MIRROR_MAP")
			}
			a := newApp(&bytes.Buffer{}, &bytes.Buffer{})
			root := a.rootCommand()
			var got []string
			root.AddCommand(&cobra.Command{Use: "probe", RunE: func(*cobra.Command, []string) error {
				got = a.cfg.GetStringSlice("mirror-map")
				return nil
			}})
			root.SetArgs(append([]string{"probe"}, tt.args...))
			if err := root.Execute(); err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("mirror-map %q, want %q", strings.Join(got, " "), tt.want)
			}
		})
	}
}
