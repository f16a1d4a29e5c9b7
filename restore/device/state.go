package device

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/restore/profile"
)

// CategoryWindowsUpdate holds Windows Update settings: a device has them, Windows never backs
// them up (domain.md §1).
const CategoryWindowsUpdate = "windowsUpdate"

// Categories lists the setting categories a device keeps: the five Windows backs up, then
// Windows Update.
func Categories() []string { return append(backup.Categories(), CategoryWindowsUpdate) }

// CategoryDevice is the policy category for what an Intune policy manages that is not a
// setting: the device name, the Start and taskbar layouts, and the policies that stop backups.
const CategoryDevice = "device"

// Names of device policies (Policy.Category == CategoryDevice).
const (
	// PolicyDeviceName: the Autopilot profile's device name template names the device.
	PolicyDeviceName = "deviceName"
	// PolicyStartLayout: a Start layout policy fixes the Start pins.
	PolicyStartLayout = "startLayout"
	// PolicyTaskbarLayout: a taskbar layout policy fixes the taskbar pins.
	PolicyTaskbarLayout = "taskbarLayout"
)

// BackupStoppers are the policies that, set to false (Disabled), make backups silently stop
// (domain.md §2, from Microsoft Learn "Windows backup for organizations").
var BackupStoppers = []string{"EnableActivityFeed", "PublishUserActivities", "UploadUserActivities", "EnableCDP", "AllowConnectedDevices"}

// Architectures a device can have; Store apps are offered per architecture.
const (
	ArchX64   = "x64"
	ArchARM64 = "arm64"
	ArchX86   = "x86"
)

// State is the whole state of a simulated device in memory; `oobe device show --json` prints it.
type State struct {
	// Profile is what the device is; Profile.Name is the device name a restore may change.
	Profile profile.DeviceProfile `json:"profile"`
	// Settings maps category → setting name → JSON value, for every category in Categories.
	Settings    map[string]map[string]json.RawMessage `json:"settings"`
	WiFi        []backup.WiFiNetwork                  `json:"wifi"`
	StoreApps   []App                                 `json:"storeApps"`
	StartPins   []backup.Pin                          `json:"startPins"`
	StartTiles  []backup.StartTile                    `json:"startTiles,omitempty"`
	TaskbarPins []backup.Pin                          `json:"taskbarPins"`
	Policies    []Policy                              `json:"policies"`
	Backups     BackupHistory                         `json:"backups"`
	LastRestore *RestoreRecord                        `json:"lastRestore,omitempty"`
}

// App is an installed Microsoft Store app.
type App struct {
	ProductID string `json:"productId"`
	Name      string `json:"name"`
	// Architecture is the build installed on this device.
	Architecture string `json:"architecture"`
	// Architectures are the builds the Store offers; a backup carries them.
	Architectures []string `json:"architectures"`
}

// Policy is one thing an Intune policy enforces on the device; policy wins over a restore.
type Policy struct {
	// Category is a setting category (Categories) or CategoryDevice.
	Category string `json:"category"`
	Name     string `json:"name"`
	// Value is the enforced JSON value; a managed setting always has it on the device.
	Value json.RawMessage `json:"value,omitempty"`
	// Source names the Intune profile that enforces it, for reports.
	Source string `json:"source"`
}

// BackupHistory is what the device remembers of its own backups, for the 8-day schedule.
type BackupHistory struct {
	First time.Time `json:"first,omitzero"`
	Last  time.Time `json:"last,omitzero"`
	Count int       `json:"count"`
}

// RestoreRecord is what the last restore that changed the device did.
type RestoreRecord struct {
	SourceDeviceName string `json:"sourceDeviceName"`
	SourceOSVersion  string `json:"sourceOsVersion"`
	// Checksum is the restored content's checksum.
	Checksum string `json:"checksum"`
	// Counts is the number of items per outcome (applied, alreadySet, …).
	Counts map[string]int `json:"counts"`
}

var (
	archs        = []string{ArchX64, ArchARM64, ArchX86}
	wifiSecurity = []string{backup.WiFiOpen, backup.WiFiWPA2Personal, backup.WiFiWPA3Personal, backup.WiFiWPA2Enterprise, backup.WiFiWPA3Enterprise}
)

// IsEnterpriseWiFi reports whether a security type is 802.1X, which backups carry by name only.
func IsEnterpriseWiFi(security string) bool {
	return security == backup.WiFiWPA2Enterprise || security == backup.WiFiWPA3Enterprise
}

// CanonicalValue returns a JSON value in one canonical form (no spaces, object keys sorted,
// numbers as written), so two values compare equal exactly when they mean the same.
func CanonicalValue(v json.RawMessage) (json.RawMessage, error) {
	// Most values are canonical already (they were written canonical): valid JSON that the
	// encoder would write byte for byte the same is returned as it is, without a decode.
	if json.Valid(v) && canonical(v) {
		return v, nil
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, v); err != nil {
		return nil, err
	}
	if canonical(compact.Bytes()) {
		return json.RawMessage(compact.Bytes()), nil
	}
	return canonicalByDecoding(v)
}

// canonicalByDecoding is the canonical form by its definition: decode, numbers kept as written,
// and encode without HTML escaping.
func canonicalByDecoding(v json.RawMessage) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value")
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(x); err != nil {
		return nil, err
	}
	return json.RawMessage(bytes.TrimSuffix(b.Bytes(), []byte("\n"))), nil
}

// canonical reports whether valid JSON b is already what canonicalByDecoding would write: no
// white space between tokens, strings without escapes, control characters, invalid UTF-8 or
// U+2028/U+2029 (all of which the encoder rewrites), and every object's keys in strictly
// increasing byte order (the encoder sorts them, and a repeated key would collapse). Numbers
// pass through as written.
func canonical(b []byte) bool {
	type level struct {
		object, wantKey bool
		last            []byte
		haveLast        bool
	}
	var stack []level
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case ' ', '\t', '\n', '\r':
			return false
		case '{', '[':
			stack = append(stack, level{object: c == '{', wantKey: c == '{'})
		case '}', ']':
			if len(stack) == 0 {
				return false
			}
			stack = stack[:len(stack)-1]
		case ',':
			if n := len(stack); n > 0 && stack[n-1].object {
				stack[n-1].wantKey = true
			}
		case '"':
			j := i + 1
			for j < len(b) && b[j] != '"' {
				if b[j] == '\\' || b[j] < 0x20 {
					return false
				}
				j++
			}
			if j == len(b) {
				return false
			}
			str := b[i+1 : j]
			if !utf8.Valid(str) || bytes.Contains(str, lineSeparator) || bytes.Contains(str, paragraphSeparator) {
				return false
			}
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
				top := &stack[n-1]
				if top.haveLast && bytes.Compare(top.last, str) >= 0 {
					return false
				}
				top.last, top.haveLast, top.wantKey = str, true, false
			}
			i = j
		}
	}
	return true
}

// The two characters encoding/json escapes in strings although they are valid UTF-8.
var (
	lineSeparator      = []byte("\u2028")
	paragraphSeparator = []byte("\u2029")
)

// Clone returns a deep copy of the state, so a plan can build the next state without
// touching the one it read.
func (s *State) Clone() *State {
	c := *s
	c.Settings = make(map[string]map[string]json.RawMessage, len(s.Settings))
	for cat, m := range s.Settings {
		cm := make(map[string]json.RawMessage, len(m))
		for k, v := range m {
			cm[k] = v // values are never modified in place, only replaced
		}
		c.Settings[cat] = cm
	}
	c.WiFi = slices.Clone(s.WiFi)
	c.StoreApps = make([]App, len(s.StoreApps))
	for i, a := range s.StoreApps {
		a.Architectures = slices.Clone(a.Architectures)
		c.StoreApps[i] = a
	}
	c.StartPins = slices.Clone(s.StartPins)
	c.StartTiles = slices.Clone(s.StartTiles)
	c.TaskbarPins = slices.Clone(s.TaskbarPins)
	c.Policies = slices.Clone(s.Policies)
	if s.LastRestore != nil {
		r := *s.LastRestore
		r.Counts = make(map[string]int, len(s.LastRestore.Counts))
		for k, v := range s.LastRestore.Counts {
			r.Counts[k] = v
		}
		c.LastRestore = &r
	}
	return &c
}

// Version returns the device's parsed OS version.
func (s *State) Version() (profile.Version, error) { return profile.ParseVersion(s.Profile.OS) }

// Arch returns the device's architecture, x64 when the profile does not say.
func (s *State) Arch() string {
	if s.Profile.Architecture == "" {
		return ArchX64
	}
	return s.Profile.Architecture
}

// PolicyFor returns the policy that manages category/name, if any.
func (s *State) PolicyFor(category, name string) (Policy, bool) {
	for _, p := range s.Policies {
		if p.Category == category && p.Name == name {
			return p, true
		}
	}
	return Policy{}, false
}

// Normalize puts the state in the one form it is stored in: every category present, empty
// lists rather than null, setting values canonical, policies sorted, defaults filled in, and
// every setting a policy manages holding the policy's value (policy wins on the device too).
func (s *State) Normalize() error {
	if s.Profile.Architecture == "" {
		s.Profile.Architecture = ArchX64
	}
	if s.Profile.Cloud == "" {
		s.Profile.Cloud = profile.CloudGlobal
	}
	if s.Settings == nil {
		s.Settings = map[string]map[string]json.RawMessage{}
	}
	for _, cat := range categoryList {
		if s.Settings[cat] == nil {
			s.Settings[cat] = map[string]json.RawMessage{}
		}
	}
	for cat, m := range s.Settings {
		for name, v := range m {
			cv, err := CanonicalValue(v)
			if err != nil {
				return fmt.Errorf("%s: %q: value is not JSON: %w", settingsFile(cat), name, err)
			}
			m[name] = cv
		}
	}
	for i := range s.Policies {
		if s.Policies[i].Value == nil {
			continue
		}
		cv, err := CanonicalValue(s.Policies[i].Value)
		if err != nil {
			return fmt.Errorf("%s: [%d] %s/%s: value is not JSON: %w", filePolicies, i, s.Policies[i].Category, s.Policies[i].Name, err)
		}
		s.Policies[i].Value = cv
	}
	sort.SliceStable(s.Policies, func(i, j int) bool {
		a, b := s.Policies[i], s.Policies[j]
		if a.Category != b.Category {
			return a.Category < b.Category
		}
		return a.Name < b.Name
	})
	for _, p := range s.Policies {
		if m, ok := s.Settings[p.Category]; ok && p.Value != nil {
			m[p.Name] = p.Value
		}
	}
	if s.WiFi == nil {
		s.WiFi = []backup.WiFiNetwork{}
	}
	if s.StoreApps == nil {
		s.StoreApps = []App{}
	}
	for i := range s.StoreApps {
		if s.StoreApps[i].Architectures == nil {
			s.StoreApps[i].Architectures = []string{}
		}
	}
	if s.StartPins == nil {
		s.StartPins = []backup.Pin{}
	}
	if s.TaskbarPins == nil {
		s.TaskbarPins = []backup.Pin{}
	}
	if s.Policies == nil {
		s.Policies = []Policy{}
	}
	if s.LastRestore != nil && s.LastRestore.Counts == nil {
		s.LastRestore.Counts = map[string]int{}
	}
	return nil
}

// Validate checks every part of the state, naming the file and field of the first problem.
func (s *State) Validate() error {
	for _, check := range []func() error{s.validateProfile, s.validateSettings, s.validateWiFi, s.validateApps, s.validatePins, s.validatePolicies, s.validateHistory} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func oneOf(field, v string, allowed []string) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	return fmt.Errorf("%s %q is not one of %s", field, v, strings.Join(allowed, ", "))
}

func (s *State) validateProfile() error {
	p := s.Profile
	wrap := func(err error) error { return fmt.Errorf("%s: %w", fileProfile, err) }
	if err := p.Validate(); err != nil {
		return wrap(err)
	}
	// A device is fully known: the fields a profile may leave "not known" must be given.
	for _, f := range []struct{ field, v string }{{"edition", p.Edition}, {"join", p.Join}, {"provisioning", p.Provisioning}, {"cloud", p.Cloud}, {"architecture", p.Architecture}} {
		if strings.TrimSpace(f.v) == "" {
			return wrap(fmt.Errorf("%s: missing", f.field))
		}
	}
	if !backup.ValidDeviceName(p.Name) {
		return wrap(fmt.Errorf("name: %q is not a Windows device name (1 to 15 letters, digits and hyphens, not all digits)", p.Name))
	}
	return nil
}

func (s *State) validateSettings() error {
	cats := categoryList
	for cat, m := range s.Settings {
		if !slices.Contains(cats, cat) {
			return fmt.Errorf("settings: category %q is not one of %s", cat, strings.Join(cats, ", "))
		}
		for name, v := range m {
			if strings.TrimSpace(name) == "" {
				return fmt.Errorf("%s: a setting has an empty name", settingsFile(cat))
			}
			if !json.Valid(v) {
				return fmt.Errorf("%s: %q: value is not JSON", settingsFile(cat), name)
			}
		}
	}
	return nil
}

func (s *State) validateWiFi() error {
	seen := map[string]bool{}
	for i, w := range s.WiFi {
		if w.SSID == "" || len(w.SSID) > 32 {
			return fmt.Errorf("%s: [%d].ssid must be 1 to 32 bytes", fileWiFi, i)
		}
		if err := oneOf("security", w.Security, wifiSecurity); err != nil {
			return fmt.Errorf("%s: [%d] %q: %w", fileWiFi, i, w.SSID, err)
		}
		if seen[w.SSID] {
			return fmt.Errorf("%s: [%d]: network %q is saved twice", fileWiFi, i, w.SSID)
		}
		seen[w.SSID] = true
	}
	return nil
}

func (s *State) validateApps() error {
	seen := map[string]bool{}
	for i, a := range s.StoreApps {
		if a.ProductID == "" || a.Name == "" {
			return fmt.Errorf("%s: [%d]: productId and name are required", fileApps, i)
		}
		if seen[a.ProductID] {
			return fmt.Errorf("%s: [%d]: %s is installed twice", fileApps, i, a.ProductID)
		}
		seen[a.ProductID] = true
		if err := oneOf("architecture", a.Architecture, archs); err != nil {
			return fmt.Errorf("%s: [%d] %q: %w", fileApps, i, a.Name, err)
		}
		for _, arch := range a.Architectures {
			if err := oneOf("architectures", arch, archs); err != nil {
				return fmt.Errorf("%s: [%d] %q: %w", fileApps, i, a.Name, err)
			}
		}
	}
	return nil
}

func (s *State) validatePins() error {
	v, err := s.Version()
	if err != nil {
		return fmt.Errorf("%s: os: %w", fileProfile, err)
	}
	// Windows 10 Start has tiles, Windows 11 Start has pins: a device has one or the other.
	if v.IsWindows11() && len(s.StartTiles) > 0 {
		return fmt.Errorf("%s: tiles: Windows 11 (%s) has Start pins, not tiles", fileStart, s.Profile.OS)
	}
	if !v.IsWindows11() && len(s.StartPins) > 0 {
		return fmt.Errorf("%s: pins: Windows 10 (%s) has Start tiles, not pins", fileStart, s.Profile.OS)
	}
	for _, list := range []struct {
		file, field string
		pins        []backup.Pin
	}{{fileStart, "pins", s.StartPins}, {fileTaskbar, "", s.TaskbarPins}} {
		seen := map[string]bool{}
		for i, p := range list.pins {
			at := fmt.Sprintf("%s[%d]", list.field, i)
			if p.AppID == "" {
				return fmt.Errorf("%s: %s: empty appId", list.file, at)
			}
			if seen[p.AppID] {
				return fmt.Errorf("%s: %s: %s is pinned twice", list.file, at, p.AppID)
			}
			seen[p.AppID] = true
		}
	}
	for i, t := range s.StartTiles {
		if t.AppID == "" {
			return fmt.Errorf("%s: tiles[%d]: empty appId", fileStart, i)
		}
	}
	return nil
}

func (s *State) validatePolicies() error {
	cats := append(Categories(), CategoryDevice)
	deviceNames := append([]string{PolicyDeviceName, PolicyStartLayout, PolicyTaskbarLayout}, BackupStoppers...)
	seen := map[string]bool{}
	for i, p := range s.Policies {
		at := fmt.Sprintf("%s: [%d] %s/%s", filePolicies, i, p.Category, p.Name)
		if err := oneOf("category", p.Category, cats); err != nil {
			return fmt.Errorf("%s: %w", at, err)
		}
		if strings.TrimSpace(p.Name) == "" {
			return fmt.Errorf("%s: empty name", at)
		}
		if p.Category == CategoryDevice {
			if err := oneOf("name", p.Name, deviceNames); err != nil {
				return fmt.Errorf("%s: %w", at, err)
			}
		} else if p.Value == nil {
			return fmt.Errorf("%s: a setting policy needs the value it enforces", at)
		}
		if p.Value != nil && !json.Valid(p.Value) {
			return fmt.Errorf("%s: value is not JSON", at)
		}
		if strings.TrimSpace(p.Source) == "" {
			return fmt.Errorf("%s: source (the Intune profile's name) is empty", at)
		}
		key := p.Category + "/" + p.Name
		if seen[key] {
			return fmt.Errorf("%s: managed by two policies", at)
		}
		seen[key] = true
	}
	return nil
}

func (s *State) validateHistory() error {
	h := s.Backups
	if h.Count < 0 || (h.Count == 0) != h.Last.IsZero() || h.First.IsZero() != h.Last.IsZero() || h.Last.Before(h.First) {
		return fmt.Errorf("%s: first, last and count are not a consistent backup history", fileBackups)
	}
	return nil
}
