// Package rpmfile reads RPM package files: the lead and both header
// structures, every count, size and offset bounds-checked before it is
// trusted; the tags of a header structure; and the payload as a stream of
// archive entries.
//
// It is the one RPM reader of rpmvault: the resolver reads package records
// from headers with it, the mirror verifies digests and signatures, the ABI
// check walks payloads for ELF files, and the installer's --extract unpacks
// them. Nothing here allocates what input merely declares: a header that
// claims more than it holds, or a payload entry skipped past, costs no
// memory of that size (go-rpmutils' payload reader allocates every skipped
// file's length, which is why its reader is not used).
package rpmfile
