package oobe

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/restore"
	"github.com/oobe-dev/oobe/restore/apply"
	"github.com/oobe-dev/oobe/restore/profile"
)

// runUntil runs w's flow and cancels it when it enters stop ("" runs it to the end).
func runUntil(t *testing.T, w *world, stop Stage) *Outcome {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	observe := w.cfg.Observe
	w.cfg.Observe = func(e Event) {
		observe(e)
		if stop != "" && e.Kind == EventEnter && e.Stage == stop {
			cancel()
		}
	}
	out, err := Run(ctx, w.cfg)
	if stop == "" && err != nil {
		t.Fatalf("Run: %v", err)
	}
	if stop != "" && !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want it cancelled at %s", err, stop)
	}
	return out
}

func textOf(s Summary) string { return strings.Join(s.Text(), "\n") }

func TestASummaryOfAFinishedRestore(t *testing.T) {
	w := newWorld(t)
	s := Summarize(runUntil(t, w, ""))
	r := s.Restore
	if s.Result != ResultFinished || r.Page != PageShown || r.Choice != ChoiceRestore || r.From != "ADELE-LAPTOP" || r.Outcome != RestoreDone || r.Counts == nil {
		t.Fatalf("summary %+v, restore %+v", s, r)
	}
	if s.Intune == nil || s.Intune.Status != backup.StatusSucceeded || !s.Intune.Reported || len(s.ContinuedPast) != 0 {
		t.Errorf("intune %+v, continued past %+v", s.Intune, s.ContinuedPast)
	}
	text := textOf(s)
	for _, want := range []string{"Setup finished at the desktop.", "restored from ADELE-LAPTOP", "Succeeded (reported to Intune)"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	// Every item the report did not restore is listed, under Skipped or Failed by its outcome.
	for _, it := range r.Items {
		if !strings.Contains(text, apply.ItemLabel(it)+": "+it.Reason) {
			t.Errorf("text lacks the item %s:\n%s", it.Name, text)
		}
	}
	if strings.Contains(text, "Failed:") && r.Counts.Failed == 0 {
		t.Errorf("a Failed heading with no failed item:\n%s", text)
	}
}

func TestASummaryTellsOnlyWhatHappenedBeforeAnInterruption(t *testing.T) {
	cases := []struct {
		stop    Stage
		choice  string
		outcome string
		says    string
	}{
		{"", "", "", "setup stopped before a choice was made"}, // the person quits on the restore page
		{StageESP, ChoiceRestore, RestoreNotRun, "you chose ADELE-LAPTOP, but setup stopped before the restore: nothing was restored"},
	}
	for _, c := range cases {
		t.Run(string(c.stop), func(t *testing.T) {
			w := newWorld(t)
			var out *Outcome
			if c.stop == "" {
				ctx, cancel := context.WithCancel(context.Background())
				w.person.cancelAt, w.person.cancel = "RestoreChoice", cancel
				out, _ = Run(ctx, w.cfg)
			} else {
				out = runUntil(t, w, c.stop)
			}
			s := Summarize(out)
			if s.Result != ResultInterrupted || s.Restore.Choice != c.choice || s.Restore.Outcome != c.outcome {
				t.Fatalf("result %s, restore %+v", s.Result, s.Restore)
			}
			text := textOf(s)
			if !strings.Contains(text, c.says) || strings.Contains(text, "interrupted: ") || strings.Contains(text, "context canceled") {
				t.Errorf("text:\n%s\nwant it to say %q in a person's words", text, c.says)
			}
			if c.outcome != RestoreDone && strings.Contains(text, "restored from") {
				t.Errorf("text claims a restore:\n%s", text)
			}
		})
	}
}

func TestARestoreCommittedBeforeAnInterruptionIsToldAsRestored(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	observe := w.cfg.Observe
	w.cfg.Observe = func(e Event) {
		observe(e)
		if e.Kind == EventProgress { // the device has committed the restore; its progress plays
			cancel()
		}
	}
	out, _ := Run(ctx, w.cfg)
	if len(w.device.applied) != 1 {
		t.Fatalf("applied %d times", len(w.device.applied))
	}
	if s := Summarize(out); s.Restore.Outcome != RestoreDone || out.Report == nil {
		t.Fatalf("restore %+v, report %v: the device was restored, the summary must say so", s.Restore, out.Report)
	}
}

func TestASummaryListsTheErrorsSetupGotPastAndTheOneThatEndedIt(t *testing.T) {
	w := newWorld(t)
	w.cfg.Faults.ESPAppInstallFailure = true
	w.person.esp = []ESPChoice{ESPContinueAnyway}
	s := Summarize(runUntil(t, w, ""))
	if s.Result != ResultFinished || len(s.ContinuedPast) != 1 || s.ContinuedPast[0].Code != CodeESPAppInstall || s.ContinuedPast[0].Explanation == nil {
		t.Fatalf("result %s, continued past %+v", s.Result, s.ContinuedPast)
	}
	if text := textOf(s); !strings.Contains(text, "Got past:") || !strings.Contains(text, CodeESPAppInstall) {
		t.Errorf("text does not say what setup got past:\n%s", text)
	}

	w = newWorld(t)
	w.cfg.Faults.ESPTimeout = true
	w.person.esp = []ESPChoice{ESPResetDevice}
	s = Summarize(runUntil(t, w, ""))
	if s.Result != ResultFailed || s.Error == nil || s.Error.Code != CodeESPTimeout || len(s.ContinuedPast) != 0 {
		t.Fatalf("result %s, error %+v, continued past %+v", s.Result, s.Error, s.ContinuedPast)
	}
	head := s.Text()[0]
	if strings.Count(strings.ToLower(head), strings.ToLower(CodeESPTimeout)) != 1 || strings.Contains(head, "restored from") {
		t.Errorf("headline %q: want the code once, and no restore", head)
	}
	if !slices.ContainsFunc(s.Text(), func(l string) bool { return strings.Contains(l, "What to do:") }) {
		t.Errorf("a failure without what to do:\n%s", textOf(s))
	}
	// The person chose Reset device: what to do no longer offers the failure's buttons.
	if text := textOf(s); strings.Contains(text, "Continue anyway") {
		t.Errorf("after Reset device the summary still advises the choice:\n%s", text)
	}
}

func TestAutopilotDevicePreparationHasNoEnrollmentStatusPage(t *testing.T) {
	w := newWorld(t)
	p := eligibleDevice()
	p.Provisioning, p.InstallQualityUpdates = profile.ProvisioningDevicePreparation, true
	w.device.profile = p
	out := runUntil(t, w, "")
	if out.FinalStage != StageDesktop || slices.Contains(entered(out), StageESP) || slices.Contains(entered(out), StageQualityUpdates) || out.RestorePage {
		t.Fatalf("final %s, entered %v, restore page %v: want the desktop without the ESP, quality updates or a restore page", out.FinalStage, entered(out), out.RestorePage)
	}
	if got := reasonIDs(out.Eligibility.Reasons); !slices.Equal(got, []string{restore.ReasonProvisioningUnsupported}) {
		t.Errorf("reasons %v", got)
	}
}
