package device

// Outcome is how one item of a backup ended on the device. The set is kept here, below
// restore/apply, because the device's record of its last restore counts items per outcome
// (RestoreRecord.Counts) and Show lists them; restore/apply re-exports it as apply.Outcome.
type Outcome string

// The outcomes, in report order. Their names are the RestoreResult count fields and the
// keys of RestoreRecord.Counts.
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

// Label names the outcome for people, in lower case: "already set", "kept by policy".
func (o Outcome) Label() string {
	switch o {
	case AlreadySet:
		return "already set"
	case KeptByPolicy:
		return "kept by policy"
	case NotSupported:
		return "not supported"
	case NotRestorable:
		return "not restorable"
	}
	return string(o)
}
