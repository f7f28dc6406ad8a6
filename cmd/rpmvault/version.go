package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version and revision are set at link time by the Makefile (-X
// main.version=... -X main.revision=...): the Go toolchain's own VCS stamp
// is missing whenever GOFLAGS has -buildvcs=false or the tree is not a
// checkout.
var (
	version  = "dev"
	revision = ""
)

// buildInfo is what `rpmvault version` reports.
type buildInfo struct {
	Version  string `json:"version"`
	Revision string `json:"revision"`
	Go       string `json:"go"`
	OS       string `json:"os"`
	Arch     string `json:"arch"`
}

func currentBuild() buildInfo {
	b := buildInfo{Version: version, Revision: revision, Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok && b.Revision == "" {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				b.Revision = s.Value
			}
		}
	}
	return b
}

func (b buildInfo) String() string {
	rev := ""
	if b.Revision != "" {
		rev = " " + b.Revision
	}
	return fmt.Sprintf("rpmvault %s%s (%s, %s/%s)", b.Version, rev, b.Go, b.OS, b.Arch)
}

func (a *app) versionCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "version [--json]",
		Short: "Print the rpmvault version and the Go toolchain it was built with",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.cfg.GetBool("json") {
				return writeJSON(a.stdout, currentBuild())
			}
			_, err := fmt.Fprintln(a.stdout, currentBuild())
			return err
		},
	}
	jsonFlag(cmd, "print the version as JSON")
	return cmd
}

// jsonFlag adds --json to a command that prints data.
func jsonFlag(cmd *cobra.Command, usage string) {
	cmd.Flags().Bool("json", false, usage)
}
