package installer

import "syscall"

// syscallNoFollow makes opening a payload file fail on a symlink in its place.
const syscallNoFollow = syscall.O_NOFOLLOW
