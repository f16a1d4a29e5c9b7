package tenant

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/oobe-dev/oobe/backup"
)

// Restore page states: Graph's enablement enum, the state of windowsRestoreDeviceEnrollmentConfiguration.
const (
	RestoreNotConfigured = "notConfigured"
	RestoreEnabled       = "enabled"
	RestoreDisabled      = "disabled"
)

// RestorePageStates lists the restore page states; notConfigured is the default and means off.
func RestorePageStates() []string {
	return []string{RestoreNotConfigured, RestoreEnabled, RestoreDisabled}
}

// InstanceExpiry is what an instance's expirationDateTime says, after its lastModifiedDateTime:
// ten years, as in Graph's windowsSettingInstance example. It is Graph's field, not a rule
// (domain.md §7.3): Microsoft documents no fixed retention. A backup is kept while it is
// associated with an active account and device (Entra, "Migrate from Enterprise State
// Roaming", 2026-09-14), so the simulator serves it until its source device is retired
// (Backup.Retired), however far past this date.
const InstanceExpiry = 3650 * 24 * time.Hour

// KeptForever is the KeptUntil of a backup whose device is never retired.
var KeptForever = time.Unix(0, math.MaxInt64).UTC()

// MaxGeneratedBackups bounds users[].generateBackups.
const MaxGeneratedBackups = 10000

// maxDeviceNameLen is Windows' limit on a computer name (its NetBIOS name).
const maxDeviceNameLen = backup.MaxDeviceName

// contentItemRE finds the list item a content validation error names, to report its line.
var contentItemRE = regexp.MustCompile(`^(wifi|storeApps|startPins|startTiles|taskbarPins)\[(\d+)\]`)

// backupVersionRE is a full Windows version as a backup records it.
var backupVersionRE = regexp.MustCompile(`^10\.0\.\d{5}\.\d{1,6}$`)

// Backup is one previous PC of a user as a fixture describes it: the source device and what its
// latest backup holds. The server turns it into Graph's windowsSetting objects.
type Backup struct {
	// Device is the source device's name, as the restore page lists it.
	Device string
	// DeviceID is the device's windowsDeviceId (the deviceprofile's profileId without braces).
	DeviceID string
	// OS is the source device's full Windows version, like 10.0.22631.4317.
	OS         string
	Created    time.Time
	LastBackup time.Time
	// Retired is when the source device stopped being an active device of the tenant (deleted
	// or disabled in Entra ID); from then on the backup is no longer kept, as retention
	// follows the account and the device [ESR]. That it goes at once is inferred: Microsoft
	// gives no delay. Zero: the device is active, and the backup is kept.
	Retired time.Time
	Content BackupContent
}

// BackupContent is what a backup holds, in the categories the Windows Backup app shows.
type BackupContent struct {
	// DeviceName is restored as the new device's name; empty means the backup's Device.
	DeviceName  string           `yaml:"deviceName"`
	Settings    BackupSettings   `yaml:"settings"`
	WiFi        []BackupWiFi     `yaml:"wifi"`
	StoreApps   []BackupStoreApp `yaml:"storeApps"`
	StartPins   []BackupPin      `yaml:"startPins"`
	StartTiles  []BackupTile     `yaml:"startTiles"` // Windows 10 sources only
	TaskbarPins []BackupPin      `yaml:"taskbarPins"`
}

// BackupSettings are Windows settings by category ("Remember my preferences"), name to value.
type BackupSettings struct {
	Accessibility   map[string]any `yaml:"accessibility"`
	AccountsAndWiFi map[string]any `yaml:"accountsAndWifi"`
	Personalization map[string]any `yaml:"personalization"`
	Language        map[string]any `yaml:"language"`
	Other           map[string]any `yaml:"other"`
}

// BackupWiFi is a saved Wi-Fi network: open, wpa2Personal, wpa3Personal, wpa2Enterprise or wpa3Enterprise.
type BackupWiFi struct {
	SSID     string `yaml:"ssid"`
	Security string `yaml:"security"`
}

// BackupStoreApp is an installed Microsoft Store app and the architectures the Store offers it for.
type BackupStoreApp struct {
	ProductID     string   `yaml:"productId"`
	Name          string   `yaml:"name"`
	Architectures []string `yaml:"architectures"`
}

// BackupPin is a Start or taskbar pin.
type BackupPin struct {
	AppID string `yaml:"appId"`
	Name  string `yaml:"name"`
}

// BackupTile is a Windows 10 Start tile.
type BackupTile struct {
	AppID string `yaml:"appId"`
	Name  string `yaml:"name"`
	Group string `yaml:"group"`
	Size  string `yaml:"size"`
}

// fixtureBackup is a backup as written in a file, times still as text.
type fixtureBackup struct {
	Device     string        `yaml:"device"`
	DeviceID   string        `yaml:"deviceId"`
	OS         string        `yaml:"os"`
	Created    string        `yaml:"created"`
	LastBackup string        `yaml:"lastBackup"`
	Retired    string        `yaml:"retired"`
	Content    BackupContent `yaml:"content"`
}

// parseFixtureTime reads an RFC 3339 time (2026-05-01T09:00:00Z) or a date (2026-05-01, midnight UTC).
func parseFixtureTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time like 2026-05-01T09:00:00Z or a date like 2026-05-01", s)
}

// KeptUntil is when the backup stops being served: when its device was retired, or never.
func (b Backup) KeptUntil() time.Time {
	if b.Retired.IsZero() {
		return KeptForever
	}
	return b.Retired
}

// Profile is the backup's deviceprofile payload, as Windows writes it.
func (b Backup) Profile() backup.DeviceProfilePayload {
	return backup.DeviceProfilePayload{
		ProfileID:                   backup.ProfileID(strings.ToLower(b.DeviceID)),
		DeviceDisplayName:           b.Device,
		CreatedBy:                   "windows",
		CreatedTime:                 b.Created.Unix(),
		ModifiedTime:                b.LastBackup.Unix(),
		IsActive:                    true,
		LastFullBackupCompletedTime: b.LastBackup.Unix(),
		OSVersion:                   b.OS,
	}
}

// SealedContent is the backup's content payload owned by (tenantID, objectID), sealed: settings
// in the Windows Backup app's category order, then by name.
func (b Backup) SealedContent(tenantID, objectID string) (*backup.Content, error) {
	c := &backup.Content{
		Owner:           backup.Owner{TenantID: strings.ToLower(tenantID), ObjectID: strings.ToLower(objectID)},
		SourceOSVersion: b.OS,
		DeviceName:      b.Content.DeviceName,
		Settings:        []backup.Setting{},
		WiFi:            []backup.WiFiNetwork{},
		StoreApps:       []backup.StoreApp{},
		StartPins:       []backup.Pin{},
		TaskbarPins:     []backup.Pin{},
	}
	if c.DeviceName == "" {
		c.DeviceName = b.Device
	}
	for _, cat := range b.Content.Settings.byCategory() {
		names := make([]string, 0, len(cat.values))
		for n := range cat.values {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			raw, err := json.Marshal(cat.values[n])
			if err != nil {
				return nil, fmt.Errorf("settings.%s.%s: the value cannot be written as JSON: %w", cat.name, n, err)
			}
			c.Settings = append(c.Settings, backup.Setting{Category: cat.name, Name: n, Value: raw})
		}
	}
	for _, w := range b.Content.WiFi {
		c.WiFi = append(c.WiFi, backup.WiFiNetwork{SSID: w.SSID, Security: w.Security})
	}
	for _, a := range b.Content.StoreApps {
		archs := append([]string{}, a.Architectures...)
		c.StoreApps = append(c.StoreApps, backup.StoreApp{ProductID: a.ProductID, Name: a.Name, Architectures: archs})
	}
	for _, p := range b.Content.StartPins {
		c.StartPins = append(c.StartPins, backup.Pin{AppID: p.AppID, Name: p.Name})
	}
	for _, t := range b.Content.StartTiles {
		c.StartTiles = append(c.StartTiles, backup.StartTile{AppID: t.AppID, Name: t.Name, Group: t.Group, Size: t.Size})
	}
	for _, p := range b.Content.TaskbarPins {
		c.TaskbarPins = append(c.TaskbarPins, backup.Pin{AppID: p.AppID, Name: p.Name})
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := c.Seal(); err != nil {
		return nil, fmt.Errorf("sealing the content: %w", err)
	}
	return c, nil
}

// settingCategory is one category's settings, by name.
type settingCategory struct {
	name   string
	values map[string]any
}

// byCategory lists the categories in the Windows Backup app's order.
func (s BackupSettings) byCategory() []settingCategory {
	return []settingCategory{
		{backup.CategoryAccessibility, s.Accessibility},
		{backup.CategoryAccountsAndWiFi, s.AccountsAndWiFi},
		{backup.CategoryPersonalization, s.Personalization},
		{backup.CategoryLanguage, s.Language},
		{backup.CategoryOther, s.Other},
	}
}

// backups checks users[i].backups and turns them into Backups.
func (v validator) backups(i int, tenantID, objectID string, in []fixtureBackup) ([]Backup, error) {
	var out []Backup
	seen := map[string]bool{}
	for j, fb := range in {
		at := func(steps ...any) *yaml.Node {
			return v.node(append([]any{"users", i, "backups", j}, steps...)...)
		}
		where := fmt.Sprintf("users[%d].backups[%d]", i, j)
		b := Backup{Device: strings.TrimSpace(fb.Device), DeviceID: strings.ToLower(fb.DeviceID), OS: fb.OS, Content: fb.Content}
		if b.Device == "" || len(b.Device) > maxDeviceNameLen {
			return nil, v.errAt(at("device"), fmt.Sprintf("%s.device %q: give the source device's name, 1 to %d characters as Windows allows", where, fb.Device, maxDeviceNameLen))
		}
		if !IsGUID(b.DeviceID) {
			return nil, v.errAt(at("deviceId"), fmt.Sprintf("%s.deviceId %q is not a GUID (the windowsDeviceId, without braces)", where, fb.DeviceID))
		}
		if seen[b.DeviceID] {
			return nil, v.errAt(at("deviceId"), fmt.Sprintf("%s.deviceId %s appears twice for this user: Windows keeps one backup per device", where, b.DeviceID))
		}
		seen[b.DeviceID] = true
		if !backupVersionRE.MatchString(b.OS) {
			return nil, v.errAt(at("os"), fmt.Sprintf("%s.os %q is not a full Windows version like 10.0.22631.4317", where, fb.OS))
		}
		for _, f := range []struct {
			name     string
			raw      string
			dst      *time.Time
			required bool
		}{{"created", fb.Created, &b.Created, true}, {"lastBackup", fb.LastBackup, &b.LastBackup, true}, {"retired", fb.Retired, &b.Retired, false}} {
			if f.raw == "" {
				if f.required {
					return nil, v.errAt(at(), fmt.Sprintf("%s.%s is missing", where, f.name))
				}
				continue
			}
			t, err := parseFixtureTime(f.raw)
			if err != nil {
				return nil, v.errAt(at(f.name), fmt.Sprintf("%s.%s: %v", where, f.name, err))
			}
			*f.dst = t
		}
		if b.LastBackup.Before(b.Created) {
			return nil, v.errAt(at("lastBackup"), fmt.Sprintf("%s.lastBackup %s is before created %s", where, fb.LastBackup, fb.Created))
		}
		if !b.Retired.IsZero() && !b.Retired.After(b.LastBackup) {
			return nil, v.errAt(at("retired"), fmt.Sprintf("%s.retired %s is not after lastBackup %s: a retired device makes no more backups", where, fb.Retired, fb.LastBackup))
		}
		if n := b.Content.DeviceName; n != "" && len(n) > maxDeviceNameLen {
			return nil, v.errAt(at("content", "deviceName"), fmt.Sprintf("%s.content.deviceName %q is longer than %d characters", where, n, maxDeviceNameLen))
		}
		if _, err := b.SealedContent(tenantID, objectID); err != nil {
			n := at("content")
			if m := contentItemRE.FindStringSubmatch(err.Error()); m != nil {
				idx, _ := strconv.Atoi(m[2])
				if item := at("content", m[1], idx); item != nil {
					n = item
				}
			}
			return nil, v.errAt(n, fmt.Sprintf("%s.content: %v", where, err))
		}
		out = append(out, b)
	}
	return out, nil
}

// generatedBackups makes n previous PCs for a user: stable ids and names, a spread of Windows
// versions, one backup an hour apart going back from late 2026, each with a little content.
func generatedBackups(tenantID, objectID string, n int) []Backup {
	versions := []string{"10.0.19045.6216", "10.0.22621.4317", "10.0.22631.4317", "10.0.26100.4946", "10.0.26200.7171"}
	newest := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	out := make([]Backup, 0, n)
	for i := range n {
		sum := sha256.Sum256(fmt.Appendf(nil, "%s/%s/generated/%d", strings.ToLower(tenantID), strings.ToLower(objectID), i))
		last := newest.Add(-time.Duration(i) * time.Hour)
		b := Backup{
			Device:     fmt.Sprintf("PC-%05d", i+1),
			DeviceID:   formatGUID(sum[:16]),
			OS:         versions[i%len(versions)],
			Created:    last.Add(-30 * 24 * time.Hour),
			LastBackup: last,
			Content: BackupContent{
				Settings: BackupSettings{
					Accessibility:   map[string]any{"textScale": 100 + 25*(i%3)},
					Personalization: map[string]any{"theme": []string{"light", "dark"}[i%2]},
					Language:        map[string]any{"displayLanguage": "en-US"},
				},
				WiFi:        []BackupWiFi{{SSID: fmt.Sprintf("Net-%d", binary.BigEndian.Uint16(sum[16:18])%100), Security: backup.WiFiWPA2Personal}},
				StoreApps:   []BackupStoreApp{{ProductID: "9WZDNCRFJBH4", Name: "Microsoft Photos", Architectures: []string{"x64", "arm64"}}},
				StartPins:   []BackupPin{{AppID: "Microsoft.WindowsCalculator_8wekyb3d8bbwe!App", Name: "Calculator"}},
				TaskbarPins: []BackupPin{{AppID: "Microsoft.Windows.Explorer", Name: "File Explorer"}},
			},
		}
		out = append(out, b)
	}
	return out
}

// allBackups is a user's fixture backups followed by the generated ones.
func (u *User) allBackups(tenantID string) []Backup {
	out := append([]Backup(nil), u.Backups...)
	return append(out, generatedBackups(tenantID, u.ObjectID, u.GenerateBackups)...)
}
