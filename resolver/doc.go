// Package resolver computes what to install: it models RPM packages and their
// dependencies, reads them from rpm-md repositories, RPM headers and installed-set
// listings, solves a request into the exact dependency closure with the same
// policy as yum/dnf (libsolv), orders the result into transaction steps and
// explains requests that cannot be met.
package resolver
