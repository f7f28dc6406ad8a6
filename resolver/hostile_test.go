package resolver_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/fetch"
	"github.com/rpmvault/rpmvault/resolver/rpmmd"
)

func dockerRPM(t testing.TB) []byte {
	t.Helper()
	b, err := fixtures.Build(fixtures.DockerEngine())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadPackageRefusesHostileHeaders(t *testing.T) {
	good := dockerRPM(t)
	if p, err := resolver.ReadPackage(bytes.NewReader(good)); err != nil || p.Name != "docker-engine" {
		t.Fatalf("good rpm: %v", err)
	}
	mutate := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	sigIntro := 96
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "truncated"},
		{"bad magic", mutate(func(b []byte) []byte { b[0] = 'X'; return b }), "not an RPM"},
		{"truncated lead", good[:50], "truncated"},
		{"truncated header", good[:sigIntro+40], "truncated"},
		{"absurd index count", mutate(func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[sigIntro+8:], 0xfffffff0)
			return b
		}), "implausible index count"},
		{"absurd data size", mutate(func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[sigIntro+12:], 0x7ffffff0)
			return b
		}), "implausible data size"},
		{"entry outside data", mutate(func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[sigIntro+16+8:], 0x00ffffff)
			return b
		}), "outside the data"},
		{"bad header magic", mutate(func(b []byte) []byte { b[sigIntro] = 0; return b }), "bad magic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := resolver.ReadPackage(bytes.NewReader(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestMetadataReadersRefuseHostileInput(t *testing.T) {
	// A gzip bomb: 64 MiB of zeros compress to ~64 KiB.
	var bomb bytes.Buffer
	gz := gzip.NewWriter(&bomb)
	gz.Write(make([]byte, 64<<20))
	gz.Close()
	r, err := rpmmd.Decompress(bytes.NewReader(bomb.Bytes()), "primary.xml.gz", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, r); err == nil || !strings.Contains(err.Error(), "exceeds the limit") {
		t.Errorf("gzip bomb: %v", err)
	}
	tests := []struct {
		name, xml, want string
	}{
		{"malformed", `<metadata><package type="rpm"><name>a</name>`, "primary.xml"},
		{"no root", ``, "no <metadata>"},
		{"traversal href", `<metadata><package><name>a</name><arch>x86_64</arch><version ver="1" rel="1"/><location href="../../etc/passwd"/></package></metadata>`, "leaves the repository"},
		{"absolute href", `<metadata><package><name>a</name><arch>x86_64</arch><version ver="1" rel="1"/><location href="/etc/passwd"/></package></metadata>`, "leaves the repository"},
		{"bad epoch", `<metadata><package><name>a</name><arch>x86_64</arch><version epoch="x" ver="1" rel="1"/><location href="a.rpm"/></package></metadata>`, "bad epoch"},
		{"bad flags", `<metadata><package><name>a</name><arch>x86_64</arch><version ver="1" rel="1"/><location href="a.rpm"/><format><rpm:requires xmlns:rpm="r"><rpm:entry name="b" flags="XX"/></rpm:requires></format></package></metadata>`, "unknown flags"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := resolver.ReadPrimary(strings.NewReader(tt.xml), "r", func(*resolver.Package) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := rpmmd.ParseRepomd(strings.NewReader(`<repomd><data type="primary"><checksum type="md5">00</checksum><location href="repodata/p.xml.gz"/></data></repomd>`)); err == nil || !strings.Contains(err.Error(), "unsupported checksum") {
		t.Errorf("md5 repomd: %v", err)
	}
}

func FuzzReadPackage(f *testing.F) {
	f.Add(dockerRPM(f))
	f.Add([]byte{0xed, 0xab, 0xee, 0xdb})
	f.Fuzz(func(t *testing.T, data []byte) {
		resolver.ReadPackage(bytes.NewReader(data))
	})
}

func FuzzReadPrimary(f *testing.F) {
	f.Add(`<metadata><package type="rpm"><name>a</name><arch>noarch</arch><version epoch="0" ver="1" rel="1"/><location href="a.rpm"/><format><rpm:provides><rpm:entry name="a" flags="EQ" epoch="0" ver="1" rel="1"/></rpm:provides><file>/usr/bin/a</file></format></package></metadata>`)
	f.Fuzz(func(t *testing.T, xml string) {
		resolver.ReadPrimary(strings.NewReader(xml), "r", func(p *resolver.Package) error {
			if p.Name == "" {
				t.Fatal("a package without a name got through")
			}
			return nil
		})
	})
}

func TestHeaderOnlySourceReadsOnlyTheHeader(t *testing.T) {
	dir := t.TempDir()
	blob := make([]byte, 4<<20) // incompressible, so the payload stays big
	x := uint64(88172645463325252)
	for i := range blob {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		blob[i] = byte(x)
	}
	spec := fixtures.Spec{Name: "bigdocker", Version: "1", Release: "1", Compressor: "gzip:1",
		Requires: []string{"libcgroup"}, Files: []fixtures.File{{Path: "/usr/bin/bigdocker", Body: blob}}}
	path, err := fixtures.WriteRPM(dir, spec)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := fixtures.Serve(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	repos := []resolver.Repo{{ID: "docker", Packages: []string{srv.URL + "/" + spec.FileName()}}}
	u, err := resolver.LoadUniverse(context.Background(), repos, resolver.LoadOptions{Fetcher: &fetch.HTTPFetcher{}})
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Packages()) != 1 || u.Packages()[0].Requires[0].Name != "libcgroup" {
		t.Fatalf("packages %+v", u.Packages())
	}
	st, _ := os.Stat(path)
	if served := srv.BytesServed(); served >= st.Size()/4 {
		t.Errorf("read %d bytes of a %d-byte package to learn its header", served, st.Size())
	}
	// A server that ignores Range still works; then the client stops reading.
	srv.SetFaults(fixtures.Faults{IgnoreRange: true})
	if _, err := resolver.LoadUniverse(context.Background(), repos, resolver.LoadOptions{Fetcher: &fetch.HTTPFetcher{}}); err != nil {
		t.Fatalf("server without Range support: %v", err)
	}
}

func TestDecompressFormats(t *testing.T) {
	const xml = `<metadata><package type="rpm"><name>a</name><arch>noarch</arch><version ver="1" rel="1"/><location href="a.rpm"/></package></metadata>`
	compressed := map[string][]byte{"plain": []byte(xml)}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(xml))
	zw.Close()
	compressed["gzip"] = gz.Bytes()
	for _, tool := range []string{"xz", "bzip2"} {
		if _, err := exec.LookPath(tool); err != nil {
			continue
		}
		cmd := exec.Command(tool, "-c")
		cmd.Stdin = strings.NewReader(xml)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		compressed[tool] = out
	}
	for name, data := range compressed {
		r, err := rpmmd.Decompress(bytes.NewReader(data), "primary.xml", 1<<20)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		n := 0
		if err := resolver.ReadPrimary(r, "r", func(*resolver.Package) error { n++; return nil }); err != nil || n != 1 {
			t.Errorf("%s: %d packages, %v", name, n, err)
		}
	}
	if len(compressed) < 4 && os.Getenv("CI") != "" {
		t.Errorf("xz and bzip2 must be installed in CI (have %d formats)", len(compressed))
	}
}

func TestLocalDirectorySource(t *testing.T) {
	dir := t.TempDir()
	for _, s := range []fixtures.Spec{fixtures.DockerEngine(), {Name: "libcgroup", Version: "0.40.rc1", Release: "12.el6"}} {
		if _, err := fixtures.WriteRPM(dir, s); err != nil {
			t.Fatal(err)
		}
	}
	u, err := resolver.LoadUniverse(context.Background(), []resolver.Repo{{ID: "local", Packages: []string{dir}}}, resolver.LoadOptions{Fetcher: &fetch.HTTPFetcher{}})
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Packages()) != 2 || u.Packages()[0].Name != "docker-engine" || !strings.HasSuffix(u.Packages()[0].Location, ".rpm") {
		t.Fatalf("local directory source: %+v", u.Packages())
	}
}

// TestHeaderOnlySizeWithoutContentLength: a server that ignores Range and
// sends no Content-Length (a close-delimited or chunked body) still gives
// the package its size; plans and reports showed it as 0 B.
func TestHeaderOnlySizeWithoutContentLength(t *testing.T) {
	dir := t.TempDir()
	spec := fixtures.Spec{Name: "docker-engine", Version: "1.7.1", Release: "1.el6", Requires: []string{"libcgroup"},
		Files: []fixtures.File{{Path: "/usr/bin/docker", Body: bytes.Repeat([]byte("docker"), 100000)}}}
	path, err := fixtures.WriteRPM(dir, spec)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK) // no Range, no Content-Length: chunked
		for b := data; len(b) > 0; {
			n := min(len(b), 32<<10)
			w.Write(b[:n])
			w.(http.Flusher).Flush()
			b = b[n:]
		}
	}))
	defer srv.Close()
	repos := []resolver.Repo{{ID: "docker", Packages: []string{srv.URL + "/" + spec.FileName()}}}
	u, err := resolver.LoadUniverse(context.Background(), repos, resolver.LoadOptions{Fetcher: &fetch.HTTPFetcher{}})
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Packages()[0].Size; got != int64(len(data)) {
		t.Errorf("size %d, want %d", got, len(data))
	}
}
