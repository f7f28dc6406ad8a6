package publish

import (
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
)

// Handler serves published trees read-only: GET and HEAD (with Range,
// If-Modified-Since) of files under repos/ and rpms/, the tree's rpms/
// also as repos/NAME/rpms/. The first tree that has a path serves it.
// Anything else, including every path outside those published parts, is 404.
type Handler struct {
	Trees []Tree
	Log   *slog.Logger
}

// treePath maps a request path to the tree path that serves it, or "".
func treePath(urlPath string) string {
	p := cleanPath(urlPath)
	parts := strings.Split(p, "/")
	switch {
	case len(parts) == 3 && parts[0] == "rpms":
		return p
	case len(parts) >= 5 && parts[0] == "repos" && parts[2] == "rpms":
		return path.Join(append([]string{"rpms"}, parts[3:]...)...)
	case len(parts) >= 3 && parts[0] == "repos" && parts[1] != "":
		return p
	}
	return ""
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "read-only: GET and HEAD only", http.StatusMethodNotAllowed)
		return
	}
	name := treePath(r.URL.Path)
	if name == "" {
		http.NotFound(w, r)
		return
	}
	for _, t := range h.Trees {
		f, err := t.Open(r.Context(), name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			if h.Log != nil {
				h.Log.Error("serve", "path", name, "tree", t.String(), "error", err)
			}
			http.Error(w, "cannot read "+name, http.StatusBadGateway)
			return
		}
		defer f.Close()
		ctype := "application/octet-stream"
		switch {
		case strings.HasSuffix(name, ".rpm"):
			ctype = "application/x-rpm"
		case strings.HasSuffix(name, ".xml"):
			ctype = "text/xml"
		case strings.HasSuffix(name, ".gz"):
			ctype = "application/gzip"
		case strings.HasSuffix(name, ".repo"):
			ctype = "text/plain; charset=utf-8"
		}
		w.Header().Set("Content-Type", ctype)
		http.ServeContent(w, r, path.Base(name), f.ModTime(), f)
		return
	}
	http.NotFound(w, r)
}
