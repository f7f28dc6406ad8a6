package main

import (
	"bufio"
	"os"
	"os/user"
	"strconv"
	"strings"
	"testing"
)

// exeResident sums the resident kB of the executable's read-only
// mappings (the test binary's own).
func exeResident(t *testing.T) int {
	t.Helper()
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	total, ours := 0, false
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) >= 5 && strings.Contains(fields[0], "-"):
			ours = len(fields) == 6 && fields[5] == exe && !strings.ContainsRune(fields[1], 'w')
		case ours && fields[0] == "Rss:":
			kb, _ := strconv.Atoi(fields[1])
			total += kb
		}
	}
	return total
}

func TestReleaseStartupPages(t *testing.T) {
	before := exeResident(t)
	if before == 0 {
		t.Fatal("the test binary has no resident read-only pages to start with")
	}
	if err := releaseStartupPages(); err != nil {
		t.Fatal(err)
	}
	after := exeResident(t)
	t.Logf("executable's read-only pages resident: %d kB before, %d kB after", before, after)
	if after >= before {
		t.Errorf("resident read-only pages of the executable did not shrink: %d kB -> %d kB", before, after)
	}
	// And the code still runs: what is needed maps again from the page
	// cache, and what the dynamic linker wrote (a cgo build's relocated
	// read-only data) is still there.
	if got := strings.Repeat("ok", 2); got != "okok" {
		t.Fatal(got)
	}
	if _, err := user.Current(); err != nil {
		t.Fatal(err)
	}
}
