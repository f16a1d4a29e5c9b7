package oobe

import (
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/internal/when"
	"github.com/oobe-dev/oobe/restore"
	"github.com/oobe-dev/oobe/restore/apply"
	"github.com/oobe-dev/oobe/restore/profile"
)

// personError is a Person method's failure: it ends the run (Run returns it).
func (f *flow) personError(method string, err error) error {
	return fmt.Errorf("Person.%s: %w", method, err)
}

// pick asks for one of offered and refuses anything else: a driver that answers with
// something the screen did not offer has a bug the run should not hide.
func (f *flow) pick(method string, offered []string, ask func([]string) (string, error), allowEmpty bool) (string, error) {
	got, err := ask(offered)
	if err != nil {
		if errors.Is(err, ErrBack) && backTo[f.stage] != "" {
			return "", err
		}
		return "", f.personError(method, err)
	}
	if (got == "" && allowEmpty) || slices.Contains(offered, got) {
		return got, nil
	}
	return "", fmt.Errorf("Person.%s answered %q, which the screen does not offer (offered: %s)", method, got, strings.Join(offered, ", "))
}

// back goes to the screen before the current one, for a person who answered ErrBack.
func (f *flow) back() (Stage, error) {
	f.event(EventChoice, "Back", nil)
	return backTo[f.stage], nil
}

func (f *flow) region() (Stage, error) {
	r, err := f.pick("Region", orDefault(f.cfg.Regions, defaultRegions),
		func(o []string) (string, error) { return f.cfg.Person.Region(f.ctx, o) }, false)
	if err != nil {
		return "", err
	}
	f.event(EventChoice, "Region: "+r, nil)
	return StageKeyboard, nil
}

func (f *flow) keyboard() (Stage, error) {
	k, err := f.pick("Keyboard", orDefault(f.cfg.Keyboards, defaultKeyboards),
		func(o []string) (string, error) { return f.cfg.Person.Keyboard(f.ctx, o) }, false)
	if errors.Is(err, ErrBack) {
		return f.back()
	}
	if err != nil {
		return "", err
	}
	f.event(EventChoice, "Keyboard layout: "+k, nil)
	return StageSecondKeyboard, nil
}

func (f *flow) secondKeyboard() (Stage, error) {
	k, err := f.pick("SecondKeyboard", orDefault(f.cfg.Keyboards, defaultKeyboards),
		func(o []string) (string, error) { return f.cfg.Person.SecondKeyboard(f.ctx, o) }, true)
	if errors.Is(err, ErrBack) {
		return f.back()
	}
	if err != nil {
		return "", err
	}
	if k == "" {
		f.event(EventChoice, "Second keyboard layout: Skip", nil)
	} else {
		f.event(EventChoice, "Second keyboard layout: Add layout "+k, nil)
	}
	return StageNetwork, nil
}

func (f *flow) updateCheck() (Stage, error) {
	if err := f.cfg.Clock.Sleep(f.ctx, updateCheckTook); err != nil {
		return "", err
	}
	f.event(EventInfo, "No critical updates to install", nil)
	return StageAutopilotProfile, nil
}

// autopilotProfile downloads the profile: the tenant's branding and the device name.
func (f *flow) autopilotProfile() (Stage, error) {
	if err := f.cfg.Clock.Sleep(f.ctx, profileTook); err != nil {
		return "", err
	}
	b := f.cfg.Branding
	if b.DeploymentMode == "" {
		b.DeploymentMode = profile.ProvisioningUserDriven
	}
	b.DeviceName = f.profile.Name
	if len(f.nameParts) > 0 {
		name, truncated := applyNameTemplate(f.nameParts, serialOf(f.cfg.Device), f.profile.DeviceID)
		switch {
		case !backup.ValidDeviceName(name):
			f.event(EventWarning, fmt.Sprintf("The device name template %s gives %q, which is not a valid device name; the device keeps its name", b.DeviceNameTemplate, name), nil)
		case truncated:
			f.event(EventWarning, fmt.Sprintf("The device name from %s is longer than %d characters; Windows cuts it to %s", b.DeviceNameTemplate, MaxDeviceName, name), nil)
			b.DeviceName = name
		default:
			b.DeviceName = name
		}
	}
	f.branding = b
	f.out.DeviceName = b.DeviceName
	text := fmt.Sprintf("Autopilot profile for %s: %s", b.TenantName, b.DeploymentMode)
	if b.DeviceName != "" {
		text += ", device name " + b.DeviceName
	}
	f.event(EventInfo, text, b)
	return StageSignIn, nil
}

// enrollment joins Entra ID and enrolls in Intune, which Windows shows as the ESP's Device
// preparation phase; an enrollment error fails the row where Windows shows it.
func (f *flow) enrollment() (Stage, error) {
	f.out.ESP = NewESP()
	var pf phaseFault
	e := f.enrollErr
	if e != nil && e.Stage == StageEnrollment {
		f.fired[FaultEnrollmentError] = true
		pf = phaseFault{failItem: e.Item, failCode: e.Code, failAfter: 20 * time.Second}
	}
	end, err := f.runPhase(0, pf)
	if err != nil {
		return "", err
	}
	if end.failed {
		return "", &stageFailure{text: e.Message, code: e.Code}
	}
	f.event(EventInfo, "Joined Microsoft Entra ID and enrolled in Intune", nil)
	// Autopilot names the device from the profile's template as it enrolls.
	if name := f.out.DeviceName; f.cfg.Branding.DeviceNameTemplate != "" && name != "" && name != f.profile.Name {
		if n, ok := f.cfg.Device.(Namer); ok {
			if err := n.ApplyDeviceName(f.ctx, name, "Autopilot profile ("+f.cfg.Branding.DeviceNameTemplate+")"); err != nil {
				f.event(EventWarning, fmt.Sprintf("Could not rename the device to %s: %v", name, err), nil)
			} else {
				f.event(EventInfo, fmt.Sprintf("The device is named %s (from %s)", name, f.cfg.Branding.DeviceNameTemplate), nil)
				f.profile.Name = name
			}
		}
	}
	return StageEligibility, nil
}

// noteToken says once that the sign-in's access token has expired by now: the Cloud refreshes
// it (graph.TokenSource), which is normal and no failure.
func (f *flow) noteToken() {
	if f.tokenSeen || f.session == nil || f.session.Expiry.IsZero() || f.cfg.Clock.Now().Before(f.session.Expiry) {
		return
	}
	f.tokenSeen = true
	f.event(EventInfo, "The access token from sign-in expired at "+f.session.Expiry.UTC().Format(time.RFC3339)+"; the client refreshes it", nil)
}

// eligibility decides whether the restore page shows: the tenant's flag, Conditional Access on
// the restore app, the user's backups and the device (restore.Evaluate), every failing rule.
func (f *flow) eligibility() (Stage, error) {
	f.noteToken()
	state, err := f.cloud.RestorePageState(f.ctx)
	if err != nil {
		return "", cloudFailure(`reading the tenant's "Show restore page" setting`, err)
	}
	f.event(EventInfo, `"Show restore page": `+state, nil)
	access := restore.Access{}
	if err := f.cloud.RestoreAccess(f.ctx); err != nil {
		a, ok := RestoreAccessRefusal(err)
		if !ok {
			return "", cloudFailure("signing in to the restore app", err)
		}
		access = a
		f.event(EventWarning, "The restore app refused the sign-in: "+err.Error(), ErrorDetail{Code: ErrorCode(err)})
	}
	in := restore.Input{Device: f.profile, RestorePage: &state, Access: &access}
	if !access.Blocked && !access.PhishingResistantMFA {
		// Backups are read with the restore app's access; when it is refused they cannot be.
		f.noteToken()
		profiles, err := f.cloud.BackupProfiles(f.ctx)
		if err != nil {
			return "", cloudFailure("listing your previous PCs", err)
		}
		f.out.Backups = append([]profile.BackupProfile{}, profiles...)
		n := len(profiles)
		in.Backups = &n
		f.event(EventInfo, backupsListed(profiles), nil)
	}
	e, err := restore.Evaluate(in)
	if err != nil {
		return "", &stageFailure{text: "deciding whether the restore page shows: " + err.Error(), err: err}
	}
	f.out.Eligibility = &e
	for _, n := range e.Notes {
		f.event(EventInfo, n.ID+": "+n.Message, nil)
	}
	if e.Eligible {
		f.event(EventInfo, "The restore page will show", e)
		return StageRestorePage, nil
	}
	for _, r := range e.Reasons {
		f.event(EventWarning, r.ID+": "+r.Message, nil)
	}
	// Outcome.Backups is what the restore page listed; a page that does not show lists none
	// (the transcript above still says how many there were).
	f.out.Backups = []profile.BackupProfile{}
	f.out.IntuneStatus = e.Status
	f.event(EventInfo, "The restore page will not show; Intune's restore status: "+e.Status, e)
	return f.afterRestorePage(), nil
}

// restorePage lists one entry per previous PC, newest backup first, and takes the person's
// pick or "Set up as new PC".
func (f *flow) restorePage() (Stage, error) {
	f.out.RestorePage = true
	f.event(EventInfo, when.Count(len(f.out.Backups), "previous PC")+" offered, and Set up as new PC", restoreEntries(f.out.Backups))
	id, err := f.cfg.Person.RestoreChoice(f.ctx, slices.Clone(f.out.Backups))
	if err != nil {
		return "", f.personError("RestoreChoice", err)
	}
	if id == "" {
		f.out.IntuneStatus = backup.StatusSetupAsNew
		f.event(EventChoice, "Set up as new PC", nil)
		return f.afterRestorePage(), nil
	}
	p, err := pickBackup("RestoreChoice", f.out.Backups, id)
	if err != nil {
		return "", err
	}
	f.chosen = p
	f.out.Chosen = id
	f.event(EventChoice, chosenText(p), nil)
	return f.afterRestorePage(), nil
}

// backupsListed is the transcript's line for the user's previous PCs.
func backupsListed(ps []profile.BackupProfile) string {
	if len(ps) == 0 {
		return "No previous PC has a backup for this user"
	}
	return when.Count(len(ps), "previous PC") + " with a backup: " + strings.Join(deviceNames(ps), ", ")
}

// deviceNames lists the previous PCs' names, in order.
func deviceNames(ps []profile.BackupProfile) []string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.DeviceName
	}
	return names
}

// restoreEntries is what a restore page lists: the detail of its "previous PCs offered" event.
func restoreEntries(ps []profile.BackupProfile) []RestoreEntry {
	entries := make([]RestoreEntry, len(ps))
	for i, p := range ps {
		entries[i] = RestoreEntry{WindowsDeviceID: p.WindowsDeviceID, DeviceName: p.DeviceName, LastBackup: p.LastBackup, OSVersion: p.OSVersion}
	}
	return entries
}

// pickBackup finds the previous PC a Person method answered, refusing one the page did not list.
func pickBackup(method string, listed []profile.BackupProfile, id string) (*profile.BackupProfile, error) {
	i := slices.IndexFunc(listed, func(p profile.BackupProfile) bool { return p.WindowsDeviceID == id })
	if i < 0 {
		return nil, fmt.Errorf("Person.%s answered %q, which is not one of the previous PCs listed", method, id)
	}
	return &listed[i], nil
}

// chosenText is the transcript's line for a previous PC the person picked.
func chosenText(p *profile.BackupProfile) string {
	return fmt.Sprintf("Restore from %s (last backup %s, %s)", p.DeviceName, p.LastBackup.UTC().Format("2 January 2006 15:04 UTC"), profile.Label(p.OSVersion))
}

// afterRestorePage is where setup goes once the restore page is decided: the Enrollment Status
// Page — except under Windows Autopilot device preparation, which has none (domain.md §7.2),
// so no Device setup or Account setup phase and no quality updates in setup: straight to the
// restore (never chosen there: no restore page is documented for it) or the desktop.
func (f *flow) afterRestorePage() Stage {
	if f.profile.Provisioning != profile.ProvisioningDevicePreparation {
		return StageESP
	}
	f.event(EventInfo, "Windows Autopilot device preparation shows no Enrollment Status Page: its own page installs the apps and scripts, and Windows installs no quality updates during setup", nil)
	if f.chosen != nil {
		return StageRestoreApply
	}
	return StageDesktop
}

// esp runs Device setup and Account setup (Device preparation ran with enrollment), each with
// its own timeout, and asks the person what to do when one fails.
func (f *flow) esp() (Stage, error) {
	timeout := f.cfg.ESPTimeout
	if timeout == 0 {
		timeout = DefaultESPTimeout
	}
	noLicense := f.cfg.Faults.NoIntuneLicense || (f.enrollErr != nil && f.enrollErr.Code == CodeNoIntuneLicense)
	for phase := 1; phase < len(espPlan); phase++ {
		pf := phaseFault{deadline: f.cfg.Clock.Now().Add(timeout), identifyForever: noLicense}
		if noLicense {
			f.fired[FaultNoIntuneLicense] = true
			f.fired[FaultEnrollmentError] = true
		}
		if espPlan[phase].phase == PhaseDeviceSetup && !noLicense {
			switch {
			case f.cfg.Faults.ESPAppInstallFailure:
				f.fired[FaultESPAppInstallFailure] = true
				pf.failItem, pf.failCode, pf.failAfter = itemApps, CodeESPAppInstall, 4*time.Minute
			case f.cfg.Faults.ESPTimeout:
				f.fired[FaultESPTimeout] = true
				pf.hangItem = itemApps
			}
		}
		end, err := f.runPhase(phase, pf)
		if err != nil {
			return "", err
		}
		if !end.failed {
			continue
		}
		fe := espFailure(espPlan[phase].phase, end)
		f.event(EventError, fe.String(), fe)
		f.out.Error, f.out.ErrorCode = fe.String(), fe.Code
		choice, err := f.cfg.Person.ESPFailure(f.ctx, fe)
		if err != nil {
			return "", f.personError("ESPFailure", err)
		}
		switch choice {
		case ESPContinueAnyway:
			f.event(EventChoice, "Continue anyway", nil)
		case ESPResetDevice:
			f.event(EventChoice, "Reset device", nil)
			return "", &stageFailure{text: fe.String(), code: fe.Code, shown: true}
		default:
			return "", fmt.Errorf("Person.ESPFailure answered %q; the choices are %s and %s", choice, ESPContinueAnyway, ESPResetDevice)
		}
	}
	switch {
	case f.profile.InstallQualityUpdates:
		return StageQualityUpdates, nil
	case f.chosen != nil:
		return StageRestoreApply, nil
	}
	return StageDesktop, nil
}

// qualityUpdateDuration is how long quality updates take: Config's, or 20 to 40 minutes fixed
// by the device id (domain.md §4), so a device always takes the same time.
func (f *flow) qualityUpdateDuration() time.Duration {
	if d := f.cfg.QualityUpdateDuration; d > 0 {
		return d
	}
	h := fnv.New32a()
	h.Write([]byte(f.profile.DeviceID))
	return time.Duration(20+h.Sum32()%21) * time.Minute
}

func (f *flow) qualityUpdates() (Stage, error) {
	d := f.qualityUpdateDuration()
	f.event(EventInfo, fmt.Sprintf("Installing Windows quality updates (%s)", d), nil)
	if err := f.cfg.Clock.Sleep(f.ctx, d); err != nil {
		return "", err
	}
	f.event(EventInfo, "Quality updates installed; restarting", nil)
	if e := f.out.Eligibility; e != nil && slices.ContainsFunc(e.Notes, func(r restore.Reason) bool { return r.ID == restore.NoteQualityUpdateRequired }) {
		f.event(EventInfo, "The device now runs a Windows build that can restore (the reason the restore page could show)", nil)
	}
	if f.chosen != nil {
		return StageRestoreApply, nil
	}
	return StageDesktop, nil
}

// restoreApply restores the chosen backup for the signed-in user (tid, oid).
func (f *flow) restoreApply() (Stage, error) {
	rep, text, err := f.applyChosen(func(rep *apply.Report) {
		f.out.Report = rep
		f.out.IntuneStatus = backup.StatusSucceeded
	})
	switch {
	case err != nil:
		return "", err
	case text != "":
		f.out.IntuneStatus = backup.StatusFailed
		f.errorSeen(EventError, text, CodeRestoreApplyFailed)
		return StageDesktop, nil
	}
	f.event(EventInfo, restoredText(f.chosen.DeviceName, rep), nil)
	return StageDesktop, nil
}

// applyChosen restores f.chosen for the signed-in user (tid, oid), playing out its progress:
// the report, or the text of a failure the person sees; err only for ctx's end. applied is
// told the report as soon as the device has committed it, before the progress plays out: a
// run stopped during the progress has restored all the same, and its outcome says so.
func (f *flow) applyChosen(applied func(*apply.Report)) (rep *apply.Report, failure string, err error) {
	p := f.chosen
	f.event(EventInfo, fmt.Sprintf("Restoring from %s (%s)", p.DeviceName, p.OSVersion), nil)
	if f.cfg.Faults.RestoreApplyFailure {
		f.fired[FaultRestoreApplyFailure] = true
		if err := f.cfg.Clock.Sleep(f.ctx, restoreApplyTook); err != nil {
			return nil, "", err
		}
		return nil, fmt.Sprintf("Your settings could not be restored from %s; nothing was changed.", p.DeviceName), nil
	}
	if p.Content == nil {
		return nil, fmt.Sprintf("The backup of %s keeps its content opaque (%s): only the simulator's own backups can be applied.", p.DeviceName, strings.Join(p.Opaque, ", ")), nil
	}
	owner := backup.Owner{TenantID: f.session.Identity.TenantID, ObjectID: f.session.Identity.ObjectID}
	rep, err = f.cfg.Device.Apply(f.ctx, p.Content, owner)
	if err != nil {
		if f.ctx.Err() != nil {
			return nil, "", f.ctx.Err()
		}
		return nil, fmt.Sprintf("Restoring from %s failed: %v", p.DeviceName, err), nil
	}
	applied(rep)
	if err := f.progress(rep); err != nil {
		return nil, "", err
	}
	return rep, "", nil
}

// restoredText is the transcript's line for a restore that went through.
func restoredText(from string, rep *apply.Report) string {
	c := rep.Counts
	return fmt.Sprintf("Restored from %s: %d applied, %d already set, %d kept by policy, %d not supported here, %d not restorable, %d failed",
		from, c.Applied, c.AlreadySet, c.KeptByPolicy, c.NotSupported, c.NotRestorable, c.Failed)
}

// desktop reports the restore status to Intune, as the device does when setup ends. A report
// that does not get through is a warning: the person is at the desktop either way.
func (f *flow) desktop() (Stage, error) {
	if err := f.report(); err != nil {
		return "", err
	}
	if f.cfg.FirstSignIn {
		return StageFirstSignIn, nil
	}
	return "", nil
}

// report tells Intune the restore status, when setup decided one; err only for ctx's end.
func (f *flow) report() error {
	status := f.out.IntuneStatus
	if f.out.Eligibility == nil || status == "" {
		return nil
	}
	source := ""
	if f.chosen != nil {
		source = f.chosen.WindowsDeviceID
	}
	now := f.cfg.Clock.Now().UTC()
	res := backup.RestoreResult{WindowsDeviceID: f.profile.DeviceID, SourceWindowsDeviceID: source, Status: status, ReportedDateTime: now}
	if f.out.Report != nil {
		res = f.out.Report.Result(f.profile.DeviceID, source, now)
	}
	f.noteToken()
	if err := f.cloud.ReportRestore(f.ctx, res); err != nil {
		if f.ctx.Err() != nil {
			return f.ctx.Err()
		}
		f.errorSeen(EventWarning, "The restore status did not reach Intune: "+err.Error(), ErrorCode(err))
		return nil
	}
	f.out.Reported = true
	f.event(EventInfo, "Intune restore status reported: "+status, nil)
	return nil
}

// progress plays the restore out over restoreApplyTook, one category at a time in the order
// the backup lists them, each taking its share of the time by its number of items. The apply
// itself is one atomic commit (restore/apply); this is what the person watches meanwhile.
func (f *flow) progress(rep *apply.Report) error {
	var order []string
	for _, it := range rep.Items {
		if !slices.Contains(order, it.Category) {
			order = append(order, it.Category)
		}
	}
	start, total, done := f.cfg.Clock.Now(), len(rep.Items), 0
	for _, c := range order {
		n := 0
		for _, it := range rep.Items {
			if it.Category == c {
				n++
			}
		}
		done += n
		at := start.Add(restoreApplyTook * time.Duration(done) / time.Duration(total))
		if err := f.cfg.Clock.Sleep(f.ctx, at.Sub(f.cfg.Clock.Now())); err != nil {
			return err
		}
		f.event(EventProgress, fmt.Sprintf("Restored %s: %d of %s", backup.CategoryTitle(c), done, when.Count(total, "item")),
			RestoreProgress{Category: c, Done: done, Total: total, Counts: rep.ByCategory[c]})
	}
	return f.cfg.Clock.Sleep(f.ctx, start.Add(restoreApplyTook).Sub(f.cfg.Clock.Now()))
}
