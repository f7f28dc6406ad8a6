package mirror_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/mirror"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/fetch"
	"github.com/rpmvault/rpmvault/resolver/manifest"
)

// bigRepo writes (once, cached under the temp dir) a repo of 8 RPMs of 128 MiB
// each: 1 GiB to mirror.
func bigRepo(b *testing.B) string {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "rpmvault-bench-1gib")
	if _, err := os.Stat(filepath.Join(dir, "repodata", "repomd.xml")); err == nil {
		return dir
	}
	for i := 0; i < 8; i++ {
		s := fixtures.Spec{Name: fmt.Sprintf("big%d", i), Version: "1", Release: "1", Compressor: "gzip:1",
			Files: []fixtures.File{{Path: fmt.Sprintf("/usr/share/big%d/blob", i), Body: incompressible(128 << 20)}}}
		if _, err := fixtures.WriteRPM(filepath.Join(dir, "Packages"), s); err != nil {
			b.Fatal(err)
		}
	}
	if err := mirror.CreateRepo(dir); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkMirror1GiB mirrors 1 GiB of RPMs from the loopback fixture server
// with full verification in a child process, and reports its throughput and
// peak RSS (the child's, so building the fixtures does not count).
func BenchmarkMirror1GiB(b *testing.B) {
	big := bigLock(b)
	defer big.stop()
	lockFile, total := big.lockFile, big.total
	b.SetBytes(total)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		store := filepath.Join(b.TempDir(), "store")
		run := mirrorChild(b, append(os.Environ(), "RPMVAULT_MIRROR_CHILD=1", "RPMVAULT_LOCK="+lockFile, "RPMVAULT_STORE="+store))
		elapsed := run.elapsed
		b.ReportMetric(run.hwmKB/1024, "peak-RSS-MB")
		b.ReportMetric(float64(total)/1e6/elapsed.Seconds(), "rpmvault-MB/s")
		// The same files with curl into files, no verification, as the yardstick.
		b.StopTimer()
		if curl, err := exec.LookPath("curl"); err == nil {
			args := []string{"-s", "--fail"}
			curlDir := b.TempDir()
			for i, pp := range big.plan.Packages {
				args = append(args, "-o", filepath.Join(curlDir, fmt.Sprint(i)), pp.URLs[0])
			}
			start := time.Now()
			if out, err := exec.Command(curl, args...).CombinedOutput(); err != nil {
				b.Fatalf("curl: %v %s", err, out)
			}
			curlRate := float64(total) / 1e6 / time.Since(start).Seconds()
			b.ReportMetric(curlRate, "curl-MB/s")
			b.ReportMetric(float64(total)/1e6/elapsed.Seconds()/curlRate, "x-curl")
		}
		b.StartTimer()
	}
}

// bigClosure is bigRepo served on loopback with its 1 GiB closure locked.
type bigClosure struct {
	repo     string
	plan     *resolver.Plan
	lockFile string
	total    int64 // the closure's bytes
	stop     func()
}

func bigLock(b *testing.B) bigClosure {
	c := bigClosure{repo: bigRepo(b)}
	srv, err := fixtures.Serve(c.repo)
	if err != nil {
		b.Fatal(err)
	}
	c.stop = func() { srv.Close() }
	m, _ := manifest.Parse([]byte(fmt.Sprintf("name: big\nrepos:\n  - id: big\n    baseurl: [%s]\n    gpgcheck: false\ninstall: [big0, big1, big2, big3, big4, big5, big6, big7]\n", srv.URL)))
	plan, u, err := resolver.Resolve(context.Background(), m.Sources(), m.Request(), &fetch.HTTPFetcher{})
	if err != nil {
		c.stop()
		b.Fatal(err)
	}
	c.plan = plan
	c.lockFile = filepath.Join(b.TempDir(), "lock.yaml")
	if err := lock.Write(c.lockFile, lock.New(m, plan, u.Sources, nil)); err != nil {
		c.stop()
		b.Fatal(err)
	}
	for _, pp := range plan.Packages {
		c.total += pp.Package.Size
	}
	return c
}

// childRun is what mirrorChild measured.
type childRun struct {
	elapsed time.Duration
	cpu     time.Duration // the child's user and system time
	hwmKB   float64       // its peak RSS (VmHWM, as it reports it)
}

// mirrorChild runs TestMirrorChildProcess in a child process with env.
// RPMVAULT_BENCH_CPUPROFILE=FILE has it write a CPU profile.
func mirrorChild(b *testing.B, env []string) childRun {
	args := []string{"-test.run=^TestMirrorChildProcess$"}
	if prof := os.Getenv("RPMVAULT_BENCH_CPUPROFILE"); prof != "" {
		// Where the child's time goes: go tool pprof PROFILE.
		args = append(args, "-test.cpuprofile="+prof)
	}
	child := exec.Command(os.Args[0], args...)
	child.Env = env
	start := time.Now()
	out, err := child.CombinedOutput()
	if err != nil {
		b.Fatalf("mirror child: %v\n%s", err, out)
	}
	elapsed := time.Since(start)
	var hwmKB float64
	for _, line := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			fmt.Sscanf(strings.TrimSpace(rest), "%f", &hwmKB)
		}
	}
	if hwmKB == 0 {
		b.Fatalf("the child reported no peak memory:\n%s", out)
	}
	return childRun{elapsed: elapsed, cpu: child.ProcessState.UserTime() + child.ProcessState.SystemTime(), hwmKB: hwmKB}
}
