package resolver

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseEVR parses "[epoch:]version[-release]". The release is everything
// after the last '-', as in rpm.
func ParseEVR(s string) (EVR, error) {
	var e EVR
	orig := s
	if s == "" {
		return e, fmt.Errorf("empty version")
	}
	if i := strings.IndexByte(s, ':'); i >= 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 {
			return e, fmt.Errorf("bad epoch %q in %q", s[:i], orig)
		}
		e.Epoch = n
		s = s[i+1:]
	}
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		e.Release = s[i+1:]
		s = s[:i]
	}
	if s == "" {
		return e, fmt.Errorf("missing version in %q", orig)
	}
	e.Version = s
	return e, nil
}

// ParseDep parses a dependency as rpm prints it: "name", or "name OP evr" with
// OP one of < <= = == >= >.
func ParseDep(s string) (Dep, error) {
	f := strings.Fields(s)
	switch len(f) {
	case 1:
		return Dep{Name: f[0]}, nil
	case 3:
		flags, ok := parseOp(f[1])
		if !ok {
			return Dep{}, fmt.Errorf("bad operator %q in %q (want one of < <= = >= >)", f[1], s)
		}
		evr, err := ParseEVR(f[2])
		if err != nil {
			return Dep{}, fmt.Errorf("dependency %q: %w", s, err)
		}
		return Dep{Name: f[0], Flags: flags, EVR: evr}, nil
	}
	return Dep{}, fmt.Errorf("dependency %q: want \"name\" or \"name OP version\"", s)
}

func parseOp(op string) (Flags, bool) {
	switch op {
	case "<":
		return Less, true
	case "<=", "=<":
		return Less | Equal, true
	case "=", "==":
		return Equal, true
	case ">=", "=>":
		return Greater | Equal, true
	case ">":
		return Greater, true
	}
	return 0, false
}
