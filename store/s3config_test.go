package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseS3URL(t *testing.T) {
	for _, tc := range []struct {
		in, bucket, prefix string
		bad                bool
	}{
		{"s3://vault/centos6", "vault", "centos6/", false},
		{"s3://vault/a/b/", "vault", "a/b/", false},
		{"s3://vault", "vault", "", false},
		{"s3:///x", "", "", true},
		{"s3://vault/../x", "", "", true},
		{"/srv/store", "", "", true},
	} {
		b, p, err := ParseS3URL(tc.in)
		if (err != nil) != tc.bad || b != tc.bucket || p != tc.prefix {
			t.Errorf("ParseS3URL(%q) = %q, %q, %v", tc.in, b, p, err)
		}
	}
}

func TestEndpointHost(t *testing.T) {
	for _, tc := range []struct {
		in, host string
		secure   bool
		bad      bool
	}{
		{"http://127.0.0.1:8333", "127.0.0.1:8333", false, false},
		{"https://s3.example.com", "s3.example.com", true, false},
		{"minio.lan:9000", "minio.lan:9000", true, false},
		{"ftp://x", "", false, true},
		{"http://x/path", "", false, true},
	} {
		h, s, err := endpointHost(tc.in)
		if (err != nil) != tc.bad || h != tc.host || s != tc.secure {
			t.Errorf("endpointHost(%q) = %q, %v, %v", tc.in, h, s, err)
		}
	}
}

func TestAWSProfile(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config")
	os.WriteFile(cfg, []byte("[default]\nregion = eu-west-1\n\n[profile lan]\n# comment\nregion=us-east-2\nendpoint_url = http://minio.lan:9000\n"), 0o644)
	t.Setenv("AWS_CONFIG_FILE", cfg)
	t.Setenv("AWS_PROFILE", "")
	if p := awsProfile(); p["region"] != "eu-west-1" || p["endpoint_url"] != "" {
		t.Errorf("default profile: %v", p)
	}
	t.Setenv("AWS_PROFILE", "lan")
	if p := awsProfile(); p["region"] != "us-east-2" || p["endpoint_url"] != "http://minio.lan:9000" {
		t.Errorf("profile lan: %v", p)
	}
}

func TestOpenS3RefusesSizesS3Does(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  S3Config
		want string
	}{
		{"part below 5 MiB", S3Config{PartSize: 1 << 20}, "minimum of 5 MiB"},
		{"one PUT above 5 GiB", S3Config{MultipartThreshold: 6 << 30}, "limit of 5 GiB"},
	} {
		tc.cfg.Endpoint = "http://127.0.0.1:1" // refused before any request
		if _, err := OpenS3(context.Background(), "s3://vault/x", tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}
