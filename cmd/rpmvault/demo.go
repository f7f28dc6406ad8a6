//go:build demo

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/manifests"
)

const demoManifest = "docker-engine-1.7.1-el6.yaml"

func (a *app) demoCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run resolve → mirror → bundle → verify → install on the built-in fixture world",
		Long: `demo builds a small copy of the real world on this machine — CentOS 6.6 trees
shaped like vault.centos.org and get.docker.com's docker-engine 1.7.1, real
signed RPMs — serves it on 127.0.0.1, points the shipped manifest at it with
--mirror-map, and runs the whole pipeline into a scratch root.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			work := a.cfg.GetString("workdir")
			if work == "" {
				dir, err := os.MkdirTemp("", "rpmvault-demo-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(dir)
				work = dir
			}
			return a.demo(cmd, work)
		},
	}
	cmd.Flags().String("workdir", "", "keep the demo's world, store, bundle and root here (default: a temporary directory)")
	return cmd
}

func (a *app) demo(cmd *cobra.Command, work string) error {
	for _, tool := range []string{"gpg1", "rpmsign", "rpm"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("the demo needs %s (apt-get install rpm gnupg1; make demo installs it): %w", tool, err)
		}
	}
	step := func(format string, args ...any) { fmt.Fprintf(a.stdout, "\n==> "+format+"\n", args...) }

	step("building the fixture world (CentOS 6.6 vault trees, get.docker.com) in %s", work)
	worldDir := filepath.Join(work, "world")
	w, err := fixtures.BuildWorld(worldDir, fixtures.WorldOptions{Sign: true, ELF: true})
	if err != nil {
		return err
	}
	srv, err := fixtures.Serve(worldDir)
	if err != nil {
		return err
	}
	defer srv.Close()
	var maps []string
	for dir, up := range fixtures.Upstreams {
		maps = append(maps, "--mirror-map", up+"="+srv.URL+"/"+dir)
	}
	fmt.Fprintf(a.stdout, "serving it on %s; the real URLs are mapped there with --mirror-map\n", srv.URL)

	data, err := manifests.Files.ReadFile(demoManifest)
	if err != nil {
		return err
	}
	manifest := filepath.Join(work, demoManifest)
	if err := os.WriteFile(manifest, data, 0o644); err != nil {
		return err
	}
	lock := filepath.Join(work, "docker-engine-1.7.1-el6.lock.yaml")
	store := filepath.Join(work, "store")
	out := filepath.Join(work, "docker-engine-1.7.1-el6.tar.gz")
	root := filepath.Join(work, "root")
	quiet := []string{}
	if a.cfg.GetBool("quiet") {
		quiet = []string{"--quiet"}
	}
	// The lock mirror writes is the one bundle packs: its sha256 anchors
	// verify and install on the target.
	anchor := func() []string {
		b, err := os.ReadFile(lock)
		if err != nil {
			return nil
		}
		return []string{"--lock-sha256", lockDigest(b)}
	}
	stages := []struct {
		title string
		args  func() []string
	}{
		{"resolve: the exact closure of docker-engine-1.7.1, in install order", func() []string {
			return append([]string{"resolve", "-m", manifest, "--lock", lock, "--store", store}, maps...)
		}},
		{"why: what pulls in device-mapper", func() []string {
			return append([]string{"why", "-m", manifest, "device-mapper", "--store", store}, maps...)
		}},
		{"mirror: fetch and verify every pinned RPM into the store", func() []string { return append([]string{"mirror", "--lock", lock, "--store", store}, maps...) }},
		{"bundle: one self-verifying archive", func() []string {
			return append([]string{"bundle", "--lock", lock, "--store", store, "-o", out}, maps...)
		}},
		{"verify: from the lock's sha256, checksums, lock, header NEVRAs and signatures", func() []string { return append([]string{"verify", out}, anchor()...) }},
		{"install: re-plan against the (empty) root, apply in one rpm transaction", func() []string {
			return append([]string{"install", out, "--root", root, "--import-keys"}, anchor()...)
		}},
	}
	for _, s := range stages {
		args := s.args()
		step("%s\n    rpmvault %s", s.title, strings.Join(args, " "))
		sub := newApp(a.stdout, a.stderr)
		c := sub.rootCommand()
		c.SetArgs(append(args, quiet...))
		if err := c.ExecuteContext(cmd.Context()); err != nil {
			return fmt.Errorf("%s: %w", strings.Fields(s.title)[0], err)
		}
	}
	step("checking the result with rpm")
	o, err := exec.Command("rpm", "--root", root, "-q", "docker-engine", "device-mapper-libs", "libcgroup").CombinedOutput()
	fmt.Fprint(a.stdout, string(o))
	if err != nil {
		return fmt.Errorf("rpm -q after the install: %w", err)
	}
	step("running the installed docker against the installed libdevmapper")
	docker := exec.Command(filepath.Join(root, "usr/bin/docker"))
	docker.Env = []string{"LD_LIBRARY_PATH=" + filepath.Join(root, "lib64")}
	o, err = docker.CombinedOutput()
	fmt.Fprint(a.stdout, string(o))
	if err != nil {
		return fmt.Errorf("the installed docker does not run: %w", err)
	}
	keep := " (removed with the temporary work directory; --workdir DIR keeps it)"
	if a.cfg.GetString("workdir") != "" {
		keep = ""
	}
	fmt.Fprintf(a.stdout, "\ndemo done: %d trees served, bundle %s%s\n", len(w.Trees), out, keep)
	return nil
}
