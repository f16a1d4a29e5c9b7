package restore

import (
	"fmt"
	"slices"
	"strings"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/restore/profile"
)

// Input is everything eligibility is decided from. A nil pointer means that fact was not
// looked at: its rule is reported as not checked and does not count against the device.
type Input struct {
	Device profile.DeviceProfile
	// RestorePage is the tenant's "Show restore page" state: enabled, disabled or notConfigured.
	RestorePage *string
	// Backups is how many backup profiles the signed-in user has.
	Backups *int
	// Access is what Conditional Access did when the user's token for restore was asked for.
	Access *Access
	// Unknown names device facts the caller could not learn, so the rules that need them are
	// reported as not checked rather than judged on a default: FactShared,
	// FactInstallQualityUpdates (a dsregcmd capture shows neither), FactEnableWindowsRestore.
	Unknown []string
	// RestoredInSetup and DeclinedInSetup are what the user did on setup's restore page
	// (restored a previous PC, or chose to set up as new); only EvaluateFirstSignIn reads them.
	RestoredInSetup *bool
	DeclinedInSetup *bool
}

// Device facts a caller may not know (Input.Unknown).
const (
	FactShared                = "shared"
	FactInstallQualityUpdates = "installQualityUpdates"
)

func (in Input) unknown(fact string) bool { return slices.Contains(in.Unknown, fact) }

// Access is what Conditional Access answered for the apps the restore page signs in to.
type Access struct {
	// Blocked: a policy blocks the restore app (RestoreAppID); the user sees
	// "You don't have access to this".
	Blocked bool `json:"blocked"`
	// PhishingResistantMFA: a policy demands phishing-resistant MFA for RestoreBackupsAppID
	// and the user could not give it during setup.
	PhishingResistantMFA bool `json:"phishingResistantMfa"`
}

// CheckState is how one rule came out.
type CheckState string

// Check states.
const (
	CheckPassed     CheckState = "passed"
	CheckFailed     CheckState = "failed"
	CheckNotChecked CheckState = "notChecked"
)

// Check is the outcome of one rule, with what was found.
type Check struct {
	ID    string     `json:"id"`
	Rule  string     `json:"rule"`
	State CheckState `json:"state"`
	// Detail is what was found (passed), the reason (failed) or why it was not checked.
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
	Source string `json:"source"`
}

// Reason is why the restore page does not show (or, as a note, what it depends on): a stable
// id, a sentence for the user and what the admin can do about it.
type Reason struct {
	ID      string `json:"id"`
	Message string `json:"message"`
	Fix     string `json:"fix"`
}

// Eligibility is whether the restore page shows, every rule that stops it, and the status
// Intune's restore report would show for the device.
type Eligibility struct {
	// Eligible is true when no rule that was checked fails. Rules not checked do not count:
	// see Complete.
	Eligible bool `json:"eligible"`
	// Status is the Intune restore status the device reports when a failing rule already
	// decides it (see statusFor); "" when none fails, because then the user's choice on the
	// restore page decides it (Succeeded, Failed or Setup as New PC Selected).
	Status  string   `json:"status"`
	Reasons []Reason `json:"reasons"`
	Notes   []Reason `json:"notes"`
	// Checks has every rule, in the order of Rules().
	Checks []Check `json:"checks"`
}

// Complete reports whether every rule was checked, so Eligible is the whole answer.
func (e Eligibility) Complete() bool { return allChecked(e.Checks) }

// NotChecked lists the ids of the rules that were not checked.
func (e Eligibility) NotChecked() []string { return notCheckedIDs(e.Checks) }

func allChecked(checks []Check) bool {
	for _, c := range checks {
		if c.State == CheckNotChecked {
			return false
		}
	}
	return true
}

func notCheckedIDs(checks []Check) []string {
	var ids []string
	for _, c := range checks {
		if c.State == CheckNotChecked {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// outcome is what one rule's evaluator found.
type outcome struct {
	state  CheckState
	detail string // passed or not checked
	reason Reason // failed
	note   *Reason
}

func passed(format string, args ...any) outcome {
	return outcome{state: CheckPassed, detail: fmt.Sprintf(format, args...)}
}

func notChecked(format string, args ...any) outcome {
	return outcome{state: CheckNotChecked, detail: "not checked: " + fmt.Sprintf(format, args...)}
}

func failed(id, message, fix string) outcome {
	return outcome{state: CheckFailed, reason: Reason{ID: id, Message: message, Fix: fix}}
}

// evaluators holds the code of each rule in rules, by reason id.
var evaluators = map[string]func(Input) outcome{
	ReasonRestorePageOff:          checkRestorePage,
	ReasonWindowsTooOld:           checkWindows,
	ReasonNotEntraJoined:          checkJoin,
	ReasonProvisioningUnsupported: checkProvisioning,
	ReasonEditionUnsupported:      checkEdition,
	ReasonSharedDevice:            checkShared,
	ReasonSovereignCloud:          checkCloud,
	ReasonNoBackups:               checkBackups,
	ReasonAccessBlocked:           checkAccess,
}

// Evaluate decides whether the restore page shows for in, reporting every rule that fails.
// It refuses input it cannot judge: a device that does not validate, an unknown restore page
// state or a negative backup count.
func Evaluate(in Input) (Eligibility, error) {
	if err := in.Device.Validate(); err != nil {
		return Eligibility{}, fmt.Errorf("device profile: %w", err)
	}
	if in.RestorePage != nil {
		if _, err := ParseRestorePage(*in.RestorePage); err != nil {
			return Eligibility{}, fmt.Errorf("tenant: %w", err)
		}
	}
	if in.Backups != nil && *in.Backups < 0 {
		return Eligibility{}, fmt.Errorf("user: backup profile count %d is negative", *in.Backups)
	}
	e := Eligibility{}
	e.Eligible, e.Reasons, e.Notes, e.Checks = runRules(rules, evaluators, in)
	e.Status = statusFor(e.Reasons)
	return e, nil
}

// runRules runs each rule's evaluator in order: eligible when none fails, with every failure
// as a reason, every note and one check per rule.
func runRules(rs []Rule, evals map[string]func(Input) outcome, in Input) (eligible bool, reasons, notes []Reason, checks []Check) {
	eligible, reasons, notes = true, []Reason{}, []Reason{}
	for _, r := range rs {
		o := evals[r.ID](in)
		c := Check{ID: r.ID, Rule: r.Name, State: o.state, Detail: o.detail, Source: r.Source}
		if o.state == CheckFailed {
			c.Detail, c.Fix = o.reason.Message, o.reason.Fix
			reasons = append(reasons, o.reason)
			eligible = false
		}
		if o.note != nil {
			notes = append(notes, *o.note)
		}
		checks = append(checks, c)
	}
	return eligible, reasons, notes, checks
}

// statusFor is the Intune restore status a device with these failing rules reports, taking
// them in the order setup meets them: the tenant setting at enrollment (no setting, no
// policy), then the device itself, then the user's sign-in to the restore app, then the
// user's backups (unreadable when access is blocked).
func statusFor(reasons []Reason) string {
	failing := map[string]bool{}
	for _, r := range reasons {
		failing[r.ID] = true
	}
	switch {
	case failing[ReasonRestorePageOff]:
		return backup.StatusNoPolicyAssigned
	case failing[ReasonWindowsTooOld], failing[ReasonNotEntraJoined], failing[ReasonProvisioningUnsupported],
		failing[ReasonEditionUnsupported], failing[ReasonSharedDevice], failing[ReasonSovereignCloud]:
		return backup.StatusNotApplicable
	case failing[ReasonAccessBlocked]:
		return backup.StatusFailed
	case failing[ReasonNoBackups]:
		return backup.StatusNoBackups
	}
	return ""
}

func checkRestorePage(in Input) outcome {
	if in.RestorePage == nil {
		return notChecked(`the tenant's "Show restore page" setting was not read`)
	}
	const fix = `In the Intune admin center, set Windows Backup and Restore's "Show restore page" to On (Graph beta: PATCH the windowsRestoreDeviceEnrollmentConfiguration's state to "enabled"). It is read only at enrollment, so devices set up before the change do not pick it up.`
	switch *in.RestorePage {
	case RestorePageEnabled:
		return passed(`"Show restore page" is on (state enabled)`)
	case RestorePageDisabled:
		return failed(ReasonRestorePageOff, `Your organization has turned off restoring from a backup during setup ("Show restore page" is disabled).`, fix)
	default:
		return failed(ReasonRestorePageOff, `Your organization has not turned on restoring from a backup during setup ("Show restore page" is notConfigured, which means off).`, fix)
	}
}

// atMinimum is the part of both moments' Windows rule that reads the same: a build at or above
// its release's minimum passes, and one below it is not checked when whether the ESP installs
// quality updates is not known. done is false when the caller's own wording must decide.
func atMinimum(in Input, v profile.Version, m MinimumBuild) (o outcome, done bool) {
	switch {
	case v.UBR >= m.UBR && m.UBR == 0:
		return passed("%s (%s): every build from %d on qualifies", v.Release(), v, m.Build), true
	case v.UBR >= m.UBR:
		return passed("%s (%s) is at or above the minimum %d.%d", v.Release(), v, m.Build, m.UBR), true
	case in.unknown(FactInstallQualityUpdates):
		return notChecked(`%s (%s) is below the minimum %d.%d: it qualifies only if the Enrollment Status Page installs Windows quality updates, which is not known`, v.Release(), v, v.Build, m.UBR), true
	}
	return outcome{}, false
}

func checkWindows(in Input) outcome {
	d := in.Device
	v, _ := profile.ParseVersion(d.OS) // Evaluate validated it
	mins := make([]string, 0, len(minimumBuilds))
	for _, m := range minimumBuilds {
		if m.UBR > 0 {
			mins = append(mins, fmt.Sprintf("%d.%d (%s)", m.Build, m.UBR, strings.TrimPrefix(m.Release, "Windows 11 ")))
		}
	}
	last := minimumBuilds[len(minimumBuilds)-1]
	install := fmt.Sprintf("Install Windows 11 22H2 or later, at least %s; every build from %d (%s) on qualifies.",
		strings.Join(mins, ", "), last.Build, strings.TrimPrefix(last.Release, "Windows 11 "))
	if !v.IsWindows11() {
		return failed(ReasonWindowsTooOld,
			fmt.Sprintf("This device runs %s (%s). Restoring during setup needs Windows 11; Windows 10 never shows the restore page.", v.Release(), v),
			install+" A Windows 10 device can still make the backup that a Windows 11 device restores.")
	}
	m, ok := minimumFor(minimumBuilds, v)
	if !ok {
		return failed(ReasonWindowsTooOld,
			fmt.Sprintf("This device runs %s (%s). Restoring during setup needs Windows 11 22H2 or later.", v.Release(), v),
			install)
	}
	if o, done := atMinimum(in, v, m); done {
		return o
	}
	minimum := fmt.Sprintf("%d.%d", v.Build, m.UBR)
	if d.InstallQualityUpdates {
		o := passed(`%s (%s) is below the minimum %s, but the device installs Windows quality updates during setup`, v.Release(), v, minimum)
		o.note = &Reason{ID: NoteQualityUpdateRequired,
			Message: fmt.Sprintf("This device's Windows (%s) is older than %s: it can restore only because it installs quality updates during setup, which makes setup take longer.", v, minimum),
			Fix:     fmt.Sprintf(`Keep "Install Windows quality updates" on in the Enrollment Status Page profile, or image devices with %s or later so setup does not have to patch first.`, minimum)}
		return o
	}
	return failed(ReasonWindowsTooOld,
		fmt.Sprintf("This device runs %s build %d.%d, older than %s, and does not install quality updates during setup.", v.Release(), v.Build, v.UBR, minimum),
		fmt.Sprintf(`Turn on "Install Windows quality updates" in the Enrollment Status Page profile so the device patches during setup, or image it with %s or later.`, minimum))
}

func checkJoin(in Input) outcome {
	const fix = "Set the device up with Windows Autopilot user-driven mode and the Microsoft Entra joined join type (not Microsoft Entra hybrid joined), or have the user join it with a work or school account during setup."
	const needs = " Restoring during setup needs a Microsoft Entra joined device."
	switch in.Device.Join {
	case "":
		return notChecked("the device's join type is not known")
	case profile.JoinEntra:
		return passed("Microsoft Entra joined")
	case profile.JoinHybrid:
		return failed(ReasonNotEntraJoined, "This device is Microsoft Entra hybrid joined (joined to the on-premises domain too)."+needs, fix)
	case profile.JoinRegistered:
		return failed(ReasonNotEntraJoined, "This device is only Microsoft Entra registered (a work account added to Windows), not joined."+needs, fix)
	case profile.JoinDomain:
		return failed(ReasonNotEntraJoined, "This device is joined to an on-premises Active Directory domain only."+needs, fix)
	case profile.JoinOnPremDRS:
		return failed(ReasonNotEntraJoined, "This device is joined to an on-premises device registration service (AD FS DRS)."+needs, fix)
	default:
		return failed(ReasonNotEntraJoined, "This device is not joined to Microsoft Entra ID."+needs, fix)
	}
}

func checkProvisioning(in Input) outcome {
	if in.Device.CloudPC {
		// Inferred: Windows 365 provisions a Cloud PC itself, so no user goes through setup's
		// screens (the setup page needs Autopilot user-driven or an OOBE join [W][I]); [MC]
		// names Cloud PCs for the first-sign-in restore instead.
		return failed(ReasonProvisioningUnsupported,
			"This is a Windows 365 Cloud PC: Windows 365 provisions it without the setup screens, so the restore page of setup never shows. Cloud PCs restore at the user's first sign-in instead.",
			"Turn on the device policy Enable Windows Restore for the Cloud PC so the user is offered restore at their first sign-in ("+CSPEnableWindowsRestore+").")
	}
	if in.Device.Provisioning == "" {
		return notChecked("how the device is set up (provisioning) is not known")
	}
	p, _ := lookupProvisioning(in.Device.Provisioning)
	if p.Supported {
		return passed("%s (%s)", p.Title, p.Name)
	}
	return failed(ReasonProvisioningUnsupported, p.Why,
		"Set up devices that should offer restore with Windows Autopilot user-driven mode, or let the user join with a work or school account during setup.")
}

func checkEdition(in Input) outcome {
	if in.Device.Edition == "" {
		return notChecked("the device's Windows edition is not known")
	}
	e, _ := lookupEdition(in.Device.Edition)
	if e.Supported {
		return passed("%s", e.Name)
	}
	return failed(ReasonEditionUnsupported, e.Why, e.Fix)
}

func checkShared(in Input) outcome {
	if in.unknown(FactShared) {
		return notChecked("whether the device is shared (userless) is not known")
	}
	if !in.Device.Shared {
		return passed("assigned to one user (not shared)")
	}
	return failed(ReasonSharedDevice,
		"This is a shared (userless) device; the restore page shows only on a device set up for one user.",
		"Restore is for devices that belong to one user: set those up with user-driven Autopilot and without shared PC mode.")
}

func checkCloud(in Input) outcome {
	switch in.Device.Cloud {
	case "":
		return notChecked("the device's cloud is not known")
	case profile.CloudGlobal:
		return passed("%s", profile.CloudTitle(profile.CloudGlobal))
	default:
		return failed(ReasonSovereignCloud,
			fmt.Sprintf("Windows Backup for Organizations is not available in %s.", profile.CloudTitle(in.Device.Cloud)),
			"None for now: the feature runs only in the global (commercial) cloud.")
	}
}

func checkBackups(in Input) outcome {
	if in.Backups == nil {
		return notChecked("needs the signed-in user's backups (the setup flow checks this)")
	}
	if n := *in.Backups; n > 0 {
		if n == 1 {
			return passed("1 backup profile")
		}
		return passed("%d backup profiles", n)
	}
	return failed(ReasonNoBackups,
		"You have no backup of a previous PC made with this work account, so there is nothing to restore.",
		"Turn on Windows Backup for Organizations for the user's old device (Microsoft Entra joined or hybrid joined; Windows 10 19045.6216+, Windows 11 22621.5768+, 22631.5768+ or 26100.4946+) and let it back up: every 8 days, or now from the Windows Backup app. The user must sign in during setup with the same work account.")
}

func checkAccess(in Input) outcome {
	if in.Access == nil {
		return notChecked("needs the user's sign-in to the restore app (the setup flow checks this)")
	}
	a := *in.Access
	var msg, fix []string
	if a.Blocked {
		msg = append(msg, fmt.Sprintf(`Your organization's sign-in rules block the Windows restore app (%s): "You don't have access to this".`, RestoreAppID))
		fix = append(fix, fmt.Sprintf("Exclude app %s from the Conditional Access policy that blocks it.", RestoreAppID))
	}
	switch {
	case a.PhishingResistantMFA && in.Device.VirtualMachine:
		msg = append(msg, fmt.Sprintf("Your organization demands a phishing-resistant sign-in (a passkey, security key or Windows Hello) for app %s, and this device is a Hyper-V virtual machine, where passkeys and security keys are not available: the prompt failed.", RestoreBackupsAppID))
		fix = append(fix, fmt.Sprintf("Use a Temporary Access Pass, as Windows' documentation suggests for virtual machines: issue one to the user and let the policy's authentication strength for app %s accept it (the built-in Phishing-resistant MFA strength does not), or exclude the app from the policy; or restore on a physical PC.", RestoreBackupsAppID))
	case a.PhishingResistantMFA:
		msg = append(msg, fmt.Sprintf("Your organization demands a phishing-resistant sign-in (a passkey, security key or Windows Hello) for app %s, and the prompt on this device was not satisfied.", RestoreBackupsAppID))
		fix = append(fix, fmt.Sprintf("Register a phishing-resistant method for the user (a Temporary Access Pass lets them register a passkey) and use it at the prompt, or exclude app %s from the policy's authentication strength.", RestoreBackupsAppID))
	}
	if len(msg) == 0 {
		return passed("Conditional Access lets the user reach the restore apps")
	}
	return failed(ReasonAccessBlocked, strings.Join(msg, " "), strings.Join(fix, " "))
}
