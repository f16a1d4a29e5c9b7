//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package device

// oNoFollow is 0 where the platform has no O_NOFOLLOW; readFile and checkDirs still refuse
// links by Lstat (with a window between the check and the open).
const oNoFollow = 0
