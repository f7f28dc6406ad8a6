// Command rpmvault computes, fetches, bundles and installs exact RPM
// dependency closures for air-gapped machines. See the README and docs/.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// Before anything is freed (see preferHugePages): a resolve's pool
	// goes into huge pages. Without them it only costs faults.
	ctx := context.Background()
	if resolving(os.Args[1:]) {
		if r, err := preferHugePages(hugeHeap); err == nil {
			ctx = context.WithValue(ctx, hugeRangeKey{}, r)
		}
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
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

// resolving: does the command line name a command that reads repos into
// a pool (or may: an argument that only looks like one costs a few
// milliseconds)? The others start without preparing huge pages, which
// took `rpmvault version` from 23 to 35 ms.
func resolving(args []string) bool {
	for _, a := range args {
		switch a {
		case "resolve", "why", "abi", "mirror", "bundle", "report", "graph", "demo":
			return true
		}
	}
	return false
}

// hugeRangeKey holds, in the command's context, the heap range prepared
// for huge pages (see preferHugePages and warmAware).
type hugeRangeKey struct{}
