package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rpmvault/rpmvault/lock"
	"github.com/rpmvault/rpmvault/mirror"
	"github.com/rpmvault/rpmvault/resolver/fetch"
)

func (a *app) storeCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "store",
		Short: "Look after the content-addressed package store",
		Long: "Look after the content-addressed package store.\n\n" +
			"  rpmvault store verify [--repair] [--lock LOCK] [--store DIR|s3://BUCKET/PREFIX] [--json]\n" +
			"      re-hash every object; with --repair, fetch damaged ones again by their lock or index URLs",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usagef("store needs a subcommand (see rpmvault store --help)")
		},
	}
	verify := &cobra.Command{
		Use:   "verify [--repair] [--lock LOCK] [--store DIR] [--json]",
		Short: "Re-hash every object in the store; with --repair, fetch damaged ones again",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			rw, err := fetch.ParseRewrites(a.cfg.GetStringSlice("mirror-map"))
			if err != nil {
				return usageError{err}
			}
			opts := mirror.CheckOptions{Repair: a.cfg.GetBool("repair"), Rewrites: rw, Net: a.netOptions(), Log: a.log}
			if f := a.cfg.GetString("lock"); f != "" {
				if opts.Lock, err = lock.Read(f); err != nil {
					return err
				}
			}
			if opts.Repair && a.cfg.GetBool("offline") {
				return usagef("--repair fetches damaged objects again, which --offline forbids")
			}
			rep, err := mirror.CheckStore(cmd.Context(), store, opts)
			if err != nil {
				return err
			}
			if a.cfg.GetBool("json") {
				type object struct {
					SHA256   string   `json:"sha256"`
					Packages []string `json:"packages"`
					Repaired bool     `json:"repaired"`
					Error    string   `json:"error,omitempty"`
				}
				bad := []object{}
				for _, b := range rep.Bad {
					o := object{SHA256: b.SHA256, Packages: nonNil(b.Names), Repaired: b.Repaired}
					if b.Err != nil {
						o.Error = b.Err.Error()
					}
					bad = append(bad, o)
				}
				if err := writeJSON(a.stdout, map[string]any{"store": store.String(), "objects": rep.Objects, "damaged": rep.Damaged(), "bad": bad}); err != nil {
					return err
				}
			}
			for _, b := range rep.Bad {
				if a.cfg.GetBool("json") {
					break
				}
				what := strings.Join(b.Names, ", ")
				if what == "" {
					what = "no package known"
				}
				switch {
				case b.Repaired:
					fmt.Fprintf(a.stdout, "repaired %s (%s)\n", b.SHA256, what)
				case opts.Repair:
					fmt.Fprintf(a.stdout, "DAMAGED %s (%s): not repaired: %v\n", b.SHA256, what, b.Err)
				default:
					fmt.Fprintf(a.stdout, "DAMAGED %s (%s)\n", b.SHA256, what)
				}
			}
			if n := rep.Damaged(); n > 0 {
				hint := "run rpmvault store verify --repair (with --lock LOCK if the store's index does not know the URLs)"
				if opts.Repair {
					hint = "pass the --lock that pins them, or remove them and mirror again"
				}
				return &mirror.VerifyError{Package: "store " + store.String(), Detail: fmt.Sprintf("%d of %d objects are damaged: %s", n, rep.Objects, hint)}
			}
			if !a.cfg.GetBool("json") {
				fmt.Fprintf(a.stdout, "%s: OK (%d objects re-hashed, %d repaired)\n", store.String(), rep.Objects, len(rep.Bad))
			}
			return nil
		},
	}
	verify.Flags().String("store", defaultStore(), "content-addressed package store: a directory or s3://BUCKET/PREFIX")
	verify.Flags().Bool("repair", false, "remove damaged objects and fetch them again by the URLs the lock or the store's index know")
	verify.Flags().String("lock", "", "lockfile whose URLs to fetch damaged objects from")
	jsonFlag(verify, "print the objects checked and the damaged ones as JSON")
	cmd.AddCommand(verify)
	return cmd
}
