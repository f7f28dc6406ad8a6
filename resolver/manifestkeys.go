package resolver

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// unknownField is yaml.v3's message for a key KnownFields refuses.
var unknownField = regexp.MustCompile(`^line (\d+): field (\S+) not found in type (\S+)$`)

// explainYAMLError rewrites yaml.v3's "field X not found in type
// resolver.Manifest" into what a person can act on: the key, where, the
// closest valid key and every valid one.
func explainYAMLError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	var msgs []string
	for _, e := range te.Errors {
		m := unknownField.FindStringSubmatch(e)
		if m == nil {
			msgs = append(msgs, e)
			continue
		}
		where, valid := "", yamlKeys(reflect.TypeOf(Manifest{}))
		if strings.HasSuffix(m[3], ".ManifestRepo") {
			where, valid = " in a repo", yamlKeys(reflect.TypeOf(ManifestRepo{}))
		}
		msg := fmt.Sprintf("line %s: unknown key %q%s", m[1], m[2], where)
		if close := closestKey(m[2], valid); close != "" {
			msg += fmt.Sprintf("; did you mean %q?", close)
		}
		msgs = append(msgs, msg+" (valid keys: "+strings.Join(valid, ", ")+")")
	}
	return errors.New(strings.Join(msgs, "; "))
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

// closestKey returns the valid key within two edits of key (or sharing a
// prefix of four letters), "" if none is.
func closestKey(key string, valid []string) string {
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
