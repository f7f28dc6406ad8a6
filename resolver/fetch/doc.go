// Package fetch is the transport behind every download: an HTTP client with
// connect, header and low-speed timeouts that holds bodies to the size
// rpmmd.WithMaxSize declares, and HTTPFetcher, an rpmmd.Fetcher over
// http(s), file:// URLs and local paths with Range requests and the
// --mirror-map URL rewrites.
//
// The target side (installer) never imports it: nothing that installs
// packages needs a network client.
package fetch
