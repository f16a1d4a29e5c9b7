//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || windows)

package device

import "context"

// lockFile does not lock on this platform: one writer at a time is up to the caller.
func lockFile(context.Context, string) (func() error, error) { return func() error { return nil }, nil }

// syncDirOS does nothing on this platform.
func syncDirOS(string) error { return nil }
