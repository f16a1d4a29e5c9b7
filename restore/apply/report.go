package apply

import (
	"time"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/restore/device"
)

// Outcome is how one item of a backup ended on the device. The set is defined by
// restore/device, whose restore record counts items per outcome; this package names it too.
type Outcome = device.Outcome

// The outcomes, in report order. Their names are the RestoreResult count fields.
const (
	Applied       = device.Applied
	AlreadySet    = device.AlreadySet
	KeptByPolicy  = device.KeptByPolicy
	NotSupported  = device.NotSupported
	NotRestorable = device.NotRestorable
	Failed        = device.Failed
)

// Outcomes lists every outcome in report order.
func Outcomes() []Outcome { return device.Outcomes() }

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

// count is the field of c that counts o; nil for an outcome that is not one of Outcomes.
func (c *Counts) count(o Outcome) *int {
	switch o {
	case Applied:
		return &c.Applied
	case AlreadySet:
		return &c.AlreadySet
	case KeptByPolicy:
		return &c.KeptByPolicy
	case NotSupported:
		return &c.NotSupported
	case NotRestorable:
		return &c.NotRestorable
	case Failed:
		return &c.Failed
	}
	return nil
}

func (c *Counts) add(o Outcome) {
	if n := c.count(o); n != nil {
		*n++
	}
}

// Of returns the count of one outcome.
func (c Counts) Of(o Outcome) int {
	if n := c.count(o); n != nil {
		return *n
	}
	return 0
}

// Total is the number of items counted.
func (c Counts) Total() int {
	total := 0
	for _, o := range Outcomes() {
		total += c.Of(o)
	}
	return total
}

// Map returns the counts keyed by outcome name, as the device records them.
func (c Counts) Map() map[string]int {
	m := make(map[string]int, len(Outcomes()))
	for _, o := range Outcomes() {
		m[string(o)] = c.Of(o)
	}
	return m
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
