package backup

import "time"

// Simulator-only endpoints. Graph has no API to upload a backup or report a restore, so these
// live under /_oobe/, where nobody can mistake them for Graph.
const (
	// UploadPath takes an Upload from a simulated device, with the user's bearer token.
	UploadPath = "/_oobe/backups"
	// RestoreResultPath takes a RestoreResult from a simulated device, with the user's bearer token.
	RestoreResultPath = "/_oobe/restore-results"
)

// Intune's per-device report statuses for the restore profile, exactly (domain.md §2).
const (
	StatusSucceeded        = "Succeeded"
	StatusFailed           = "Failed"
	StatusNoBackups        = "No Backup Profiles"
	StatusSetupAsNew       = "Setup as New PC Selected"
	StatusNotApplicable    = "Not Applicable"
	StatusNoPolicyAssigned = "No policy assigned"
)

// Statuses lists every Intune restore status.
func Statuses() []string {
	return []string{StatusSucceeded, StatusFailed, StatusNoBackups, StatusSetupAsNew, StatusNotApplicable, StatusNoPolicyAssigned}
}

// Upload is a backup made by a simulated device: its profile and its content, as payloads
// would be stored. The tenant files it under the signed-in user, replacing that device's
// previous backup (Windows keeps one backup per source device).
type Upload struct {
	WindowsDeviceID string               `json:"windowsDeviceId"`
	Profile         DeviceProfilePayload `json:"profile"`
	// Content is the base64 content payload (PayloadContent).
	Content string `json:"content"`
}

// RestoreResult is what a device reports after the restore page: the Intune status and the
// counts of the apply report. The tenant keeps the latest per target device.
type RestoreResult struct {
	// WindowsDeviceID is the device that was set up.
	WindowsDeviceID string `json:"windowsDeviceId"`
	// SourceWindowsDeviceID is the device whose backup was restored, if any.
	SourceWindowsDeviceID string    `json:"sourceWindowsDeviceId,omitempty"`
	Status                string    `json:"status"`
	Applied               int       `json:"applied"`
	AlreadySet            int       `json:"alreadySet"`
	KeptByPolicy          int       `json:"keptByPolicy"`
	NotSupported          int       `json:"notSupported"`
	NotRestorable         int       `json:"notRestorable"`
	Failed                int       `json:"failed"`
	ReportedDateTime      time.Time `json:"reportedDateTime"`
}
