package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

func TestMain(m *testing.M) {
	// Tests that send signals run this binary as rpmvault itself.
	if os.Getenv("BE_RPMVAULT_FOR_TEST") == "1" {
		main()
	}
	// Keep the default store (the user cache dir) inside a temporary directory.
	dir, err := os.MkdirTemp("", "rpmvault-cmd-cache-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CACHE_HOME", dir)
	code := m.Run()
	weed.Stop()
	os.RemoveAll(dir)
	if worldSrv != nil {
		worldSrv.Close()
	}
	if worldDir != "" {
		os.RemoveAll(worldDir) // the signed ELF world: tens of MB a run
	}
	os.Exit(code)
}

// rpmvault runs one command line in-process and returns exit code and output.
func rpmvault(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsageErrorsExit2(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "a command is required"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"version", "--no-such-flag"}, "unknown flag: --no-such-flag"},
		{[]string{"version", "extra"}, "takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr := rpmvault(t, tt.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q does not say %q", stderr, tt.want)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := rpmvault(t, "version")
	if code != 0 || !strings.HasPrefix(stdout, "rpmvault ") || !strings.Contains(stdout, "go1.") {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
}

func TestMissingConfigFileIsUsageError(t *testing.T) {
	code, _, stderr := rpmvault(t, "version", "--config", t.TempDir()+"/nope.yaml")
	if code != exitUsage || !strings.Contains(stderr, "nope.yaml") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}
