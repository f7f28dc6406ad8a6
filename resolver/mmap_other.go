//go:build !unix

package resolver

import "io"

// mapFile maps nothing where there is no mmap: the file is read instead.
func mapFile(io.Reader) (mapping, bool) { return mapping{}, false }
