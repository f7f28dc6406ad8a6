package publish

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/store"
)

func TestTreePath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/rpms/abc/x.rpm", "rpms/abc/x.rpm"},
		{"/repos/r/repodata/repomd.xml", "repos/r/repodata/repomd.xml"},
		{"/repos/r/rpms/abc/x.rpm", "rpms/abc/x.rpm"},
		{"/repos/r/../../rpms/abc/x.rpm", "rpms/abc/x.rpm"}, // yum 3.2's curl sends dot segments as they are
		{"/repos/r/r.repo", "repos/r/r.repo"},
		{"/", ""},
		{"/repos/", ""},
		{"/repos/r", ""},
		{"/rpms/abc", ""},
		{"/objects/sha256/ab/abc", ""},
		{"/leases/abc", ""},
		{"/../../etc/passwd", ""},
		{"/rpms/a/b/c", ""},
	} {
		if got := treePath(tc.in); got != tc.want {
			t.Errorf("treePath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestHandlerServesOnlyPublishedFiles(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	write := func(p, body string) {
		full := filepath.Join(root, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("rpms/abc/x.rpm", "0123456789")
	write("repos/r/repodata/repomd.xml", "<repomd/>")
	write("objects/sha256/ab/abc", "secret")
	os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o644)
	// A symlink out of the tree must not be followed.
	os.Symlink(filepath.Join(outside, "secret"), filepath.Join(root, "repos", "r", "escape"))
	tree, err := OpenTree(context.Background(), root, defaultS3())
	if err != nil {
		t.Fatal(err)
	}
	if err := tree.(dirTree).link("repos/r"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(&Handler{Trees: []Tree{tree}})
	defer srv.Close()
	for _, tc := range []struct {
		method, path, rng string
		status            int
		body              string
	}{
		{"GET", "/repos/r/rpms/abc/x.rpm", "", 200, "0123456789"},
		{"GET", "/repos/r/rpms/abc/x.rpm", "bytes=2-4", 206, "234"},
		{"GET", "/rpms/abc/x.rpm", "bytes=-3", 206, "789"},
		{"HEAD", "/rpms/abc/x.rpm", "", 200, ""},
		{"GET", "/repos/r/repodata/repomd.xml", "", 200, "<repomd/>"},
		{"GET", "/objects/sha256/ab/abc", "", 404, ""},
		{"GET", "/repos/r/escape", "", 404, ""},
		{"GET", "/repos/r/repodata", "", 404, ""},
		{"GET", "/repos/r/rpms/../../../objects/sha256/ab/abc", "", 404, ""},
		{"PUT", "/rpms/abc/x.rpm", "", 405, ""},
		{"DELETE", "/rpms/abc/x.rpm", "", 405, ""},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		if tc.rng != "" {
			req.Header.Set("Range", tc.rng)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || (tc.status < 300 && string(b) != tc.body) {
			t.Errorf("%s %s (%s): %d %q, want %d %q", tc.method, tc.path, tc.rng, resp.StatusCode, b, tc.status, tc.body)
		}
		if tc.method == "HEAD" && resp.ContentLength != 10 {
			t.Errorf("HEAD length %d, want 10", resp.ContentLength)
		}
		if strings.Contains(string(b), "secret") {
			t.Errorf("%s %s served a file outside the published tree", tc.method, tc.path)
		}
	}
}

func defaultS3() store.S3Config { return store.S3Config{} }
