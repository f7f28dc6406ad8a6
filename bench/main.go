// Command bench measures rpmvault's resolver beside dnf and libsolv on one
// large generated repository, in one run on one machine, and prints a table
// of median wall times, peak RSS and ratios. It is `make bench`'s comparison;
// the Go benchmarks (`go test -bench`) cover the hot paths.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

func main() {
	work := flag.String("work", filepath.Join(os.TempDir(), "rpmvault-bench"), "work directory (the generated repo is kept for later runs)")
	packages := flag.Int("packages", 60000, "packages in the generated repo")
	seed := flag.Int64("seed", 1, "generator seed")
	runs := flag.Int("runs", 3, "runs per measurement (the median is reported)")
	bin := flag.String("rpmvault", "bin/rpmvault", "rpmvault binary to measure")
	generate := flag.Bool("generate-only", false, "only generate the repo (used in a child process)")
	pipePackages := flag.Int("pipeline-packages", 9000, "packages in the generated repo whose large closure the pipeline benchmark builds as real RPMs (0: skip it)")
	pipeBytes := flag.Int64("pipeline-bytes", 64<<10, "average payload bytes of a pipeline RPM")
	pipeOnly := flag.Bool("pipeline-only", false, "run only the pipeline benchmark")
	reportOnly := flag.Bool("report-only", false, "only measure the HTML report of the large closure")
	resolveOnly := flag.Bool("resolve-only", false, "only measure the resolves (the first table)")
	docs := flag.String("docs", "", "write the large report's screenshot into this directory (docs/)")
	flag.Parse()
	repo := filepath.Join(*work, fmt.Sprintf("repo-v%d-%d-%d", fixtures.LargeRepoVersion, *packages, *seed))
	if *generate {
		r, err := fixtures.GenerateLargeRepo(repo, fixtures.LargeRepoOptions{Seed: *seed, Packages: *packages})
		check(err)
		data, _ := json.Marshal(r.Targets)
		check(os.WriteFile(filepath.Join(repo, "targets.json"), data, 0o644))
		return
	}
	check(os.MkdirAll(*work, 0o755))
	b := &bench{work: *work, repo: repo, runs: *runs, bin: *bin}
	if *pipeOnly {
		b.pipeline(*pipePackages, *seed, *pipeBytes)
		return
	}
	if _, err := os.Stat(filepath.Join(repo, "targets.json")); err != nil {
		fmt.Fprintf(os.Stderr, "generating a %d-package repo in %s ...\n", *packages, repo)
		// In a child, so this process stays small: a child's peak RSS is
		// counted from the parent's when it starts.
		run(exec.Command(os.Args[0], "-generate-only", "-work", *work, "-packages", fmt.Sprint(*packages), "-seed", fmt.Sprint(*seed)))
	}
	var targets map[string]string
	data, err := os.ReadFile(filepath.Join(repo, "targets.json"))
	check(err)
	check(json.Unmarshal(data, &targets))

	if *reportOnly {
		b.reportRender(targets["large"], *docs)
		return
	}
	fmt.Printf("%d-package repo (seed %d), %d runs each, median wall time, peak RSS of the process\n\n", *packages, *seed, *runs)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\ttool\tmode\tpackages\twall (median)\tpeak RSS\tvs libsolv cold\t")
	var diffs []string
	for _, size := range []string{"small", "medium", "large"} {
		target := targets[size]
		rows := []row{
			b.measure("libsolv", "cold (XML)", func(i int) (*exec.Cmd, func([]byte) []string) { return b.libsolv(target, false) }),
			b.measure("libsolv", "warm (.solv)", func(i int) (*exec.Cmd, func([]byte) []string) { return b.libsolv(target, true) }),
			b.measure("rpmvault", "cold", func(i int) (*exec.Cmd, func([]byte) []string) {
				return b.rpmvault(target, fmt.Sprintf("cold-%s-%d", size, i))
			}),
			b.measure("rpmvault", "warm (parsed cache)", func(i int) (*exec.Cmd, func([]byte) []string) { return b.rpmvault(target, "warm") }),
			b.measure("dnf", "cold", func(i int) (*exec.Cmd, func([]byte) []string) {
				return b.dnf(target, fmt.Sprintf("cold-%s-%d", size, i))
			}),
			b.measure("dnf", "warm", func(i int) (*exec.Cmd, func([]byte) []string) { return b.dnf(target, "warm") }),
		}
		ref := rows[0]
		for _, r := range rows {
			same := ""
			if strings.Join(r.set, " ") != strings.Join(ref.set, " ") {
				same = " (DIFFERENT SET)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d%s\t%.3fs\t%.0f MB\t%.2fx time, %.2fx RSS\t\n", size, r.tool, r.mode, len(r.set), same,
				r.wall.Seconds(), float64(r.rssKB)/1024, r.wall.Seconds()/ref.wall.Seconds(), float64(r.rssKB)/float64(ref.rssKB))
		}
		for _, r := range rows[1:] {
			if d := diff(ref.set, r.set); d != "" {
				diffs = append(diffs, fmt.Sprintf("%s: %s %s differs from libsolv: %s", size, r.tool, r.mode, d))
			}
		}
	}
	tw.Flush()
	if len(diffs) == 0 {
		fmt.Println("\nrpmvault, dnf and libsolv chose the same package set for every target")
	}
	for _, d := range diffs {
		fmt.Println(d)
	}
	if *resolveOnly {
		return
	}
	b.parseThroughput()
	b.mirrorThroughput()
	b.mirrorS3Throughput()
	if *pipePackages > 0 {
		b.pipeline(*pipePackages, *seed, *pipeBytes)
	}
	b.reportRender(targets["large"], *docs)
}

type bench struct {
	work, repo, bin string
	runs            int
}

type row struct {
	tool, mode string
	wall       time.Duration
	rssKB      int64
	set        []string
}

// measure runs a command several times and keeps the median wall time and
// the largest peak RSS.
func (b *bench) measure(tool, mode string, mk func(i int) (*exec.Cmd, func([]byte) []string)) row {
	r := row{tool: tool, mode: mode}
	var walls []time.Duration
	// A warm mode is measured after one run that fills its cache.
	first := 0
	if strings.HasPrefix(mode, "warm") {
		first = -1
	}
	for i := first; i < b.runs; i++ {
		cmd, parse := mk(i)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		err := cmd.Run()
		wall := time.Since(start)
		if cmd.ProcessState == nil {
			fail(fmt.Errorf("%s %s: %v\n%s", tool, mode, err, out.Bytes()))
		}
		if i < 0 {
			continue
		}
		walls = append(walls, wall)
		r.rssKB = max(r.rssKB, cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss)
		r.set = parse(out.Bytes())
		if len(r.set) == 0 {
			fail(fmt.Errorf("%s %s resolved nothing (%v):\n%s", tool, mode, err, out.Bytes()))
		}
	}
	sort.Slice(walls, func(i, j int) bool { return walls[i] < walls[j] })
	r.wall = walls[len(walls)/2]
	return r
}

func (b *bench) rpmvault(target, store string) (*exec.Cmd, func([]byte) []string) {
	manifest := filepath.Join(b.work, "bench.yaml")
	os.WriteFile(manifest, []byte(fmt.Sprintf("name: bench\nrepos:\n  - id: big\n    baseurl: [%s]\n    gpgcheck: false\ninstall: [%s]\n", b.repo, target)), 0o644)
	storeDir := filepath.Join(b.work, "stores", store)
	if strings.HasPrefix(store, "cold") {
		os.RemoveAll(storeDir)
	}
	cmd := exec.Command(b.bin, "resolve", "-m", manifest, "--json", "--no-abi", "--quiet", "--store", storeDir)
	return cmd, func(out []byte) []string {
		var plan struct {
			Packages []struct {
				Name, Version, Release, Arch string
				Epoch                        int
			}
		}
		if i := bytes.IndexByte(out, '{'); i >= 0 {
			json.Unmarshal(out[i:], &plan)
		}
		var set []string
		for _, p := range plan.Packages {
			evr := resolver.EVR{Epoch: p.Epoch, Version: p.Version, Release: p.Release}
			set = append(set, p.Name+"-"+evr.String()+"."+p.Arch)
		}
		sort.Strings(set)
		return set
	}
}

func (b *bench) dnf(target, cache string) (*exec.Cmd, func([]byte) []string) {
	dir := filepath.Join(b.work, "dnf", cache)
	if strings.HasPrefix(cache, "cold") {
		os.RemoveAll(dir)
	}
	os.MkdirAll(dir, 0o755)
	conf := filepath.Join(b.work, "dnf.conf")
	os.WriteFile(conf, []byte("[main]\n"), 0o644)
	cmd := exec.Command("dnf", "--config="+conf, "--setopt=reposdir="+dir, "--installroot="+filepath.Join(dir, "root"),
		"--setopt=cachedir="+filepath.Join(dir, "cache"), "--releasever=6", "--forcearch=x86_64", "--nogpgcheck",
		"--repofrompath=big,"+b.repo, "install", "--assumeno", target)
	return cmd, parseDnf
}

func parseDnf(out []byte) []string {
	var set []string
	in := false
	for _, line := range strings.Split(string(out), "\n") {
		switch {
		case strings.HasPrefix(line, "Installing"):
			in = true
			continue
		case strings.HasPrefix(line, "Transaction Summary"), line == "":
			in = false
			continue
		}
		if f := strings.Fields(line); in && len(f) >= 5 {
			set = append(set, f[0]+"-"+f[2]+"."+f[1])
		}
	}
	sort.Strings(set)
	return set
}

const libsolvScript = `
import glob, os, sys, solv
repo_dir, target, solvfile, warm = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
pool = solv.Pool(); pool.setdisttype(solv.Pool.DISTTYPE_RPM); pool.setarch("x86_64")
pool.set_flag(solv.Pool.POOL_FLAG_IMPLICITOBSOLETEUSESCOLORS, 1)
r = pool.add_repo("big")
if warm:
    f = solv.xfopen(solvfile); r.add_solv(f); f.close()
    pool.addfileprovides()
else:
    f = solv.xfopen(glob.glob(repo_dir + "/repodata/*-primary.xml.gz")[0]); r.add_rpmmd(f, None); f.close()
    f = solv.xfopen(glob.glob(repo_dir + "/repodata/*-filelists.xml.gz")[0]); r.add_rpmmd(f, None, solv.Repo.REPO_EXTEND_SOLVABLES); f.close()
    pool.addfileprovides()
    if not os.path.exists(solvfile):
        f = solv.xfopen(solvfile, "w"); r.write(f); f.close()
pool.createwhatprovides()
s = pool.Solver()
if s.solve(pool.select(target, solv.Selection.SELECTION_NAME).jobs(solv.Job.SOLVER_INSTALL)):
    sys.exit("unsatisfiable")
for p in sorted(x.str() for x in s.transaction().newsolvables()):
    print(p)
`

func (b *bench) libsolv(target string, warm bool) (*exec.Cmd, func([]byte) []string) {
	w := "0"
	if warm {
		w = "1"
	}
	cmd := exec.Command("/usr/bin/python3", "-c", libsolvScript, b.repo, target, filepath.Join(b.repo, "big.solv"), w)
	return cmd, func(out []byte) []string {
		set := strings.Fields(string(out))
		sort.Strings(set)
		return set
	}
}

// parseThroughput times resolver.ReadPrimary over the uncompressed primary.xml.
func (b *bench) parseThroughput() {
	files, _ := filepath.Glob(filepath.Join(b.repo, "repodata", "*-primary.xml.gz"))
	if len(files) != 1 {
		return
	}
	f, err := os.Open(files[0])
	check(err)
	defer f.Close()
	r, err := rpmmd.Decompress(f, files[0], rpmmd.DefaultMaxMetadataSize)
	check(err)
	xml, err := io.ReadAll(r)
	check(err)
	var secs []float64
	n := 0
	for range b.runs {
		n = 0
		start := time.Now()
		check(resolver.ReadPrimary(bytes.NewReader(xml), "big", func(*resolver.Package) error { n++; return nil }))
		secs = append(secs, time.Since(start).Seconds())
	}
	med := median(secs)
	fmt.Printf("\nprimary.xml parse: %d packages, %.0f MB uncompressed in %.2fs = %.1f MB/s\n", n, float64(len(xml))/1e6, med, float64(len(xml))/1e6/med)
}

// mirrorThroughput runs the mirror benchmark (1 GiB of RPMs from the
// loopback fixture server with verification on, beside curl writing the
// same files) and prints the medians of its numbers.
func (b *bench) mirrorThroughput() {
	m := b.goBenchMetrics("BenchmarkMirror1GiB", "")
	fmt.Printf("mirror, 1 GiB from the loopback server, verification on: rpmvault %.0f MB/s, peak RSS %.0f MB; curl %.0f MB/s; %.2fx curl\n",
		median(m["rpmvault-MB/s"]), median(m["peak-RSS-MB"]), median(m["curl-MB/s"]), median(m["x-curl"]))
}

// mirrorS3Throughput runs BenchmarkMirror1GiBS3 (1 GiB from the loopback
// server into an S3 store on SeaweedFS, verification on, beside curl
// uploading the same files) and prints the medians, with the ratio of the
// CPU curl and the server spent to what the mirror and the server spent
// (steadier than the rates on a machine shared with other work).
func (b *bench) mirrorS3Throughput() {
	m := b.goBenchMetrics("BenchmarkMirror1GiBS3", " (is SEAWEEDFS_WEED set?)")
	fmt.Printf("mirror into S3 (SeaweedFS), 1 GiB, verification on: rpmvault %.0f MB/s, peak RSS %.0f MB; curl upload %.0f MB/s; %.2fx curl (CPU: %.2fx curl's)\n",
		median(m["rpmvault-MB/s"]), median(m["peak-RSS-MB"]), median(m["curl-MB/s"]), median(m["x-curl"]), median(m["cpu-x-curl"]))
}

// goBenchMetrics runs one of ./mirror's benchmarks b.runs times and
// collects each custom metric it reports (value, unit pairs) by unit.
func (b *bench) goBenchMetrics(name, hint string) map[string][]float64 {
	out, err := exec.Command("go", "test", "-run", "^$", "-bench", "^"+name+"$", "-benchtime", "1x",
		"-count", fmt.Sprint(b.runs), "./mirror").CombinedOutput()
	if err != nil {
		fail(fmt.Errorf("%s: %v\n%s", name, err, out))
	}
	metrics := map[string][]float64{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		// Benchmark names end in -GOMAXPROCS when it is above 1.
		if len(f) < 2 || (f[0] != name && !strings.HasPrefix(f[0], name+"-")) {
			continue
		}
		for i := 2; i+1 < len(f); i += 2 {
			var v float64
			if _, err := fmt.Sscan(f[i], &v); err == nil {
				metrics[f[i+1]] = append(metrics[f[i+1]], v)
			}
		}
	}
	if len(metrics["rpmvault-MB/s"]) == 0 {
		fail(fmt.Errorf("%s printed no numbers%s:\n%s", name, hint, out))
	}
	return metrics
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	xs = slices.Clone(xs)
	slices.Sort(xs)
	return xs[len(xs)/2]
}

func diff(a, b []string) string {
	in := map[string]int{}
	for _, x := range a {
		in[x]++
	}
	for _, x := range b {
		in[x]--
	}
	var only []string
	for x, n := range in {
		if n > 0 {
			only = append(only, "-"+x)
		} else if n < 0 {
			only = append(only, "+"+x)
		}
	}
	sort.Strings(only)
	if len(only) > 10 {
		only = append(only[:10], fmt.Sprintf("... %d more", len(only)-10))
	}
	return strings.Join(only, " ")
}

func run(cmd *exec.Cmd) {
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	check(cmd.Run())
}

func check(err error) {
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}
