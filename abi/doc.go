// Package abi checks what RPM metadata does not say: that every dynamically
// linked ELF file of a resolved closure will find each symbol it imports, at
// the symbol version it was linked against, in the library that will provide
// the soname on the target.
//
// The metadata can be satisfied while the box is still broken. docker-engine
// 1.7.1 requires libdevmapper.so.1.02()(64bit) and
// libdevmapper.so.1.02(Base)(64bit); CentOS 6.5's device-mapper-libs
// 1.02.79 provides both, yet its library lacks
// dm_task_get_info_with_deferred_remove@Base, and the dynamic loader refuses
// /usr/bin/docker with a relocation error. Check reads the packages (headers
// and payloads with the project's one RPM reader, internal/rpmfile; ELF
// files with debug/elf plus its own symbol-version tables), finds the package that provides each needed
// soname on the target (from the closure, else the installed version from the
// baseline, whose RPM is fetched from the repos), and reports each missing
// symbol as a Finding with a ready fix: the lowest version in the repos that
// exports it, as a constraint ("device-mapper-libs >= 1.02.90-2.el6").
// FixConstraints turns findings into constraints for a re-resolve, so the
// solver brings the rest of the library's family along.
//
// Per-package ELF summaries are cached on disk by the package's sha256, so a
// second run reads no payload. Packages without ELF files cost a header read
// (rpmbuild's FILECOLORS tag says a package has none) or one pass over the
// payload that looks at four bytes per file.
package abi
