package mirror_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/rpmvault/rpmvault/internal/seaweedfs"
)

// volumeSize is the SeaweedFS test server's volume size limit.
const volumeSize = 256 << 20

// BenchmarkMirror1GiBS3 mirrors 1 GiB of RPMs from the loopback fixture
// server into an S3 store on a real SeaweedFS (verification on: digests,
// sha256, and the store's own re-hash on the way in), in a child process,
// then has curl upload the same files to the same server (SigV4, no
// verification) as the yardstick. It reports both rates, their ratio and the
// mirror's peak RSS, and the CPU each upload cost (the client's plus the
// server's, without the fixture server's): on a shared machine their ratio,
// cpu-x-curl, moves less with other load than x-curl does.
func BenchmarkMirror1GiBS3(b *testing.B) {
	if _, err := seaweedfs.Binary(); err != nil {
		if os.Getenv("CI") != "" {
			b.Fatal(err)
		}
		b.Skip(err)
	}
	curl, err := exec.LookPath("curl")
	if err != nil {
		b.Fatal("curl is the yardstick: install it")
	}
	big := bigLock(b)
	defer big.stop()
	lockFile, total := big.lockFile, big.total
	weedDir := b.TempDir()
	weed, err := seaweedfs.Start(weedDir)
	if err != nil {
		b.Fatal(err)
	}
	defer weed.Stop()
	weedCPU := func() time.Duration {
		t, err := weed.CPUTime()
		if err != nil {
			b.Fatal(err)
		}
		return t
	}
	// The yardstick: curl PUTs the same files into the same server, four
	// at a time as the mirror runs four jobs. It returns the time taken
	// and the CPU curl and the server spent.
	curlPut := func(bucket, prefix string) (time.Duration, time.Duration) {
		args := []string{"-s", "--fail", "--parallel", "--parallel-max", "4", "--aws-sigv4", "aws:amz:us-east-1:s3",
			"--user", weed.AccessKey + ":" + weed.SecretKey}
		for j, pp := range big.plan.Packages {
			args = append(args, "-T", filepath.Join(big.repo, pp.Package.Location), fmt.Sprintf("%s/%s/%s/%d", weed.Endpoint, bucket, prefix, j))
		}
		cmd := exec.Command(curl, args...)
		server, start := weedCPU(), time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("curl: %v %s", err, out)
		}
		elapsed := time.Since(start)
		return elapsed, weedCPU() - server + cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	b.SetBytes(total)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		bucket := fmt.Sprintf("bench%d", i)
		if err := weed.MakeBucket(context.Background(), bucket); err != nil {
			b.Fatal(err)
		}
		// The same conditions for both uploads: the bucket's volumes for
		// all three uploads made beforehand (SeaweedFS otherwise makes
		// them on the first write to a bucket and whenever they fill, and
		// the writer of that moment waits), and a server that has already
		// taken 1 GiB (the first upload into a fresh server costs it about
		// a third more CPU, whoever makes it: curl's too).
		if err := weed.GrowVolumes(context.Background(), bucket, int(3*total/volumeSize)+2); err != nil {
			b.Fatal(err)
		}
		curlPut(bucket, "warmup")
		server := weedCPU()
		b.StartTimer()
		run := mirrorChild(b, append(append(os.Environ(), weed.Env()...), "RPMVAULT_MIRROR_CHILD=1", "RPMVAULT_LOCK="+lockFile,
			"RPMVAULT_STORE=s3://"+bucket+"/vault", "RPMVAULT_JOBS=4", "RPMVAULT_MIRROR_MUST_SUCCEED=1",
			"XDG_CACHE_HOME="+b.TempDir(), "AWS_CONFIG_FILE="+os.DevNull, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull))
		b.StopTimer()
		mirrorCPU := weedCPU() - server + run.cpu
		curlTime, curlCPU := curlPut(bucket, "curl")
		curlRate := float64(total) / 1e6 / curlTime.Seconds()
		rate := float64(total) / 1e6 / run.elapsed.Seconds()
		b.ReportMetric(run.hwmKB/1024, "peak-RSS-MB")
		b.ReportMetric(rate, "rpmvault-MB/s")
		b.ReportMetric(curlRate, "curl-MB/s")
		b.ReportMetric(rate/curlRate, "x-curl")
		b.ReportMetric(mirrorCPU.Seconds(), "rpmvault-cpu-s")
		b.ReportMetric(run.cpu.Seconds(), "rpmvault-own-cpu-s")
		b.ReportMetric(curlCPU.Seconds(), "curl-cpu-s")
		b.ReportMetric(curlCPU.Seconds()/mirrorCPU.Seconds(), "cpu-x-curl")
		b.StartTimer()
	}
}
