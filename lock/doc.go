// Package lock is the lockfile: the exact packages of a resolved manifest,
// named by sha256 (URLs are hints), with what reproducing a bundle needs.
// It is a superset of the rpms.lock.yaml format of konflux's
// rpm-lockfile-prototype. Both sides use it: the connected side writes it,
// the target side reads it from a bundle, so it depends on nothing that
// downloads.
package lock
