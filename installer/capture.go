package installer

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/rpmvault/rpmvault/abi"
	"github.com/rpmvault/rpmvault/resolver/rpmdb"
)

// queryInstalled writes rpm's answer to the capture query (every installed
// package with its dependencies and files) to w. rpm's warnings go to the
// error, never into the listing.
func queryInstalled(ctx context.Context, root string, w io.Writer) error {
	args := []string{"-qa", "--qf", rpmdb.CaptureQueryFormat}
	if root != "" && root != "/" {
		args = append([]string{"--root", root}, args...)
	}
	cmd := exec.CommandContext(ctx, "rpm", args...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = w, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("query the installed packages with rpm -qa (root %s): %v: %s", rootPath(root), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// CaptureStats says what a capture holds.
type CaptureStats struct {
	Packages  int
	Libraries int
	Symbols   int
}

// maxLibrarySize bounds how much of one installed file is read as a library.
const maxLibrarySize = 256 << 20

// Capture writes the target's installed set in capture form to w: exactly
// what `rpm -qa --qf rpmdb.CaptureQueryFormat` prints, with each
// package's shared libraries (soname, class, needed libraries, exported
// symbols) after its files, read from the files under root. A resolve with
// this file as its baseline knows what the box's packages provide and
// require, and the ABI check knows what its libraries export, without any
// repo carrying the box's versions.
func Capture(ctx context.Context, root string, w io.Writer) (CaptureStats, error) {
	var query bytes.Buffer
	if err := queryInstalled(ctx, root, &query); err != nil {
		return CaptureStats{}, err
	}
	var st CaptureStats
	bw := bufio.NewWriterSize(w, 256<<10)
	var files []string
	flush := func() error {
		for _, f := range files {
			lib, err := readInstalledLibrary(rootPath(root), f)
			if err != nil {
				return err
			}
			if lib == nil {
				continue
			}
			st.Libraries++
			st.Symbols += len(lib.Exports)
			soname := lib.Soname
			if soname == "" {
				soname = "-"
			}
			fmt.Fprintf(bw, "L %d %s %s %s\n", lib.Bits, lib.Machine, soname, lib.Path)
			for _, n := range lib.Needed {
				fmt.Fprintf(bw, "N %s\n", n)
			}
			for _, e := range lib.Exports {
				fmt.Fprintf(bw, "E %s\n", e)
			}
		}
		files = files[:0]
		return nil
	}
	sc := bufio.NewScanner(&query)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "@ ") {
			if err := flush(); err != nil {
				return st, err
			}
			if !strings.HasPrefix(line, "@ gpg-pubkey ") { // an imported key, not a package
				st.Packages++
			}
		} else if f, ok := strings.CutPrefix(line, "F "); ok {
			files = append(files, f)
		}
		bw.WriteString(line)
		bw.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return st, fmt.Errorf("read rpm's listing: %w", err)
	}
	if err := flush(); err != nil {
		return st, err
	}
	return st, bw.Flush()
}

// readInstalledLibrary summarizes the file at path under root if it is a
// shared library; anything else (a directory, a symlink, a missing or
// unreadable file, a non-ELF file) gives nil. A malformed ELF file is
// skipped too: it is the box's file, not ours to judge, and the ABI check
// then reports its soname as not verified.
func readInstalledLibrary(root, path string) (*rpmdb.Library, error) {
	full := filepath.Join(root, path)
	fi, err := os.Lstat(full)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() < 64 || fi.Size() > maxLibrarySize {
		return nil, nil
	}
	f, err := os.Open(full)
	if err != nil {
		return nil, nil
	}
	defer f.Close()
	var magic [4]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil || string(magic[:]) != "\x7fELF" {
		return nil, nil
	}
	data := make([]byte, fi.Size())
	if _, err := f.ReadAt(data, 0); err != nil {
		return nil, fmt.Errorf("read %s: %w", full, err)
	}
	lib, err := abi.ReadLibrary(path, data)
	if err != nil {
		return nil, nil
	}
	return lib, nil
}
