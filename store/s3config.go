package store

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config says how to reach an S3 store. Empty fields come from the usual
// AWS places: AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, AWS_REGION /
// AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
// AWS_SESSION_TOKEN, and the AWS_PROFILE (or default) profile of
// ~/.aws/config (region, endpoint_url) and ~/.aws/credentials.
type S3Config struct {
	Endpoint string // URL (http://127.0.0.1:8333) or host[:port] (https)
	Region   string
	PartSize uint64 // default DefaultPartSize; at least 5 MiB
	// MultipartThreshold: a larger object goes up in parts, a smaller one
	// in one PUT. Default DefaultMultipartThreshold; at most 5 GiB.
	MultipartThreshold uint64
	LeaseTTL           time.Duration // default DefaultLeaseTTL
	// Transport, when set, carries every request (tests count them).
	Transport http.RoundTripper
	Log       *slog.Logger
}

// ParseS3URL splits s3://BUCKET/PREFIX.
func ParseS3URL(raw string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(raw, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%q is not an s3://BUCKET/PREFIX URL", raw)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	prefix = strings.Trim(prefix, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("%q names no bucket: write s3://BUCKET/PREFIX", raw)
	}
	if prefix != "" {
		if err := checkKey(prefix); err != nil {
			return "", "", fmt.Errorf("%q: prefix %q is not a clean path", raw, prefix)
		}
		prefix += "/"
	}
	return bucket, prefix, nil
}

// OpenS3 opens the store at s3://BUCKET/PREFIX. The bucket must exist.
func OpenS3(ctx context.Context, raw string, cfg S3Config) (*S3, error) {
	bucket, prefix, err := ParseS3URL(raw)
	if err != nil {
		return nil, err
	}
	prof := awsProfile()
	if cfg.Endpoint == "" {
		cfg.Endpoint = firstNonEmpty(os.Getenv("AWS_ENDPOINT_URL_S3"), os.Getenv("AWS_ENDPOINT_URL"), prof["endpoint_url"], "https://s3.amazonaws.com")
	}
	if cfg.Region == "" {
		cfg.Region = firstNonEmpty(os.Getenv("AWS_REGION"), os.Getenv("AWS_DEFAULT_REGION"), prof["region"], "us-east-1")
	}
	if cfg.PartSize == 0 {
		cfg.PartSize = DefaultPartSize
	}
	if cfg.PartSize < 5<<20 {
		return nil, fmt.Errorf("s3 part size %d is below S3's minimum of 5 MiB", cfg.PartSize)
	}
	if cfg.MultipartThreshold == 0 {
		cfg.MultipartThreshold = DefaultMultipartThreshold
	}
	if cfg.MultipartThreshold > maxSinglePut {
		return nil, fmt.Errorf("s3 multipart threshold %d is above S3's limit of 5 GiB for one PUT", cfg.MultipartThreshold)
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = DefaultLeaseTTL
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	host, secure, err := endpointHost(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	creds := credentials.NewChainCredentials([]credentials.Provider{
		&credentials.EnvAWS{},
		&credentials.FileAWSCredentials{},
	})
	tr := cfg.Transport
	if tr == nil {
		if tr, err = s3Transport(secure); err != nil {
			return nil, fmt.Errorf("s3 endpoint %s: %w", cfg.Endpoint, err)
		}
	}
	client, err := minio.New(host, &minio.Options{Creds: creds, Secure: secure, Region: cfg.Region,
		Transport: tr, BucketLookup: minio.BucketLookupPath})
	if err != nil {
		return nil, fmt.Errorf("s3 endpoint %s: %w", cfg.Endpoint, err)
	}
	s := &S3{core: minio.Core{Client: client}, bucket: bucket, prefix: prefix, cfg: cfg, log: cfg.Log}
	ok, err := client.BucketExists(ctx, bucket)
	if err != nil {
		return nil, fmt.Errorf("s3 store %s at %s: %w (check the endpoint, --s3-endpoint, and AWS credentials)", s, cfg.Endpoint, err)
	}
	if !ok {
		return nil, fmt.Errorf("s3 store %s: bucket %q does not exist at %s (create it first)", s, bucket, cfg.Endpoint)
	}
	return s, nil
}

func endpointHost(ep string) (host string, secure bool, err error) {
	if !strings.Contains(ep, "://") {
		return ep, true, nil
	}
	u, err := url.Parse(ep)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || (u.Path != "" && u.Path != "/") {
		return "", false, fmt.Errorf("s3 endpoint %q: want http(s)://HOST[:PORT]", ep)
	}
	return u.Host, u.Scheme == "https", nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// awsProfile reads the active profile's keys from ~/.aws/config
// (AWS_CONFIG_FILE); a missing file is no profile.
func awsProfile() map[string]string {
	out := map[string]string{}
	file := os.Getenv("AWS_CONFIG_FILE")
	if file == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return out
		}
		file = filepath.Join(home, ".aws", "config")
	}
	f, err := os.Open(file)
	if err != nil {
		return out
	}
	defer f.Close()
	want := "default"
	if p := os.Getenv("AWS_PROFILE"); p != "" && p != "default" {
		want = "profile " + p
	}
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			in = strings.TrimSpace(line[1:len(line)-1]) == want
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok && in {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

// Open opens the store spec names: s3://BUCKET/PREFIX or a directory.
func Open(ctx context.Context, spec string, cfg S3Config) (Store, error) {
	if strings.HasPrefix(spec, "s3://") {
		return OpenS3(ctx, spec, cfg)
	}
	if strings.Contains(spec, "://") {
		return nil, fmt.Errorf("store %q: want a directory or s3://BUCKET/PREFIX", spec)
	}
	return OpenDir(spec)
}
