package resolver

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// ParseRepoFile reads a yum .repo file (INI: [id] sections with baseurl,
// mirrorlist, gpgkey, gpgcheck, enabled, priority) and returns its enabled
// repos with $releasever and $basearch expanded. Values may continue on
// indented lines, as yum allows for several baseurls or keys.
func ParseRepoFile(r io.Reader, releasever, basearch string) ([]Repo, error) {
	type section struct {
		id     string
		values map[string][]string
	}
	var sections []*section
	var cur *section
	var lastKey string
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		raw := sc.Text()
		text := strings.TrimSpace(raw)
		switch {
		case text == "" || strings.HasPrefix(text, "#") || strings.HasPrefix(text, ";"):
			continue
		case strings.HasPrefix(text, "[") && strings.HasSuffix(text, "]"):
			cur = &section{id: strings.TrimSpace(text[1 : len(text)-1]), values: map[string][]string{}}
			if cur.id == "" {
				return nil, fmt.Errorf("line %d: empty section name", line)
			}
			sections = append(sections, cur)
			lastKey = ""
		case cur == nil:
			return nil, fmt.Errorf("line %d: %q comes before any [repo] section", line, text)
		case (raw[0] == ' ' || raw[0] == '\t') && lastKey != "":
			cur.values[lastKey] = append(cur.values[lastKey], strings.Fields(text)...)
		default:
			key, value, ok := strings.Cut(text, "=")
			if !ok {
				return nil, fmt.Errorf("line %d: want key=value, got %q", line, text)
			}
			lastKey = strings.ToLower(strings.TrimSpace(key))
			cur.values[lastKey] = strings.Fields(value)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	var repos []Repo
	for _, s := range sections {
		if s.id == "main" {
			continue
		}
		flag := func(key string, def bool) bool {
			v := s.values[key]
			if len(v) == 0 {
				return def
			}
			return v[0] == "1" || strings.EqualFold(v[0], "yes") || strings.EqualFold(v[0], "true")
		}
		if !flag("enabled", true) {
			continue
		}
		repo := Repo{ID: s.id, GPGCheck: flag("gpgcheck", true), Priority: DefaultPriority}
		if p := s.values["priority"]; len(p) > 0 {
			n, err := strconv.Atoi(p[0])
			if err != nil {
				return nil, fmt.Errorf("repo %s: priority %q is not a number", s.id, p[0])
			}
			repo.Priority = n
		}
		expand := func(vs []string) []string {
			out := make([]string, 0, len(vs))
			for _, v := range vs {
				out = append(out, ExpandVars(strings.TrimSuffix(v, ","), releasever, basearch))
			}
			return out
		}
		repo.BaseURLs = expand(s.values["baseurl"])
		repo.GPGKeys = expand(s.values["gpgkey"])
		repo.Mirrorlist = strings.Join(expand(s.values["mirrorlist"]), "")
		if len(repo.BaseURLs) == 0 && repo.Mirrorlist == "" {
			return nil, fmt.Errorf("repo %s has neither baseurl nor mirrorlist", s.id)
		}
		repos = append(repos, repo)
	}
	return repos, nil
}

// LoadRepoFile reads a .repo file from disk.
func LoadRepoFile(path, releasever, basearch string) ([]Repo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	repos, err := ParseRepoFile(f, releasever, basearch)
	if err != nil {
		return nil, fmt.Errorf("repo file %s: %w", path, err)
	}
	return repos, nil
}
