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

// BenchmarkMirror1GiBS3 mirrors 1 GiB of RPMs from the loopback fixture
// server into an S3 store on a real SeaweedFS (verification on: digests,
// sha256, and the store's own re-hash on the way in), in a child process,
// then has curl upload the same files to the same server (SigV4, no
// verification) as the yardstick. It reports both rates, their ratio and the
// mirror's peak RSS.
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
	b.SetBytes(total)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bucket := fmt.Sprintf("bench%d", i)
		if err := weed.MakeBucket(context.Background(), bucket); err != nil {
			b.Fatal(err)
		}
		elapsed, hwmKB := mirrorChild(b, append(append(os.Environ(), weed.Env()...), "RPMVAULT_MIRROR_CHILD=1", "RPMVAULT_LOCK="+lockFile,
			"RPMVAULT_STORE=s3://"+bucket+"/vault", "RPMVAULT_JOBS=4", "RPMVAULT_MIRROR_MUST_SUCCEED=1",
			"XDG_CACHE_HOME="+b.TempDir(), "AWS_CONFIG_FILE="+os.DevNull, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull))
		b.StopTimer()
		// The yardstick: curl PUTs the same files into the same server,
		// four at a time as the mirror runs four jobs.
		args := []string{"-s", "--fail", "--parallel", "--parallel-max", "4", "--aws-sigv4", "aws:amz:us-east-1:s3",
			"--user", weed.AccessKey + ":" + weed.SecretKey}
		for j, pp := range big.plan.Packages {
			args = append(args, "-T", filepath.Join(big.repo, pp.Package.Location), fmt.Sprintf("%s/%s/curl/%d", weed.Endpoint, bucket, j))
		}
		cstart := time.Now()
		if out, err := exec.Command(curl, args...).CombinedOutput(); err != nil {
			b.Fatalf("curl: %v %s", err, out)
		}
		curlRate := float64(total) / 1e6 / time.Since(cstart).Seconds()
		rate := float64(total) / 1e6 / elapsed.Seconds()
		b.ReportMetric(hwmKB/1024, "peak-RSS-MB")
		b.ReportMetric(rate, "rpmvault-MB/s")
		b.ReportMetric(curlRate, "curl-MB/s")
		b.ReportMetric(rate/curlRate, "x-curl")
		b.StartTimer()
	}
}
