// Package manifests holds the manifests rpmvault ships (one YAML file per
// bundle, with its lockfile beside it) and gives programs access to them.
package manifests

import "embed"

// Files holds every shipped manifest and lockfile, so `rpmvault demo` and
// tests can use them without knowing where the source tree is.
//
//go:embed *.yaml
var Files embed.FS
