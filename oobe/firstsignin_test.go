package oobe

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/restore"
	"github.com/oobe-dev/oobe/restore/graph"
	"github.com/oobe-dev/oobe/restore/profile"
)

// firstSignInWorld is a world whose run goes on to the first sign-in, on a device that can
// restore there: 24H2 at 26100.7922 with Enable Windows Restore on.
func firstSignInWorld(t *testing.T, edit func(*profile.DeviceProfile)) *world {
	t.Helper()
	w := newWorld(t)
	p := eligibleDevice()
	p.OS = "10.0.26100.7922"
	p.EnableWindowsRestore = new(true)
	if edit != nil {
		edit(&p)
	}
	w.device.profile = p
	w.cfg.FirstSignIn = true
	w.person.firstSignInRestore = "newest"
	return w
}

func reasonIDs(rs []restore.Reason) []string {
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	return ids
}

func TestAHybridPCThatSetupCannotRestoreRestoresAtFirstSignIn(t *testing.T) {
	w := firstSignInWorld(t, func(p *profile.DeviceProfile) { p.Join = profile.JoinHybrid })
	out := w.run(t)

	if out.FinalStage != StageDesktop || out.RestorePage {
		t.Fatalf("final %s, setup page %v; want the desktop, and no restore page in setup (hybrid)", out.FinalStage, out.RestorePage)
	}
	if got := reasonIDs(out.Eligibility.Reasons); !slices.Equal(got, []string{restore.ReasonNotEntraJoined}) {
		t.Errorf("setup's reasons = %v, want notEntraJoined only", got)
	}
	want := []Stage{StageDesktop, StageFirstSignIn, StageFirstSignInRestorePage, StageFirstSignInRestore}
	if got := entered(out); !slices.Equal(got[len(got)-len(want):], want) {
		t.Errorf("stages entered end with %v, want %v", got, want)
	}
	fs := out.FirstSignIn
	if fs == nil || fs.Eligibility == nil || !fs.Eligibility.Eligible || !fs.RestorePage {
		t.Fatalf("first sign-in = %+v, want an eligible page that showed", fs)
	}
	if !fs.Eligibility.Complete() {
		t.Errorf("first sign-in checks left rules unchecked: %v", fs.Eligibility.NotChecked())
	}
	if fs.Chosen != oldPCID || fs.Report == nil || fs.Report.Source.DeviceName != "ADELE-LAPTOP" || fs.Report.Counts.Applied == 0 {
		t.Fatalf("first sign-in chose %q with report %+v, want ADELE-LAPTOP applied", fs.Chosen, fs.Report)
	}
	if len(w.person.offeredLater) != 2 || len(w.person.offered) != 0 {
		t.Errorf("offered %d PCs in setup and %d at first sign-in, want 0 and 2", len(w.person.offered), len(w.person.offeredLater))
	}
	if len(w.device.applied) != 1 || w.device.applied[0] != adeleOwner() {
		t.Errorf("the device applied for %v, want once for adele", w.device.applied)
	}
	// Setup's status is the one Intune gets; the moment's reporting is not documented.
	if len(w.cloud.reported) != 1 || w.cloud.reported[0].Status == backup.StatusSucceeded || out.Report != nil {
		t.Errorf("reported %+v (setup's report %v), want setup's not-eligible status once and no setup report", w.cloud.reported, out.Report)
	}
	for _, e := range out.Transcript {
		if e.Stage.AfterDesktop() && e.At.Before(enteredAt(t, out, StageDesktop)) {
			t.Errorf("first sign-in event %q at %v is before the desktop", e.Text, e.At)
		}
	}
}

func TestFirstSignInRestoreIsNotOfferedWhenTheRulesSayNo(t *testing.T) {
	cases := []struct {
		name    string
		edit    func(*profile.DeviceProfile)
		restore string // what the user picks in setup ("newest", or "" for new)
		want    []string
	}{
		{"restored in setup", nil, "newest", []string{restore.ReasonRestoredInSetup}},
		{"declined in setup", nil, "", []string{restore.ReasonDeclinedInSetup}},
		{"policy not configured", func(p *profile.DeviceProfile) { p.Join, p.EnableWindowsRestore = profile.JoinHybrid, nil }, "", []string{restore.ReasonRestorePolicyOff}},
		{"policy off", func(p *profile.DeviceProfile) { p.Join, p.EnableWindowsRestore = profile.JoinHybrid, new(false) }, "", []string{restore.ReasonRestorePolicyOff}},
		{"23H2: setup yes, first sign-in no", func(p *profile.DeviceProfile) { p.OS = "10.0.22631.5768" }, "", []string{restore.ReasonWindowsTooOld, restore.ReasonDeclinedInSetup}},
		{"registered", func(p *profile.DeviceProfile) { p.Join = profile.JoinRegistered }, "", []string{restore.ReasonNotEntraJoined}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := firstSignInWorld(t, c.edit)
			w.person.restore = c.restore
			out := w.run(t)
			fs := out.FirstSignIn
			if out.FinalStage != StageDesktop || fs == nil || fs.Eligibility == nil {
				t.Fatalf("final %s, first sign-in %+v; want the desktop after a first sign-in check", out.FinalStage, fs)
			}
			if fs.Eligibility.Eligible || fs.RestorePage || len(fs.Backups) != 0 || w.person.offeredLater != nil {
				t.Errorf("first sign-in = %+v, want no page", fs)
			}
			if got := reasonIDs(fs.Eligibility.Reasons); !slices.Equal(got, c.want) {
				t.Errorf("reasons = %v, want %v", got, c.want)
			}
			if got := entered(out); got[len(got)-1] != StageFirstSignIn {
				t.Errorf("last stage entered = %s, want firstSignIn", got[len(got)-1])
			}
		})
	}
}

func TestWithoutFirstSignInTheRunEndsAtTheDesktop(t *testing.T) {
	w := firstSignInWorld(t, func(p *profile.DeviceProfile) { p.Join = profile.JoinHybrid })
	w.cfg.FirstSignIn = false
	out := w.run(t)
	if out.FirstSignIn != nil || slices.ContainsFunc(entered(out), Stage.AfterDesktop) {
		t.Errorf("a run without FirstSignIn reached it: %+v, %v", out.FirstSignIn, entered(out))
	}
}

func TestFirstSignInGraphFailureLeavesThePersonAtTheDesktop(t *testing.T) {
	w := firstSignInWorld(t, func(p *profile.DeviceProfile) { p.Join = profile.JoinHybrid })
	observe := w.cfg.Observe
	w.cfg.Observe = func(e Event) {
		if e.Kind == EventEnter && e.Stage == StageFirstSignIn {
			w.cloud.backupsErr = &graph.Error{Method: "GET", Path: "/v1.0/me/settings/windows", Status: 503, Code: "serviceUnavailable", Message: "try later"}
		}
		observe(e)
	}
	out := w.run(t)
	fs := out.FirstSignIn
	if out.FinalStage != StageDesktop || out.Error != "" || fs == nil || fs.RestorePage || fs.ErrorCode != "HTTP 503" {
		t.Fatalf("final %s, error %q, first sign-in %+v; want the desktop with the 503 on the first sign-in only", out.FinalStage, out.Error, fs)
	}
	if !strings.Contains(fs.Error, "listing your previous PCs") {
		t.Errorf("first sign-in error %q does not say what failed", fs.Error)
	}
}

func TestFirstSignInRestoreFailureIsShownAndTheRunEndsAtTheDesktop(t *testing.T) {
	w := firstSignInWorld(t, func(p *profile.DeviceProfile) { p.Join = profile.JoinHybrid })
	w.cfg.Faults.RestoreApplyFailure = true
	out := w.run(t)
	fs := out.FirstSignIn
	if out.FinalStage != StageDesktop || fs == nil || fs.Report != nil || fs.ErrorCode != CodeRestoreApplyFailed || len(out.UnfiredFaults) != 0 {
		t.Fatalf("final %s, first sign-in %+v, unfired %v; want a failed restore at first sign-in, the fault fired", out.FinalStage, fs, out.UnfiredFaults)
	}
	if len(w.device.applied) != 0 {
		t.Errorf("the device applied %v, want nothing", w.device.applied)
	}
}

func TestFirstSignInChoiceIsChecked(t *testing.T) {
	w := firstSignInWorld(t, func(p *profile.DeviceProfile) { p.Join = profile.JoinHybrid })
	w.person.firstSignInRestore = "{00000000-0000-0000-0000-000000000000}"
	out, err := Run(context.Background(), w.cfg)
	if err == nil || !strings.Contains(err.Error(), "FirstSignInRestoreChoice") || out.FinalStage != StageFirstSignInRestorePage {
		t.Fatalf("Run = %v, final %v; want the unlisted answer refused at the first sign-in's page", err, out.FinalStage)
	}

	w = firstSignInWorld(t, func(p *profile.DeviceProfile) { p.Join = profile.JoinHybrid })
	ctx, cancel := context.WithCancel(context.Background())
	w.person.cancel, w.person.cancelAt = cancel, "FirstSignInRestoreChoice"
	out, err = Run(ctx, w.cfg)
	if !errors.Is(err, context.Canceled) || out.FinalStage != StageFirstSignInRestorePage {
		t.Fatalf("Run = %v, final %v; want canceled at the first sign-in's page", err, out.FinalStage)
	}
}
