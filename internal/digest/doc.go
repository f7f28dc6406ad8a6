// Package digest names content by its SHA-256, the identity rpmvault gives
// every package and file: validating a hex digest as it appears in locks,
// store names and cache keys, hashing a file or stream (SHA256,
// FileSHA256), a Reader that checks the sum before it hands over a body's
// last bytes, and Pair, two SHA-256 digests of one stream (a package's and
// its payload's) taken in one pass.
package digest
