package oobe

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/restore"
	"github.com/oobe-dev/oobe/restore/graph"
	"github.com/oobe-dev/oobe/restore/profile"
)

func TestTheHappyPathPassesEveryStageInOrderOnVirtualTime(t *testing.T) {
	w := newWorld(t)
	w.device.profile.InstallQualityUpdates = true
	w.cfg.QualityUpdateDuration = 30 * time.Minute
	out := w.run(t)

	want := []struct {
		stage Stage
		at    time.Duration
	}{
		{StageRegion, 0}, {StageKeyboard, 0}, {StageSecondKeyboard, 0}, {StageNetwork, 0},
		{StageUpdateCheck, 5 * time.Second},                    // connecting
		{StageAutopilotProfile, time.Minute + 5*time.Second},   // the update check
		{StageSignIn, time.Minute + 20*time.Second},            // the profile download
		{StageEnrollment, 2 * time.Minute},                     // 40 s of sign-in
		{StageEligibility, 4*time.Minute + 45*time.Second},     // Device preparation: 30 s identifying, 30 s + 45 s + 60 s
		{StageRestorePage, 4*time.Minute + 45*time.Second},     //
		{StageESP, 4*time.Minute + 45*time.Second},             //
		{StageQualityUpdates, 24*time.Minute + 45*time.Second}, // Device setup 12 m 30 s, Account setup 7 m 30 s
		{StageRestoreApply, 54*time.Minute + 45*time.Second},   // 30 minutes of updates
		{StageDesktop, 55*time.Minute + 45*time.Second},        // a minute of restoring
	}
	var got []string
	for _, e := range out.Transcript {
		if e.Kind == EventEnter {
			got = append(got, string(e.Stage)+"@"+e.At.Sub(start).String())
		}
	}
	var wantS []string
	for _, s := range want {
		wantS = append(wantS, string(s.stage)+"@"+s.at.String())
	}
	if !slices.Equal(got, wantS) {
		t.Fatalf("stages entered:\n got %v\nwant %v", got, wantS)
	}
	if setup := Stages()[:slices.Index(Stages(), StageDesktop)+1]; !slices.Equal(entered(out), setup) {
		t.Errorf("a full run should enter setup's Stages() in order, got %v", entered(out))
	}

	if out.FinalStage != StageDesktop || out.IntuneStatus != backup.StatusSucceeded || !out.Reported || !out.RestorePage {
		t.Errorf("outcome = final %s, status %q, reported %v, page %v; want desktop, Succeeded, reported, page shown", out.FinalStage, out.IntuneStatus, out.Reported, out.RestorePage)
	}
	if out.Error != "" || out.Chosen != oldPCID || out.User != adele.UPN || out.DeviceName != "CONTOSO-5CG1234" {
		t.Errorf("outcome error %q, chosen %q, user %q, device name %q", out.Error, out.Chosen, out.User, out.DeviceName)
	}
	if out.Report == nil || out.Report.Counts.Applied == 0 || out.Report.Source.DeviceName != "ADELE-LAPTOP" {
		t.Fatalf("apply report = %+v, want items applied from ADELE-LAPTOP", out.Report)
	}
	if len(w.device.applied) != 1 || w.device.applied[0] != adeleOwner() {
		t.Errorf("the device applied for %v, want once for adele's (tid, oid)", w.device.applied)
	}
	if len(w.cloud.reported) != 1 {
		t.Fatalf("reported %d restore results, want 1", len(w.cloud.reported))
	}
	r := w.cloud.reported[0]
	if r.Status != backup.StatusSucceeded || r.WindowsDeviceID != newPCID || r.SourceWindowsDeviceID != oldPCID || r.Applied != out.Report.Counts.Applied {
		t.Errorf("reported %+v, want Succeeded from %s to %s with the report's counts", r, oldPCID, newPCID)
	}
	if !r.ReportedDateTime.Equal(start.Add(55*time.Minute + 45*time.Second)) {
		t.Errorf("reported at %v, want the desktop's time", r.ReportedDateTime)
	}
	if wantCalls := []string{"RestorePageState", "RestoreAccess", "BackupProfiles", "ReportRestore"}; !slices.Equal(w.cloud.calls, wantCalls) {
		t.Errorf("cloud calls %v, want %v", w.cloud.calls, wantCalls)
	}
	if got := []string{out.Backups[0].DeviceName, out.Backups[1].DeviceName}; !slices.Equal(got, []string{"ADELE-LAPTOP", "ADELE-OLD"}) {
		t.Errorf("backups listed %v, want the cloud's order", got)
	}
	for _, p := range out.ESP {
		if p.Status != ESPComplete {
			t.Errorf("ESP phase %s is %s, want Complete", p.Name, p.Status)
		}
		for _, it := range p.Items {
			if it.Status != ESPComplete {
				t.Errorf("ESP %s — %s is %s, want Complete", p.Name, it.Name, it.Status)
			}
		}
	}
	if w.person.codesShown != 1 {
		t.Errorf("the person was shown the device code %d times, want 1", w.person.codesShown)
	}
	if mustJSON(t, w.events) != mustJSON(t, out.Transcript) {
		t.Error("Observe did not see exactly the transcript's events")
	}
}

func TestEveryESPRowShowsIdentifyingBeforeInProgressAndComplete(t *testing.T) {
	out := newWorld(t).run(t)
	seen := map[string][]string{}
	var order []string
	for _, e := range out.Transcript {
		if s, ok := e.Detail.(ESPStatus); ok && s.Item != "" {
			k := s.Phase + "/" + s.Item
			if seen[k] == nil {
				order = append(order, k)
			}
			seen[k] = append(seen[k], s.Status)
		}
	}
	if len(order) != 11 {
		t.Fatalf("%d ESP rows changed status, want 3 + 4 + 4: %v", len(order), order)
	}
	for _, k := range order {
		if want := []string{ESPIdentifying, ESPInProgress, ESPComplete}; !slices.Equal(seen[k], want) {
			t.Errorf("%s went %v, want %v", k, seen[k], want)
		}
	}
}

func TestATranscriptNeverHoldsTheUserCodePassphraseOrSignInState(t *testing.T) {
	for _, method := range []SignInMethod{SignInDeviceCode, SignInBrowser} {
		t.Run(string(method), func(t *testing.T) {
			w := newWorld(t)
			w.person.method = method
			w.person.network = "CONTOSO-GUEST"
			w.person.passphrase = secretPassphrase
			out := w.run(t)
			js := mustJSON(t, out)
			for _, secret := range []string{secretUserCode, secretPassphrase, secretState, "code_challenge"} {
				if strings.Contains(js, secret) {
					t.Errorf("the outcome contains %q", secret)
				}
			}
			if method == SignInDeviceCode {
				if _, ok := find(out, EventInfo, "Code shown"); !ok {
					t.Error(`no "Code shown" event`)
				}
			} else if len(w.person.browserPages) != 1 || !strings.Contains(w.person.browserPages[0], secretState) {
				t.Errorf("the person's browser got %v, want the whole sign-in URL", w.person.browserPages)
			}
			if _, ok := find(out, EventChoice, "passphrase entered"); !ok {
				t.Error("joining a secured Wi-Fi network is not in the transcript")
			}
		})
	}
}

func TestARunThatIsNotEligibleSkipsTheRestorePageAndReportsItsStatus(t *testing.T) {
	blocked := &auth.SignInError{Code: auth.CodeInvalidGrant, AADSTS: 53003, Reason: "Access has been blocked by Conditional Access policies."}
	mfa := &auth.SignInError{Code: auth.CodeInvalidGrant, AADSTS: 50076, Reason: "Multifactor authentication is required."}
	cases := []struct {
		name   string
		change func(*world)
		status string
		reason string
	}{
		{"a tenant that never turned the restore page on reports no policy assigned", func(w *world) { w.cloud.state = restore.RestorePageNotConfigured },
			backup.StatusNoPolicyAssigned, restore.ReasonRestorePageOff},
		{"a tenant that turned it off reports no policy assigned", func(w *world) { w.cloud.state = restore.RestorePageDisabled },
			backup.StatusNoPolicyAssigned, restore.ReasonRestorePageOff},
		{"a Windows 10 device is not applicable", func(w *world) { w.device.profile.OS = "10.0.19045.6216" },
			backup.StatusNotApplicable, restore.ReasonWindowsTooOld},
		{"a hybrid joined device is not applicable", func(w *world) { w.device.profile.Join = profile.JoinHybrid },
			backup.StatusNotApplicable, restore.ReasonNotEntraJoined},
		{"an old build without quality updates is not applicable", func(w *world) { w.device.profile.OS = "10.0.22631.3000" },
			backup.StatusNotApplicable, restore.ReasonWindowsTooOld},
		{"a user without backups has no backup profiles", func(w *world) { w.cloud.profiles = nil },
			backup.StatusNoBackups, restore.ReasonNoBackups},
		{"Conditional Access blocking the restore app fails", func(w *world) { w.cloud.accessErr = blocked },
			backup.StatusFailed, restore.ReasonAccessBlocked},
		{"a phishing-resistant MFA demand fails", func(w *world) { w.cloud.accessErr = mfa },
			backup.StatusFailed, restore.ReasonAccessBlocked},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			c.change(w)
			out := w.run(t)
			if out.FinalStage != StageDesktop || out.IntuneStatus != c.status || out.RestorePage {
				t.Fatalf("final %s, status %q, page %v; want desktop, %q, no page", out.FinalStage, out.IntuneStatus, out.RestorePage, c.status)
			}
			if slices.Contains(entered(out), StageRestorePage) || slices.Contains(entered(out), StageRestoreApply) || w.person.offered != nil {
				t.Errorf("stages %v: the restore page or apply ran", entered(out))
			}
			if out.Eligibility == nil || !slices.ContainsFunc(out.Eligibility.Reasons, func(r restore.Reason) bool { return r.ID == c.reason }) {
				t.Errorf("eligibility %+v does not give %s", out.Eligibility, c.reason)
			}
			if len(w.cloud.reported) != 1 || w.cloud.reported[0].Status != c.status || w.cloud.reported[0].SourceWindowsDeviceID != "" {
				t.Errorf("reported %+v, want one %q with no source", w.cloud.reported, c.status)
			}
			if out.Report != nil || len(w.device.applied) != 0 {
				t.Error("something was applied")
			}
		})
	}
}

func TestARefusedRestoreAppIsAccessBlockedAndItsBackupsAreNotRead(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want restore.Access
	}{
		{"Conditional Access AADSTS53003 blocks", &auth.SignInError{Code: auth.CodeInvalidGrant, AADSTS: 53003}, restore.Access{Blocked: true}},
		{"an access_denied without a number blocks", &auth.SignInError{Code: auth.CodeAccessDenied}, restore.Access{Blocked: true}},
		{"AADSTS50076 is an MFA demand", &auth.SignInError{Code: auth.CodeInvalidGrant, AADSTS: 50076}, restore.Access{PhishingResistantMFA: true}},
		{"interaction_required is an MFA demand", &auth.SignInError{Code: auth.CodeInteractionRequired}, restore.Access{PhishingResistantMFA: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := RestoreAccessRefusal(c.err)
			if !ok || got != c.want {
				t.Fatalf("RestoreAccessRefusal = %+v, %v; want %+v", got, ok, c.want)
			}
			w := newWorld(t)
			w.cloud.accessErr = c.err
			out := w.run(t)
			if slices.Contains(w.cloud.calls, "BackupProfiles") {
				t.Error("the backups were listed although the restore app was refused")
			}
			if len(out.Backups) != 0 || out.IntuneStatus != backup.StatusFailed {
				t.Errorf("backups %d, status %q; want none and Failed", len(out.Backups), out.IntuneStatus)
			}
			if !slices.Contains(out.Eligibility.NotChecked(), restore.ReasonNoBackups) {
				t.Errorf("not checked %v, want noBackups among them", out.Eligibility.NotChecked())
			}
		})
	}
}

func TestSettingUpAsANewPCRestoresNothingAndSaysSo(t *testing.T) {
	w := newWorld(t)
	w.person.restore = ""
	out := w.run(t)
	if out.IntuneStatus != backup.StatusSetupAsNew || out.Chosen != "" || out.Report != nil || !out.RestorePage {
		t.Fatalf("status %q, chosen %q, report %v, page %v", out.IntuneStatus, out.Chosen, out.Report, out.RestorePage)
	}
	if slices.Contains(entered(out), StageRestoreApply) {
		t.Error("restore apply ran")
	}
	if len(w.person.offered) != 2 {
		t.Errorf("the restore page offered %d PCs, want 2", len(w.person.offered))
	}
	if len(w.cloud.reported) != 1 || w.cloud.reported[0].Status != backup.StatusSetupAsNew {
		t.Errorf("reported %+v", w.cloud.reported)
	}
}

func TestEachEnrollmentErrorEndsTheRunWhereAUserSeesIt(t *testing.T) {
	for _, e := range EnrollmentErrors() {
		if e.Code == CodeNoIntuneLicense {
			continue // the ESP's case: TestAUserWithoutAnIntuneLicenseStaysIdentifyingUntilTheTimeout
		}
		t.Run(e.Code, func(t *testing.T) {
			w := newWorld(t)
			w.cfg.Faults.EnrollmentError = e.Code
			out := w.run(t)
			if out.FinalStage != StageFailed || out.ErrorCode != e.Code || out.Error != e.Message || out.IntuneStatus != "" {
				t.Fatalf("final %s, code %q, error %q, status %q", out.FinalStage, out.ErrorCode, out.Error, out.IntuneStatus)
			}
			ev, ok := find(out, EventError, e.Message)
			if !ok || ev.Stage != e.Stage {
				t.Errorf("the error shows at %s, want %s", ev.Stage, e.Stage)
			}
			if len(w.cloud.calls) != 0 {
				t.Errorf("the cloud was called: %v", w.cloud.calls)
			}
			if e.Item != "" {
				var row ESPItem
				for _, it := range out.ESP[0].Items {
					if it.Name == e.Item {
						row = it
					}
				}
				if row.Status != ESPFailed || row.Code != e.Code || out.ESP[0].Status != ESPFailed {
					t.Errorf("Device preparation = %+v, want %s failed with %s", out.ESP[0], e.Item, e.Code)
				}
			}
		})
	}
}

func TestSecuringTheHardwareFailingFailsTheRowsAfterIt(t *testing.T) {
	w := newWorld(t)
	w.cfg.Faults.EnrollmentError = "800705b4"
	out := w.run(t)
	got := []string{}
	for _, it := range out.ESP[0].Items {
		got = append(got, it.Status)
	}
	if want := []string{ESPFailed, ESPPreviousStepFailed, ESPPreviousStepFailed}; !slices.Equal(got, want) {
		t.Errorf("Device preparation rows %v, want %v (as Microsoft's page shows)", got, want)
	}
}

func TestEnrollmentErrorsAreFoundAsWindowsAndTicketsWriteThem(t *testing.T) {
	for code, want := range map[string]string{"8018000a": "0x8018000A", "80180018": "0x80180018", "0x801c03ea": "0x801C03EA", "oobeidps": "OOBEIDPS"} {
		if e, ok := LookupEnrollmentError(code); !ok || e.Code != want {
			t.Errorf("LookupEnrollmentError(%q) = %q, %v; want %q", code, e.Code, ok, want)
		}
	}
	if _, ok := LookupEnrollmentError("0x80070005"); ok {
		t.Error("an unknown code was found")
	}
	for _, e := range EnrollmentErrors() {
		if e.Message == "" || e.Cause == "" || !slices.Contains(Stages(), e.Stage) {
			t.Errorf("%s lacks a message, a cause or a stage: %+v", e.Code, e)
		}
	}
}

func TestAHomeEditionDeviceFailsEnrollmentWith0x80180022(t *testing.T) {
	w := newWorld(t)
	w.device.profile.Edition = "Home"
	out := w.run(t)
	if out.FinalStage != StageFailed || out.ErrorCode != "0x80180022" {
		t.Fatalf("final %s, code %q; want failed with 0x80180022", out.FinalStage, out.ErrorCode)
	}
}

func TestLosingTheNetworkEndsTheRunAtThatStage(t *testing.T) {
	for _, st := range Stages()[slices.Index(Stages(), StageNetwork):slices.Index(Stages(), StageDesktop)] {
		t.Run(string(st), func(t *testing.T) {
			w := newWorld(t)
			w.device.profile.InstallQualityUpdates = true
			w.cfg.Faults.NetworkLostAt = st
			out := w.run(t)
			if out.FinalStage != StageFailed || out.Error != NoInternetText || out.ErrorCode != CodeNetworkLost {
				t.Fatalf("final %s, error %q (%s)", out.FinalStage, out.Error, out.ErrorCode)
			}
			ev, ok := find(out, EventError, NoInternetText)
			if !ok || ev.Stage != st {
				t.Errorf("the no-internet text shows at %s, want %s", ev.Stage, st)
			}
			if got := entered(out); got[len(got)-2] != st || got[len(got)-1] != StageFailed {
				t.Errorf("stages %v, want to end %s, failed", got, st)
			}
		})
	}
}

func TestAFaultAtAStageTheRunSkipsSaysItDidNotFire(t *testing.T) {
	w := newWorld(t)
	w.cfg.Faults.NetworkLostAt = StageQualityUpdates // the device does not install them
	out := w.run(t)
	if out.FinalStage != StageDesktop {
		t.Fatalf("final %s", out.FinalStage)
	}
	if _, ok := find(out, EventWarning, "fault networkLostAt did not fire"); !ok {
		t.Error("no warning that the fault did not fire")
	}
}

func TestAnESPAppInstallFailureLetsThePersonContinueOrReset(t *testing.T) {
	t.Run("continue anyway reaches the desktop and restores", func(t *testing.T) {
		w := newWorld(t)
		w.cfg.Faults.ESPAppInstallFailure = true
		w.person.esp = []ESPChoice{ESPContinueAnyway}
		out := w.run(t)
		if out.FinalStage != StageDesktop || out.IntuneStatus != backup.StatusSucceeded {
			t.Fatalf("final %s, status %q", out.FinalStage, out.IntuneStatus)
		}
		if len(w.person.espFailures) != 1 {
			t.Fatalf("asked %d times, want once", len(w.person.espFailures))
		}
		f := w.person.espFailures[0]
		if f != (ESPFailure{Phase: PhaseDeviceSetup, Item: itemApps, Message: ESPErrorText, Code: CodeESPAppInstall}) {
			t.Errorf("ESP failure %+v", f)
		}
		if ds := out.ESP[1]; ds.Status != ESPFailed || ds.Items[3] != (ESPItem{Name: itemApps, Status: ESPFailed, Code: CodeESPAppInstall}) {
			t.Errorf("Device setup = %+v", ds)
		}
		if out.ESP[2].Status != ESPComplete {
			t.Errorf("Account setup = %s, want Complete after continuing", out.ESP[2].Status)
		}
		if out.ErrorCode != CodeESPAppInstall || !strings.Contains(out.Error, ESPErrorText) {
			t.Errorf("last error %q (%s), want the ESP's", out.Error, out.ErrorCode)
		}
	})
	t.Run("reset device ends the run failed with nothing restored", func(t *testing.T) {
		w := newWorld(t)
		w.cfg.Faults.ESPAppInstallFailure = true
		w.person.esp = []ESPChoice{ESPResetDevice}
		out := w.run(t)
		if out.FinalStage != StageFailed || out.ErrorCode != CodeESPAppInstall || out.IntuneStatus != "" || out.Reported {
			t.Fatalf("final %s, code %q, status %q, reported %v", out.FinalStage, out.ErrorCode, out.IntuneStatus, out.Reported)
		}
		if len(w.device.applied) != 0 || slices.Contains(w.cloud.calls, "ReportRestore") {
			t.Error("a reset device restored or reported")
		}
		n := 0
		for _, e := range out.Transcript {
			if e.Kind == EventError {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d error events, want the ESP's once", n)
		}
	})
}

func TestTheESPTimesOutAfterExactlyItsTimeout(t *testing.T) {
	for _, c := range []struct {
		name    string
		timeout time.Duration
		want    time.Duration
	}{
		{"the default is 60 minutes", 0, 60 * time.Minute},
		{"a profile's 90 minutes", 90 * time.Minute, 90 * time.Minute},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			w.cfg.Faults.ESPTimeout = true
			w.cfg.ESPTimeout = c.timeout
			w.person.esp = []ESPChoice{ESPResetDevice}
			out := w.run(t)
			ev, ok := find(out, EventError, ESPErrorText)
			if !ok {
				t.Fatal("no ESP error")
			}
			if got := ev.At.Sub(enteredAt(t, out, StageESP)); got != c.want {
				t.Errorf("timed out %v after the ESP started, want %v", got, c.want)
			}
			f := w.person.espFailures[0]
			if !f.TimedOut || f.Item != itemApps || f.Code != CodeESPTimeout || out.ErrorCode != CodeESPTimeout {
				t.Errorf("failure %+v, outcome code %q", f, out.ErrorCode)
			}
			if out.FinalStage != StageFailed {
				t.Errorf("final %s after Reset device", out.FinalStage)
			}
		})
	}
}

func TestAUserWithoutAnIntuneLicenseStaysIdentifyingUntilTheTimeout(t *testing.T) {
	for _, f := range []Faults{{NoIntuneLicense: true}, {EnrollmentError: CodeNoIntuneLicense}} {
		w := newWorld(t)
		w.cfg.Faults = f
		w.person.esp = []ESPChoice{ESPContinueAnyway, ESPContinueAnyway}
		out := w.run(t)
		if len(w.person.espFailures) != 2 {
			t.Fatalf("%+v: %d ESP failures, want one per phase", f, len(w.person.espFailures))
		}
		for i, p := range out.ESP[1:] {
			if p.Status != ESPFailed {
				t.Errorf("%s = %s, want Failed", p.Name, p.Status)
			}
			for _, it := range p.Items {
				if it.Status != ESPIdentifying {
					t.Errorf("%s — %s = %s, want still Identifying", p.Name, it.Name, it.Status)
				}
			}
			if fe := w.person.espFailures[i]; !fe.TimedOut || fe.Item != "" || fe.Phase != p.Name {
				t.Errorf("failure %+v", fe)
			}
		}
		if got := enteredAt(t, out, StageDesktop).Sub(enteredAt(t, out, StageESP)); got != 2*time.Hour+time.Minute {
			t.Errorf("the ESP took %v, want two 60-minute timeouts and the restore's minute", got)
		}
		if _, ok := find(out, EventWarning, "did not fire"); ok {
			t.Errorf("%+v: a fault is said not to have fired", f)
		}
	}
}

func TestQualityUpdatesRunOnlyWhenTheDeviceInstallsThem(t *testing.T) {
	t.Run("an old build restores because it patches during setup", func(t *testing.T) {
		w := newWorld(t)
		w.device.profile.OS = "10.0.22631.3000"
		w.device.profile.InstallQualityUpdates = true
		out := w.run(t)
		if !out.Eligibility.Eligible || out.IntuneStatus != backup.StatusSucceeded {
			t.Fatalf("eligible %v, status %q", out.Eligibility.Eligible, out.IntuneStatus)
		}
		if len(out.Eligibility.Notes) != 1 || out.Eligibility.Notes[0].ID != restore.NoteQualityUpdateRequired {
			t.Errorf("notes %+v", out.Eligibility.Notes)
		}
		took := enteredAt(t, out, StageRestoreApply).Sub(enteredAt(t, out, StageQualityUpdates))
		if took < 20*time.Minute || took > 40*time.Minute {
			t.Errorf("quality updates took %v, want 20 to 40 minutes", took)
		}
		if _, ok := find(out, EventInfo, "now runs a Windows build that can restore"); !ok {
			t.Error("no word that the update made the build eligible")
		}
		again := newWorld(t)
		again.device.profile = w.device.profile
		if d := again.run(t); enteredAt(t, d, StageRestoreApply).Sub(enteredAt(t, d, StageQualityUpdates)) != took {
			t.Error("the same device took a different time on a second run")
		}
	})
	t.Run("a device that does not install them skips the stage", func(t *testing.T) {
		out := newWorld(t).run(t)
		if slices.Contains(entered(out), StageQualityUpdates) {
			t.Error("quality updates ran")
		}
	})
}

func TestARestoreThatFailsToApplyReportsFailedAndReachesTheDesktop(t *testing.T) {
	t.Run("the apply failure fault", func(t *testing.T) {
		w := newWorld(t)
		w.cfg.Faults.RestoreApplyFailure = true
		out := w.run(t)
		if out.FinalStage != StageDesktop || out.IntuneStatus != backup.StatusFailed || out.ErrorCode != CodeRestoreApplyFailed || out.Report != nil {
			t.Fatalf("final %s, status %q, code %q, report %v", out.FinalStage, out.IntuneStatus, out.ErrorCode, out.Report)
		}
		if len(w.device.applied) != 0 {
			t.Error("the device was written")
		}
		if len(w.cloud.reported) != 1 || w.cloud.reported[0].Status != backup.StatusFailed || w.cloud.reported[0].SourceWindowsDeviceID != oldPCID {
			t.Errorf("reported %+v", w.cloud.reported)
		}
	})
	t.Run("another user's backup is refused by the apply engine", func(t *testing.T) {
		w := newWorld(t)
		w.cloud.profiles = []profile.BackupProfile{backupOf(t, oldPCID, "MEGAN-PC", "10.0.22631.5768", start.Add(-time.Hour),
			backup.Owner{TenantID: adele.TenantID, ObjectID: "99999999-9999-4999-8999-999999999999"})}
		out := w.run(t)
		if out.IntuneStatus != backup.StatusFailed || !strings.Contains(out.Error, "MEGAN-PC") {
			t.Fatalf("status %q, error %q", out.IntuneStatus, out.Error)
		}
	})
	t.Run("the fault set on a run that restores nothing says it did not fire", func(t *testing.T) {
		w := newWorld(t)
		w.cfg.Faults.RestoreApplyFailure = true
		w.person.restore = ""
		out := w.run(t)
		if _, ok := find(out, EventWarning, "fault restoreApplyFailure did not fire"); !ok {
			t.Error("no warning")
		}
	})
}

func TestATenantFailureAfterTheClientsRetriesEndsTheRunClearly(t *testing.T) {
	unavailable := &graph.Error{Method: "GET", Path: "/v1.0/me/settings/windows", Status: 503, Code: "serviceUnavailable", Message: "try later"}
	throttled := &graph.Error{Method: "GET", Path: "/beta/deviceManagement/deviceEnrollmentConfigurations", Status: 429, Code: "TooManyRequests"}
	cases := []struct {
		name   string
		change func(*world)
		stage  Stage
		code   string
		text   string
	}{
		{"Graph 503 on the backup list", func(w *world) { w.cloud.backupsErr = unavailable }, StageEligibility, "HTTP 503", "listing your previous PCs"},
		{"Graph 429 on the restore flag", func(w *world) { w.cloud.stateErr = throttled }, StageEligibility, "HTTP 429", `"Show restore page"`},
		{"a throttled restore app sign-in is no access answer", func(w *world) {
			w.cloud.accessErr = &auth.SignInError{Code: auth.CodeThrottled, Reason: "Entra is throttling requests."}
		}, StageEligibility, auth.CodeThrottled, "signing in to the restore app"},
		{"an expired refresh grant", func(w *world) {
			w.cloud.backupsErr = &auth.SignInError{Code: auth.CodeInvalidGrant, AADSTS: 700082, Reason: "The saved sign-in has expired."}
		}, StageEligibility, "AADSTS700082", "listing your previous PCs"},
		{"a declined device code sign-in", func(w *world) {
			w.signIn.err = &auth.SignInError{Code: auth.CodeAuthorizationDeclined, AADSTS: 70000, Reason: "The sign-in was declined."}
		}, StageSignIn, "AADSTS70000", "declined"},
		{"a wrong password in the browser", func(w *world) {
			w.person.method = SignInBrowser
			w.signIn.err = &auth.SignInError{Code: auth.CodeInvalidGrant, AADSTS: 50126, Reason: "Error validating credentials due to invalid username or password."}
		}, StageSignIn, "AADSTS50126", "invalid username or password"},
		{"an expired device code", func(w *world) {
			w.signIn.err = &auth.SignInError{Code: auth.CodeExpiredToken, Reason: "The code expired."}
		}, StageSignIn, auth.CodeExpiredToken, "expired"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			c.change(w)
			out := w.run(t)
			if out.FinalStage != StageFailed || out.ErrorCode != c.code || !strings.Contains(out.Error, c.text) || out.IntuneStatus != "" {
				t.Fatalf("final %s, code %q, error %q, status %q", out.FinalStage, out.ErrorCode, out.Error, out.IntuneStatus)
			}
			if ev, _ := find(out, EventError, c.text); ev.Stage != c.stage {
				t.Errorf("the error shows at %q, want %s", ev.Stage, c.stage)
			}
			if slices.Contains(w.cloud.calls, "ReportRestore") {
				t.Error("a status was reported")
			}
		})
	}
}

func TestAReportThatDoesNotReachIntuneIsAWarningAtTheDesktop(t *testing.T) {
	w := newWorld(t)
	w.cloud.reportErr = &graph.Error{Method: "POST", Path: "/_oobe/restore-results", Status: 500}
	out := w.run(t)
	if out.FinalStage != StageDesktop || out.Reported || out.IntuneStatus != backup.StatusSucceeded || out.ErrorCode != "HTTP 500" {
		t.Fatalf("final %s, reported %v, status %q, code %q", out.FinalStage, out.Reported, out.IntuneStatus, out.ErrorCode)
	}
	if _, ok := find(out, EventWarning, "did not reach Intune"); !ok {
		t.Error("no warning")
	}
}

func TestAnExpiredTokenMidFlowIsNotedOnceAndTheRunGoesOn(t *testing.T) {
	w := newWorld(t)
	w.signIn.lifetime = 2 * time.Minute // expires during Device preparation
	out := w.run(t)
	if out.FinalStage != StageDesktop || out.IntuneStatus != backup.StatusSucceeded {
		t.Fatalf("final %s, status %q", out.FinalStage, out.IntuneStatus)
	}
	n := 0
	for _, e := range out.Transcript {
		if strings.Contains(e.Text, "the client refreshes it") {
			n++
			if e.Stage != StageEligibility {
				t.Errorf("noted at %s, want at the first cloud call after expiry", e.Stage)
			}
		}
	}
	if n != 1 {
		t.Errorf("noted %d times, want once", n)
	}
}

func TestCancellationEndsTheRunPromptlyWithTheContextsError(t *testing.T) {
	for _, at := range []string{"Region", "RestoreChoice", "ESPFailure"} {
		t.Run("at "+at, func(t *testing.T) {
			w := newWorld(t)
			w.cfg.Faults.ESPTimeout = at == "ESPFailure"
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			w.person.cancelAt, w.person.cancel = at, cancel
			out, err := Run(ctx, w.cfg)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Run = %v, want context.Canceled", err)
			}
			if out == nil || out.FinalStage == StageDesktop || out.FinalStage == StageFailed {
				t.Fatalf("outcome %+v, want the stage it stopped at", out)
			}
			before := w.clock.Now()
			if len(w.cloud.reported) != 0 || len(w.device.applied) != 0 {
				t.Error("a cancelled run restored or reported")
			}
			if !w.clock.Now().Equal(before) {
				t.Error("time moved after the run returned")
			}
		})
	}
	t.Run("while the ESP is working", func(t *testing.T) {
		w := newWorld(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		w.cfg.Observe = func(e Event) {
			if s, ok := e.Detail.(ESPStatus); ok && s.Phase == PhaseDeviceSetup && s.Item == itemApps && s.Status == ESPInProgress {
				cancel()
			}
		}
		out, err := Run(ctx, w.cfg)
		if !errors.Is(err, context.Canceled) || out.FinalStage != StageESP {
			t.Fatalf("Run = %v at %s, want cancelled in the ESP", err, out.FinalStage)
		}
		if out.ESP[1].Items[3].Status != ESPInProgress {
			t.Errorf("Apps = %s, want left In progress", out.ESP[1].Items[3].Status)
		}
	})
}

func TestTwoRunsOfTheSameInputsGiveByteIdenticalOutcomes(t *testing.T) {
	for _, f := range []Faults{{}, {ESPAppInstallFailure: true}, {NetworkLostAt: StageEligibility}, {RestoreApplyFailure: true}} {
		var got []string
		for range 2 {
			w := newWorld(t)
			w.cfg.Faults = f
			w.device.profile.InstallQualityUpdates = true
			w.person.esp = []ESPChoice{ESPContinueAnyway}
			got = append(got, mustJSON(t, w.run(t)))
		}
		if got[0] != got[1] {
			t.Errorf("%+v: two runs differ:\n%s\n%s", f, got[0], got[1])
		}
	}
}

func TestAPersonWhoAnswersWithSomethingNotOfferedStopsTheRun(t *testing.T) {
	cases := []struct {
		name   string
		change func(*fakePerson)
		stage  Stage
	}{
		{"an unknown region", func(p *fakePerson) { p.region = "Atlantis" }, StageRegion},
		{"an unknown network", func(p *fakePerson) { p.network = "NOPE" }, StageNetwork},
		{"an unknown sign-in method", func(p *fakePerson) { p.method = "smartcard" }, StageSignIn},
		{"a previous PC not listed", func(p *fakePerson) { p.restore = "not-listed" }, StageRestorePage},
		{"a Person error", func(p *fakePerson) { p.failAt = "Keyboard" }, StageKeyboard},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			c.change(w.person)
			out, err := Run(context.Background(), w.cfg)
			if err == nil || out.FinalStage != c.stage || !strings.Contains(out.Error, "interrupted") {
				t.Fatalf("Run = %v, final %s, error %q", err, out.FinalStage, out.Error)
			}
		})
	}
}

func TestASecuredNetworkWithoutAPassphraseFailsAfterThreeTries(t *testing.T) {
	w := newWorld(t)
	w.person.network = "CONTOSO-GUEST"
	out := w.run(t)
	if out.FinalStage != StageFailed || out.ErrorCode != CodeNetworkUnavailable {
		t.Fatalf("final %s, code %q", out.FinalStage, out.ErrorCode)
	}
	n := 0
	for _, e := range out.Transcript {
		if e.Text == "Can't connect to this network" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d retries shown, want 2 before the third try fails", n)
	}
}

func TestRunRefusesAConfigItCannotRun(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"no clock", func(c *Config) { c.Clock = nil }, "Clock"},
		{"no person", func(c *Config) { c.Person = nil }, "Person"},
		{"no tenant name", func(c *Config) { c.Branding.TenantName = "" }, "TenantName"},
		{"an unknown enrollment error", func(c *Config) { c.Faults.EnrollmentError = "0x12345678" }, "0x12345678"},
		{"the network lost before there is one", func(c *Config) { c.Faults.NetworkLostAt = StageRegion }, "NetworkLostAt"},
		{"an unknown stage", func(c *Config) { c.Faults.NetworkLostAt = "lunch" }, "NetworkLostAt"},
		{"two faults on the same ESP row", func(c *Config) { c.Faults.ESPTimeout, c.Faults.ESPAppInstallFailure = true, true }, "set one"},
		{"a lower-case macro", func(c *Config) { c.Branding.DeviceNameTemplate = "CONTOSO-%serial%" }, "%serial%"},
		{"a repeated region", func(c *Config) { c.Regions = []string{"Germany", "Germany"} }, "Regions[1]"},
		{"a negative timeout", func(c *Config) { c.ESPTimeout = -time.Minute }, "ESPTimeout"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			c.change(&w.cfg)
			out, err := Run(context.Background(), w.cfg)
			if err == nil || out != nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Run = %v, %v; want an error naming %s", out, err, c.want)
			}
		})
	}
}

func TestTransitionsOnlyGoForwardAndSkipOnlyOptionalStages(t *testing.T) {
	cases := []struct {
		from, to Stage
		ok       bool
	}{
		{StageRegion, StageKeyboard, true},
		{StageEligibility, StageESP, true},
		{StageESP, StageDesktop, true},
		{StageQualityUpdates, StageDesktop, true},
		{StageKeyboard, StageNetwork, false},
		{StageESP, StageEligibility, false},
		{StageSignIn, StageEligibility, false},
		{StageDesktop, StageFailed, false},
	}
	for _, c := range cases {
		if got := legal(c.from, c.to); got != c.ok {
			t.Errorf("legal(%s, %s) = %v, want %v", c.from, c.to, got, c.ok)
		}
	}
	for _, s := range Stages() {
		if handlers[s] == nil {
			t.Errorf("stage %s has no handler", s)
		}
		if s.Title() == string(s) {
			t.Errorf("stage %s has no title", s)
		}
	}
}

func TestTheScreensOfferConfigsListsAndRecordTheAnswers(t *testing.T) {
	w := newWorld(t)
	w.cfg.Regions = []string{"Germany", "Austria"}
	w.cfg.Keyboards = []string{"German", "US"}
	w.cfg.Networks = []Network{{Name: "CAFE", Security: backup.WiFiOpen}}
	w.person.region, w.person.keyboard, w.person.second, w.person.network = "Austria", "German", "US", "CAFE"
	out := w.run(t)
	if out.FinalStage != StageDesktop {
		t.Fatalf("final %s: %s", out.FinalStage, out.Error)
	}
	for _, want := range []string{"Region: Austria", "Keyboard layout: German", "Second keyboard layout: Add layout US", "Network: CAFE (Wi-Fi, open)"} {
		if _, ok := find(out, EventChoice, want); !ok {
			t.Errorf("no choice %q", want)
		}
	}
	if d, ok := out.Transcript[0].Detail.([]string); !ok || !slices.Equal(d, w.cfg.Regions) {
		t.Errorf("the region screen offered %v, want Config.Regions", out.Transcript[0].Detail)
	}
}

func TestBackReturnsToThePreviousScreenWhereWindowsHasABackButton(t *testing.T) {
	w := newWorld(t)
	w.person.backs = map[string]int{"Keyboard": 1, "Network": 1, "SecondKeyboard": 1}
	out := w.run(t)
	var got []Stage
	for _, e := range out.Transcript {
		if e.Kind == EventEnter && e.Stage != StageUpdateCheck && slices.Index(Stages(), e.Stage) <= slices.Index(Stages(), StageNetwork) {
			got = append(got, e.Stage)
		}
	}
	want := []Stage{StageRegion, StageKeyboard, StageRegion, StageKeyboard, StageSecondKeyboard, StageKeyboard,
		StageSecondKeyboard, StageNetwork, StageSecondKeyboard, StageNetwork}
	if !slices.Equal(got, want) {
		t.Fatalf("screens entered = %v, want %v", got, want)
	}
	if out.FinalStage != StageDesktop {
		t.Fatalf("final stage %s after going back, want desktop", out.FinalStage)
	}
}

func TestBackFromTheFirstScreenEndsTheRun(t *testing.T) {
	w := newWorld(t)
	w.person.backs = map[string]int{"Region": 1}
	out, err := Run(context.Background(), w.cfg)
	if !errors.Is(err, ErrBack) || out.FinalStage != StageRegion {
		t.Fatalf("Back on the region screen: err %v, final %v; want ErrBack at region", err, out.FinalStage)
	}
}

func TestTheRestoreReportsItsProgressOneCategoryAtATime(t *testing.T) {
	w := newWorld(t)
	out := w.run(t)
	var steps []RestoreProgress
	var first, last time.Time
	for _, e := range out.Transcript {
		if e.Kind == EventProgress {
			steps = append(steps, e.Detail.(RestoreProgress))
			if first.IsZero() {
				first = e.At
			}
			last = e.At
		}
	}
	if len(steps) < 2 || out.Report == nil {
		t.Fatalf("progress events %v, report %v; want one per category of a restored backup", steps, out.Report)
	}
	done, sum := 0, 0
	for _, p := range steps {
		if p.Done <= done || p.Total != len(out.Report.Items) {
			t.Errorf("progress %+v after %d done: want a growing count out of %d", p, done, len(out.Report.Items))
		}
		if p.Counts != out.Report.ByCategory[p.Category] {
			t.Errorf("progress of %s counts %+v, report has %+v", p.Category, p.Counts, out.Report.ByCategory[p.Category])
		}
		done, sum = p.Done, sum+p.Counts.Total()
	}
	if done != len(out.Report.Items) || sum != done {
		t.Errorf("progress ends at %d (categories sum to %d), want all %d items", done, sum, len(out.Report.Items))
	}
	if !last.After(first) {
		t.Errorf("progress events all at %v: the restore should take its time", first)
	}
}
