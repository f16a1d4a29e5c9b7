// Package inputfile reads a file a person named on the command line (a scenario, a device
// profile, a device state, a certificate): a regular file only, never more than the caller's
// cap, and without blocking on a FIFO or a device. Its errors name the file and never quote it.
package inputfile

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrNotRegular is wrapped when the path is a directory, a FIFO, a socket or a device.
var ErrNotRegular = errors.New("not a regular file")

// TooLargeError says a file is larger than its reader allows.
type TooLargeError struct {
	Path string
	Max  int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s: larger than %s, more than such a file can be", e.Path, size(e.Max))
}

// Read returns the content of the regular file at path, at most max bytes. A FIFO or a device
// is refused at once (it is opened without blocking and never read), and so is a file whose
// size is over max, or that grows past it while it is read.
func Read(path string, max int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|oNonblock, 0)
	if err != nil {
		return nil, err // *fs.PathError: names the path and the reason
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		what := "a directory"
		switch m := info.Mode(); {
		case m&os.ModeNamedPipe != 0:
			what = "a named pipe"
		case m&os.ModeSocket != 0:
			what = "a socket"
		case m&os.ModeDevice != 0:
			what = "a device"
		case !m.IsDir():
			what = "not a file"
		}
		return nil, fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, what)
	}
	if info.Size() > max {
		return nil, &TooLargeError{Path: path, Max: max}
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(data)) > max {
		return nil, &TooLargeError{Path: path, Max: max}
	}
	return data, nil
}

func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
