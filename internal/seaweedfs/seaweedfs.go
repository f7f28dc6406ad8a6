package seaweedfs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Server is a running `weed server -s3`.
type Server struct {
	Endpoint  string // http://127.0.0.1:PORT of the S3 gateway
	AccessKey string
	SecretKey string
	master    string // http://127.0.0.1:PORT of the master
	cmd       *exec.Cmd
	done      chan struct{}
	log       string
	ports     []int
}

// ErrNoBinary says SEAWEEDFS_WEED names no weed binary; tests fail on it
// under CI and skip otherwise.
var ErrNoBinary = errors.New("no SeaweedFS binary: set SEAWEEDFS_WEED to the weed that .ci/seaweedfs.sh builds (make unit does)")

// Binary returns the weed binary to run.
func Binary() (string, error) {
	p := os.Getenv("SEAWEEDFS_WEED")
	if p == "" {
		return "", ErrNoBinary
	}
	if st, err := os.Stat(p); err != nil || st.IsDir() {
		return "", fmt.Errorf("%w (SEAWEEDFS_WEED=%s: not a file)", ErrNoBinary, p)
	}
	return p, nil
}

func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var out []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

// Start runs a server with its data under dir and waits until its S3
// gateway answers. Stop it with Stop.
func Start(dir string) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	ports, err := freePorts(10)
	if err != nil {
		return nil, err
	}
	s := &Server{AccessKey: "rpmvault-test", SecretKey: "rpmvault-test-secret", done: make(chan struct{}),
		Endpoint: "http://127.0.0.1:" + strconv.Itoa(ports[0]), master: "http://127.0.0.1:" + strconv.Itoa(ports[2]),
		log: filepath.Join(dir, "weed.log"), ports: ports}
	cfg := fmt.Sprintf(`{"identities":[{"name":"rpmvault","credentials":[{"accessKey":%q,"secretKey":%q}],"actions":["Admin","Read","Write","List","Tagging"]}]}`, s.AccessKey, s.SecretKey)
	cfgFile := filepath.Join(dir, "s3.json")
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	logf, err := os.Create(s.log)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	p := func(i int) string { return strconv.Itoa(ports[i]) }
	// Its logs go to weed.log with its output, not to files of their own
	// in the temporary directory.
	s.cmd = exec.Command(bin, "-logtostderr", "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-dir="+data,
		"-s3", "-s3.port="+p(0), "-s3.port.grpc="+p(1), "-s3.config="+cfgFile, "-s3.port.iceberg=0", "-s3.port.lance=0",
		"-master.port="+p(2), "-master.port.grpc="+p(3), "-volume.port="+p(4), "-volume.port.grpc="+p(5),
		"-filer.port="+p(6), "-filer.port.grpc="+p(7), "-debug.port="+p(8), "-metricsPort="+p(9),
		"-master.volumeSizeLimitMB=256", "-volume.max=64")
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	if err := s.waitReady(90 * time.Second); err != nil {
		s.Stop()
		tail, _ := os.ReadFile(s.log)
		if len(tail) > 4000 {
			tail = tail[len(tail)-4000:]
		}
		return nil, fmt.Errorf("seaweedfs did not come up: %w\n%s", err, tail)
	}
	return s, nil
}

// Client returns a client of the S3 gateway with the server's credentials.
func (s *Server) Client() (*minio.Client, error) {
	return minio.New(s.Endpoint[len("http://"):], &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""),
		Region: "us-east-1", BucketLookup: minio.BucketLookupPath})
}

// Env is the environment that points the AWS variables at this server.
func (s *Server) Env() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + s.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s.SecretKey,
		"AWS_ENDPOINT_URL=" + s.Endpoint, "AWS_REGION=us-east-1"}
}

// MakeBucket creates a bucket.
func (s *Server) MakeBucket(ctx context.Context, name string) error {
	c, err := s.Client()
	if err != nil {
		return err
	}
	return c.MakeBucket(ctx, name, minio.MakeBucketOptions{Region: "us-east-1"})
}

// GrowVolumes has the master add n volumes to a bucket's collection now.
// SeaweedFS otherwise grows a collection (7 volumes at a time) on its
// first write and whenever its volumes are full, and the writer of that
// moment waits for it: a benchmark that compares two uploaders in one
// bucket grows it beforehand so that neither pays for the other.
func (s *Server) GrowVolumes(ctx context.Context, bucket string, n int) error {
	u := s.master + "/vol/grow?" + url.Values{"collection": {bucket}, "count": {strconv.Itoa(n)}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("grow volumes of %s: %w", bucket, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("grow volumes of %s: %s: %s", bucket, resp.Status, body)
	}
	return nil
}

// CPUTime is the user and system time the server has used so far, read
// from /proc (Linux; USER_HZ is 100 there on every supported platform). A
// benchmark on a shared machine compares clients by the CPU the server
// spent on each, which other load disturbs less than wall time.
func (s *Server) CPUTime() (time.Duration, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which may hold spaces: utime and
	// stime are the 12th and 13th of them.
	i := bytes.LastIndexByte(stat, ')')
	f := strings.Fields(string(stat[i+1:]))
	if i < 0 || len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", s.cmd.Process.Pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", s.cmd.Process.Pid, err)
	}
	return time.Duration(utime+stime) * (time.Second / 100), nil
}

// waitReady polls until a bucket can be created and written: the S3 port
// answers before the master has volumes to write to.
func (s *Server) waitReady(limit time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	c, err := s.Client()
	if err != nil {
		return err
	}
	var last error
	for {
		if last = c.MakeBucket(ctx, "rpmvault-ready", minio.MakeBucketOptions{}); last == nil || minio.ToErrorResponse(last).Code == "BucketAlreadyOwnedByYou" {
			if _, last = c.PutObject(ctx, "rpmvault-ready", "probe", strings.NewReader("ok"), 2, minio.PutObjectOptions{}); last == nil {
				return nil
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("weed exited: %v", s.cmd.ProcessState)
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Stop ends the server (its whole process group) and waits for it.
func (s *Server) Stop() {
	if s.cmd.Process != nil {
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-s.done
		}
	}
	// weed leaves a unix socket per service in the temporary directory,
	// named by the service's port, after it ends.
	for _, p := range s.ports {
		socks, _ := filepath.Glob(filepath.Join(os.TempDir(), fmt.Sprintf("seaweedfs-*-%d.sock", p)))
		for _, sock := range socks {
			os.Remove(sock)
		}
	}
}
