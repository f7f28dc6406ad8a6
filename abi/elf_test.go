package abi

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The testdata files are fixtures.BuildELF's output, kept so that these
// tests and the fuzz seeds run without gcc.
func TestReadObjectFixtures(t *testing.T) {
	base := []string{"dm_get_library_version@Base", "dm_task_create@Base", "dm_task_destroy@Base", "dm_task_get_info@Base", "dm_task_run@Base"}
	for _, tc := range []struct {
		file    string
		soname  string
		needed  []string
		interp  bool
		exports []string
		imports []elfImport
	}{
		{"libdevmapper-old.so", "libdevmapper.so.1.02", nil, false, base, nil},
		{"libdevmapper-new.so", "libdevmapper.so.1.02", nil, false,
			[]string{"dm_get_library_version@Base", "dm_task_create@Base", "dm_task_destroy@Base", "dm_task_get_info@Base", "dm_task_get_info_with_deferred_remove@Base", "dm_task_run@Base"}, nil},
		{"docker", "", []string{"libdevmapper.so.1.02"}, true, nil, []elfImport{
			{Name: "dm_task_create", Version: "Base", Library: "libdevmapper.so.1.02"},
			{Name: "dm_task_destroy", Version: "Base", Library: "libdevmapper.so.1.02"},
			{Name: "dm_task_get_info_with_deferred_remove", Version: "Base", Library: "libdevmapper.so.1.02"},
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			o, err := readObject("/x/"+tc.file, readTestdata(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if o.Soname != tc.soname || o.Interp != tc.interp || o.Bits != 64 || o.Machine != "x86_64" {
				t.Errorf("soname %q interp %v bits %d machine %s", o.Soname, o.Interp, o.Bits, o.Machine)
			}
			if !reflect.DeepEqual(o.Needed, tc.needed) {
				t.Errorf("needed %v, want %v", o.Needed, tc.needed)
			}
			if !reflect.DeepEqual(o.Exports, tc.exports) {
				t.Errorf("exports %v, want %v", o.Exports, tc.exports)
			}
			if !reflect.DeepEqual(o.Imports, tc.imports) {
				t.Errorf("imports %v, want %v", o.Imports, tc.imports)
			}
			if tc.soname != "" && !reflect.DeepEqual(o.Versions, []string{"Base"}) {
				t.Errorf("versions %v, want [Base]", o.Versions)
			}
		})
	}
}

func TestObjectExports(t *testing.T) {
	o := &elfObject{Exports: []string{"a@", "dm@Base", "dm_task@Base", "x@V1", "x@V2"}}
	for _, tc := range []struct {
		name, version string
		want          bool
	}{
		{"dm", "Base", true},
		{"dm", "", true},
		{"dm_task", "Base", true},
		{"dm_t", "", false},
		{"dm", "V1", false},
		{"a", "", true},
		{"a", "Base", false},
		{"x", "V2", true},
		{"x", "V3", false},
		{"y", "", false},
	} {
		if got := o.exports(tc.name, tc.version); got != tc.want {
			t.Errorf("exports(%q, %q) = %v, want %v", tc.name, tc.version, got, tc.want)
		}
	}
}

// TestReadObjectAgainstReadelf compares the summary of real system files
// (glibc's libc, a dynamically linked program) with binutils' readelf.
func TestReadObjectAgainstReadelf(t *testing.T) {
	readelf, err := exec.LookPath("readelf")
	if err != nil {
		t.Skip("readelf not on PATH")
	}
	var files []string
	for _, p := range []string{"/lib/x86_64-linux-gnu/libc.so.6", "/lib64/libc.so.6", "/usr/bin/env", "/bin/ls", "/lib/x86_64-linux-gnu/libz.so.1"} {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			files = append(files, real)
		}
	}
	if len(files) == 0 {
		t.Skip("no system ELF files to compare with")
	}
	for _, path := range files {
		t.Run(path, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			o, err := readObject(path, data)
			if err != nil || o == nil {
				t.Fatalf("%v %v", o, err)
			}
			out, err := exec.Command(readelf, "--dyn-syms", "-W", path).Output()
			if err != nil {
				t.Fatal(err)
			}
			var wantExp, wantImp []string
			for _, line := range strings.Split(string(out), "\n") {
				f := strings.Fields(line)
				if len(f) < 8 || !strings.HasSuffix(f[0], ":") || (f[4] != "GLOBAL" && f[4] != "WEAK") {
					continue
				}
				name, ver := f[7], ""
				if i := strings.Index(name, "@"); i >= 0 {
					name, ver = name[:i], strings.TrimLeft(name[i:], "@")
				}
				if f[6] == "ABS" && f[2] == "0" && f[3] == "OBJECT" && !strings.Contains(f[7], "@") {
					continue // a version node's marker symbol (GLIBC_2.2.5, ZLIB_1.2.0)
				}
				if f[6] == "UND" {
					wantImp = append(wantImp, name+"@"+ver)
				} else {
					wantExp = append(wantExp, name+"@"+ver)
				}
			}
			sort.Strings(wantExp)
			wantExp = dedupe(wantExp)
			if !reflect.DeepEqual(o.Exports, wantExp) {
				t.Errorf("exports differ from readelf:\n got %v\nwant %v", o.Exports, wantExp)
			}
			var gotImp []string
			for _, imp := range o.Imports {
				gotImp = append(gotImp, imp.Name+"@"+imp.Version)
			}
			sort.Strings(gotImp)
			sort.Strings(wantImp)
			if !reflect.DeepEqual(gotImp, wantImp) {
				t.Errorf("imports differ from readelf:\n got %v\nwant %v", gotImp, wantImp)
			}
		})
	}
}

func TestReadObjectHostile(t *testing.T) {
	docker := readTestdata(t, "docker")
	lib := readTestdata(t, "libdevmapper-new.so")
	le := binary.LittleEndian
	patch := func(b []byte, off int, v uint16) []byte {
		c := append([]byte(nil), b...)
		le.PutUint16(c[off:], v)
		return c
	}
	patch64 := func(b []byte, off int, v uint64) []byte {
		c := append([]byte(nil), b...)
		le.PutUint64(c[off:], v)
		return c
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not ELF", []byte(strings.Repeat("#!/bin/sh\n", 10))},
		{"header only", docker[:64]},
		{"half", docker[:len(docker)/2]},
		{"huge section count", patch(docker, 60, 0xffff)},
		{"section table past the end", patch64(docker, 40, 1<<62)},
		{"bad class", append([]byte{0x7f, 'E', 'L', 'F', 9}, docker[5:]...)},
		{"bad data encoding", append([]byte{0x7f, 'E', 'L', 'F', 2, 7}, docker[6:]...)},
		{"verdef next loops off the end", corruptSection(t, lib, ".gnu.version_d", 16, 0x7ffffff0)},
		{"verdef aux off the end", corruptSection(t, lib, ".gnu.version_d", 12, 0xfffffff0)},
		{"vernaux next off the end", corruptSection(t, corruptSection16(t, docker, ".gnu.version_r", 2, 0xffff), ".gnu.version_r", 16+12, 0x7ffffff0)},
		{"verneed name off the table", corruptSection(t, docker, ".gnu.version_r", 4, 0xfffffff)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseObject("/hostile", tc.data)
			var ee *elfError
			if err == nil || !errors.As(err, &ee) {
				t.Fatalf("want an *elfError, got %v (object %v)", err, o)
			}
		})
	}
	// Every truncation of a real file is an error or a summary, never a panic.
	for n := 0; n < len(docker); n += 13 {
		if _, err := parseObject("/t", docker[:n]); err == nil && n < 64 {
			t.Fatalf("%d-byte prefix accepted", n)
		}
	}
}

// corruptSection overwrites a uint32 at off inside the named section.
func corruptSection(t *testing.T, b []byte, name string, off int, v uint32) []byte {
	t.Helper()
	start := sectionOffset(t, b, name)
	c := append([]byte(nil), b...)
	binary.LittleEndian.PutUint32(c[start+off:], v)
	return c
}

func corruptSection16(t *testing.T, b []byte, name string, off int, v uint16) []byte {
	t.Helper()
	start := sectionOffset(t, b, name)
	c := append([]byte(nil), b...)
	binary.LittleEndian.PutUint16(c[start+off:], v)
	return c
}

func sectionOffset(t *testing.T, b []byte, name string) int {
	t.Helper()
	f, err := elfNewFile(b)
	if err != nil {
		t.Fatal(err)
	}
	s := f.Section(name)
	if s == nil {
		t.Fatalf("no %s", name)
	}
	return int(s.Offset)
}

func FuzzParseObject(f *testing.F) {
	for _, name := range []string{"docker", "libdevmapper-old.so", "libdevmapper-new.so"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte("\x7fELF"))
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := parseObject("/f", data)
		if err == nil && o != nil {
			if !sort.StringsAreSorted(o.Exports) {
				t.Fatal("exports not sorted")
			}
			for _, e := range o.Exports {
				if !strings.Contains(e, "@") {
					t.Fatalf("export %q without @", e)
				}
			}
		}
		_ = bytes.MinRead
	})
}

// TestParseObjectMutations is a deterministic complement to the fuzz
// target: seeded byte mutations of real files, biased to the ELF header and
// the section header table, must give an error or a summary, never a panic.
func TestParseObjectMutations(t *testing.T) {
	for _, name := range []string{"docker", "libdevmapper-old.so", "libdevmapper-new.so"} {
		seed := readTestdata(t, name)
		r := rand.New(rand.NewSource(2))
		for i := 0; i < 3000; i++ {
			b := append([]byte(nil), seed...)
			for k := 0; k < 1+r.Intn(6); k++ {
				at := r.Intn(len(b))
				switch r.Intn(3) {
				case 0:
					at = r.Intn(64)
				case 1:
					at = len(b) - 1 - r.Intn(1024)
				}
				b[at] = byte(r.Intn(256))
			}
			if r.Intn(10) == 0 {
				b = b[:r.Intn(len(b))]
			}
			parseObject("/m", b) // a panic fails the test
		}
	}
}
