package restore

// The rules of the OOBE restore page as data, each with the public document it comes from
// (shared/domain.md §2 is the digest these follow). Where Microsoft's pages disagree, the
// value used and the other one are both written down beside it.

// Sources the rules cite: the public page and its address, as text.
const (
	SourceWindowsBackup = "Microsoft Learn, Windows Backup for Organizations: restore requirements (learn.microsoft.com/windows/configuration/windows-backup)"
	SourceIntuneRestore = "Intune, Windows Backup and Restore (learn.microsoft.com/intune/intune-service/enrollment/windows-backup-restore)"
	SourceGraphRestore  = "Graph beta, windowsRestoreDeviceEnrollmentConfiguration (learn.microsoft.com/graph/api/resources/intune-onboarding-windowsrestoredeviceenrollmentconfiguration)"
	SourceESP           = "Intune, Enrollment Status Page: Install Windows quality updates (learn.microsoft.com/intune/intune-service/enrollment/windows-enrollment-status)"
	SourceAutopilotHome = "Windows Autopilot, troubleshoot device enrollment: HRESULT 0x80180022, Home edition (learn.microsoft.com/autopilot/troubleshoot-device-enrollment)"
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
		Requirement: "Windows 11 22H2 or later at its minimum build (22621.3958, 22631.3958, 26100.4770; 26200 and later all qualify); below the minimum only with Install Windows quality updates on; Windows 10 never",
		Source:      SourceWindowsBackup + "; " + SourceESP},
	{ID: ReasonNotEntraJoined, Name: "Join type", Needs: "device",
		Requirement: "Microsoft Entra joined; not hybrid joined, registered, domain joined or not joined",
		Source:      SourceWindowsBackup + "; " + SourceIntuneRestore},
	{ID: ReasonProvisioningUnsupported, Name: "Provisioning", Needs: "device",
		Requirement: "Windows Autopilot user-driven, or a work or school account joined during setup (OOBE)",
		Source:      SourceIntuneRestore},
	{ID: ReasonEditionUnsupported, Name: "Edition", Needs: "device",
		Requirement: "not Windows 11 SE (CloudEdition), IoT, Holographic or Team; Home cannot enroll at all",
		Source:      SourceIntuneRestore + "; " + SourceAutopilotHome},
	{ID: ReasonSharedDevice, Name: "Shared device", Needs: "device",
		Requirement: "not a shared or userless device",
		Source:      SourceIntuneRestore},
	{ID: ReasonSovereignCloud, Name: "Cloud", Needs: "device",
		Requirement: "the global cloud; not GCC High, not 21Vianet",
		Source:      SourceWindowsBackup},
	{ID: ReasonNoBackups, Name: "Backups", Needs: "user",
		Requirement: "the user signs in with the work account that made the backup and has at least one backup profile",
		Source:      SourceWindowsBackup + "; " + SourceIntuneRestore},
	{ID: ReasonAccessBlocked, Name: "Access", Needs: "user",
		Requirement: "Conditional Access lets the user reach the restore app " + RestoreAppID + " and does not demand phishing-resistant MFA for " + RestoreBackupsAppID + " that the user cannot give",
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
	{Release: "Windows 11 25H2", Build: 26200, UBR: 0, Source: SourceWindowsBackup},
}

// MinimumBuilds returns the minimum build of every Windows 11 release that can restore.
func MinimumBuilds() []MinimumBuild { return append([]MinimumBuild(nil), minimumBuilds...) }

// minimumFor finds the release row a Windows 11 22H2-or-later build belongs to.
func minimumFor(v Version) (MinimumBuild, bool) {
	var found MinimumBuild
	ok := false
	for _, m := range minimumBuilds {
		if v.Build >= m.Build {
			found, ok = m, true
		}
	}
	return found, ok
}

// Edition is a Windows edition a device profile may name, and whether it can restore.
type Edition struct {
	Name string `json:"name"`
	// Aliases are the EditionID values Windows itself reports for the edition (the registry's
	// EditionID), accepted so an admin can paste what the device says.
	Aliases   []string `json:"aliases,omitempty"`
	Supported bool     `json:"supported"`
	// Why (for the user) and Fix (for the admin) explain an unsupported edition.
	Why    string `json:"why,omitempty"`
	Fix    string `json:"fix,omitempty"`
	Source string `json:"source,omitempty"`
}

const fixSupportedEdition = "Restore during setup needs Windows 11 Pro, Pro Education, Pro for Workstations, Enterprise or Education: set up a device with one of those editions."

// editions are the editions a profile can name. Home is refused because it cannot enroll in
// Intune at all (0x80180022), so it never reaches the restore page, although the restore
// pages themselves do not list it.
var editions = []Edition{
	{Name: "Pro", Aliases: []string{"Professional", "ProfessionalN"}, Supported: true},
	{Name: "ProEducation", Aliases: []string{"ProfessionalEducation", "ProfessionalEducationN"}, Supported: true},
	{Name: "ProWorkstation", Aliases: []string{"ProfessionalWorkstation", "ProfessionalWorkstationN"}, Supported: true},
	// EnterpriseS is Enterprise LTSC; no Microsoft page singles it out, so it is judged as Enterprise.
	{Name: "Enterprise", Aliases: []string{"EnterpriseN", "EnterpriseS", "EnterpriseSN"}, Supported: true},
	{Name: "Education", Aliases: []string{"EducationN"}, Supported: true},
	{Name: "Home", Aliases: []string{"Core", "CoreN", "CoreSingleLanguage", "CoreCountrySpecific"},
		Why:    "Windows Home cannot enroll in Intune (Autopilot enrollment fails with 0x80180022), so it never reaches the restore page.",
		Fix:    "Upgrade the device to Windows 11 Pro or higher (Enterprise, Education), then set it up again.",
		Source: SourceAutopilotHome},
	{Name: "CloudEdition", Aliases: []string{"SE"},
		Why: "Windows 11 SE (CloudEdition) does not offer restore during setup.", Fix: fixSupportedEdition, Source: SourceIntuneRestore},
	{Name: "IoTEnterprise",
		Why: "Windows IoT editions do not offer restore during setup.", Fix: fixSupportedEdition, Source: SourceIntuneRestore},
	{Name: "IoTEnterpriseLTSC", Aliases: []string{"IoTEnterpriseS"},
		Why: "Windows IoT editions do not offer restore during setup.", Fix: fixSupportedEdition, Source: SourceIntuneRestore},
	{Name: "Holographic",
		Why: "Windows Holographic (HoloLens) does not offer restore during setup.", Fix: fixSupportedEdition, Source: SourceIntuneRestore},
	{Name: "Team",
		Why: "Windows Team (Surface Hub) does not offer restore during setup.", Fix: fixSupportedEdition, Source: SourceIntuneRestore},
}

// Editions returns every edition a device profile may name.
func Editions() []Edition { return append([]Edition(nil), editions...) }

// lookupEdition finds an edition by its name or one of its Windows EditionID aliases.
func lookupEdition(s string) (Edition, bool) {
	for _, e := range editions {
		if e.Name == s {
			return e, true
		}
		for _, a := range e.Aliases {
			if a == s {
				return e, true
			}
		}
	}
	return Edition{}, false
}

// provisioningMode is a way a device is set up, and whether its setup shows the restore page.
type provisioningMode struct {
	Name      string
	Title     string // what the mode is called in Microsoft's documents
	Supported bool
	Why       string // for the user, when unsupported
}

var provisioningModes = []provisioningMode{
	{Name: ProvisioningUserDriven, Title: "Windows Autopilot user-driven", Supported: true},
	{Name: ProvisioningOOBE, Title: "work or school account joined during setup (OOBE)", Supported: true},
	{Name: ProvisioningSelfDeploying, Title: "Windows Autopilot self-deploying",
		Why: "Windows Autopilot self-deploying mode sets the device up without a user, so there is nobody whose backup could be restored."},
	{Name: ProvisioningPreProvisioned, Title: "Windows Autopilot pre-provisioning",
		Why: "Devices set up with Windows Autopilot pre-provisioning (the technician flow) do not show the restore page."},
	{Name: ProvisioningAutopilotReset, Title: "Windows Autopilot Reset",
		Why: "Autopilot Reset does not show the restore page."},
	{Name: ProvisioningSettingsApp, Title: "enrollment from the Settings app (Access work or school)",
		Why: "Devices enrolled from the Settings app after setup do not show the restore page."},
	{Name: ProvisioningGroupPolicy, Title: "Group Policy enrollment",
		Why: "Devices enrolled through Group Policy do not show the restore page."},
	{Name: ProvisioningCoManagement, Title: "Configuration Manager co-management",
		Why: "Devices enrolled through Configuration Manager co-management do not show the restore page."},
}

func lookupProvisioning(s string) (provisioningMode, bool) {
	for _, p := range provisioningModes {
		if p.Name == s {
			return p, true
		}
	}
	return provisioningMode{}, false
}

// joinTitles names each join type as Microsoft's documents do.
var joinTitles = map[string]string{
	JoinEntra:      "Microsoft Entra joined",
	JoinHybrid:     "Microsoft Entra hybrid joined",
	JoinRegistered: "Microsoft Entra registered",
	JoinDomain:     "domain joined (on-premises Active Directory only)",
	JoinOnPremDRS:  "on-premises DRS joined",
	JoinNone:       "not joined",
}

// JoinTitle names a join type as Microsoft's documents do, e.g. "Microsoft Entra hybrid joined".
func JoinTitle(join string) string {
	if t, ok := joinTitles[join]; ok {
		return t
	}
	return join
}

var joinOrder = []string{JoinEntra, JoinHybrid, JoinRegistered, JoinDomain, JoinOnPremDRS, JoinNone}

// cloudTitles names each cloud; only the global cloud has Windows Backup for Organizations.
var cloudTitles = map[string]string{
	CloudGlobal:   "global (commercial) cloud",
	CloudGCCHigh:  "GCC High (US Government)",
	Cloud21Vianet: "Microsoft Azure operated by 21Vianet (China)",
}

var cloudOrder = []string{CloudGlobal, CloudGCCHigh, Cloud21Vianet}

var architectures = []string{"x64", "arm64", "x86"}
