package oobe

import (
	"fmt"
	"slices"
	"time"

	"github.com/oobe-dev/oobe/internal/when"
	"github.com/oobe-dev/oobe/restore"
	"github.com/oobe-dev/oobe/restore/apply"
	"github.com/oobe-dev/oobe/restore/profile"
)

// firstSignInTook is how long, in virtual time, the user takes to sign out of the desktop
// and sign in to Windows again: a plausible, fixed figure.
const firstSignInTook = 30 * time.Second

// firstSignIn is the user's first sign-in after enrollment (shared/domain.md §7.1): Windows
// checks restore.EvaluateFirstSignIn's rules and shows the restore page when they pass.
// Windows signs the user in with the account setup signed in with; the client's token is
// the same session's. The device is set up by now, so nothing here fails the run: a refusal
// or a Graph error means the page does not show, and the person stays at the desktop.
func (f *flow) firstSignIn() (Stage, error) {
	fs := &FirstSignInOutcome{Backups: []profile.BackupProfile{}}
	f.out.FirstSignIn = fs
	if err := f.cfg.Clock.Sleep(f.ctx, firstSignInTook); err != nil {
		return "", err
	}
	f.event(EventInfo, fmt.Sprintf("%s signs in to Windows for the first time since enrollment", f.session.Identity.UPN), nil)
	f.noteToken()
	gaveUp := func(doing string, err error) (Stage, error) {
		if f.ctx.Err() != nil {
			return "", f.ctx.Err()
		}
		fs.Error, fs.ErrorCode = doing+": "+err.Error(), ErrorCode(err)
		f.event(EventWarning, fs.Error+"; the restore page does not show at first sign-in", ErrorDetail{Code: fs.ErrorCode})
		return "", nil
	}
	access := restore.Access{}
	if err := f.cloud.RestoreAccess(f.ctx); err != nil {
		a, ok := RestoreAccessRefusal(err)
		if !ok {
			return gaveUp("signing in to the restore app", err)
		}
		access = a
		f.event(EventWarning, "The restore app refused the sign-in: "+err.Error(), ErrorDetail{Code: ErrorCode(err)})
	}
	// What the user did on setup's restore page. A restore that was chosen but failed still
	// counts as restored in setup: Microsoft does not say whether Windows asks again then
	// (inferred).
	restored := f.out.RestorePage && f.chosen != nil
	declined := f.out.RestorePage && f.chosen == nil
	in := restore.Input{Device: f.profile, Access: &access, RestoredInSetup: &restored, DeclinedInSetup: &declined}
	var listed []profile.BackupProfile
	if !access.Blocked && !access.PhishingResistantMFA {
		// Listed again, not taken from setup: the backups may have changed since (an admin's
		// delete, a new backup).
		profiles, err := f.cloud.BackupProfiles(f.ctx)
		if err != nil {
			return gaveUp("listing your previous PCs", err)
		}
		listed = profiles
		n := len(profiles)
		in.Backups = &n
		f.event(EventInfo, backupsListed(profiles), nil)
	}
	e, err := restore.EvaluateFirstSignIn(in)
	if err != nil {
		return "", &stageFailure{text: "deciding whether the restore page shows at first sign-in: " + err.Error(), err: err}
	}
	fs.Eligibility = &e
	for _, n := range e.Notes {
		f.event(EventInfo, n.ID+": "+n.Message, nil)
	}
	if e.Eligible {
		fs.Backups = append(fs.Backups, listed...)
		f.event(EventInfo, "The restore page will show at first sign-in", e)
		return StageFirstSignInRestorePage, nil
	}
	for _, r := range e.Reasons {
		f.event(EventWarning, r.ID+": "+r.Message, nil)
	}
	f.event(EventInfo, "The restore page will not show at first sign-in", e)
	return "", nil
}

// firstSignInRestorePage is the same restore page as setup's [W], at first sign-in.
func (f *flow) firstSignInRestorePage() (Stage, error) {
	fs := f.out.FirstSignIn
	fs.RestorePage = true
	f.event(EventInfo, when.Count(len(fs.Backups), "previous PC")+" offered, and Set up as new PC", restoreEntries(fs.Backups))
	id, err := f.cfg.Person.FirstSignInRestoreChoice(f.ctx, slices.Clone(fs.Backups))
	if err != nil {
		return "", f.personError("FirstSignInRestoreChoice", err)
	}
	if id == "" {
		f.event(EventChoice, "Set up as new PC", nil)
		return "", nil
	}
	p, err := pickBackup("FirstSignInRestoreChoice", fs.Backups, id)
	if err != nil {
		return "", err
	}
	f.chosen = p
	fs.Chosen = id
	f.event(EventChoice, chosenText(p), nil)
	return StageFirstSignInRestore, nil
}

// firstSignInRestore applies the chosen backup, as setup's restore does. A failure is shown
// and the person is at the desktop anyway.
func (f *flow) firstSignInRestore() (Stage, error) {
	fs := f.out.FirstSignIn
	rep, text, err := f.applyChosen(func(rep *apply.Report) { fs.Report = rep })
	switch {
	case err != nil:
		return "", err
	case text != "":
		fs.Error, fs.ErrorCode = text, CodeRestoreApplyFailed
		f.event(EventError, text, ErrorDetail{Code: CodeRestoreApplyFailed})
		return "", nil
	}
	f.event(EventInfo, restoredText(f.chosen.DeviceName, rep), nil)
	return "", nil
}
