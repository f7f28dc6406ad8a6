package publish

import (
	"regexp"
	"strings"
	"testing"
)

// The repo and file names publish accepts are exactly these patterns
// (checked by hand in validRepoName and validFileName).
var (
	repoNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$`)
	fileNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+~^-]{0,250}\.rpm$`)
)

func TestValidNames(t *testing.T) {
	for _, tc := range []struct {
		s          string
		repo, file bool
	}{
		{"docker-engine-1.7.1-el6", true, false},
		{"docker-engine-1.7.1-1.el6.x86_64.rpm", true, true},
		{"a", true, false},
		{"a.rpm", true, true},
		{".rpm", false, false},
		{"", false, false},
		{"-a", false, false},
		{".hidden", false, false},
		{"a/b", false, false},
		{"../x.rpm", false, false},
		{"a b", false, false},
		{"a\n", false, false},
		{"a\x00.rpm", false, false},
		{"é", false, false},
		{"x~1^2.rpm", false, true},
		{"x.RPM", true, false},
		{"x.rpm.rpm", true, true},
		{strings.Repeat("a", 100), true, false},
		{strings.Repeat("a", 101), false, false},
		{strings.Repeat("a", 251) + ".rpm", false, true},
		{strings.Repeat("a", 252) + ".rpm", false, false},
	} {
		if got := validRepoName(tc.s); got != tc.repo || got != repoNamePattern.MatchString(tc.s) {
			t.Errorf("validRepoName(%q) = %v, want %v", tc.s, got, tc.repo)
		}
		if got := validFileName(tc.s); got != tc.file || got != fileNamePattern.MatchString(tc.s) {
			t.Errorf("validFileName(%q) = %v, want %v", tc.s, got, tc.file)
		}
	}
}

// FuzzValidNames: the hand-written checks agree with the patterns.
func FuzzValidNames(f *testing.F) {
	for _, s := range []string{"a", "a.rpm", "-x.rpm", "a~b^c+d_e.f-g.rpm", strings.Repeat("z", 99)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if validRepoName(s) != repoNamePattern.MatchString(s) {
			t.Errorf("validRepoName(%q) = %v", s, validRepoName(s))
		}
		if validFileName(s) != fileNamePattern.MatchString(s) {
			t.Errorf("validFileName(%q) = %v", s, validFileName(s))
		}
	})
}
