package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/fetch"
	"github.com/rpmvault/rpmvault/resolver/manifest"
)

// pipeline measures the whole pipeline on a closure of more than a
// thousand real RPMs built from the large-repo generator — resolve, mirror,
// bundle, verify, install into an empty root — beside dnf resolving and
// downloading the same closure and a bare rpm -U of the same files, in one
// run on one machine. Each step runs once, on cold stores and empty roots.
func (b *bench) pipeline(packages int, seed, avgBytes int64) {
	ctx := context.Background()
	meta := filepath.Join(b.work, fmt.Sprintf("pipe-meta-v%d-%d-%d", fixtures.LargeRepoVersion, packages, seed))
	rpms := filepath.Join(b.work, fmt.Sprintf("pipe-rpms-v%d-%d-%d-%d", fixtures.LargeRepoVersion, packages, seed, avgBytes))
	const target = "target-large"
	if _, err := os.Stat(filepath.Join(rpms, "done")); err != nil {
		fmt.Fprintf(os.Stderr, "building the real RPMs of %s's closure in a %d-package generated repo ...\n", target, packages)
		os.RemoveAll(meta)
		os.RemoveAll(rpms)
		_, err := fixtures.GenerateLargeRepo(meta, fixtures.LargeRepoOptions{Seed: seed, Packages: packages})
		check(err)
		m, err := manifest.Parse([]byte(fmt.Sprintf("name: gen\nrepos:\n  - id: gen\n    baseurl: [%s]\n    gpgcheck: false\ninstall: [%s]\n", meta, target)))
		check(err)
		plan, _, err := resolver.Resolve(ctx, m.Sources(), m.Request(), &fetch.HTTPFetcher{})
		check(err)
		var closure []*resolver.Package
		for _, pp := range plan.Packages {
			closure = append(closure, pp.Package)
		}
		check(fixtures.WriteLargeRepoRPMs(rpms, closure, avgBytes, seed))
		check(os.WriteFile(filepath.Join(rpms, "done"), nil, 0o644))
	}
	files, err := filepath.Glob(filepath.Join(rpms, "Packages", "*.rpm"))
	check(err)
	var total int64
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			total += st.Size()
		}
	}
	srv, err := fixtures.Serve(rpms)
	check(err)
	defer srv.Close()

	run := filepath.Join(b.work, "pipe-run")
	os.RemoveAll(run)
	check(os.MkdirAll(run, 0o755))
	manifest := filepath.Join(run, "pipe.yaml")
	check(os.WriteFile(manifest, []byte(fmt.Sprintf("name: pipe\nrepos:\n  - id: pipe\n    baseurl: [%s/]\n    gpgcheck: false\ninstall: [%s]\n", srv.URL, target)), 0o644))
	store, lockFile, bundle := filepath.Join(run, "store"), filepath.Join(run, "pipe.lock.yaml"), filepath.Join(run, "pipe.tar.gz")
	dnfDir := filepath.Join(run, "dnf")
	check(os.MkdirAll(dnfDir, 0o755))
	conf := filepath.Join(dnfDir, "dnf.conf")
	check(os.WriteFile(conf, []byte("[main]\n"), 0o644))

	lockSHA := ""
	type step struct {
		name string
		cmd  *exec.Cmd
		wall time.Duration
	}
	steps := []*step{
		{name: "rpmvault resolve", cmd: exec.Command(b.bin, "resolve", "-m", manifest, "--store", store, "--lock", lockFile, "--quiet")},
		{name: "rpmvault mirror", cmd: exec.Command(b.bin, "mirror", "--lock", lockFile, "--store", store, "--quiet")},
		{name: "rpmvault bundle", cmd: exec.Command(b.bin, "bundle", "--lock", lockFile, "--store", store, "-o", bundle, "--binary", b.bin, "--quiet")},
		{name: "rpmvault verify", cmd: exec.Command(b.bin, "verify", bundle)},
		// On the target the bundle is unpacked and installed from its
		// directory (README: tar xzf, then bin/rpmvault install .).
		{name: "tar xzf (unpack on the target)", cmd: exec.Command("tar", "-C", run, "-xzf", bundle)},
		{name: "rpmvault install", cmd: exec.Command(b.bin, "install", filepath.Join(run, "pipe"), "--root", filepath.Join(run, "root-rpmvault"), "--quiet")}, // anchored below
		{name: "dnf install --downloadonly", cmd: exec.Command("dnf", "--config="+conf, "--setopt=reposdir="+dnfDir, "--installroot="+filepath.Join(dnfDir, "root"),
			"--setopt=cachedir="+filepath.Join(dnfDir, "cache"), "--setopt=keepcache=True", "--releasever=6", "--forcearch=x86_64", "--nogpgcheck",
			"--repofrompath=pipe,"+srv.URL+"/", "--repo=pipe", "install", "-y", "--downloadonly", target)},
		{name: "rpm -U", cmd: exec.Command("rpm", append([]string{"--root", filepath.Join(run, "root-rpm"), "-U"}, files...)...)},
	}
	anchor := regexp.MustCompile(`lock sha256 ([0-9a-f]{64})`)
	exec1 := func(s *step) {
		var out bytes.Buffer
		s.cmd.Stdout, s.cmd.Stderr = &out, &out
		start := time.Now()
		err := s.cmd.Run()
		s.wall = time.Since(start)
		if err != nil {
			fail(fmt.Errorf("%s: %v\n%s", s.name, err, out.Bytes()))
		}
		if m := anchor.FindSubmatch(out.Bytes()); m != nil {
			lockSHA = string(m[1])
		}
	}
	for _, s := range steps {
		if s.name == "rpmvault verify" || s.name == "rpmvault install" {
			// From the trust anchor bundle printed, as on a real target.
			s.cmd.Args = append(s.cmd.Args, "--lock-sha256", lockSHA)
		}
		if s.name != "rpmvault install" && s.name != "rpm -U" {
			exec1(s)
		}
	}
	// The two installs take turns, b.runs times each into fresh roots, so
	// that a busy machine slows both alike; medians are reported.
	var installs, bare []time.Duration
	for i := 0; i < b.runs; i++ {
		for _, s := range steps {
			if s.name != "rpmvault install" && s.name != "rpm -U" {
				continue
			}
			root := filepath.Join(run, "root-rpmvault")
			if s.name == "rpm -U" {
				root = filepath.Join(run, "root-rpm")
			}
			os.RemoveAll(root)
			s.cmd = exec.Command(s.cmd.Path, s.cmd.Args[1:]...)
			exec1(s)
			if s.name == "rpm -U" {
				bare = append(bare, s.wall)
			} else {
				installs = append(installs, s.wall)
			}
		}
	}
	medianOf := func(ds []time.Duration) time.Duration {
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	for _, s := range steps {
		switch s.name {
		case "rpmvault install":
			s.wall = medianOf(installs)
		case "rpm -U":
			s.wall = medianOf(bare)
		}
	}
	by := map[string]time.Duration{}
	for _, s := range steps {
		by[s.name] = s.wall
	}
	fmt.Printf("\npipeline: %s's closure, %d real RPMs (%.0f MB) served on loopback, cold store, empty roots; each step once, but the two installs %d times each, in turns (median); install verifies the unpacked bundle from its lock sha256, then installs\n\n", target, len(files), float64(total)/1e6, b.runs)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "step\twall\t")
	for _, s := range steps {
		fmt.Fprintf(tw, "%s\t%.2fs\t\n", s.name, s.wall.Seconds())
	}
	tw.Flush()
	fmt.Printf("\nmirror vs dnf's resolve+download: %.2fx (resolve+mirror %.2fx); install vs bare rpm -U: %.2fx (goals: <= 1.0x, <= 1.3x)\n",
		by["rpmvault mirror"].Seconds()/by["dnf install --downloadonly"].Seconds(),
		(by["rpmvault resolve"]+by["rpmvault mirror"]).Seconds()/by["dnf install --downloadonly"].Seconds(),
		by["rpmvault install"].Seconds()/by["rpm -U"].Seconds())
}
