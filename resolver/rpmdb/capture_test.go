package rpmdb

import (
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/resolver"
)

const sampleCapture = `@ bash (none) 4.1.2 15.el6_4 x86_64
P 0 config(bash) 
P 8 bash 4.1.2-15.el6_4
R 0 /bin/sh 
R 16777226 rpmlib(PayloadFilesHavePrefix) 4.0-1
R 512 libc.so.6()(64bit) 
R 12 glibc 2:2.12
F /bin/bash
F /bin/sh
@ gpg-pubkey (none) c105b9de 4e0fd3a3 (none)
P 8 gpg(CentOS-6 Key (CentOS 6 Official Signing Key) <centos-6-key@centos.org>) 4:c105b9de-4e0fd3a3
@ device-mapper-libs (none) 1.02.79 8.el6 x86_64
P 0 libdevmapper.so.1.02()(64bit) 
O 2 device-mapper-libs-old 1.0
C 0 evil 
R 0 (foo or bar) 
F /lib64/libdevmapper.so.1.02
L 64 x86_64 libdevmapper.so.1.02 /lib64/libdevmapper.so.1.02
N libc.so.6
E dm_task_run@Base
E dm_task_create@Base
`

func TestParseBaselineCapture(t *testing.T) {
	b, err := ParseBaseline(strings.NewReader(sampleCapture))
	if err != nil {
		t.Fatal(err)
	}
	if !b.Captured || len(b.Packages) != 2 {
		t.Fatalf("captured %v, %d packages (gpg-pubkey is not one)", b.Captured, len(b.Packages))
	}
	bash, dm := b.Packages[0], b.Packages[1]
	if got := depStrings(bash.Requires); got != "/bin/sh;libc.so.6()(64bit);glibc >= 2:2.12" {
		t.Errorf("bash requires %q (rpmlib() markers dropped, flags and epochs kept)", got)
	}
	if bash.Requires[1].Phase != resolver.PhasePre {
		t.Errorf("Requires(pre) phase lost: %+v", bash.Requires[1])
	}
	if got := depStrings(bash.Provides); got != "config(bash);bash = 4.1.2-15.el6_4" {
		t.Errorf("bash provides %q", got)
	}
	if strings.Join(bash.Files, ",") != "/bin/bash,/bin/sh" || !bash.FullFiles || bash.Repo != resolver.InstalledRepo {
		t.Errorf("bash files %v full %v repo %q", bash.Files, bash.FullFiles, bash.Repo)
	}
	if depStrings(dm.Obsoletes) != "device-mapper-libs-old < 1.0" || depStrings(dm.Conflicts) != "evil" || depStrings(dm.Requires) != "(foo or bar)" {
		t.Errorf("obsoletes %v conflicts %v", dm.Obsoletes, dm.Conflicts)
	}
	libs := b.Libraries[dm.NEVRA()]
	if len(libs) != 1 || len(b.Libraries) != 1 {
		t.Fatalf("libraries %+v", b.Libraries)
	}
	l := libs[0]
	if l.Soname != "libdevmapper.so.1.02" || l.Bits != 64 || l.Machine != "x86_64" || l.Path != "/lib64/libdevmapper.so.1.02" ||
		strings.Join(l.Needed, ",") != "libc.so.6" || strings.Join(l.Exports, ",") != "dm_task_create@Base,dm_task_run@Base" {
		t.Errorf("library %+v (exports must be sorted)", l)
	}
}

func depStrings(ds []resolver.Dep) string {
	var s []string
	for _, d := range ds {
		s = append(s, d.String())
	}
	return strings.Join(s, ";")
}

func TestParseBaselineForms(t *testing.T) {
	tests := []struct {
		name, in string
		captured bool
		n        int
		libs     bool
		err      string
	}{
		{name: "rpm -qa", in: "bash-4.1.2-15.el6_4.x86_64\ngpg-pubkey-c105b9de-4e0fd3a3\n", n: 1},
		{name: "five fields", in: "tar 2 1.23 11.el6 x86_64\n", n: 1},
		{name: "one-liner capture", in: "@ tar 2 1.23 11.el6 x86_64\nP 8 tar 2:1.23-11.el6\nF /bin/tar\n", captured: true, n: 1},
		{name: "capture with symbols", in: sampleCapture, captured: true, n: 2, libs: true},
		{name: "dep before package", in: "P 0 foo \n@ tar 2 1.23 11.el6 x86_64\n", err: "got 3 fields"},
		{name: "dep after rpm -qa lines", in: "tar 2 1.23 11.el6 x86_64\n@ bash (none) 4.1.2 15.el6_4 x86_64\n", err: "got 6 fields"},
		{name: "unknown line", in: "@ tar 2 1.23 11.el6 x86_64\nX what\n", err: "unknown capture line"},
		{name: "bad flags", in: "@ tar 2 1.23 11.el6 x86_64\nR x foo \n", err: "bad dependency flags"},
		{name: "symbol without library", in: "@ tar 2 1.23 11.el6 x86_64\nE foo@\n", err: "before any library line"},
		{name: "bad class", in: "@ tar 2 1.23 11.el6 x86_64\nL 16 x86_64 libx.so /x\n", err: "bad ELF class"},
		{name: "bad epoch", in: "@ tar x 1.23 11.el6 x86_64\n", err: "bad epoch"},
		{name: "i686 twin, trailing blanks, CRLF", in: "glibc-2.12-1.132.el6.x86_64  \r\nglibc-2.12-1.132.el6.i686\t\r\n", n: 2},
		{name: "rpm -qa --last", in: "tar-1.23-11.el6.x86_64                        Tue 14 Jul 2015 10:00:00 AM UTC\nbash-4.1.2-15.el6_4.x86_64  Tue Jul 14 10:00:00 2015\n", n: 2},
		{name: "gpg-pubkey in the five fields", in: "gpg-pubkey (none) c105b9de 4e0fd3a3 (none)\ntar 2 1.23 11.el6 x86_64\n", n: 1},
		{name: "four fields", in: "tar 1.23 11.el6 x86_64\n", err: "got 4 fields"},
		{name: "yum list installed", in: "bash.x86_64  4.1.2-15.el6_4  @anaconda-CentOS-201311272149.x86_64/6.5\n", err: "got 3 fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ParseBaseline(strings.NewReader(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("want error %q, got %v", tt.err, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.Captured != tt.captured || len(b.Packages) != tt.n || (b.Libraries != nil) != tt.libs {
				t.Errorf("captured %v packages %d libraries %v", b.Captured, len(b.Packages), b.Libraries)
			}
		})
	}
}

// TestParseNEVRAForms: the NEVRA spellings rpm and yum print all name the
// same package; none of them is misread as a package named "0:bash".
func TestParseNEVRAForms(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"tar-1.23-11.el6.x86_64", "tar-1.23-11.el6.x86_64"},
		{"tar-2:1.23-11.el6.x86_64", "tar-2:1.23-11.el6.x86_64"},
		{"tar-0:1.23-11.el6.x86_64", "tar-1.23-11.el6.x86_64"},
		{"tar-(none):1.23-11.el6.x86_64", "tar-1.23-11.el6.x86_64"},
		{"2:tar-1.23-11.el6.x86_64", "tar-2:1.23-11.el6.x86_64"},
		{"0:bash-4.1.2-15.el6_4.x86_64", "bash-4.1.2-15.el6_4.x86_64"},
		{"(none):bash-4.1.2-15.el6_4.x86_64", "bash-4.1.2-15.el6_4.x86_64"},
		{"x:bash-4.1.2-15.el6_4.x86_64", ""},
		{"2:tar-2:1.23-11.el6.x86_64", ""},
		{":tar-1.23-11.el6.x86_64", ""},
	} {
		p, err := parseNEVRA(tt.in)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("%s: parsed as %s", tt.in, p.NEVRA())
		case tt.want != "" && err != nil:
			t.Errorf("%s: %v", tt.in, err)
		case tt.want != "" && p.NEVRA() != tt.want:
			t.Errorf("%s: got %s, want %s", tt.in, p.NEVRA(), tt.want)
		}
	}
}

func FuzzParseBaseline(f *testing.F) {
	f.Add(sampleCapture)
	f.Add("@ tar 2 1.23 11.el6 x86_64\nL 64 x86_64 - /x\nE a@\n")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseBaseline(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, p := range b.Packages {
			if p.Name == "" || p.EVR.Version == "" {
				t.Fatalf("empty package from %q", s)
			}
		}
		for nevra, libs := range b.Libraries {
			for _, l := range libs {
				if l.Bits != 32 && l.Bits != 64 {
					t.Fatalf("library of %s with class %d", nevra, l.Bits)
				}
			}
		}
	})
}

func TestParseInstalled(t *testing.T) {
	in := "# rpm -qa --qf ...\ntar 2 1.23 11.el6 x86_64\nbash (none) 4.1.2 29.el6 x86_64\ngpg-pubkey (none) c105b9de 4e0fd3a3 (none)\nglibc-2.12-1.149.el6.x86_64\nlibcgroup-0:0.40.rc1-15.el6_6.x86_64\n\n"
	pkgs, err := ParseInstalled(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pkgs {
		got = append(got, p.NEVRA())
	}
	want := "tar-2:1.23-11.el6.x86_64 bash-4.1.2-29.el6.x86_64 glibc-2.12-1.149.el6.x86_64 libcgroup-0.40.rc1-15.el6_6.x86_64"
	if strings.Join(got, " ") != want {
		t.Errorf("got %v", got)
	}
	for _, bad := range []string{"tar x 1 1 x86_64\n", "just-a-name\n", "a b c\n"} {
		if _, err := ParseInstalled(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func FuzzParseInstalled(f *testing.F) {
	f.Add("tar 2 1.23 11.el6 x86_64\nglibc-2.12-1.149.el6.x86_64\n")
	f.Fuzz(func(t *testing.T, s string) {
		pkgs, err := ParseInstalled(strings.NewReader(s))
		if err == nil {
			for _, p := range pkgs {
				if p.Name == "" || p.EVR.Version == "" {
					t.Fatalf("empty package from %q", s)
				}
			}
		}
	})
}

// TestHeaderOnlySourceReadsOnlyTheHeader reads a header-only package over
// HTTP and checks, by the bytes the server sent, that its payload was not.
