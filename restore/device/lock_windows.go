//go:build windows

package device

import (
	"context"
	"errors"
	"syscall"
	"time"
)

// errSharingViolation is ERROR_SHARING_VIOLATION, which package syscall does not name.
const errSharingViolation syscall.Errno = 32

// lockFile opens path with no sharing, which Windows refuses to a second opener until the
// first handle closes; the handle closes when the process dies, so a killed writer never
// leaves the device locked.
func lockFile(ctx context.Context, path string) (unlock func() error, err error) {
	p, err := syscall.UTF16PtrFromString(path)
	if err != nil {
		return nil, err
	}
	for {
		h, err := syscall.CreateFile(p, syscall.GENERIC_READ|syscall.GENERIC_WRITE, 0, nil, syscall.OPEN_ALWAYS, syscall.FILE_ATTRIBUTE_NORMAL, 0)
		if err == nil {
			return func() error { return syscall.CloseHandle(h) }, nil
		}
		if !errors.Is(err, errSharingViolation) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(2 * time.Millisecond): // another writer holds it: a real wait, not protocol time
		}
	}
}

// syncDirOS does nothing: Windows cannot fsync a directory, and NTFS journals renames itself.
func syncDirOS(string) error { return nil }
