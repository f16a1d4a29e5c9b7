package restore

import (
	"fmt"
	"strings"

	"github.com/oobe-dev/oobe/restore/profile"
)

// The rules of the second restore moment: the restore page Windows shows at the user's first
// sign-in after enrollment (shared/domain.md §7.1), as data with their sources like the
// setup rules in rules.go. Where a rule is an inference rather than Microsoft's text, its
// requirement and this file say so.

// Sources the first-sign-in rules cite.
const (
	// SourceWindowsBackupFirstSignIn is the Windows page's section on restore at first sign-in.
	SourceWindowsBackupFirstSignIn = `Microsoft Learn, "Windows settings backup and restore", 2026-09-29: restore at first sign-in after enrollment (learn.microsoft.com/windows/configuration/windows-backup)`
	// SourceFirstSignInGA is the message center post that made the moment generally available
	// with the Windows updates of 2026-02-24, naming Windows 365 Cloud PCs.
	SourceFirstSignInGA = "Microsoft 365 message center MC1238409 (first sign-in restore, GA with the Windows updates of 2026-02-24; Windows 365 Cloud PCs included)"
	// SourceIoT26H2 names multi-user devices among those that restore at first sign-in.
	SourceIoT26H2 = `"What's new in Windows 11 IoT Enterprise, version 26H2" (2026-09-29): multi-user devices restore at first sign-in`
	// SourceRestorePolicy is the device policy that turns the moment on; that the page needs
	// it is this simulator's inference from the Windows page, which says the tenant toggle
	// reaches only devices being enrolled and the policy applies after enrollment.
	SourceRestorePolicy = SourceWindowsBackupFirstSignIn + `: device policy Enable Windows Restore (settings catalog "Windows Backup And Restore > Enable Windows Restore"; CSP ` + CSPEnableWindowsRestore + `, bool, device scope, default false; Group Policy "Sync your settings > Enable Windows Restore") (inferred: that the first-sign-in page needs it)`
	// SourceDeclinedInSetup is a third-party report only; no Microsoft text was found.
	SourceDeclinedInSetup = "third-party reports only (no Microsoft text found; the Microsoft pages do not contradict it): a user who declined restore in setup is not asked again at first sign-in (inferred)"
)

// The Windows Backup device policies, as their CSP paths (domain.md §7.1, §7.3).
const (
	CSPEnableWindowsRestore = "./Device/Vendor/MSFT/WindowsBackupAndRestore/EnableWindowsRestore"
	CSPEnableWindowsBackup  = "./Device/Vendor/MSFT/Policy/Config/SettingsSync/EnableWindowsBackup"
)

// Reason ids of the first-sign-in moment that setup does not have. It also reuses
// ReasonWindowsTooOld, ReasonNotEntraJoined, ReasonEditionUnsupported, ReasonSovereignCloud,
// ReasonNoBackups and ReasonAccessBlocked where the meaning is the same.
const (
	ReasonRestorePolicyOff = "restorePolicyOff"
	ReasonRestoredInSetup  = "restoredInSetup"
	ReasonDeclinedInSetup  = "declinedInSetup"
)

// FactEnableWindowsRestore is the device policy a dsregcmd capture does not show (Input.Unknown).
const FactEnableWindowsRestore = "enableWindowsRestore"

// turnOnRestorePolicy is how an admin turns the first-sign-in restore page on.
const turnOnRestorePolicy = `Turn on the device policy Enable Windows Restore: in Intune, a settings catalog profile with "Windows Backup And Restore > Enable Windows Restore" set to Enabled, assigned to the device (CSP ` + CSPEnableWindowsRestore + ` = true; default false); or Group Policy "Sync your settings > Enable Windows Restore". The tenant's "Show restore page" does not reach devices already enrolled.`

// firstSignInRules is every first-sign-in rule in the order checks are reported: the device
// policy first (as setup puts its tenant setting first), then the device, then the user.
// There is no shared-device rule: multi-user devices restore at first sign-in [IoT]; nor a
// provisioning rule: the moment comes after enrollment, and Windows 365 Cloud PCs, which are
// not set up through setup's restore page, qualify [MC].
var firstSignInRules = []Rule{
	{ID: ReasonRestorePolicyOff, Name: "Restore policy", Needs: "device",
		Requirement: `the device policy Enable Windows Restore is on (CSP ` + CSPEnableWindowsRestore + `, default false: absent is off). Inferred: the Windows page says the tenant's "Show restore page" is applied only at enrollment and this policy applies after it; the toggle does not apply to this moment`,
		Source:      SourceRestorePolicy},
	{ID: ReasonWindowsTooOld, Name: "Windows version", Needs: "device",
		Requirement: "Windows 11 24H2 26100.7922 or later, or 25H2 26200.7922 or later; later releases (26H2 26300, 26H1 28000) qualify; 23H2 and older, and Windows 10, do not",
		Source:      SourceWindowsBackupFirstSignIn},
	{ID: ReasonNotEntraJoined, Name: "Join type", Needs: "device",
		Requirement: "Microsoft Entra joined or Microsoft Entra hybrid joined (Windows 365 Cloud PCs included); not registered, domain joined, on-premises DRS joined or not joined",
		Source:      SourceWindowsBackupFirstSignIn + "; " + SourceFirstSignInGA},
	{ID: ReasonEditionUnsupported, Name: "Edition", Needs: "device",
		Requirement: "as in setup: not one of the excluded SKUs CloudEdition (203), CloudEditionN (202), Holographic (136), IoTUAP (123), IoTUAPCommercial (131), PPIPro (119); IoT Enterprise and IoT Enterprise LTSC qualify; Home cannot enroll. Inferred: the same restore page as setup",
		Source:      SourceIntuneSKUs + "; " + SourceWindowsBackupFirstSignIn + " (same restore page as setup)"},
	{ID: ReasonSovereignCloud, Name: "Cloud", Needs: "device",
		Requirement: "as in setup: the global (commercial) cloud; not GCC, GCC High, DoD or 21Vianet",
		Source:      SourceClouds},
	{ID: ReasonRestoredInSetup, Name: "Restored in setup", Needs: "user",
		Requirement: "the user did not already restore a previous PC on setup's restore page (then there is nothing to restore again)",
		Source:      SourceWindowsBackupFirstSignIn},
	{ID: ReasonDeclinedInSetup, Name: "Declined in setup", Needs: "user",
		Requirement: "the user did not choose to set up as new on setup's restore page. Inferred from third-party reports only: a user who declined in setup is not asked again",
		Source:      SourceDeclinedInSetup},
	{ID: ReasonNoBackups, Name: "Backups", Needs: "user",
		Requirement: "the user has at least one backup profile made with the work account they sign in with",
		Source:      SourceWindowsBackupFirstSignIn},
	{ID: ReasonAccessBlocked, Name: "Access", Needs: "user",
		Requirement: "as in setup: Conditional Access lets the user reach the restore app " + RestoreAppID + " and does not demand phishing-resistant MFA for " + RestoreBackupsAppID + " that the user cannot give. Inferred: the same restore page, signing in to the same apps",
		Source:      SourceIntuneRestore + "; " + SourceWindowsBackupFirstSignIn + " (same restore page as setup; inferred: the same apps)"},
}

// FirstSignInRules returns every first-sign-in rule in the order checks are reported.
func FirstSignInRules() []Rule { return append([]Rule(nil), firstSignInRules...) }

// firstSignInMinimumBuilds is in build order; the last row holds every later release too
// (domain.md §7.1: no other releases listed, later ones qualify). 23H2 and older have no row.
var firstSignInMinimumBuilds = []MinimumBuild{
	{Release: "Windows 11 24H2", Build: 26100, UBR: 7922, Source: SourceWindowsBackupFirstSignIn},
	{Release: "Windows 11 25H2", Build: 26200, UBR: 7922, Source: SourceWindowsBackupFirstSignIn},
	{Release: "Windows 11 26H2", Build: 26300, UBR: 0, Source: SourceWindowsBackupFirstSignIn + " (lists no later release; later releases qualify)"},
}

// FirstSignInMinimumBuilds returns the minimum build of every release that restores at first sign-in.
func FirstSignInMinimumBuilds() []MinimumBuild {
	return append([]MinimumBuild(nil), firstSignInMinimumBuilds...)
}

// FirstSignIn is whether the restore page shows at the user's first sign-in after
// enrollment, and every rule that stops it. Intune's reporting for this moment is not
// documented, so it has no status.
type FirstSignIn struct {
	// Eligible is true when no rule that was checked fails (see Complete).
	Eligible bool     `json:"eligible"`
	Reasons  []Reason `json:"reasons"`
	Notes    []Reason `json:"notes"`
	// Checks has every rule, in the order of FirstSignInRules().
	Checks []Check `json:"checks"`
}

// Complete reports whether every rule was checked, so Eligible is the whole answer.
func (f FirstSignIn) Complete() bool { return allChecked(f.Checks) }

// NotChecked lists the ids of the rules that were not checked.
func (f FirstSignIn) NotChecked() []string { return notCheckedIDs(f.Checks) }

// firstSignInEvaluators holds the code of each rule in firstSignInRules, by reason id.
var firstSignInEvaluators = map[string]func(Input) outcome{
	ReasonRestorePolicyOff:   checkRestorePolicy,
	ReasonWindowsTooOld:      checkWindowsFirstSignIn,
	ReasonNotEntraJoined:     checkJoinFirstSignIn,
	ReasonEditionUnsupported: checkEditionFirstSignIn,
	ReasonSovereignCloud:     checkCloud,
	ReasonRestoredInSetup:    checkRestoredInSetup,
	ReasonDeclinedInSetup:    checkDeclinedInSetup,
	ReasonNoBackups:          checkBackupsFirstSignIn,
	ReasonAccessBlocked:      checkAccess,
}

// EvaluateFirstSignIn decides whether the restore page shows at the user's first sign-in
// after enrollment, reporting every rule that fails. It refuses what Evaluate refuses, and a
// user said to have both restored and declined in setup.
func EvaluateFirstSignIn(in Input) (FirstSignIn, error) {
	if _, err := Evaluate(in); err != nil {
		return FirstSignIn{}, err
	}
	if in.RestoredInSetup != nil && in.DeclinedInSetup != nil && *in.RestoredInSetup && *in.DeclinedInSetup {
		return FirstSignIn{}, fmt.Errorf("user: restored in setup and declined in setup are exclusive: the restore page offers one or the other")
	}
	var f FirstSignIn
	f.Eligible, f.Reasons, f.Notes, f.Checks = runRules(firstSignInRules, firstSignInEvaluators, in)
	return f, nil
}

func checkRestorePolicy(in Input) outcome {
	if in.unknown(FactEnableWindowsRestore) {
		return notChecked("whether the device policy Enable Windows Restore is on is not known")
	}
	p := in.Device.EnableWindowsRestore
	switch {
	case p == nil:
		return failed(ReasonRestorePolicyOff, "The device policy Enable Windows Restore is not configured, which means off, so Windows does not offer restore at first sign-in.", turnOnRestorePolicy)
	case !*p:
		return failed(ReasonRestorePolicyOff, "The device policy Enable Windows Restore is turned off, so Windows does not offer restore at first sign-in.", turnOnRestorePolicy)
	}
	return passed("the device policy Enable Windows Restore is on")
}

func checkWindowsFirstSignIn(in Input) outcome {
	v, _ := profile.ParseVersion(in.Device.OS) // EvaluateFirstSignIn validated it
	const install = "Update the device to Windows 11 24H2 26100.7922 or later, or 25H2 26200.7922 or later (the Windows updates of 24 February 2026 or later); every build from 26300 (26H2) on qualifies."
	found, ok := minimumFor(firstSignInMinimumBuilds, v)
	if !ok {
		return failed(ReasonWindowsTooOld,
			fmt.Sprintf("This device runs %s (%s). Restoring at first sign-in needs Windows 11 24H2 or later.", v.Release(), v),
			install)
	}
	// Inferred below the minimum: a device whose ESP installs quality updates reaches the
	// desktop patched, so at its first sign-in it runs a build past the minimum ([W] advises
	// the setting for builds older than March 2026).
	if o, done := atMinimum(in, v, found); done {
		return o
	}
	minimum := fmt.Sprintf("%d.%d", v.Build, found.UBR)
	if in.Device.InstallQualityUpdates {
		o := passed("%s (%s) is below the minimum %s, but the device installs Windows quality updates during setup, so it runs a later build by its first sign-in", v.Release(), v, minimum)
		o.note = &Reason{ID: NoteQualityUpdateRequired,
			Message: fmt.Sprintf("This device's Windows (%s) is older than %s: it can restore at first sign-in only because it installs quality updates during setup.", v, minimum),
			Fix:     fmt.Sprintf(`Keep "Install Windows quality updates" on in the Enrollment Status Page profile, or image devices with %s or later.`, minimum)}
		return o
	}
	return failed(ReasonWindowsTooOld,
		fmt.Sprintf("This device runs %s build %d.%d, older than %s, which restoring at first sign-in needs.", v.Release(), v.Build, v.UBR, minimum),
		install+` For devices still to be set up, "Install Windows quality updates" in the Enrollment Status Page profile patches them during setup.`)
}

func checkJoinFirstSignIn(in Input) outcome {
	d := in.Device
	const fix = "Join the device to Microsoft Entra ID (Microsoft Entra joined, or Microsoft Entra hybrid joined), then have the user sign in."
	const needs = " Restoring at first sign-in needs a Microsoft Entra joined or hybrid joined device."
	cloudPC := ""
	if d.CloudPC {
		cloudPC = "Windows 365 Cloud PC, "
	}
	switch d.Join {
	case "":
		return notChecked("the device's join type is not known")
	case profile.JoinEntra, profile.JoinHybrid:
		return passed("%s%s", cloudPC, profile.JoinTitle(d.Join))
	case profile.JoinRegistered:
		return failed(ReasonNotEntraJoined, "This device is only Microsoft Entra registered (a work account added to Windows), not joined."+needs, fix)
	case profile.JoinDomain:
		return failed(ReasonNotEntraJoined, "This device is joined to an on-premises Active Directory domain only."+needs, "Make it Microsoft Entra hybrid joined (Microsoft Entra Connect's device options), or Microsoft Entra joined.")
	case profile.JoinOnPremDRS:
		return failed(ReasonNotEntraJoined, "This device is joined to an on-premises device registration service (AD FS DRS)."+needs, fix)
	default:
		return failed(ReasonNotEntraJoined, "This device is not joined to Microsoft Entra ID."+needs, fix)
	}
}

func checkEditionFirstSignIn(in Input) outcome {
	if in.Device.Edition == "" {
		return notChecked("the device's Windows edition is not known")
	}
	e, _ := lookupEdition(in.Device.Edition)
	if e.Supported {
		return passed("%s", e.Name)
	}
	// The edition's own sentence is about setup; at first sign-in the same SKUs are excluded.
	why := strings.Replace(e.Why, "does not offer restore during setup", "does not offer restore, in setup or at first sign-in", 1)
	return failed(ReasonEditionUnsupported, why,
		strings.Replace(e.Fix, "Restore during setup needs", "Restore needs", 1))
}

func checkRestoredInSetup(in Input) outcome {
	if in.RestoredInSetup == nil {
		if o, ok := noSetupPage(in); ok {
			return o
		}
		return notChecked("whether the user restored a previous PC in setup is not known")
	}
	if !*in.RestoredInSetup {
		return passed("the user did not restore in setup")
	}
	return failed(ReasonRestoredInSetup,
		"You already restored a previous PC during setup, so there is nothing to restore at first sign-in.",
		"Nothing to do: the restore happened in setup. The first-sign-in page is for users who missed the restore page in setup.")
}

func checkDeclinedInSetup(in Input) outcome {
	if in.DeclinedInSetup == nil {
		if o, ok := noSetupPage(in); ok {
			return o
		}
		return notChecked("whether the user chose to set up as new in setup is not known")
	}
	if !*in.DeclinedInSetup {
		return passed("the user did not decline restore in setup")
	}
	return failed(ReasonDeclinedInSetup,
		"You chose to set up as a new PC on the restore page during setup, so Windows does not ask again at first sign-in (third-party reports; Microsoft does not document it).",
		"No documented way to be asked again: to restore, set the device up again (reset it, then Windows Autopilot user-driven, Microsoft Entra joined) so setup shows the restore page.")
}

// noSetupPage passes a did-the-user-choose-in-setup rule when setup's own rules, on the same
// facts, show no restore page: the user could not have restored or declined there.
func noSetupPage(in Input) (outcome, bool) {
	e, err := Evaluate(in)
	if err != nil || e.Eligible {
		return outcome{}, false
	}
	return passed("setup shows no restore page on this device (%s), so the user made no choice there", strings.Join(idsOf(e.Reasons), ", ")), true
}

func idsOf(rs []Reason) []string {
	ids := make([]string, 0, len(rs))
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	return ids
}

func checkBackupsFirstSignIn(in Input) outcome {
	if in.Backups == nil {
		return notChecked("needs the signed-in user's backups (the flow checks this at sign-in)")
	}
	if n := *in.Backups; n > 0 {
		if n == 1 {
			return passed("1 backup profile")
		}
		return passed("%d backup profiles", n)
	}
	return failed(ReasonNoBackups,
		"You have no backup of a previous PC made with this work account, so there is nothing to restore.",
		"Turn on Windows Backup for Organizations for the user's old device (Microsoft Entra joined or hybrid joined; Windows 10 19045.6216+, Windows 11 22621.5768+, 22631.5768+ or 26100.4946+; device policy Enable Windows Backup, "+CSPEnableWindowsBackup+") and let it back up: every 8 days, or now from the Windows Backup app.")
}
