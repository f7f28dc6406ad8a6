// Package atomicfile writes files so that a reader, or a machine that loses
// power, sees either the old content or the complete new content, never a
// part: the data goes to a temporary file in the destination's directory,
// which is fsynced, renamed over the destination, and the directory is
// fsynced so the rename itself survives a crash.
//
// It is the one way rpmvault writes a file that something else will trust:
// store objects, metadata and summary caches, lockfiles, repodata and
// bundles.
package atomicfile
