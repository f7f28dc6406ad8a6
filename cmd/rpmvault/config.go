package main

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/rpmvault/rpmvault/resolver/fetch"
	"github.com/rpmvault/rpmvault/resolver/manifest"
)

// settingTypes maps every setting (every flag of every command) to its
// pflag type, so the config file and the environment are checked as
// strictly as the command line.
func settingTypes(root *cobra.Command) map[string]string {
	types := map[string]string{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		add := func(f *pflag.Flag) {
			if f.Name != "help" {
				types[f.Name] = f.Value.Type()
			}
		}
		c.PersistentFlags().VisitAll(add)
		c.Flags().VisitAll(add)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return types
}

func envName(key string) string {
	return "RPMVAULT_" + strings.ToUpper(strings.ReplaceAll(key, "-", "_"))
}

// strictConfig refuses unknown keys in the config file, warns of unknown
// RPMVAULT_* variables, and parses every value the command line did not
// override by its flag's type: a value that is not one (offline: yes is
// a bool, metadata-expire: banana is not a duration) is honoured or
// refused by name, never silently read as the zero value.
func (a *app) strictConfig(cmd *cobra.Command, file string) error {
	types := settingTypes(cmd.Root())
	valid := make([]string, 0, len(types))
	for k := range types {
		valid = append(valid, k)
	}
	sort.Strings(valid)
	fileValues := map[string]any{}
	if file != "" {
		fv := viper.New()
		fv.SetConfigFile(file)
		if err := fv.ReadInConfig(); err != nil {
			return usagef("read config file %s: %w", file, err)
		}
		for _, k := range fv.AllKeys() {
			if _, ok := types[k]; !ok {
				hint := ""
				if close := manifest.ClosestKey(k, valid); close != "" {
					hint = fmt.Sprintf("; did you mean %q?", close)
				}
				return usagef("config file %s: unknown key %q%s (valid keys: %s)", file, k, hint, strings.Join(valid, ", "))
			}
			fileValues[k] = fv.Get(k)
		}
	}
	envKeys := map[string]string{}
	for _, k := range valid {
		envKeys[envName(k)] = k
	}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "RPMVAULT_") && envKeys[name] == "" {
			// A warning, not an error: the prefix is also used by scripts
			// and tests around rpmvault (RPMVAULT_DOCS_DIR, …).
			a.log.Warn(fmt.Sprintf("environment variable %s is not a setting of rpmvault and is ignored (settings: RPMVAULT_<KEY> for the keys %s)", name, strings.Join(valid, ", ")))
		}
	}
	for _, k := range valid {
		if types[k] == "stringSlice" || types[k] == "stringArray" {
			if vals, ok := layeredList(cmd.Flags().Lookup(k), os.Getenv(envName(k)), fileValues[k]); ok {
				a.cfg.Set(k, vals)
			}
			continue
		}
		if f := cmd.Flags().Lookup(k); f != nil && f.Changed {
			continue // the command line wins and pflag has checked it
		}
		var raw any
		var where string
		if v, ok := os.LookupEnv(envName(k)); ok {
			raw, where = v, "environment variable "+envName(k)
		} else if v, ok := fileValues[k]; ok {
			raw, where = v, fmt.Sprintf("config file %s: key %s", file, k)
		} else {
			continue
		}
		switch types[k] {
		case "bool", "duration", "int", "int64":
			val, err := parseSetting(types[k], raw)
			if err != nil {
				return usagef("%s: %v", where, err)
			}
			a.cfg.Set(k, val)
		}
	}
	return nil
}

// layeredList is a list setting (--mirror-map) from every place that sets
// it, added up rather than overridden, as yum's command line adds to
// yum.conf: the flags' entries first, then RPMVAULT_<KEY>'s, then the
// config file's, so the most specific source's entry comes first (a
// --mirror-map rewrite is the first that matches). An environment
// variable or a file string holds several entries separated by commas or
// white space. Repeated entries are kept once. ok is false when neither
// the environment nor the file sets the list (the flag alone stands).
func layeredList(f *pflag.Flag, env string, file any) (vals []string, ok bool) {
	split := func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
	}
	if f != nil && f.Changed {
		if sv, isSlice := f.Value.(pflag.SliceValue); isSlice {
			vals = append(vals, sv.GetSlice()...)
		}
	}
	if env != "" {
		vals, ok = append(vals, split(env)...), true
	}
	switch fv := file.(type) {
	case []any:
		for _, v := range fv {
			vals = append(vals, strings.TrimSpace(fmt.Sprint(v)))
		}
		ok = true
	case string:
		vals, ok = append(vals, split(fv)...), true
	}
	seen := map[string]bool{}
	out := vals[:0]
	for _, v := range vals {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out, ok
}

// parseSetting reads a value from the environment or a config file as the
// flag type says.
func parseSetting(typ string, raw any) (any, error) {
	s := strings.TrimSpace(fmt.Sprint(raw))
	switch typ {
	case "bool":
		switch strings.ToLower(s) {
		case "1", "true", "yes", "on":
			return true, nil
		case "0", "false", "no", "off":
			return false, nil
		}
		return nil, fmt.Errorf("%q is not a boolean (use true/false, yes/no, on/off or 1/0)", s)
	case "duration":
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Duration(n) * time.Second, nil // plain numbers are seconds, as in yum.conf
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not a duration (e.g. 90s, 30m, 6h, or seconds)", s)
		}
		return d, nil
	case "int", "int64":
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a whole number", s)
		}
		return n, nil
	}
	return raw, nil // strings and lists: viper reads them as it always has
}

// netOptions are the network timeouts of the configuration.
func (a *app) netOptions() fetch.NetOptions {
	return fetch.NetOptions{
		ConnectTimeout: a.cfg.GetDuration("connect-timeout"),
		HeaderTimeout:  a.cfg.GetDuration("header-timeout"),
		SpeedLimit:     a.cfg.GetInt64("speed-limit"),
		SpeedTime:      a.cfg.GetDuration("speed-time"),
	}
}

// netFlags are the timeouts of every command that fetches.
func netFlags(pf *pflag.FlagSet) {
	pf.Duration("connect-timeout", 30*time.Second, "give up connecting to a server after this long")
	pf.Duration("header-timeout", 30*time.Second, "give up on a server that has not answered a request after this long")
	pf.Int64("speed-limit", 1000, "abandon a download slower than this many bytes/s over --speed-time (then retry or use the next URL; -1: off)")
	pf.Duration("speed-time", 30*time.Second, "the window --speed-limit is measured over")
}
