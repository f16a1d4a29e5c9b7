package apply

import (
	"time"

	"github.com/oobe-dev/oobe/backup"
)

// Outcome is how one item of a backup ended on the device.
type Outcome string

// The outcomes, in report order. Their names are the RestoreResult count fields.
const (
	// Applied: the device now has the item from the backup.
	Applied Outcome = "applied"
	// AlreadySet: the device already had it; nothing changed.
	AlreadySet Outcome = "alreadySet"
	// KeptByPolicy: an MDM policy on the device manages it, and policy wins.
	KeptByPolicy Outcome = "keptByPolicy"
	// NotSupported: this Windows release has no such thing (taskbar pins on 24H2+, a
	// Windows 10-only setting on Windows 11).
	NotSupported Outcome = "notSupported"
	// NotRestorable: Windows backup never carries it (802.1X Wi-Fi, VPN).
	NotRestorable Outcome = "notRestorable"
	// Failed: the restore tried and could not (a Store app not offered for this architecture).
	Failed Outcome = "failed"
)

// Outcomes lists every outcome in report order.
func Outcomes() []Outcome {
	return []Outcome{Applied, AlreadySet, KeptByPolicy, NotSupported, NotRestorable, Failed}
}

// Kind is what sort of thing an item is.
type Kind string

// Item kinds.
const (
	KindDeviceName Kind = "deviceName"
	KindSetting    Kind = "setting"
	KindWiFi       Kind = "wifi"
	KindStoreApp   Kind = "storeApp"
	KindStartPin   Kind = "startPin"
	// KindStartTile is a Windows 10 Start tile, restored as a Windows 11 Start pin.
	KindStartTile  Kind = "startTile"
	KindTaskbarPin Kind = "taskbarPin"
)

// CategoryApps is the report category of Store apps and Start and taskbar pins: Windows
// Backup's "Remember my apps". Settings keep their own category, Wi-Fi is accountsAndWifi,
// and the device name is other.
const CategoryApps = "apps"

// ItemResult is one item of the backup and what happened to it.
type ItemResult struct {
	Kind     Kind    `json:"kind"`
	Category string  `json:"category"`
	Name     string  `json:"name"`
	Outcome  Outcome `json:"outcome"`
	// Reason says why, in a sentence for the person reading the report.
	Reason string `json:"reason"`
}

// Counts is the number of items per outcome.
type Counts struct {
	Applied       int `json:"applied"`
	AlreadySet    int `json:"alreadySet"`
	KeptByPolicy  int `json:"keptByPolicy"`
	NotSupported  int `json:"notSupported"`
	NotRestorable int `json:"notRestorable"`
	Failed        int `json:"failed"`
}

func (c *Counts) add(o Outcome) {
	switch o {
	case Applied:
		c.Applied++
	case AlreadySet:
		c.AlreadySet++
	case KeptByPolicy:
		c.KeptByPolicy++
	case NotSupported:
		c.NotSupported++
	case NotRestorable:
		c.NotRestorable++
	case Failed:
		c.Failed++
	}
}

// Of returns the count of one outcome.
func (c Counts) Of(o Outcome) int { return c.Map()[string(o)] }

// Total is the number of items counted.
func (c Counts) Total() int {
	return c.Applied + c.AlreadySet + c.KeptByPolicy + c.NotSupported + c.NotRestorable + c.Failed
}

// Map returns the counts keyed by outcome name, as the device records them.
func (c Counts) Map() map[string]int {
	return map[string]int{
		string(Applied): c.Applied, string(AlreadySet): c.AlreadySet, string(KeptByPolicy): c.KeptByPolicy,
		string(NotSupported): c.NotSupported, string(NotRestorable): c.NotRestorable, string(Failed): c.Failed,
	}
}

// Source is the backup a plan restores.
type Source struct {
	DeviceName string `json:"deviceName"`
	OSVersion  string `json:"osVersion"`
	Checksum   string `json:"checksum"`
}

// Report is what an apply did: every item with its outcome and reason, and the counts per
// outcome and per category.
type Report struct {
	Source     Source            `json:"source"`
	Items      []ItemResult      `json:"items"`
	Counts     Counts            `json:"counts"`
	ByCategory map[string]Counts `json:"byCategory"`
	// Changed is whether the apply wrote to the device; re-applying a backup changes nothing.
	Changed bool `json:"changed"`
}

// Result is the RestoreResult a device reports to the tenant after this restore. A restore
// that ran is Succeeded even when some items failed: the items say which.
func (r *Report) Result(windowsDeviceID, sourceWindowsDeviceID string, at time.Time) backup.RestoreResult {
	return backup.RestoreResult{
		WindowsDeviceID:       windowsDeviceID,
		SourceWindowsDeviceID: sourceWindowsDeviceID,
		Status:                backup.StatusSucceeded,
		Applied:               r.Counts.Applied,
		AlreadySet:            r.Counts.AlreadySet,
		KeptByPolicy:          r.Counts.KeptByPolicy,
		NotSupported:          r.Counts.NotSupported,
		NotRestorable:         r.Counts.NotRestorable,
		Failed:                r.Counts.Failed,
		ReportedDateTime:      at.UTC(),
	}
}
