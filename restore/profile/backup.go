package profile

import (
	"time"

	"github.com/oobe-dev/oobe/backup"
)

// BackupProfile is one previous PC as the restore page shows it: a source device and what its
// latest backup holds. restore/graph reads it from the user's deviceprofile and content settings.
type BackupProfile struct {
	WindowsDeviceID string    `json:"windowsDeviceId"`
	DeviceName      string    `json:"deviceName"`
	OSVersion       string    `json:"osVersion"`
	LastBackup      time.Time `json:"lastBackup"`
	Created         time.Time `json:"created"`
	// Expires is the instance's expirationDateTime: Graph's field, not when the backup goes
	// (backups are kept while the account and device are active, domain.md §7.3).
	Expires time.Time `json:"expires"`
	Active  bool      `json:"active"`
	// Content is what the backup holds, when its payload is the simulator's readable one.
	Content *backup.Content `json:"-"`
	// Summary counts the content by kind; nil when Windows keeps the content opaque.
	Summary *ContentSummary `json:"contents,omitempty"`
	// Opaque lists the payload types whose content Windows keeps to itself.
	Opaque []string `json:"opaquePayloadTypes,omitempty"`
	// ContentSettingID is the windowsSetting that holds the content payload, if any.
	ContentSettingID string `json:"-"`
	// ContentError says why the content payload was refused; such a backup cannot be applied.
	ContentError string `json:"contentError,omitempty"`
}

// ContentSummary counts what a backup holds, by the categories the Windows Backup app shows.
type ContentSummary struct {
	Settings    map[string]int `json:"settings"`
	WiFi        int            `json:"wifiNetworks"`
	StoreApps   int            `json:"storeApps"`
	StartPins   int            `json:"startPins"`
	TaskbarPins int            `json:"taskbarPins"`
	DeviceName  bool           `json:"deviceName"`
}

// Summarize counts a content payload.
func Summarize(c *backup.Content) *ContentSummary {
	s := &ContentSummary{Settings: map[string]int{}, WiFi: len(c.WiFi), StoreApps: len(c.StoreApps),
		StartPins: len(c.StartPins) + len(c.StartTiles), TaskbarPins: len(c.TaskbarPins), DeviceName: c.DeviceName != ""}
	for _, cat := range backup.Categories() {
		s.Settings[cat] = 0
	}
	for _, st := range c.Settings {
		s.Settings[st.Category]++
	}
	return s
}
