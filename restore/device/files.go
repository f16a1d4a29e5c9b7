package device

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/restore/profile"
)

// Files of a device directory, by path relative to it (slash-separated).
const (
	fileProfile  = "profile.json"
	fileWiFi     = "wifi.json"
	fileApps     = "apps.json"
	fileStart    = "start.json"
	fileTaskbar  = "taskbar.json"
	filePolicies = "policies.json"
	fileBackups  = "backups.json"
	fileRestore  = "restore.json"
	fileJournal  = "journal.json"
	fileLock     = ".lock"
	dirSettings  = "settings"
)

func settingsFile(category string) string { return dirSettings + "/" + category + ".json" }

// startFile is start.json: Windows 11 pins or Windows 10 tiles.
type startFile struct {
	Pins  []backup.Pin       `json:"pins"`
	Tiles []backup.StartTile `json:"tiles,omitempty"`
}

// restoreFile is restore.json.
type restoreFile struct {
	LastRestore *RestoreRecord `json:"lastRestore"`
}

// stateFiles lists every file a state is stored in, in the order they are written; the
// profile comes last so that a directory Init did not finish has none. The list is shared:
// callers must not change it.
func stateFiles() []string { return stateFileList }

// categoryList and stateFileList are Categories() and the state files, made once: every read
// and write of a device goes through them file by file. Neither is changed.
var (
	categoryList  = slices.Clip(Categories())
	stateFileList = func() []string {
		files := []string{}
		for _, cat := range categoryList {
			files = append(files, settingsFile(cat))
		}
		files = append(files, fileWiFi, fileApps, fileStart, fileTaskbar, filePolicies, fileBackups, fileRestore, fileProfile)
		return slices.Clip(files) // an append to it makes a copy
	}()
)

// marshal is the one encoding of every file: two-space indented JSON, HTML left readable,
// ending in a newline. The same state always gives the same bytes.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// encodeFiles returns the content of every state file. s must be normalized.
func encodeFiles(s *State) (map[string][]byte, error) {
	parts := map[string]any{
		fileProfile:  s.Profile,
		fileWiFi:     s.WiFi,
		fileApps:     s.StoreApps,
		fileStart:    startFile{Pins: s.StartPins, Tiles: s.StartTiles},
		fileTaskbar:  s.TaskbarPins,
		filePolicies: s.Policies,
		fileBackups:  s.Backups,
		fileRestore:  restoreFile{LastRestore: s.LastRestore},
	}
	for i, cat := range categoryList {
		parts[stateFileList[i]] = s.Settings[cat] // the settings files come first, by category
	}
	out := make(map[string][]byte, len(parts))
	for name, v := range parts {
		data, err := marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encoding %s: %w", name, err)
		}
		out[name] = data
	}
	return out, nil
}

// FileError names a device file, and the line in it, that cannot be read.
type FileError struct {
	File string // path of the file
	Line int    // 0 when the problem is not at one place
	Err  error
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// lineAt returns the 1-based line of a byte offset.
func lineAt(data []byte, offset int64) int {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	return bytes.Count(data[:offset], []byte("\n")) + 1
}

// decodeStrict decodes exactly one JSON value with no unknown fields, reporting the line of
// a syntax or type error.
func decodeStrict(name string, data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return &FileError{File: name, Line: lineAt(data, syn.Offset), Err: err}
		case errors.As(err, &typ):
			return &FileError{File: name, Line: lineAt(data, typ.Offset), Err: err}
		case errors.Is(err, io.EOF):
			return &FileError{File: name, Err: errors.New("empty file")}
		case errors.Is(err, io.ErrUnexpectedEOF):
			return &FileError{File: name, Line: lineAt(data, int64(len(data))), Err: errors.New("the file ends in the middle of a JSON value")}
		}
		return &FileError{File: name, Err: err}
	}
	// Only JSON white space may follow. Looking at the bytes left spares the decoder a second,
	// larger buffer for the look ahead; what is not white space gets the decoder's own answer.
	if rest := data[dec.InputOffset():]; len(bytes.TrimLeft(rest, " \t\r\n")) > 0 {
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			return &FileError{File: name, Line: lineAt(data, dec.InputOffset()), Err: errors.New("more after the JSON value")}
		}
	}
	return nil
}

// decodeFile reads one state file into s. name is the file's path relative to the device
// directory; it must be one of stateFiles.
func decodeFile(name string, data []byte, s *State) error {
	var target any
	var start startFile
	var rest restoreFile
	var settings map[string]json.RawMessage
	switch name {
	case fileProfile:
		s.Profile = profile.DeviceProfile{}
		target = &s.Profile
	case fileWiFi:
		target = &s.WiFi
	case fileApps:
		target = &s.StoreApps
	case fileStart:
		target = &start
	case fileTaskbar:
		target = &s.TaskbarPins
	case filePolicies:
		target = &s.Policies
	case fileBackups:
		target = &s.Backups
	case fileRestore:
		target = &rest
	default:
		cat, ok := categoryOf(name)
		if !ok {
			return &FileError{File: name, Err: errors.New("not a device state file")}
		}
		target = &settings
		defer func() {
			if s.Settings == nil {
				s.Settings = map[string]map[string]json.RawMessage{}
			}
			s.Settings[cat] = settings
		}()
	}
	if err := decodeStrict(name, data, target); err != nil {
		return err
	}
	switch name {
	case fileStart:
		s.StartPins, s.StartTiles = start.Pins, start.Tiles
	case fileRestore:
		s.LastRestore = rest.LastRestore
	}
	return nil
}

func categoryOf(name string) (string, bool) {
	for i, cat := range categoryList {
		if stateFileList[i] == name {
			return cat, true
		}
	}
	return "", false
}

// ParseFiles builds a state from the content of its files (path relative to the device
// directory → bytes), checks it and puts it in normal form. Every file must be present.
func ParseFiles(files map[string][]byte) (*State, error) {
	s := &State{}
	names := stateFiles()
	for _, name := range names {
		data, ok := files[name]
		if !ok {
			return nil, &FileError{File: name, Err: errors.New("missing: not a complete device directory")}
		}
		if err := decodeFile(name, data, s); err != nil {
			return nil, err
		}
	}
	extra := []string{}
	for name := range files {
		if !slices.Contains(names, name) {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return nil, &FileError{File: extra[0], Err: errors.New("not a device state file")}
	}
	if err := s.Normalize(); err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}
