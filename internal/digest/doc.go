// Package digest names content by its SHA-256, the identity rpmvault gives
// every package and file: validating a hex digest as it appears in locks,
// store names and cache keys, and hashing a file.
package digest
