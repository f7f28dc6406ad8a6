// Package rpmmd reads rpm-md repository metadata safely: it parses
// repomd.xml and metalinks, checks every metadata file against the checksum
// and size repomd.xml declares while it is read, decompresses it within a
// bound, and refuses locations that leave the repository. It defines
// Fetcher, the one thing it needs from a transport, and the errors a
// fetcher reports that callers branch on (offline, HTTP status, too large).
//
// It has no network code: the HTTP and file fetcher is package
// resolver/fetch, and a mirror's store is another Fetcher. The primary.xml
// and filelists.xml readers stay in package resolver, which reads straight
// into its package pool.
package rpmmd
