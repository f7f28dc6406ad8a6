package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/rpmvault/rpmvault/mirror"
)

// app holds what every command shares: its configuration and its output streams.
type app struct {
	cfg    *viper.Viper
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
	args   []string // the command line, for the root's error messages
	// mirrored is what the command's mirror run did, for --json.
	mirrored mirror.Summary
}

func newApp(stdout, stderr io.Writer) *app {
	return &app{cfg: viper.New(), stdout: stdout, stderr: stderr}
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "rpmvault",
		Short: "Offline package vault for RPM systems",
		Long: `rpmvault computes the exact dependency closure of what you ask for, pins every
RPM into a content-addressed store with a lockfile, writes one self-verifying
bundle, and installs it on an air-gapped box in the right order.`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		Args:              noArgs,
		PersistentPreRunE: a.configure,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageError{errors.New("a command is required (see rpmvault --help)")}
		},
	}
	// --version, as dnf and rpm have it.
	root.Version = currentBuild().String()
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SuggestionsMinimumDistance = 2
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		// "rpmvault resolv -m x" fails on -m at the root: the mistake is the command.
		if c == root && len(a.args) > 0 && !strings.HasPrefix(a.args[0], "-") {
			if cerr := noArgs(root, a.args[:1]); cerr != nil {
				return cerr
			}
		}
		return usageError{err}
	})

	pf := root.PersistentFlags()
	pf.String("config", "", "configuration file (default: rpmvault.yaml in the working directory, if present)")
	pf.StringSlice("mirror-map", nil, "rewrite URL prefixes FROM=TO (repeatable), e.g. https://vault.centos.org=http://mirror.local/vault")
	pf.Bool("offline", false, "use only the store and cached metadata; make no network request")
	pf.BoolP("quiet", "q", false, "print only errors and the result")
	pf.Duration("metadata-expire", 6*time.Hour, "use cached repo metadata this long before asking the server again (0: always ask)")
	netFlags(pf)
	pf.String("s3-endpoint", "", "S3 endpoint of an s3://BUCKET/PREFIX store, e.g. http://127.0.0.1:8333 (default: AWS_ENDPOINT_URL, ~/.aws/config, AWS)")
	pf.Duration("s3-lease", 0, "how long an S3 store's download claim outlives a writer that stopped renewing it (default 1m)")
	pf.Int("s3-multipart-mib", 0, "objects larger than this many MiB go up to an S3 store as multipart uploads of 16 MiB parts, smaller ones in one PUT (default 256, at most 5120)")

	for _, c := range a.commands() {
		if c != nil { // a command left out of this build
			root.AddCommand(c)
		}
	}
	return root
}

// commands lists the subcommands; each lives in its own file.
func (a *app) commands() []*cobra.Command {
	return []*cobra.Command{
		a.resolveCommand(),
		a.whyCommand(),
		a.mirrorCommand(),
		a.bundleCommand(),
		a.verifyCommand(),
		a.installCommand(),
		a.abiCommand(),
		a.doctorCommand(),
		a.reportCommand(),
		a.graphCommand(),
		a.captureCommand(),
		a.storeCommand(),
		a.demoCommand(),
		a.publishCommand(),
		a.serveCommand(),
		a.versionCommand(),
	}
}

// configure layers configuration for the command about to run: defaults, then
// the config file, then RPMVAULT_* environment variables, then flags.
func (a *app) configure(cmd *cobra.Command, _ []string) error {
	v := a.cfg
	v.SetEnvPrefix("RPMVAULT")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	var bindErr error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if err := v.BindPFlag(f.Name, f); err != nil && bindErr == nil {
			bindErr = fmt.Errorf("bind flag --%s: %w", f.Name, err)
		}
	})
	if bindErr != nil {
		return bindErr
	}
	file := v.GetString("config")
	if file != "" {
		v.SetConfigFile(file)
		if err := v.ReadInConfig(); err != nil {
			return usagef("read config file %s: %w", file, err)
		}
	} else if _, err := os.Stat("rpmvault.yaml"); err == nil {
		file = "rpmvault.yaml"
		v.SetConfigFile(file)
		if err := v.ReadInConfig(); err != nil {
			return fmt.Errorf("read config file rpmvault.yaml: %w (fix it or pass --config)", err)
		}
	}
	a.log = slog.New(slog.NewTextHandler(a.stderr, nil))
	if err := a.strictConfig(cmd, file); err != nil {
		return err
	}
	level := slog.LevelInfo
	if v.GetBool("quiet") {
		level = slog.LevelWarn
	}
	a.log = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
	return nil
}

func (a *app) printError(err error) {
	fmt.Fprintf(a.stderr, "rpmvault: %v\n", err)
}

// noArgs rejects positional arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 && cmd.HasSubCommands() {
		hint := ""
		if cmd.SuggestionsMinimumDistance <= 0 {
			cmd.SuggestionsMinimumDistance = 2 // cobra sets it only on the root's own lookup
		}
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			hint = "; did you mean " + strings.Join(s, " or ") + "?"
		}
		return usagef("unknown command %q%s (see %s --help)", args[0], hint, cmd.CommandPath())
	}
	if len(args) > 0 {
		return usagef("%s takes no arguments, got %q", cmd.CommandPath(), args)
	}
	return nil
}

// exactArgs requires n positional arguments, named for the error message.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != len(names) {
			return usagef("%s needs %s, got %d argument(s)", cmd.CommandPath(), strings.Join(names, " "), len(args))
		}
		return nil
	}
}
