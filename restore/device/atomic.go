package device

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// KillAfterFileOpsEnv names the fault-injection hook: when it holds a number N > 0, the process
// kills itself (SIGKILL on Unix, TerminateProcess on Windows) right after its Nth file
// operation on a device directory. The crash tests use it to stop a real apply at every
// step; QA can use it on the oobe binary the same way. Unset, it costs one comparison.
const KillAfterFileOpsEnv = "OOBE_KILL_AFTER_FILE_OPS"

var (
	faultOnce  sync.Once
	faultAfter int64
	fileOps    atomic.Int64
)

// fileOp counts one completed file operation and kills the process at the chosen one.
func fileOp() {
	faultOnce.Do(func() {
		faultAfter, _ = strconv.ParseInt(os.Getenv(KillAfterFileOpsEnv), 10, 64)
	})
	if faultAfter > 0 && fileOps.Add(1) == faultAfter {
		if p, err := os.FindProcess(os.Getpid()); err == nil {
			_ = p.Kill()
		}
		for { // the kill is on its way; do nothing more in the meantime
			time.Sleep(time.Second)
		}
	}
}

// writeChunk is how much one counted write puts in a file, so a kill can leave a file half
// written: the temp-file protocol must hide that too.
const writeChunk = 8 << 10

// tempName is the one temp file for path: a writer holds the lock, so there is never more
// than one, and a killed writer's leftover is found and removed by name.
func tempName(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
}

func isTempName(name string) bool {
	return strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".tmp")
}

// writeAtomic replaces path with data so that any reader sees the old or the new content,
// never part of it: write a temp file beside it, fsync, close, rename over it.
// The caller fsyncs the directory to make the rename itself durable.
func writeAtomic(path string, data []byte) error {
	tmp := tempName(path)
	// The temp file is made anew, exclusively and without following a link: a leftover or a
	// planted link in its place is removed (the link itself, never what it points to).
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := writeFile(tmp, data, os.O_EXCL); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	fileOp()
	return nil
}

// writeDurable writes path in place and fsyncs it: open (created or truncated), write,
// fsync, close. A reader can see it half written, so it is only for a file no reader trusts
// yet: Init's files before profile.json makes the device exist. The caller fsyncs the
// directory to make the new name durable.
func writeDurable(path string, data []byte) error { return writeFile(path, data, os.O_TRUNC) }

// writeFile is writeDurable's and writeAtomic's write: it opens path with O_CREATE, mode
// (O_TRUNC or O_EXCL) and without following a link, writes in counted chunks and fsyncs.
func writeFile(path string, data []byte, mode int) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|mode|oNoFollow, 0o644)
	if err != nil {
		if isLinkRefusal(path, err) {
			return fmt.Errorf("%s: %w", path, errNotOwnFile)
		}
		return err
	}
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		f.Close()
		return fmt.Errorf("%s: %w", path, errNotOwnFile)
	}
	fileOp()
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	for len(data) > 0 {
		n := min(len(data), writeChunk)
		if _, err := f.Write(data[:n]); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
		fileOp()
		data = data[n:]
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", path, err)
	}
	fileOp()
	if err := f.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", path, err)
	}
	fileOp()
	return nil
}

// syncDir makes the renames in dir durable.
func syncDir(dir string) error {
	if err := syncDirOS(dir); err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	fileOp()
	return nil
}

// removeAllTemps deletes a killed writer's temp files from the device directory and its
// settings directory; the caller holds the lock.
func removeAllTemps(dir string) error {
	if err := removeTemps(dir); err != nil {
		return err
	}
	return removeTemps(filepath.Join(dir, dirSettings))
}

// removeTemps deletes temp files a killed writer left in dir; the caller holds the lock.
func removeTemps(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Type().IsRegular() && isTempName(e.Name()) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			fileOp()
		}
	}
	return nil
}
