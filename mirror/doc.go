// Package mirror fetches and pins packages: downloads, a content-addressed
// store that cannot hold a bad object, lockfiles, and the rpm-md repodata
// writer used for fixture repos and bundles.
package mirror
