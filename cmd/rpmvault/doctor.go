package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rpmvault/rpmvault/installer"
)

func (a *app) doctorCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "doctor [--root DIR] [--json]",
		Short: "Preflight a target box for Docker 1.7.1: kernel, Virtuozzo/OpenVZ, cgroups, modules, libdevmapper, disk, conflicts",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r := installer.Doctor(cmd.Context(), a.cfg.GetString("root"))
			if a.cfg.GetBool("json") {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(r); err != nil {
					return err
				}
			} else {
				tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
				for _, c := range r.Checks {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Status, c.Name, c.Detail)
					if c.Fix != "" && c.Status != installer.Pass {
						fmt.Fprintf(tw, "\t\tfix: %s\n", c.Fix)
					}
				}
				tw.Flush()
			}
			return r.Err()
		},
	}
	cmd.Flags().String("root", "", "inspect this tree instead of the running system (its proc/ files stand in for /proc)")
	cmd.Flags().Bool("json", false, "print the checks as JSON")
	return cmd
}
