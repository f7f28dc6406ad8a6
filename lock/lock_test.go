package lock

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func sample() *Lock {
	return &Lock{LockfileVersion: 1, LockfileVendor: Vendor, Arches: []Arch{{Arch: "x86_64", Packages: []Package{
		{URL: "https://vault.centos.org/6.6/os/x86_64/Packages/tar-1.23-11.el6.x86_64.rpm", RepoID: "base", Size: 10, Checksum: "sha256:" + sha,
			Name: "tar", EVR: "2:1.23-11.el6", Epoch: 2, Version: "1.23", Release: "11.el6", Arch: "x86_64", Action: "install", Reason: "requested", Step: 2},
		{URL: "https://get.docker.com/x.rpm", RepoID: "docker", Name: "docker-engine", EVR: "1.7.1-1.el6", Version: "1.7.1", Release: "1.el6", Arch: "x86_64", Step: 1},
	}}}, RPMVault: Meta{Manifest: "m", Install: []string{"tar"}, Repos: []Repo{{ID: "base", GPGCheck: true}}}}
}

func TestWriteReadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "x.lock.yaml")
	if err := Write(path, sample()); err != nil {
		t.Fatal(err)
	}
	l, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	ps := l.Packages()
	if len(ps) != 2 || ps[0].Name != "docker-engine" || ps[1].SHA256() != sha || ps[0].SHA256() != "" {
		t.Fatalf("packages %+v", ps)
	}
	if ps[1].FileName() != "tar-1.23-11.el6.x86_64.rpm" || ps[1].NEVRA() != "tar-2:1.23-11.el6.x86_64" {
		t.Errorf("names %s %s", ps[1].FileName(), ps[1].NEVRA())
	}
	if r, ok := l.Repo("base"); !ok || !r.GPGCheck {
		t.Errorf("repo %+v %v", r, ok)
	}
}

func TestParseIsStrict(t *testing.T) {
	good, err := sample().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, from, to, want string
	}{
		{"unknown key", "lockfileVendor:", "colour: red\nlockfileVendor:", "colour"},
		{"foreign version", "lockfileVersion: 1", "lockfileVersion: 2", "lockfileVersion 2"},
		{"short checksum", "sha256:" + sha, "sha256:" + sha[:60], "checksum"},
		{"upper-case checksum", "sha256:" + sha, "sha256:" + strings.ToUpper(sha), "checksum"},
		{"unknown digest", "sha256:" + sha, "md5:" + sha[:32], "checksum"},
		{"negative size", "size: 10", "size: -1", "negative size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := strings.Replace(string(good), tt.from, tt.to, 1)
			if data == string(good) {
				t.Fatalf("%q is not in the sample", tt.from)
			}
			_, err := Parse([]byte(data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want one naming %q", err, tt.want)
			}
		})
	}
}

// TestReadRefusesAHugeLock: a lock larger than MaxSize (here sparse, as a
// bundle's gzip of zeros unpacks) is refused without being read whole.
func TestReadRefusesAHugeLock(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lock.yaml")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := Read(p); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("got %v, want the lock refused for its size", err)
	}
}
