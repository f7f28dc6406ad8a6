// Command rpmvault computes, fetches, bundles and installs exact RPM
// dependency closures for air-gapped machines. See the README and DESIGN.md.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// gcPercent is the collector's target unless GOGC says otherwise. What
// rpmvault allocates is mostly garbage soon (a repo's records while they
// are parsed, a solve's rules), and its peak RSS is what it is judged by
// on the small boxes it runs on: at 50 the heap peaks at about 1.5x what
// is live instead of 2x. Measured on the 60,000-package bench repo
// (peak RSS, GOGC=100 -> 50): a cold resolve of the large closure 136 ->
// 110 MB and no slower, a warm one 49 -> 46 MB, the medium closure warm
// 35 -> 33 MB.
const gcPercent = 50

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the process exit code; tests call
// it directly.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := newApp(stdout, stderr)
	root := a.rootCommand()
	root.SetArgs(args)
	a.args = args
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	if ctx.Err() != nil {
		// SIGINT or SIGTERM: every command stops through its context.
		a.printError(fmt.Errorf("interrupted, stopped cleanly: %w", err))
		return exitError
	}
	a.printError(err)
	return exitCode(err)
}
