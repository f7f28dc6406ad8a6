package manifest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/internal/rpmarch"
)

// fileRepo is one [section] of a yum .repo file.
type fileRepo struct {
	resolver.Repo
	Enabled bool
}

// parseRepoFile reads a yum .repo file as yum 3 reads it: INI sections with
// baseurl, mirrorlist, metalink, gpgkey, gpgcheck, enabled, priority,
// exclude, includepkgs and skip_if_unavailable; values continue on indented
// lines (several baseurls or keys); yum variables ($releasever, $basearch,
// $infra, $contentdir, $YUM0-9, ...) are expanded from vars. It returns
// every repo, disabled ones too (a manifest's enablerepo may enable them);
// [main] is not a repo.
func parseRepoFile(r io.Reader, vars map[string]string) ([]fileRepo, error) {
	type section struct {
		id     string
		values map[string][]string
	}
	var sections []*section
	byID := map[string]*section{}
	var cur *section
	var lastKey string
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		raw := sc.Text()
		if line == 1 {
			raw = strings.TrimPrefix(raw, "\ufeff") // a UTF-8 BOM, as editors on Windows write
		}
		text := strings.TrimSpace(raw)
		switch {
		case text == "" || strings.HasPrefix(text, "#") || strings.HasPrefix(text, ";"):
			continue
		case (raw[0] == ' ' || raw[0] == '\t') && cur != nil && lastKey != "":
			cur.values[lastKey] = append(cur.values[lastKey], splitList(stripInlineComment(text))...)
		case strings.HasPrefix(text, "["):
			// As Python's ConfigParser: "[id]", then nothing or a comment.
			end := strings.IndexByte(text, ']')
			if end < 0 || !isComment(strings.TrimSpace(text[end+1:])) {
				return nil, fmt.Errorf("line %d: %q is not a [section] header", line, text)
			}
			id := strings.TrimSpace(text[1:end])
			if id == "" {
				return nil, fmt.Errorf("line %d: empty section name", line)
			}
			// A section named twice is one section, later keys winning, as
			// ConfigParser reads it.
			if cur = byID[id]; cur == nil {
				cur = &section{id: id, values: map[string][]string{}}
				byID[id] = cur
				sections = append(sections, cur)
			}
			lastKey = ""
		case cur == nil:
			return nil, fmt.Errorf("line %d: %q comes before any [repo] section", line, text)
		default:
			// key=value or key: value, split at the first of them, as yum's
			// ConfigParser splits; a later duplicate key wins.
			sep := strings.IndexAny(text, "=:")
			if sep <= 0 {
				return nil, fmt.Errorf("line %d: want key=value, got %q", line, text)
			}
			lastKey = strings.ToLower(strings.TrimSpace(text[:sep]))
			cur.values[lastKey] = splitList(stripInlineComment(text[sep+1:]))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	var repos []fileRepo
	for _, s := range sections {
		if s.id == "main" {
			continue
		}
		flag := func(key string, def bool) (bool, error) {
			v := s.values[key]
			if len(v) == 0 {
				return def, nil
			}
			switch strings.ToLower(v[0]) {
			case "1", "yes", "true", "on":
				return true, nil
			case "0", "no", "false", "off":
				return false, nil
			}
			return false, fmt.Errorf("repo %s: %s=%s is not a boolean (want 1 or 0)", s.id, key, v[0])
		}
		var err error
		var fr fileRepo
		fr.ID, fr.Priority = s.id, resolver.DefaultPriority
		if fr.Enabled, err = flag("enabled", true); err != nil {
			return nil, err
		}
		if fr.GPGCheck, err = flag("gpgcheck", true); err != nil {
			return nil, err
		}
		if fr.SkipIfUnavailable, err = flag("skip_if_unavailable", false); err != nil {
			return nil, err
		}
		if p := s.values["priority"]; len(p) > 0 {
			n, err := strconv.Atoi(p[0])
			if err != nil {
				return nil, fmt.Errorf("repo %s: priority %q is not a number", s.id, p[0])
			}
			fr.Priority = n
		}
		expand := func(key string) []string {
			vs := s.values[key]
			out := make([]string, 0, len(vs))
			for _, v := range vs {
				out = append(out, expandVars(v, vars))
			}
			return out
		}
		fr.BaseURLs = expand("baseurl")
		fr.GPGKeys = expand("gpgkey")
		fr.Mirrorlist = strings.Join(expand("mirrorlist"), "")
		fr.Metalink = strings.Join(expand("metalink"), "")
		fr.Exclude = expand("exclude")
		fr.IncludePkgs = expand("includepkgs")
		// yum minds a repo without a URL only once it is enabled.
		if fr.Enabled && !fr.hasURL() {
			return nil, fmt.Errorf("repo %s has no baseurl, mirrorlist or metalink", s.id)
		}
		repos = append(repos, fr)
	}
	return repos, nil
}

// hasURL says whether the repo names a place to read it from.
func (fr fileRepo) hasURL() bool {
	return len(fr.BaseURLs) > 0 || fr.Mirrorlist != "" || fr.Metalink != ""
}

func isComment(s string) bool {
	return s == "" || strings.HasPrefix(s, "#") || strings.HasPrefix(s, ";")
}

// stripInlineComment drops a ";" comment after whitespace, as Python's
// ConfigParser (yum's) does; "#" starts a comment only at a line's start.
func stripInlineComment(s string) string {
	for i := 1; i < len(s); i++ {
		if s[i] == ';' && (s[i-1] == ' ' || s[i-1] == '\t') {
			return s[:i]
		}
	}
	return s
}

// splitList splits a .repo value list: yum separates by spaces and commas.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
}

// loadRepoFile reads a .repo file from disk.
func loadRepoFile(file string, vars map[string]string) ([]fileRepo, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("repo file: %w", err)
	}
	defer f.Close()
	repos, err := parseRepoFile(f, vars)
	if err != nil {
		return nil, fmt.Errorf("repo file %s: %w", file, err)
	}
	return repos, nil
}

// yumVars returns the variables yum expands in .repo files and URLs on a
// CentOS box of this release and arch: $releasever, $basearch (i386 for
// i686), $arch,
// $infra ("stock", as /etc/yum/vars/infra says on an installed box),
// $contentdir ("centos" on x86_64, "altarch" on every other arch, i686
// too, as centos-release's %post writes /etc/yum/vars/contentdir), and $YUM0-$YUM9 from the
// environment as yum takes them; extra (a manifest's vars) override them.
func yumVars(releasever, arch string, extra map[string]string) map[string]string {
	contentdir := "centos"
	if arch != "x86_64" {
		contentdir = "altarch"
	}
	basearch := arch
	if rpmarch.Is32bitX86(arch) {
		basearch = "i386" // yum's basearch of the 32-bit x86 arches (CentOS 6's 32-bit trees are .../i386/)
	}
	vars := map[string]string{"releasever": releasever, "basearch": basearch, "arch": arch, "infra": "stock", "contentdir": contentdir}
	for i := 0; i <= 9; i++ {
		name := "YUM" + strconv.Itoa(i)
		if v, ok := os.LookupEnv(name); ok {
			vars[name] = v
		}
	}
	for k, v := range extra {
		vars[k] = v
	}
	return vars
}

// yumVar is a variable reference as yum's varReplace finds it: $name or
// ${name}, the name a whole word.
var yumVar = regexp.MustCompile(`\$(\w+)|\$\{(\w+)\}`)

// expandVars replaces each $name and ${name} whose name is a variable; like
// yum, it leaves unknown ones alone ($archive is not $arch + "ive").
func expandVars(s string, vars map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	return yumVar.ReplaceAllStringFunc(s, func(ref string) string {
		name := strings.Trim(ref, "${}")
		if v, ok := vars[name]; ok {
			return v
		}
		return ref
	})
}
