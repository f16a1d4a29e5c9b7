//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package inputfile

// oNonblock is 0 where the platform has no O_NONBLOCK for opens.
const oNonblock = 0
