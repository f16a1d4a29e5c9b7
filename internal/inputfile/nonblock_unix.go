//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package inputfile

import "syscall"

// oNonblock opens a FIFO without waiting for a writer; a regular file ignores it.
const oNonblock = syscall.O_NONBLOCK
