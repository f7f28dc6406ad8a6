// Package rpmarch holds the facts about RPM arch names that the solver and
// the .repo reader must agree on: which arches are 32-bit x86 (an x86_64
// box's multilib arches, which yum's $basearch calls i386) and libsolv's
// order of preference among them.
//
// It lives under resolver/internal because resolver/manifest imports
// resolver, so the one list cannot live in either without exporting it.
package rpmarch
