// Package rpmdb reads a target's installed set as it leaves the box: plain
// `rpm -qa` listings (NEVRA lines, or NAME EPOCH VERSION RELEASE ARCH) and
// captures (rpm -qa with CaptureQueryFormat, or rpmvault capture), which
// also carry each package's dependencies and files and the shared
// libraries it owns with their symbols. The packages it returns are
// resolver.Packages of the repo resolver.InstalledRepo.
package rpmdb
