package device

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/restore/profile"
)

// ErrBackupBlocked is wrapped when Windows would not back this device up.
var ErrBackupBlocked = errors.New("Windows does not back up this device")

// backupMinimums are the first builds of each release that back up (domain.md §2, from
// Microsoft Learn "Windows backup for organizations": Windows 10 22H2 19045.6216, Windows 11
// 22621.5768, 22631.5768 and 26100.4946). Releases after the last row back up from their
// first build; releases not listed before it never do.
var backupMinimums = []profile.Version{
	{Major: 10, Build: 19045, UBR: 6216},
	{Major: 10, Build: 22621, UBR: 5768},
	{Major: 10, Build: 22631, UBR: 5768},
	{Major: 10, Build: 26100, UBR: 4946},
}

// BackupOnByDefault is the first build that backs up without the Enable Windows Backup policy:
// Windows 11 26H2. Before it, backup is opt-in and off by default; from it, on by default for
// eligible devices, and an admin's explicit setting, enabled or disabled, still wins
// (Microsoft Learn "Windows settings backup and restore", 2026-09-29; domain.md §7.3).
const BackupOnByDefault = 26300

// CanBackUp says why Windows would not back this device up, or returns nil: it must be Entra
// or hybrid joined, run a build from backupMinimums, have an Entra device id, have none of
// the BackupStoppers policies set to Disabled (backups then silently stop), and have Windows
// Backup turned on: the Enable Windows Backup policy enabled, or not configured on 26H2 and later.
func CanBackUp(s *State) error {
	blocked := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBackupBlocked, fmt.Sprintf(format, args...))
	}
	if s.Profile.Join != profile.JoinEntra && s.Profile.Join != profile.JoinHybrid {
		return blocked("only Microsoft Entra joined or hybrid joined devices back up; this one is %q", s.Profile.Join)
	}
	v, err := s.Version()
	if err != nil {
		return fmt.Errorf("%s: os: %w", fileProfile, err)
	}
	last := backupMinimums[len(backupMinimums)-1]
	supported := v.Build > last.Build
	for _, m := range backupMinimums {
		if v.Build == m.Build {
			if v.UBR < m.UBR {
				return blocked("%s (%s) backs up from %s on; install the latest quality update", v.Release(), v, m)
			}
			supported = true
		}
	}
	if !supported {
		return blocked("%s (%s) has no Windows Backup for Organizations", v.Release(), v)
	}
	if s.Profile.DeviceID == "" {
		return blocked("%s has no deviceId: a backup is filed under the device's Entra device id", fileProfile)
	}
	for _, name := range BackupStoppers {
		if p, ok := s.PolicyFor(CategoryDevice, name); ok && string(p.Value) == "false" {
			return blocked("policy %s is Disabled by %q, so backups silently stop", name, p.Source)
		}
	}
	switch on := s.Profile.EnableWindowsBackup; {
	case on != nil && !*on:
		return blocked("the Enable Windows Backup policy is disabled (./Device/Vendor/MSFT/Policy/Config/SettingsSync/EnableWindowsBackup), so Windows Backup is off and the user's Remember my preferences and Remember my apps are greyed out")
	case on == nil && v.Build < BackupOnByDefault:
		return blocked("the Enable Windows Backup policy is not configured, and before Windows 11 26H2 backup is off until IT enables it (./Device/Vendor/MSFT/Policy/Config/SettingsSync/EnableWindowsBackup)")
	}
	return nil
}

// Snapshot builds the backup Windows would make of the device at now for owner: its content
// (every setting but Windows Update's, Wi-Fi networks — 802.1X ones by name and security
// only, as the device keeps no credentials — Store apps, pins and the device name) and its
// deviceprofile. It refuses a device Windows would not back up, or one joined to another
// tenant than owner's.
func Snapshot(s *State, owner backup.Owner, now time.Time) (*backup.Content, *backup.DeviceProfilePayload, error) {
	if err := CanBackUp(s); err != nil {
		return nil, nil, err
	}
	if s.Profile.TenantID != "" && !strings.EqualFold(s.Profile.TenantID, owner.TenantID) {
		return nil, nil, fmt.Errorf("the device is joined to tenant %s; a user of tenant %s cannot back it up", s.Profile.TenantID, owner.TenantID)
	}
	c := &backup.Content{
		Owner:           owner,
		SourceOSVersion: s.Profile.OS,
		DeviceName:      s.Profile.Name,
		Settings:        []backup.Setting{},
		WiFi:            make([]backup.WiFiNetwork, 0, len(s.WiFi)),
		StoreApps:       make([]backup.StoreApp, 0, len(s.StoreApps)),
		StartPins:       append([]backup.Pin{}, s.StartPins...),
		StartTiles:      append([]backup.StartTile(nil), s.StartTiles...),
		TaskbarPins:     append([]backup.Pin{}, s.TaskbarPins...),
	}
	for _, cat := range backup.Categories() { // never CategoryWindowsUpdate
		names := make([]string, 0, len(s.Settings[cat]))
		for name := range s.Settings[cat] {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			c.Settings = append(c.Settings, backup.Setting{Category: cat, Name: name, Value: s.Settings[cat][name]})
		}
	}
	for _, w := range s.WiFi {
		c.WiFi = append(c.WiFi, backup.WiFiNetwork{SSID: w.SSID, Security: w.Security})
	}
	for _, a := range s.StoreApps {
		c.StoreApps = append(c.StoreApps, backup.StoreApp{ProductID: a.ProductID, Name: a.Name, Architectures: append([]string{}, a.Architectures...)})
	}
	if err := c.Seal(); err != nil {
		return nil, nil, err
	}
	first := s.Backups.First
	if first.IsZero() {
		first = now
	}
	p := &backup.DeviceProfilePayload{
		ProfileID:                   backup.ProfileID(strings.ToLower(s.Profile.DeviceID)),
		DeviceDisplayName:           s.Profile.Name,
		CreatedBy:                   "windows",
		CreatedTime:                 first.Unix(),
		ModifiedTime:                now.Unix(),
		IsActive:                    true,
		LastFullBackupCompletedTime: now.Unix(),
		OSVersion:                   backup.PayloadOSVersion(s.Profile.OS), // as Windows writes it: build.UBR.branch (domain.md §7.4)
	}
	if err := p.Validate(); err != nil {
		return nil, nil, fmt.Errorf("building the deviceprofile of %s: %w", s.Profile.Name, err)
	}
	return c, p, nil
}

// UploadFor returns what the device sends to the tenant's backup.UploadPath when it backs up
// at now for owner.
func UploadFor(s *State, owner backup.Owner, now time.Time) (*backup.Upload, error) {
	c, p, err := Snapshot(s, owner, now)
	if err != nil {
		return nil, err
	}
	payload, err := backup.EncodePayload(c)
	if err != nil {
		return nil, err
	}
	if n := len(payload) / 4 * 3; n > backup.MaxPayloadBytes {
		return nil, fmt.Errorf("the backup of %s is %d bytes, past the %d MiB a payload may hold", s.Profile.Name, n, backup.MaxPayloadBytes>>20)
	}
	return &backup.Upload{WindowsDeviceID: backup.DeviceIDOf(p.ProfileID), Profile: *p, Content: payload}, nil
}
