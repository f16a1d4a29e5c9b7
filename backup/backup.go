// Package backup is the wire format of Windows Backup for Organizations as Graph carries it:
// windowsSetting, windowsSettingInstance, the deviceprofile payload and the simulator's own
// content payload. Both sides of the wire share it; it does no HTTP and keeps no state.
package backup

import (
	"encoding/json"
	"time"
)

// Setting types of a windowsSetting (Graph enum windowsSettingType).
const (
	SettingTypeBackup  = "backup"
	SettingTypeRoaming = "roaming"
)

// Payload types. The first two are Windows' own; Content is the simulator's, because Graph
// leaves the content of a backup opaque and a simulator must still carry something real.
const (
	// PayloadDeviceProfile is the one profile per source device (domain.md §5).
	PayloadDeviceProfile = "windows.data.platform.backuprestore.deviceprofile"
	// DeviceProfilesSettingID is the one windowsSetting that holds every device profile, one
	// instance per device, with no windowsDeviceId (domain.md §7.4 [G]).
	DeviceProfilesSettingID = "default$" + PayloadDeviceProfile + "$deviceprofiles"
	// PayloadBackupUnitStore is an opaque blob outside Windows; shown as such, never decoded.
	PayloadBackupUnitStore = "windows.data.platform.settingsbackup.backupunitstore"
	// PayloadContent is the simulator's own, versioned content payload (docs/fixtures.md).
	PayloadContent = "oobe.simulator.backup.content"
)

// WindowsSetting is Graph's windowsSetting: one payload type, for one source device or (the
// device profiles, roaming settings) for none.
type WindowsSetting struct {
	ID              string `json:"id"`
	PayloadType     string `json:"payloadType"`
	SettingType     string `json:"settingType"`
	WindowsDeviceID string `json:"windowsDeviceId,omitempty"`
	// Instances are the setting's instances when the listing carries them inline, as Graph's
	// does (domain.md §7.4 [G]); nil when the answer had none, and then …/{id}/instances has them.
	Instances []WindowsSettingInstance `json:"instances,omitempty"`
}

// WindowsSettingInstance is Graph's windowsSettingInstance: one stored payload, base64 encoded.
type WindowsSettingInstance struct {
	ID                   string    `json:"id"`
	Payload              string    `json:"payload"`
	CreatedDateTime      time.Time `json:"createdDateTime"`
	LastModifiedDateTime time.Time `json:"lastModifiedDateTime"`
	ExpirationDateTime   time.Time `json:"expirationDateTime"`
}

// DeviceProfilePayload is the decoded deviceprofile payload, field for field as Windows writes
// it: the wire form of a previous PC (profile.BackupProfile is what the restore page shows).
// ProfileID is a braced GUID; without the braces it equals the setting's windowsDeviceId.
type DeviceProfilePayload struct {
	ProfileID         string `json:"profileId"`
	DeviceDisplayName string `json:"deviceDisplayName"`
	CreatedBy         string `json:"createdBy"`
	// SourceProfileID is documented beside the others, empty in Graph's example (domain.md §7.4 [G]).
	SourceProfileID             string `json:"sourceProfileId"`
	CreatedTime                 int64  `json:"createdTime"`
	ModifiedTime                int64  `json:"modifiedTime"`
	IsActive                    bool   `json:"isActive"`
	LastFullBackupCompletedTime int64  `json:"lastFullBackupCompletedTime"`
	// OSVersion is build.UBR.branch as Graph documents it ("18045.3750.vb_release"); older
	// payloads have the full 10.0.build.UBR. FullOSVersion reads either.
	OSVersion string `json:"osVersion"`
}

// Setting categories, as the Windows Backup app names them under "Remember my preferences".
const (
	CategoryAccessibility   = "accessibility"
	CategoryAccountsAndWiFi = "accountsAndWifi"
	CategoryPersonalization = "personalization"
	CategoryLanguage        = "language"
	CategoryOther           = "other"
)

// Categories lists the setting categories in the order Windows shows them.
func Categories() []string {
	return []string{CategoryAccessibility, CategoryAccountsAndWiFi, CategoryPersonalization, CategoryLanguage, CategoryOther}
}

// Wi-Fi security types. Enterprise (802.1X) networks are backed up as names only and never restored.
const (
	WiFiOpen           = "open"
	WiFiWPA2Personal   = "wpa2Personal"
	WiFiWPA3Personal   = "wpa3Personal"
	WiFiWPA2Enterprise = "wpa2Enterprise"
	WiFiWPA3Enterprise = "wpa3Enterprise"
)

// ContentVersion is the only content payload version this build reads and writes.
const ContentVersion = 1

// Content is the simulator's content payload: what a backup holds, in readable form.
type Content struct {
	Version int `json:"version"`
	// Owner is who made the backup; a restore refuses another user's or tenant's content.
	Owner Owner `json:"owner"`
	// SourceOSVersion is the full version of the device that made the backup.
	SourceOSVersion string `json:"sourceOsVersion"`
	// DeviceName is the source device's name, restored as the new device's name.
	DeviceName  string        `json:"deviceName,omitempty"`
	Settings    []Setting     `json:"settings"`
	WiFi        []WiFiNetwork `json:"wifi"`
	StoreApps   []StoreApp    `json:"storeApps"`
	StartPins   []Pin         `json:"startPins"`
	StartTiles  []StartTile   `json:"startTiles,omitempty"` // Windows 10 sources only
	TaskbarPins []Pin         `json:"taskbarPins"`
	// Checksum is the SHA-256 (hex) of the content encoded with an empty Checksum.
	Checksum string `json:"checksum"`
}

// Owner names the user a backup belongs to by Entra's identity key (tid, oid).
type Owner struct {
	TenantID string `json:"tenantId"`
	ObjectID string `json:"objectId"`
}

// Setting is one Windows setting, e.g. {accessibility, textScale, 125}.
type Setting struct {
	Category string `json:"category"`
	Name     string `json:"name"`
	// Value is the setting's JSON value (string, number, bool, list or object).
	Value json.RawMessage `json:"value"`
}

// WiFiNetwork is a saved Wi-Fi profile. Passphrases never leave the device in the simulator.
type WiFiNetwork struct {
	SSID     string `json:"ssid"`
	Security string `json:"security"`
}

// StoreApp is an installed Microsoft Store app, reinstalled on restore (not its data).
type StoreApp struct {
	ProductID string `json:"productId"`
	Name      string `json:"name"`
	// Architectures the Store offers the app for: x64, arm64, x86.
	Architectures []string `json:"architectures"`
}

// Pin is a Start or taskbar pin, by app id (AUMID or a Store product id).
type Pin struct {
	AppID string `json:"appId"`
	Name  string `json:"name"`
}

// StartTile is a Windows 10 Start tile; Windows 11 restores it as a Start pin.
type StartTile struct {
	AppID string `json:"appId"`
	Name  string `json:"name"`
	Group string `json:"group,omitempty"`
	Size  string `json:"size,omitempty"` // small, medium, wide, large
}

// MaxDeviceName is the longest device name Windows takes: a NetBIOS name, 15 characters, the
// cap Autopilot's name template has too.
const MaxDeviceName = 15

// ValidDeviceName reports whether name can be a Windows device name: 1 to MaxDeviceName
// letters, digits and hyphens, not all digits.
func ValidDeviceName(name string) bool {
	if name == "" || len(name) > MaxDeviceName {
		return false
	}
	digits := true
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c >= '0' && c <= '9':
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-':
			digits = false
		default:
			return false
		}
	}
	return !digits
}
