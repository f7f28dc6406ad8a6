// Package rangeio is the reader glue the two rpm-md fetchers share
// (rpmmd.LocalFetcher and fetch.HTTPFetcher): a ranged or capped reader
// that still closes the file or body behind it, and the Size method by
// which a ranged read tells the size of the whole file, so that a
// header-only source learns a package's size without downloading it.
//
// It lives under resolver/internal so that sharing it adds nothing to the
// exported surface of rpmmd or fetch.
package rangeio
