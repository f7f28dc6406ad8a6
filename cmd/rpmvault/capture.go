package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/rpmvault/rpmvault/installer"
	"github.com/rpmvault/rpmvault/internal/atomicfile"
	"github.com/rpmvault/rpmvault/resolver/rpmdb"
)

func (a *app) captureCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "capture [--root DIR] [-o FILE]",
		Short: "Record the installed packages (with provides, requires, files) and their libraries' symbols, for --baseline",
		Long: `capture runs on the target box and writes its installed set for --baseline:
every installed package with its provides, requires, conflicts, obsoletes and
files, and for each shared library the packages own, its soname and the
symbols it exports. A resolve against it plans exactly what the box lacks, and
the ABI check sees the box's own libraries.

Without rpmvault on the box, the same file minus the symbols comes from rpm:

  rpm -qa --qf '` + rpmdb.CaptureQueryFormat + `' > box.capture`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := a.cfg.GetString("output")
			if out == "" && a.cfg.GetBool("json") {
				return usagef("capture --json prints a summary: it needs -o FILE for the capture itself")
			}
			var st installer.CaptureStats
			err := writeOutput(out, a.stdout, func(w io.Writer) error {
				var err error
				st, err = installer.Capture(cmd.Context(), a.cfg.GetString("root"), w)
				return err
			})
			if err != nil {
				return err
			}
			if a.cfg.GetBool("json") {
				return writeJSON(a.stdout, map[string]any{"file": out, "packages": st.Packages, "libraries": st.Libraries, "symbols": st.Symbols})
			}
			if out != "" && !a.cfg.GetBool("quiet") {
				fmt.Fprintf(a.stderr, "capture: %d packages, %d shared libraries, %d exported symbols into %s\n", st.Packages, st.Libraries, st.Symbols, out)
			}
			return nil
		},
	}
	cmd.Flags().String("root", "", "capture the rpmdb and files under this root (rpm --root)")
	cmd.Flags().StringP("output", "o", "", "write the capture here (default: standard output)")
	cmd.Flags().Bool("json", false, "print a JSON summary of the capture (needs -o)")
	return cmd
}

// writeOutput runs write into path atomically, or into stdout when path
// is "": nothing half-written is left behind on error.
func writeOutput(path string, stdout io.Writer, write func(io.Writer) error) error {
	if path == "" {
		return write(stdout)
	}
	if err := atomicfile.Write(path, 0o644, write); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// writeJSON prints v as indented JSON, the form of every --json output.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
