package device

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ErrNotDevice is wrapped when a directory holds no simulated device.
var ErrNotDevice = errors.New("not a simulated device (no profile.json); create one with `oobe device init`")

// ErrExists is wrapped when Init is pointed at a directory that already holds a device.
var ErrExists = errors.New("already holds a simulated device")

// ErrNotEmpty is wrapped when Init is pointed at a directory that holds files but no device,
// nor what a killed Init left (its lock file comes first): Init would overwrite them.
var ErrNotEmpty = errors.New("is not empty and holds no simulated device: give a new or empty directory")

// maxReadAttempts bounds how often Open re-reads a device that changed under it.
const maxReadAttempts = 100

// Device is a simulated device as read from its directory at one generation.
type Device struct {
	Dir   string
	State *State
	// Generation counts the changes committed to the device; a plan records the one it was
	// made against so that applying it to a changed device is refused.
	Generation uint64
	// files is each state file as read, so a commit rewrites only what changes; nil when the
	// state came from a pending journal (only readers see that).
	files map[string][]byte
}

// journal is journal.json: the redo record of the last change.
type journal struct {
	Generation uint64 `json:"generation"`
	// Pending is true from the moment the next state is recorded until every file holds it.
	Pending bool `json:"pending"`
	// Changed lists the files that change, in the order they are replaced.
	Changed []string `json:"changed,omitempty"`
	// State is the complete next state; only a pending journal has it.
	State *State `json:"state,omitempty"`
}

func osPath(dir, name string) string { return filepath.Join(dir, filepath.FromSlash(name)) }

// inDir makes a problem found in one of dir's files name that file by its full path.
func inDir(dir string, err error) error {
	var fe *FileError
	if errors.As(err, &fe) {
		return &FileError{File: osPath(dir, fe.File), Line: fe.Line, Err: fe.Err}
	}
	return fmt.Errorf("%s%c%w", dir, os.PathSeparator, err)
}

func readJournal(dir string) (*journal, error) {
	data, err := readFile(osPath(dir, fileJournal))
	if errors.Is(err, fs.ErrNotExist) {
		return &journal{}, nil
	}
	if err != nil {
		return nil, err
	}
	j, err := parseJournal(data)
	if err != nil {
		return nil, inDir(dir, err)
	}
	return j, nil
}

// parseJournal reads journal.json; a pending journal's state is checked like the files'.
func parseJournal(data []byte) (*journal, error) {
	j := &journal{}
	if err := decodeStrict(fileJournal, data, j); err != nil {
		return nil, err
	}
	if !j.Pending {
		if j.State != nil || len(j.Changed) > 0 {
			return nil, &FileError{File: fileJournal, Err: errors.New("a finished journal carries no state")}
		}
		return j, nil
	}
	if j.State == nil || len(j.Changed) == 0 {
		return nil, &FileError{File: fileJournal, Err: errors.New("a pending journal without the state and files it commits")}
	}
	if err := j.State.Normalize(); err != nil {
		return nil, fmt.Errorf("%s: state: %w", fileJournal, err)
	}
	if err := j.State.Validate(); err != nil {
		return nil, fmt.Errorf("%s: state: %w", fileJournal, err)
	}
	for _, name := range j.Changed {
		if !slices.Contains(stateFiles(), name) {
			return nil, &FileError{File: fileJournal, Err: fmt.Errorf("changed: %q is not a device state file", name)}
		}
	}
	return j, nil
}

// readFiles reads every state file of dir.
func readFiles(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	// The profile first: Init writes it last, so without it there is no device (yet).
	profile, err := readFile(osPath(dir, fileProfile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", dir, ErrNotDevice)
	}
	if err != nil {
		return nil, err
	}
	files[fileProfile] = profile
	if err := checkDir(osPath(dir, dirSettings)); err != nil {
		return nil, err
	}
	for _, name := range stateFiles() {
		if name == fileProfile {
			continue
		}
		data, err := readFile(osPath(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &FileError{File: osPath(dir, name), Err: errors.New("missing: not a complete device directory")}
		}
		if err != nil {
			return nil, err
		}
		files[name] = data
	}
	return files, nil
}

// Open reads the device in dir. It never writes: a reader that finds a pending journal (a
// writer is at work, or was killed) takes the journal's state, which is the state the device
// will have, and a reader that raced a whole commit reads again; so it never returns a mix
// of two states.
func Open(dir string) (*Device, error) {
	for range maxReadAttempts {
		j1, err := readJournal(dir)
		if err != nil {
			return nil, err
		}
		if j1.Pending {
			return &Device{Dir: dir, State: j1.State, Generation: j1.Generation}, nil
		}
		files, ferr := readFiles(dir)
		var st *State
		if ferr == nil {
			st, ferr = ParseFiles(files)
			if ferr != nil {
				ferr = inDir(dir, ferr)
			}
		}
		j2, err := readJournal(dir)
		if err != nil {
			return nil, err
		}
		if j2.Pending {
			return &Device{Dir: dir, State: j2.State, Generation: j2.Generation}, nil
		}
		if j2.Generation != j1.Generation {
			continue // a whole commit happened while we read: the files may be from both sides
		}
		if ferr != nil {
			return nil, ferr
		}
		return &Device{Dir: dir, State: st, Generation: j1.Generation, files: files}, nil
	}
	return nil, fmt.Errorf("%s: the device kept changing while it was read %d times; try again", dir, maxReadAttempts)
}

// Init creates a device in dir (made if missing) with the state st. It refuses a directory
// that already holds a device. profile.json is written last, so a device whose Init was
// killed does not exist yet and Init can simply run again.
func Init(dir string, st State) (*Device, error) {
	if err := initLeftoverOnly(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(osPath(dir, dirSettings), 0o755); err != nil {
		return nil, err
	}
	if err := checkDir(osPath(dir, dirSettings)); err != nil {
		return nil, err
	}
	unlock, err := lockFile(context.Background(), osPath(dir, fileLock))
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	defer unlock()
	if _, err := os.Stat(osPath(dir, fileProfile)); err == nil {
		return nil, fmt.Errorf("%s: %w", dir, ErrExists)
	}
	s := st.Clone()
	files, err := prepare(s)
	if err != nil {
		return nil, err
	}
	if err := removeAllTemps(dir); err != nil {
		return nil, err
	}
	// A journal without a device is a leftover of one that was removed: it must not speak
	// for the new device.
	if err := os.Remove(osPath(dir, fileJournal)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, name := range stateFiles() {
		if name == fileProfile {
			// Everything else must be durable before the profile makes the device exist.
			if err := syncDir(osPath(dir, dirSettings)); err != nil {
				return nil, err
			}
			if err := syncDir(dir); err != nil {
				return nil, err
			}
			if err := writeAtomic(osPath(dir, name), files[name]); err != nil {
				return nil, fmt.Errorf("writing %s: %w", osPath(dir, name), err)
			}
			continue
		}
		// Written in place, without a temp file and a rename: until profile.json exists no
		// reader takes these files for a device, and a killed Init writes them all again.
		if err := writeDurable(osPath(dir, name), files[name]); err != nil {
			return nil, fmt.Errorf("writing %s: %w", osPath(dir, name), err)
		}
	}
	if err := syncDir(dir); err != nil {
		return nil, err
	}
	return &Device{Dir: dir, State: s, files: files}, nil
}

// initLeftoverOnly refuses a directory Init would overwrite: one that holds anything but what
// a killed Init leaves. Init makes settings/ and then takes its lock (.lock) before it writes
// a file, so a killed Init left either an empty settings/ alone or the lock file; a directory
// with files and no lock file is someone else's, whatever its files are called.
func initLeftoverOnly(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) == 0 {
		return nil // a new directory (MkdirAll makes it), or one Init will report on
	}
	if _, err := os.Lstat(osPath(dir, fileLock)); err == nil {
		return nil
	}
	if len(entries) == 1 && entries[0].Name() == dirSettings && entries[0].IsDir() {
		if inner, err := os.ReadDir(osPath(dir, dirSettings)); err == nil && len(inner) == 0 {
			return nil
		}
	}
	return fmt.Errorf("%s %w", dir, ErrNotEmpty)
}

// Update changes the device in dir under its writer lock. It first finishes a change a
// killed writer left pending, then reads the device and calls change with it; change returns
// the next state (which Update normalizes in place), or nil to leave the device as it is.
// Update reports whether it wrote a change. Once the journal is written the change is
// committed: a kill after that point is finished by the next writer.
func Update(ctx context.Context, dir string, change func(cur *Device) (*State, error)) (committed bool, err error) {
	if _, err := os.Stat(osPath(dir, fileProfile)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Errorf("%s: %w", dir, ErrNotDevice)
		}
		return false, err
	}
	unlock, err := lockFile(ctx, osPath(dir, fileLock))
	if err != nil {
		return false, fmt.Errorf("locking %s: %w", dir, err)
	}
	defer unlock()
	cur, err := recoverAndLoad(dir)
	if err != nil {
		return false, err
	}
	next, err := change(cur)
	if err != nil || next == nil {
		return false, err
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	return commit(dir, cur, next)
}

// recoverAndLoad is a writer's read: remove a killed writer's temp files, redo a pending
// journal, then read the files. The caller holds the lock.
func recoverAndLoad(dir string) (*Device, error) {
	if err := checkDir(osPath(dir, dirSettings)); err != nil {
		return nil, err
	}
	if err := removeAllTemps(dir); err != nil {
		return nil, err
	}
	j, err := readJournal(dir)
	if err != nil {
		return nil, err
	}
	if j.Pending {
		if err := redo(dir, j, nil); err != nil {
			return nil, fmt.Errorf("%s: finishing the change a stopped writer left in %s: %w", dir, fileJournal, err)
		}
	}
	files, err := readFiles(dir)
	if err != nil {
		return nil, err
	}
	st, err := ParseFiles(files)
	if err != nil {
		return nil, inDir(dir, err)
	}
	return &Device{Dir: dir, State: st, Generation: j.Generation, files: files}, nil
}

// redo replaces every file a pending journal changes and marks the journal done. Writing a
// file that already holds the new content is harmless, so redo can itself be killed and redone.
// files is the journal state's encoding when the caller has it, or nil.
func redo(dir string, j *journal, files map[string][]byte) (err error) {
	if files == nil {
		if files, err = encodeFiles(j.State); err != nil {
			return err
		}
	}
	settings := false
	for _, name := range j.Changed {
		if err := writeAtomic(osPath(dir, name), files[name]); err != nil {
			return fmt.Errorf("writing %s: %w", osPath(dir, name), err)
		}
		settings = settings || strings.HasPrefix(name, dirSettings+"/")
	}
	if settings {
		if err := syncDir(osPath(dir, dirSettings)); err != nil {
			return err
		}
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	done, err := marshal(journal{Generation: j.Generation})
	if err != nil {
		return err
	}
	if err := writeAtomic(osPath(dir, fileJournal), done); err != nil {
		return fmt.Errorf("writing %s: %w", osPath(dir, fileJournal), err)
	}
	return syncDir(dir)
}

// prepare normalizes and checks s in place and returns its files.
func prepare(s *State) (map[string][]byte, error) {
	if err := s.Normalize(); err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return encodeFiles(s)
}

// commit records next in a pending journal and then redoes it.
func commit(dir string, cur *Device, next *State) (bool, error) {
	files, err := prepare(next)
	if err != nil {
		return false, err
	}
	var changed []string
	for _, name := range stateFiles() {
		if !bytes.Equal(files[name], cur.files[name]) {
			changed = append(changed, name)
		}
	}
	if len(changed) == 0 {
		return false, nil
	}
	j := &journal{Generation: cur.Generation + 1, Pending: true, Changed: changed, State: next}
	data, err := marshal(j)
	if err != nil {
		return false, err
	}
	if err := writeAtomic(osPath(dir, fileJournal), data); err != nil {
		return false, fmt.Errorf("writing %s: %w", osPath(dir, fileJournal), err)
	}
	if err := syncDir(dir); err != nil {
		return false, err
	}
	// From here on the change is committed: whatever stops us, the next writer finishes it.
	return true, redo(dir, j, files)
}
