package resolver_test

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rpmvault/rpmvault/fixtures"
	"github.com/rpmvault/rpmvault/resolver"
)

func TestVercmpTable(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0}, {"1.0", "2.0", -1}, {"2.0", "1.0", 1},
		{"2.0.1", "2.0", 1}, {"2.0", "2.0.1", -1}, {"5.5p1", "5.5p2", -1},
		{"10", "9", 1}, {"010", "10", 0}, {"1.0a", "1.0", 1}, {"1.0", "1.0a", -1},
		{"a", "1", -1}, {"1", "a", 1}, {"1.0~rc1", "1.0", -1}, {"1.0~rc1", "1.0~rc2", -1},
		{"1.0^", "1.0", 1}, {"1.0^git1", "1.0.1", -1}, {"1.0^git1", "1.0^git2", -1},
		{"1.02.90", "1.02.79", 1}, {"2.02.111", "2.02.100", 1}, {"0.40.rc1", "0.40.1", -1},
		{"1.149.el6", "1.132.el6", 1}, {"2.el6_6.1", "2.el6", 1}, {"1_0", "1.0", 0}, {"", "", 0},
	}
	for _, tt := range tests {
		if got := resolver.Vercmp(tt.a, tt.b); got != tt.want {
			t.Errorf("Vercmp(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// randomVersion makes version-like strings that stress rpmvercmp's corners.
func randomVersion(r *rand.Rand) string {
	// No - or :, which rpm.vercmp would parse as EVR separators.
	const parts = "0123456789abcXYZ.._+~^"
	var b strings.Builder
	for n := r.Intn(8); n >= 0; n-- {
		switch r.Intn(4) {
		case 0:
			b.WriteString(strconv.Itoa(r.Intn(30)))
		case 1:
			b.WriteString("0" + strconv.Itoa(r.Intn(5)))
		default:
			b.WriteByte(parts[r.Intn(len(parts))])
		}
	}
	return b.String()
}

// TestVercmpAgainstRPM compares Vercmp with the real rpm over thousands of
// generated pairs in one rpm invocation.
func TestVercmpAgainstRPM(t *testing.T) {
	fixtures.NeedTool(t, "rpm")
	r := rand.New(rand.NewSource(6))
	var pairs [][2]string
	var in strings.Builder
	for len(pairs) < 5000 {
		a, b := randomVersion(r), randomVersion(r)
		if r.Intn(4) == 0 { // near-equal pairs find the subtle cases
			b = a + string("~^.0a"[r.Intn(5)])
		}
		if a == "" || b == "" || strings.ContainsAny(a+b, " %{}\\\"") {
			continue
		}
		pairs = append(pairs, [2]string{a, b})
		fmt.Fprintf(&in, "%s %s\n", a, b)
	}
	file := filepath.Join(t.TempDir(), "pairs")
	if err := os.WriteFile(file, []byte(in.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	lua := fmt.Sprintf(`%%{lua: for l in io.lines(%q) do local a,b = l:match("^(%%S*) (%%S*)$"); print(rpm.vercmp(a,b).."\n") end}`, file)
	out, err := exec.Command("rpm", "--eval", lua).Output()
	if err != nil {
		t.Fatalf("rpm --eval: %v", err)
	}
	got := strings.Fields(string(out))
	if len(got) != len(pairs) {
		t.Fatalf("rpm answered %d of %d pairs", len(got), len(pairs))
	}
	bad := 0
	for i, p := range pairs {
		want, _ := strconv.Atoi(got[i])
		if g := resolver.Vercmp(p[0], p[1]); g != want {
			bad++
			if bad < 10 {
				t.Errorf("Vercmp(%q, %q) = %d, rpm says %d", p[0], p[1], g, want)
			}
		}
	}
	t.Logf("%d pairs compared with rpm, %d disagreements", len(pairs), bad)
}

func FuzzVercmp(f *testing.F) {
	for _, s := range [][2]string{{"1.0", "1.0~rc1"}, {"1.0^", "1.0"}, {"010", "10"}, {"a.b", "a-b"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ab, ba := resolver.Vercmp(a, b), resolver.Vercmp(b, a)
		if ab != -ba {
			t.Fatalf("not antisymmetric: Vercmp(%q,%q)=%d, reverse %d", a, b, ab, ba)
		}
		if resolver.Vercmp(a, a) != 0 {
			t.Fatalf("Vercmp(%q, itself) != 0", a)
		}
		if _, err := resolver.ParseEVR(a); err == nil {
			_ = resolver.EVR{Version: a}.String()
		}
	})
}

func TestSatisfies(t *testing.T) {
	dep := func(s string) resolver.Dep {
		d, err := resolver.ParseDep(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	tests := []struct {
		provide, require string
		want             bool
	}{
		{"foo", "foo >= 2", true},
		{"foo = 1.0-1", "foo", true},
		{"foo = 1.0-1", "foo >= 1.0", true},
		{"foo = 1.0-1", "foo > 1.0", false},
		{"foo = 1.0", "foo > 1.0-5", true}, // provide without release covers every release
		{"foo = 1.0-1", "foo = 1.0", true},
		{"foo = 1.0-1", "foo = 1.0-2", false},
		{"foo = 2:1.0-1", "foo >= 1:9.0", true},
		{"foo = 1.0-1", "foo >= 1:0.1", false}, // missing epoch is 0
		{"foo >= 2.0", "foo < 3.0", true},
		{"foo >= 2.0", "foo < 1.0", false},
		{"foo < 2.0", "foo <= 1.0", true},
		{"device-mapper-libs = 1.02.79-8.el6", "device-mapper-libs >= 1.02.90", false},
		{"device-mapper-libs = 1.02.90-2.el6_6.1", "device-mapper-libs >= 1.02.90", true},
		{"bar = 1", "foo", false},
	}
	for _, tt := range tests {
		if got := dep(tt.provide).Satisfies(dep(tt.require)); got != tt.want {
			t.Errorf("%q satisfies %q = %v, want %v", tt.provide, tt.require, got, tt.want)
		}
	}
}

func BenchmarkVercmp(b *testing.B) {
	for i := 0; i < b.N; i++ {
		resolver.Vercmp("2.12-1.149.el6_6.5", "2.12-1.149.el6_6.11")
	}
}
