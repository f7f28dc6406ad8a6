// Package store provides the content-addressed object store behind one
// small interface, with two backends: a directory on this machine (Dir) and
// an S3-compatible bucket (S3). Objects are package files named by their
// sha256; the store itself re-hashes everything that enters, so an object is
// visible under a name only once its content is known to hash to it. Caches
// (repo metadata, parsed repos, keys, the NEVRA index) live beside the
// objects under plain keys.
//
// Writers never lock the store: every Put is idempotent (same name, same
// bytes; an object is never replaced), so concurrent writers cannot corrupt
// or lose each other's work. Claims (flock for Dir, expiring lease objects
// for S3) only keep two writers from fetching the same package at once; a
// writer that dies loses its claim (the kernel drops the flock; a lease
// expires), so nothing a crash leaves behind blocks anyone for long.
package store
