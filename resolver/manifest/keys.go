package manifest

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// unknownField is yaml.v3's message for a key KnownFields refuses.
var unknownField = regexp.MustCompile(`^line (\d+): field (\S+) not found in type (\S+)$`)

// explainYAMLError rewrites yaml.v3's "field X not found in type
// manifest.Manifest" into what a person can act on: the key, where, the
// closest valid key and every valid one.
func explainYAMLError(err error, data []byte) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	var doc yaml.Node
	_ = yaml.Unmarshal(data, &doc) // it parsed once already; only its lines are wanted
	var msgs []string
	for _, e := range te.Errors {
		m := unknownField.FindStringSubmatch(e)
		if m == nil {
			msgs = append(msgs, explainTypeError(e, &doc))
			continue
		}
		where, valid := "", yamlKeys(reflect.TypeOf(Manifest{}))
		if strings.HasSuffix(m[3], ".Repo") {
			where, valid = " in a repo", yamlKeys(reflect.TypeOf(Repo{}))
		}
		msg := fmt.Sprintf("line %s: unknown key %q%s", m[1], m[2], where)
		if close := ClosestKey(m[2], valid); close != "" {
			msg += fmt.Sprintf("; did you mean %q?", close)
		}
		msgs = append(msgs, msg+" (valid keys: "+strings.Join(valid, ", ")+")")
	}
	return errors.New(strings.Join(msgs, "; "))
}

// cannotUnmarshal is yaml.v3's message for a value of the wrong kind.
var cannotUnmarshal = regexp.MustCompile("^line (\\d+): cannot unmarshal !!(\\w+)(?: `(.*)`)? into (\\S+)$")

// explainTypeError rewrites "line 2: cannot unmarshal !!str `bash` into
// []string" into the key and what it wants, in YAML's words, not Go's.
func explainTypeError(e string, doc *yaml.Node) string {
	m := cannotUnmarshal.FindStringSubmatch(e)
	if m == nil {
		return e
	}
	line, _ := strconv.Atoi(m[1])
	key := keyAt(doc, nodeAt{line, "!!" + m[2], m[3]}, "")
	if key == "" {
		key = "a value"
	}
	got := map[string]string{"str": "a string", "map": "a map", "seq": "a list", "int": "a number", "float": "a number", "bool": "true or false", "null": "nothing"}[m[2]]
	if got == "" {
		got = m[2]
	}
	if m[2] != "map" && m[2] != "seq" {
		got += " (" + m[3] + ")"
	}
	want := map[string]string{
		"[]string": "a list of strings, e.g. [a, b]", "string": "a string", "bool": "true or false", "*bool": "true or false",
		"int": "a whole number", "map[string]string": "a map of NAME: VALUE", "manifest.stringList": "a string or a list of strings",
		"[]manifest.Repo": "a list of repos, each starting with \"- id:\"",
		"manifest.Repo":   "a repo: a map with id and one of baseurl, mirrorlist, metalink, packages",
	}[m[4]]
	if want == "" {
		want = m[4]
	}
	return fmt.Sprintf("line %s: %s: want %s, got %s", m[1], key, want, got)
}

// nodeAt is the node a yaml.v3 type error names: its line, tag and value
// (cut to seven bytes and "..." past ten, as yaml.v3 prints it).
type nodeAt struct {
	line       int
	tag, value string
}

func (at nodeAt) is(n *yaml.Node) bool {
	if n.Line != at.line || n.Tag != at.tag {
		return false
	}
	if n.Kind != yaml.ScalarNode {
		return true
	}
	if short, ok := strings.CutSuffix(at.value, "..."); ok && len(n.Value) > 10 {
		return strings.HasPrefix(n.Value, short)
	}
	return n.Value == at.value
}

// keyAt finds the key path (repos[0].gpgcheck) whose value is the node of
// this tag at this line, "" if none is.
func keyAt(n *yaml.Node, at nodeAt, path string) string {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if k := keyAt(c, at, path); k != "" {
				return k
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := n.Content[i].Value
			if path != "" {
				p = path + "." + p
			}
			v := n.Content[i+1]
			if at.is(v) {
				return p
			}
			if k := keyAt(v, at, p); k != "" {
				return k
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			if at.is(c) {
				return p
			}
			if k := keyAt(c, at, p); k != "" {
				return k
			}
		}
	}
	return ""
}

// yamlKeys lists the keys a struct type accepts, in declaration order.
func yamlKeys(t reflect.Type) []string {
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	return keys
}

// ClosestKey returns the valid key within two edits of key (or sharing a
// prefix of four letters), "" if none is: the "did you mean" of an unknown
// key, in a manifest and in the config file alike.
func ClosestKey(key string, valid []string) string {
	best, bestD := "", 3
	for _, v := range valid {
		d := editDistance(strings.ToLower(key), v)
		if d < bestD || (bestD == 3 && len(key) >= 4 && strings.HasPrefix(v, strings.ToLower(key[:4]))) {
			best, bestD = v, min(d, 2)
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
