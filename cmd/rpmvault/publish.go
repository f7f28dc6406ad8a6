package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/rpmvault/rpmvault/bundle"
	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/mirror"
	"github.com/rpmvault/rpmvault/publish"
	"github.com/rpmvault/rpmvault/store"
)

func (a *app) publishCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "publish (--lock LOCK | BUNDLE) --to DIR|s3://BUCKET/PREFIX",
		Short: "Publish a lock's or bundle's packages as a yum repository (rpms by content, repodata per lock) with a ready .repo file",
		RunE: func(cmd *cobra.Command, args []string) error {
			to := a.cfg.GetString("to")
			lockFile := a.cfg.GetString("lock")
			if to == "" {
				return usagef("publish needs --to DIR or --to s3://BUCKET/PREFIX")
			}
			if (lockFile == "") == (len(args) == 0) || len(args) > 1 {
				return usagef("publish needs either --lock LOCK or one BUNDLE")
			}
			ctx := cmd.Context()
			in := publish.Input{Name: a.cfg.GetString("name"), URL: a.cfg.GetString("url")}
			if lockFile != "" {
				lk, err := a.readLock(lockFile)
				if err != nil {
					return err
				}
				st, err := a.openStore(ctx)
				if err != nil {
					return err
				}
				keys, err := mirror.KeyBlobs(ctx, st, lk)
				if err != nil {
					return err
				}
				in.Lock, in.Source, in.Keys = lk, publish.StoreSource{Store: st}, keys
			} else {
				var cleanup func()
				var err error
				if in, cleanup, err = bundleInput(args[0], in); err != nil {
					return err
				}
				defer cleanup()
			}
			tree, err := publish.OpenTree(ctx, to, a.s3Config())
			if err != nil {
				return err
			}
			res, err := publish.Publish(ctx, tree, in)
			if err != nil {
				return err
			}
			if a.cfg.GetBool("json") {
				return writeJSON(a.stdout, map[string]any{"name": res.Name, "to": fmt.Sprint(tree), "written": res.Uploaded, "present": res.Present, "repo_file": res.RepoFile})
			}
			fmt.Fprintf(a.stdout, "published %s into %s: %d packages written, %d already there; repo file %s\n",
				res.Name, tree, res.Uploaded, res.Present, res.RepoFile)
			return nil
		},
	}
	cmd.Flags().String("lock", "", "lockfile whose packages (from --store) to publish")
	lockArchFlag(cmd)
	cmd.Flags().String("to", "", "where to publish: a directory or s3://BUCKET/PREFIX")
	cmd.Flags().String("name", "", "repo name, repos/NAME (default: the manifest's or bundle's name)")
	cmd.Flags().String("url", "http://127.0.0.1:8080", "URL the published tree is served at (written into the .repo file)")
	cmd.Flags().String("store", defaultStore(), "store to take --lock's packages from: a directory or s3://BUCKET/PREFIX")
	jsonFlag(cmd, "print what was published as JSON")
	return cmd
}

// bundleInput opens and verifies a bundle (archive or extracted directory)
// as what to publish; cleanup removes what it extracted.
func bundleInput(path string, in publish.Input) (publish.Input, func(), error) {
	dir, lk, cleanup, err := bundle.OpenVerified(path)
	if err != nil {
		return in, nil, err
	}
	keys := map[string][]byte{}
	files, _ := filepath.Glob(filepath.Join(dir, "keys", "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			cleanup()
			return in, nil, err
		}
		keys[filepath.Base(f)] = b
	}
	in.Lock, in.Source, in.Keys = lk, bundleSource(dir), keys
	if in.Name == "" {
		in.Name = bundle.Name(path)
	}
	return in, cleanup, nil
}

// bundleSource serves a verified bundle's rpms/ (bundle.Verify has checked
// every file against SHA256SUMS and the lock).
type bundleSource string

func (b bundleSource) Open(_ context.Context, p lock.Package) (io.ReadCloser, int64, error) {
	f, err := os.Open(filepath.Join(string(b), "rpms", filepath.Base(p.FileName())))
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}

func (a *app) s3Config() store.S3Config {
	return store.S3Config{Endpoint: a.cfg.GetString("s3-endpoint"), LeaseTTL: a.cfg.GetDuration("s3-lease"),
		MultipartThreshold: uint64(max(a.cfg.GetInt64("s3-multipart-mib"), 0)) << 20, Log: a.log}
}

func (a *app) serveCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve [--addr 127.0.0.1:8080] [--url URL] PUBLISHED_OR_BUNDLE...",
		Short: "Serve published repos (directories or s3://BUCKET/PREFIX) or bundles read-only over HTTP, with Range and HEAD",
		Long: "Serve published repos (directories or s3://BUCKET/PREFIX that publish wrote) read-only over HTTP, with Range and HEAD.\n\n" +
			"A bundle (BUNDLE.tar.gz, or an extracted bundle directory) is verified, published into a temporary\n" +
			"directory removed at exit, and served as repos/NAME/ like a published tree; its .repo file points\n" +
			"at --url (default: the address served).",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("serve needs at least one published tree (a directory or s3://BUCKET/PREFIX that publish wrote) or a bundle")
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			ln, err := net.Listen("tcp", a.cfg.GetString("addr"))
			if err != nil {
				return fmt.Errorf("serve: %w (is --addr in use?)", err)
			}
			defer ln.Close()
			url := a.cfg.GetString("url")
			if url == "" {
				url = "http://" + ln.Addr().String()
			}
			h := &publish.Handler{Log: a.log}
			for _, arg := range args {
				if isBundle(arg) {
					t, cleanup, err := a.publishBundleForServe(ctx, arg, url)
					if err != nil {
						return err
					}
					defer cleanup()
					h.Trees = append(h.Trees, t)
					continue
				}
				t, err := publish.OpenTree(ctx, arg, a.s3Config())
				if err != nil {
					return err
				}
				h.Trees = append(h.Trees, t)
			}
			srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}
			// The bound address, so a caller that asked for port 0 learns it.
			fmt.Fprintf(a.stdout, "serving %s at http://%s/\n", strings.Join(args, " "), ln.Addr())
			go func() {
				<-ctx.Done()
				sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				srv.Shutdown(sctx)
			}()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	cmd.Flags().String("addr", "127.0.0.1:8080", "address to listen on")
	cmd.Flags().String("url", "", "URL clients reach this server at, written into a served bundle's .repo file (default: http://ADDR)")
	return cmd
}

// isBundle tells a bundle (an archive, or an extracted bundle directory:
// lock.yaml and SHA256SUMS, no repos/) from a published tree.
func isBundle(arg string) bool {
	if strings.HasPrefix(arg, "s3://") {
		return false
	}
	st, err := os.Stat(arg)
	if err != nil {
		return false
	}
	if !st.IsDir() {
		return true // a published tree is a directory or a prefix: a file can only be a bundle
	}
	for _, f := range []string{"lock.yaml", "SHA256SUMS"} {
		if _, err := os.Stat(filepath.Join(arg, f)); err != nil {
			return false
		}
	}
	_, err = os.Stat(filepath.Join(arg, "repos"))
	return err != nil
}

// publishBundleForServe verifies a bundle and publishes it into a temporary
// directory (what `publish BUNDLE --to DIR` writes), to be served like any
// published tree: its repodata was written for the bundle's own layout,
// and the published one shares its paths, .repo file and 404s with every
// other served tree. A gzip stream cannot be read at an offset, so Range
// requests need the packages as files; cleanup removes them.
func (a *app) publishBundleForServe(ctx context.Context, path, url string) (publish.Tree, func(), error) {
	in, cleanupBundle, err := bundleInput(path, publish.Input{URL: url})
	if err != nil {
		// Name the bundle: a file inside it that fails verification
		// says only its own name.
		return nil, nil, fmt.Errorf("serve bundle %s: %w", path, err)
	}
	defer cleanupBundle()
	dir, err := os.MkdirTemp("", "rpmvault-serve-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	tree, err := publish.OpenTree(ctx, dir, a.s3Config())
	if err == nil {
		var res publish.Result
		if res, err = publish.Publish(ctx, tree, in); err == nil {
			fmt.Fprintf(a.stdout, "bundle %s verified; its repo is repos/%s/ (repo file %s)\n", path, res.Name, res.RepoFile)
		}
	}
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("serve bundle %s: %w", path, err)
	}
	return tree, cleanup, nil
}
