// Package manifest reads what a bundle is made from: the manifest YAML
// (docs/manifest.md) and the yum .repo files it names, as yum 3 reads them
// (enabled and disabled repos, mirrorlist, metalink, $releasever,
// $basearch and the other yum variables). A Manifest gives the resolver
// its repos (Sources, SourceRepos, with variables expanded and relative
// paths anchored at the manifest's directory) and its Request.
//
// Mistakes are reported as a person can act on them: an unknown key with
// the closest valid one, a value of the wrong kind by its key, a .repo
// file whose every repo is disabled.
package manifest
