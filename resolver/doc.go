// Package resolver computes what to install: it models RPM packages and
// their dependencies (Package, Dep, EVR), reads them from rpm-md
// repositories and RPM headers into a Universe (LoadUniverse), solves a
// Request into the exact dependency closure with the same policy as yum/dnf
// (libsolv) (Solve, or Resolve for load and solve in one), orders the
// result into transaction steps (Plan) and explains requests that cannot be
// met (UnsatisfiableError, Why).
//
// Its inputs come from the packages beside it: resolver/manifest reads a
// manifest and yum .repo files into Repos and a Request, resolver/rpmdb
// reads a target's installed set, resolver/rpmmd reads and verifies rpm-md
// metadata through a Fetcher, and resolver/fetch is the HTTP and file
// Fetcher. The SAT core is resolver/internal/sat; resolver/internal/rpmarch
// holds the 32-bit x86 arches the solver's arch policy and yum's $basearch
// agree on, and resolver/internal/rangeio the reader glue of both fetchers.
package resolver
