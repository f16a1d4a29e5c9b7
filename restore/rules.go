package restore

import "github.com/oobe-dev/oobe/restore/profile"

// The rules of the OOBE restore page as data, each with the public document it comes from
// (shared/domain.md §2 is the digest these follow, and its §7, late 2026, wins over it). Where Microsoft's pages disagree, the
// value used and the other one are both written down beside it.

// Sources the rules cite: the public page and its address, as text.
const (
	SourceWindowsBackup = "Microsoft Learn, Windows Backup for Organizations: restore requirements (learn.microsoft.com/windows/configuration/windows-backup)"
	SourceIntuneRestore = "Intune, Windows Backup and Restore (learn.microsoft.com/intune/intune-service/enrollment/windows-backup-restore)"
	SourceGraphRestore  = "Graph beta, windowsRestoreDeviceEnrollmentConfiguration (learn.microsoft.com/graph/api/resources/intune-onboarding-windowsrestoredeviceenrollmentconfiguration)"
	SourceESP           = "Intune, Enrollment Status Page: Install Windows quality updates (learn.microsoft.com/intune/intune-service/enrollment/windows-enrollment-status)"
	SourceAutopilotHome = "Windows Autopilot, troubleshoot device enrollment: HRESULT 0x80180022, Home edition (learn.microsoft.com/autopilot/troubleshoot-device-enrollment)"
	// SourceIntuneSKUs is the Intune page's list of excluded SKUs, by name and number.
	SourceIntuneSKUs = "Intune, Windows Backup and Restore, 2025-11-21: excluded SKUs CloudEdition (203), CloudEditionN (202), Holographic (136), IoTUAP (123), IoTUAPCommercial (131), PPIPro (119) (learn.microsoft.com/intune/intune-service/enrollment/windows-backup-restore)"
	// SourceIoTEnterprise is why IoT Enterprise is eligible: it is not on the Intune page's list,
	// and the Windows Restore CSP applies to it (domain.md §7.2); the IoT page covers its 26H2.
	SourceIoTEnterprise = SourceIntuneSKUs + ` (IoT Enterprise and IoT Enterprise LTSC are not on it); "What's new in Windows 11 IoT Enterprise, version 26H2" (2026-09-29)`
	// SourcePreProvisioning: the Intune page's source excludes pre-provisioning as a mode, its
	// published text only the technician flow; the simulator's preProvisioned is that flow.
	SourcePreProvisioning = SourceIntuneRestore + " (published text: the technician flow of pre-provisioning is excluded)"
	// SourceClouds: the Windows page says "GCCH/Sovereign clouds or China", the Intune page
	// "Government cloud or 21Vianet"; together GCC, GCC High, DoD and 21Vianet are excluded.
	SourceClouds = SourceWindowsBackup + ` ("GCCH/Sovereign clouds or China"); ` + SourceIntuneRestore + ` ("Government cloud or 21Vianet")`
)

// Reason ids: stable names for why the restore page does not show. Scripts branch on these.
const (
	ReasonRestorePageOff          = "restorePageOff"
	ReasonWindowsTooOld           = "windowsTooOld"
	ReasonNotEntraJoined          = "notEntraJoined"
	ReasonProvisioningUnsupported = "provisioningUnsupported"
	ReasonEditionUnsupported      = "editionUnsupported"
	ReasonSharedDevice            = "sharedDevice"
	ReasonSovereignCloud          = "sovereignCloud"
	ReasonNoBackups               = "noBackups"
	ReasonAccessBlocked           = "accessBlocked"
)

// NoteQualityUpdateRequired is the note (not a failure) for a Windows 11 build below its
// minimum that restores only because the device installs quality updates during setup.
const NoteQualityUpdateRequired = "qualityUpdateRequired"

// Restore page states: Graph beta windowsRestoreDeviceEnrollmentConfiguration.state.
const (
	RestorePageEnabled       = "enabled"
	RestorePageDisabled      = "disabled"
	RestorePageNotConfigured = "notConfigured" // the default, and it means off
)

// The apps Conditional Access can stand in the way of during restore (domain.md §2).
const (
	RestoreAppID        = "d32c68ad-72d2-4acb-a0c7-46bb2cf93873"
	RestoreBackupsAppID = "74d197dc-b84d-4d43-a1b2-b5bf3bb91c11"
)

// Rule is one condition the restore page needs: its reason id when it fails, a short name
// for checklists, what must hold, which input it needs and where it is documented.
type Rule struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Requirement string `json:"requirement"`
	// Needs is what the rule reads: "tenant", "device" or "user".
	Needs  string `json:"needs"`
	Source string `json:"source"`
}

// rules is every rule in the fixed order checks are reported in: the order of domain.md §2.
var rules = []Rule{
	{ID: ReasonRestorePageOff, Name: "Show restore page", Needs: "tenant",
		Requirement: `the tenant's Intune setting "Show restore page" is On (Graph beta state "enabled"; the default "notConfigured" is off). Tenant-wide, read only at enrollment`,
		Source:      SourceIntuneRestore + "; " + SourceGraphRestore},
	{ID: ReasonWindowsTooOld, Name: "Windows version", Needs: "device",
		Requirement: "Windows 11 22H2 or later at its minimum build (22621.3958, 22631.3958, 26100.4770; 26200 and later all qualify, 26H2 26300 and 26H1 28000 included); below the minimum only with Install Windows quality updates on; Windows 10 never",
		Source:      SourceWindowsBackup + "; " + SourceESP},
	{ID: ReasonNotEntraJoined, Name: "Join type", Needs: "device",
		Requirement: "Microsoft Entra joined; not hybrid joined, registered, domain joined or not joined",
		Source:      SourceWindowsBackup + "; " + SourceIntuneRestore},
	{ID: ReasonProvisioningUnsupported, Name: "Provisioning", Needs: "device",
		Requirement: "Windows Autopilot user-driven, or a work or school account joined during setup (OOBE); not self-deploying, not the technician flow of pre-provisioning (which preProvisioned models), not Autopilot Reset, the Settings app, Group Policy or co-management; not a Windows 365 Cloud PC, which no one sets up through setup's screens (inferred; Cloud PCs restore at first sign-in [MC])",
		Source:      SourceIntuneRestore + "; " + SourcePreProvisioning + "; " + SourceFirstSignInGA + " (Cloud PCs; inferred for setup)"},
	{ID: ReasonEditionUnsupported, Name: "Edition", Needs: "device",
		Requirement: "not one of the excluded SKUs: CloudEdition (Windows 11 SE, 203), CloudEditionN (202), Holographic (136), IoTUAP (IoT Core, 123), IoTUAPCommercial (131), PPIPro (Windows 10 Team, 119); IoT Enterprise and IoT Enterprise LTSC qualify; Home cannot enroll at all",
		Source:      SourceIntuneSKUs + "; " + SourceAutopilotHome},
	{ID: ReasonSharedDevice, Name: "Shared device", Needs: "device",
		Requirement: "not a shared or userless device",
		Source:      SourceIntuneRestore},
	{ID: ReasonSovereignCloud, Name: "Cloud", Needs: "device",
		Requirement: "the global (commercial) cloud; not GCC, GCC High, DoD or 21Vianet",
		Source:      SourceClouds},
	{ID: ReasonNoBackups, Name: "Backups", Needs: "user",
		Requirement: "the user signs in with the work account that made the backup and has at least one backup profile",
		Source:      SourceWindowsBackup + "; " + SourceIntuneRestore},
	{ID: ReasonAccessBlocked, Name: "Access", Needs: "user",
		Requirement: "Conditional Access lets the user reach the restore app " + RestoreAppID + ", and a phishing-resistant MFA demand for " + RestoreBackupsAppID + " is satisfied at the prompt on the device (a passkey; not available in a Hyper-V virtual machine)",
		Source:      SourceIntuneRestore},
}

// Rules returns every eligibility rule in the order checks are reported.
func Rules() []Rule { return append([]Rule(nil), rules...) }

// MinimumBuild is the first update of a Windows 11 release whose setup shows the restore page.
type MinimumBuild struct {
	Release string `json:"release"`
	Build   int    `json:"build"`
	// UBR is the minimum update build revision; 0 means every update of the release qualifies.
	UBR    int    `json:"ubr"`
	Source string `json:"source"`
}

// minimumBuilds is in build order. A build between two rows belongs to the row below it
// (22623 is 22H2 with its enablement package and shares 22621's update numbers).
var minimumBuilds = []MinimumBuild{
	{Release: "Windows 11 22H2", Build: 22621, UBR: 3958, Source: SourceWindowsBackup},
	{Release: "Windows 11 23H2", Build: 22631, UBR: 3958, Source: SourceWindowsBackup},
	// The Intune page says 26100.1301; the Windows page's 26100.4770 is used, as domain.md decides.
	{Release: "Windows 11 24H2", Build: 26100, UBR: 4770, Source: SourceWindowsBackup + " (the Intune page says 26100.1301; 4770 is used)"},
	// The last row holds every later release too: the Windows page lists none after 25H2, and
	// domain.md §7.1 has later releases qualify, so 26H2 (26300) and 26H1 (28000) fall here.
	{Release: "Windows 11 25H2", Build: 26200, UBR: 0, Source: SourceWindowsBackup},
}

// MinimumBuilds returns the minimum build of every Windows 11 release that can restore.
func MinimumBuilds() []MinimumBuild { return append([]MinimumBuild(nil), minimumBuilds...) }

// minimumFor finds the row of a minimum-build table (in build order) that v's release
// belongs to: the last row at or below its build.
func minimumFor(table []MinimumBuild, v profile.Version) (MinimumBuild, bool) {
	var found MinimumBuild
	ok := false
	for _, m := range table {
		if v.Build >= m.Build {
			found, ok = m, true
		}
	}
	return found, ok
}

// Edition is a Windows edition a device profile may name, and whether it can restore.
type Edition struct {
	profile.Edition
	Supported bool `json:"supported"`
	// Why (for the user) and Fix (for the admin) explain an unsupported edition.
	Why    string `json:"why,omitempty"`
	Fix    string `json:"fix,omitempty"`
	Source string `json:"source,omitempty"`
}

// editionSupport says how each edition fares, keyed by profile's edition names; an edition
// not listed is judged unsupported by TestEveryRuleHasCodeDataAndASource's standard.
type editionSupport struct {
	Supported bool
	Why, Fix  string
	Source    string
}

const fixSupportedEdition = "Restore during setup needs Windows 11 Pro, Pro Education, Pro for Workstations, Enterprise, Education or IoT Enterprise: set up a device with one of those editions."

// editionRules, each with its source. The restore page excludes six SKUs, by the Intune
// page's names and numbers (SourceIntuneSKUs); IoT Enterprise and IoT Enterprise LTSC are not
// among them. Home is refused because it cannot enroll in Intune at all (0x80180022), so it
// never reaches the restore page, although the restore pages themselves do not list it.
// Enterprise LTSC (EnterpriseS) is judged as Enterprise: no Microsoft page singles it out.
var editionRules = map[string]editionSupport{
	"Pro":               {Supported: true},
	"ProEducation":      {Supported: true},
	"ProWorkstation":    {Supported: true},
	"Enterprise":        {Supported: true},
	"Education":         {Supported: true},
	"IoTEnterprise":     {Supported: true, Source: SourceIoTEnterprise},
	"IoTEnterpriseLTSC": {Supported: true, Source: SourceIoTEnterprise},
	"Home": {
		Why:    "Windows Home cannot enroll in Intune (Autopilot enrollment fails with 0x80180022), so it never reaches the restore page.",
		Fix:    "Upgrade the device to Windows 11 Pro or higher (Enterprise, Education), then set it up again.",
		Source: SourceAutopilotHome},
	"CloudEdition":     {Why: "Windows 11 SE (CloudEdition) does not offer restore during setup.", Fix: fixSupportedEdition, Source: SourceIntuneSKUs},
	"CloudEditionN":    {Why: "Windows 11 SE N (CloudEditionN) does not offer restore during setup.", Fix: fixSupportedEdition, Source: SourceIntuneSKUs},
	"Holographic":      {Why: "Windows Holographic (HoloLens) does not offer restore during setup.", Fix: fixSupportedEdition, Source: SourceIntuneSKUs},
	"IoTUAP":           {Why: "Windows 10 IoT Core (IoTUAP) does not offer restore during setup.", Fix: fixSupportedEdition, Source: SourceIntuneSKUs},
	"IoTUAPCommercial": {Why: "Windows 10 IoT Core Commercial (IoTUAPCommercial) does not offer restore during setup.", Fix: fixSupportedEdition, Source: SourceIntuneSKUs},
	"PPIPro":           {Why: "Windows 10 Team (PPIPro, Surface Hub) does not offer restore during setup.", Fix: fixSupportedEdition, Source: SourceIntuneSKUs},
}

// Editions returns every edition a device profile may name, with whether it can restore.
func Editions() []Edition {
	var out []Edition
	for _, e := range profile.Editions() {
		r := editionRules[e.Name]
		out = append(out, Edition{Edition: e, Supported: r.Supported, Why: r.Why, Fix: r.Fix, Source: r.Source})
	}
	return out
}

// lookupEdition finds an edition by its name, a Windows EditionID alias or a SKU number.
func lookupEdition(s string) (Edition, bool) {
	e, ok := profile.LookupEdition(s)
	if !ok {
		return Edition{}, false
	}
	r := editionRules[e.Name]
	return Edition{Edition: e, Supported: r.Supported, Why: r.Why, Fix: r.Fix, Source: r.Source}, true
}

// provisioningMode is a way a device is set up, and whether its setup shows the restore page.
type provisioningMode struct {
	profile.Provisioning
	Supported bool
	Why       string // for the user, when unsupported
}

// provisioningRules says how each provisioning mode fares, keyed by profile's names. Every
// mode's source is the Intune page (SourceIntuneRestore); preProvisioned's is SourcePreProvisioning.
var provisioningRules = map[string]struct {
	Supported bool
	Why       string
}{
	profile.ProvisioningUserDriven:    {Supported: true},
	profile.ProvisioningOOBE:          {Supported: true},
	profile.ProvisioningSelfDeploying: {Why: "Windows Autopilot self-deploying mode sets the device up without a user, so there is nobody whose backup could be restored."},
	// The Intune page's published text excludes only pre-provisioning's technician flow (its
	// source excludes the whole mode); preProvisioned is modelled as that flow, so excluded.
	profile.ProvisioningPreProvisioned: {Why: "Devices set up with Windows Autopilot pre-provisioning (the technician flow) do not show the restore page."},
	profile.ProvisioningAutopilotReset: {Why: "Autopilot Reset does not show the restore page."},
	profile.ProvisioningSettingsApp:    {Why: "Devices enrolled from the Settings app after setup do not show the restore page."},
	profile.ProvisioningGroupPolicy:    {Why: "Devices enrolled through Group Policy do not show the restore page."},
	profile.ProvisioningCoManagement:   {Why: "Devices enrolled through Configuration Manager co-management do not show the restore page."},
	// domain.md §7.2: no restore support is documented for Autopilot device preparation, which
	// has no Enrollment Status Page either. Inferred from the pages' silence.
	profile.ProvisioningDevicePreparation: {Why: "Windows Autopilot device preparation has no documented restore page (Microsoft documents restore for Autopilot user-driven setup only), so none shows."},
}

func lookupProvisioning(s string) (provisioningMode, bool) {
	p, ok := profile.LookupProvisioning(s)
	if !ok {
		return provisioningMode{}, false
	}
	r := provisioningRules[p.Name]
	return provisioningMode{Provisioning: p, Supported: r.Supported, Why: r.Why}, true
}
