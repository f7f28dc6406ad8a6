// Package safename checks names that come from others — package names,
// versions, repo ids and key names from metadata, RPM headers and
// lockfiles — before they become part of a file name: no separators, no
// "..", no control characters, nothing too long, and a joined path that
// stays inside its directory.
package safename
