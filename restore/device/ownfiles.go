package device

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// A device directory's files are the device's own: it reads and writes only regular files
// and real directories in it, never through a symbolic link, so a link planted in the
// directory (wifi.json -> ../victim, .wifi.json.tmp -> ../victim, settings -> /elsewhere)
// cannot make a restore read or overwrite anything outside the device.

// MaxStateFile caps one state file: the largest devices the benchmarks build (100,000
// items) have state files of a few MiB.
const MaxStateFile = 64 << 20

// errNotOwnFile is wrapped when a path in the device directory is a link or not a regular file.
var errNotOwnFile = errors.New("not a regular file of the device (a link, a directory or a device node); the device reads and writes only its own files")

// readFile reads a state file: a regular file, opened without following a link, at most
// MaxStateFile bytes. Its error names the path and never quotes the content.
func readFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|oNoFollow, 0)
	if err != nil {
		if isLinkRefusal(path, err) {
			return nil, fmt.Errorf("%s: %w", path, errNotOwnFile)
		}
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w", path, errNotOwnFile)
	}
	if info.Size() > MaxStateFile {
		return nil, fmt.Errorf("%s: %d bytes, more than a device state file's %d", path, info.Size(), MaxStateFile)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxStateFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxStateFile {
		return nil, fmt.Errorf("%s: more than a device state file's %d bytes", path, MaxStateFile)
	}
	return data, nil
}

// isLinkRefusal reports whether an open of path failed because path is a symbolic link
// (O_NOFOLLOW's ELOOP), or on a platform without it, whether path is one.
func isLinkRefusal(path string, err error) bool {
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	info, lerr := os.Lstat(path)
	return lerr == nil && info.Mode()&fs.ModeSymlink != 0
}

// checkDir refuses a directory of the device (the device's own, or settings/) that is a
// symbolic link or not a directory: the files written into it would land elsewhere.
func checkDir(path string) error {
	info, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if info.Mode()&fs.ModeSymlink != 0 || !info.IsDir() {
		return fmt.Errorf("%s: not a directory of the device (a link or a file); the device writes only into its own directories", path)
	}
	return nil
}
