package tui

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/replay"
	"github.com/oobe-dev/oobe/restore/profile"
)

// The first sign-in's screens are tested on real runs too, of this package's own scenarios
// (testdata/scenarios): a hybrid-joined PC that setup cannot restore, with the device policy
// Enable Windows Restore on (offered at first sign-in) or off (not offered). The tests turn
// the first sign-in on and make its choice themselves.

var firstSignInRuns sync.Map // name + choice → *oobe.Outcome

// firstSignInPerson is the scenario's person, choosing the previous PC named choose at the
// first sign-in ("" for Set up as new PC).
type firstSignInPerson struct {
	oobe.Person
	choose string
}

func (p firstSignInPerson) FirstSignInRestoreChoice(_ context.Context, profiles []profile.BackupProfile) (string, error) {
	for _, pr := range profiles {
		if pr.DeviceName == p.choose {
			return pr.WindowsDeviceID, nil
		}
	}
	return "", nil
}

// firstSignInDrive plays testdata/scenarios/<name>.yaml on to the first sign-in with drive.
func firstSignInDrive(t *testing.T, name, choose string, drive func(ctx context.Context, d *replay.Drive) (*oobe.Outcome, error)) *oobe.Outcome {
	t.Helper()
	scs, err := replay.Load(filepath.Join("testdata", "scenarios", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out *oobe.Outcome
	rep := replay.Run(context.Background(), scs[0], replay.Options{Parallel: 1, WorkDir: t.TempDir(),
		Drive: func(ctx context.Context, d *replay.Drive) (*oobe.Outcome, error) {
			d.Config.FirstSignIn = true
			d.Config.Person = firstSignInPerson{Person: d.Config.Person, choose: choose}
			o, err := drive(ctx, d)
			out = o
			return o, err
		}})
	if !rep.Passed || out == nil {
		t.Fatalf("scenario %s: %+v", name, rep.Failures)
	}
	return out
}

// firstSignInOutcome is the outcome of the flow alone, as the later screens' tests use it.
func firstSignInOutcome(t *testing.T, name, choose string) *oobe.Outcome {
	t.Helper()
	key := name + "\x00" + choose
	if o, ok := firstSignInRuns.Load(key); ok {
		return o.(*oobe.Outcome)
	}
	out := firstSignInDrive(t, name, choose, func(ctx context.Context, d *replay.Drive) (*oobe.Outcome, error) {
		return oobe.Run(ctx, d.Config)
	})
	if out.FirstSignIn == nil {
		t.Fatalf("scenario %s never reached the first sign-in", name)
	}
	firstSignInRuns.Store(key, out)
	return out
}

// firstSignInPage is a run at the first sign-in's restore page, asked to choose.
func firstSignInPage(t *testing.T) (*Model, *Ask, *oobe.Outcome) {
	t.Helper()
	out := firstSignInOutcome(t, "hybrid-pc-first-sign-in", "ADELE-SURFACE")
	m, clk := testModel(t)
	laterPlay(t, m, clk, out, func(e oobe.Event) bool {
		return e.Stage == oobe.StageFirstSignInRestorePage && strings.HasSuffix(e.Text, "previous PCs offered, and Set up as new PC")
	})
	a := newAsk(Ask{Stage: oobe.StageFirstSignInRestorePage, Profiles: slices.Clone(out.FirstSignIn.Backups)})
	send(m, askMsg{ask: a})
	return m, a, out
}

// firstSignInDone plays a whole run and ends it.
func firstSignInDone(t *testing.T, name, choose string) *Model {
	t.Helper()
	out := firstSignInOutcome(t, name, choose)
	m, clk := testModel(t)
	laterPlay(t, m, clk, out, nil)
	send(m, doneMsg{outcome: out})
	return m
}

func TestFirstSignInScreensLookRight(t *testing.T) {
	offered, notOffered := "hybrid-pc-first-sign-in", "hybrid-pc-restore-policy-off"
	cases := []struct {
		name  string
		model func(t *testing.T) *Model
	}{
		{"checking", func(t *testing.T) *Model {
			m, clk := testModel(t)
			laterPlay(t, m, clk, firstSignInOutcome(t, offered, "ADELE-SURFACE"), func(e oobe.Event) bool {
				return e.Stage == oobe.StageFirstSignIn && strings.Contains(e.Text, "previous PCs with a backup")
			})
			return m
		}},
		{"offered", func(t *testing.T) *Model {
			m, clk := testModel(t)
			laterPlay(t, m, clk, firstSignInOutcome(t, offered, "ADELE-SURFACE"), laterText("The restore page will show at first sign-in"))
			return m
		}},
		{"not-offered", func(t *testing.T) *Model {
			m, clk := testModel(t)
			laterPlay(t, m, clk, firstSignInOutcome(t, notOffered, ""), laterText("The restore page will not show at first sign-in"))
			return m
		}},
		{"restore-list", func(t *testing.T) *Model {
			m, _, _ := firstSignInPage(t)
			return m
		}},
		{"restore-confirm", func(t *testing.T) *Model {
			m, _, _ := firstSignInPage(t)
			send(m, press("enter"))
			return m
		}},
		{"restore-new-pc", func(t *testing.T) *Model {
			m, _, _ := firstSignInPage(t)
			send(m, press("down"), press("down"), press("down"), press("ctrl+d"))
			return m
		}},
		{"restore-apply", func(t *testing.T) *Model {
			m, clk := testModel(t)
			laterPlay(t, m, clk, firstSignInOutcome(t, offered, "ADELE-SURFACE"), func(e oobe.Event) bool {
				return e.Stage == oobe.StageFirstSignInRestore && e.Kind == oobe.EventProgress
			})
			clk.Advance(3 * time.Second)
			return m
		}},
		{"desktop-restored", func(t *testing.T) *Model { return firstSignInDone(t, offered, "ADELE-SURFACE") }},
		{"desktop-new-pc", func(t *testing.T) *Model { return firstSignInDone(t, offered, "") }},
		{"desktop-not-offered", func(t *testing.T) *Model {
			m := firstSignInDone(t, notOffered, "")
			send(m, press("enter")) // the explanation stays up until Enter
			return m
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, "first-sign-in-"+tc.name, tc.model(t))
		})
	}
}

func TestTheFirstSignInRestorePageAnswersThePilotsKeys(t *testing.T) {
	_, _, out := firstSignInPage(t)
	choices := []string{""}
	for _, p := range out.FirstSignIn.Backups {
		choices = append(choices, p.WindowsDeviceID)
	}
	for _, want := range choices {
		m, a, _ := firstSignInPage(t)
		// Setup's choice is not the one asked: the pilot answers from the first sign-in's.
		got := pilotAnswers(t, m, a, laterPerson{restore: "not-this-one", firstSignIn: want})
		if len(got) != 1 || got[0].Text != want || got[0].Back {
			t.Errorf("choosing %q: answers %+v", want, got)
		}
	}
}

func TestTheRestorePageAtSetupIgnoresTheFirstSignInsQuestion(t *testing.T) {
	m, _, out := firstSignInPage(t)
	setup := m.screens[oobe.StageRestorePage].(*restorePageScreen)
	if setup.ask != nil {
		t.Fatalf("setup's restore page took the first sign-in's question")
	}
	if s := screenText(m); !strings.Contains(s, "first sign-in since setup") || !strings.Contains(s, out.FirstSignIn.Backups[0].DeviceName) {
		t.Fatalf("the first sign-in's page is not up:\n%s", s)
	}
}

func TestTheFirstSignInsStepsAreCountedApartFromSetups(t *testing.T) {
	cases := []struct {
		stage oobe.Stage
		want  string
	}{
		{oobe.StageRegion, "step 1 of 11"},
		{oobe.StageDesktop, "step 11 of 11"},
		{oobe.StageFirstSignIn, "first sign-in · step 1 of 2"},
		{oobe.StageFirstSignInRestore, "first sign-in · step 2 of 2"},
	}
	for _, tc := range cases {
		m, _ := testModel(t)
		m.active = tc.stage
		if got := ansi.Strip(m.header()); !strings.HasSuffix(strings.TrimRight(got, " "), tc.want) {
			t.Errorf("at %s the header is %q, want it to end %q", tc.stage, got, tc.want)
		}
	}
}

func TestWhyTheFirstSignInOfferedNoRestoreStaysUntilEnter(t *testing.T) {
	out := firstSignInOutcome(t, "hybrid-pc-restore-policy-off", "")
	m, clk := testModel(t)
	laterPlay(t, m, clk, out, nil)
	send(m, doneMsg{outcome: out})
	if m.active != oobe.StageFirstSignIn {
		t.Fatalf("at the run's end the active screen is %s, want the first sign-in's explanation", m.active)
	}
	if s := screenText(m); !strings.Contains(s, "What to do: Turn on the device policy Enable Windows Restore") {
		t.Errorf("the explanation lacks the policy's fix:\n%s", s)
	}
	send(m, press("enter"))
	if m.active != oobe.StageDesktop {
		t.Fatalf("after Enter the active screen is %s, want the desktop", m.active)
	}
	if s := screenText(m); !strings.Contains(s, "Windows did not offer to restore a previous PC") || !strings.Contains(s, "[restorePolicyOff]") {
		t.Errorf("the desktop does not say why the first sign-in offered no restore:\n%s", s)
	}
}

// TestAFirstSignInRunIsDrawnHeadlessWithAPilot plays the terminal UI itself, headless, with a
// pilot pressing the keys, and looks at the frames it draws.
func TestAFirstSignInRunIsDrawnHeadlessWithAPilot(t *testing.T) {
	cases := []struct {
		name, choose string
		want         []string // in the frames, in order
	}{
		{"restored from a previous PC", "ADELE-SURFACE", []string{
			"This PC can't restore from a previous PC during setup",
			"Signing in for the first time since setup…",
			"Windows offers to restore your settings and apps from a previous PC",
			"first sign-in since setup",
			"Restore from ADELE-SURFACE?",
			"┃  Continue  ┃",
			"Your first sign-in since setup. Restoring from ADELE-SURFACE",
			"At your first sign-in after setup",
			"you restored from ADELE-SURFACE",
		}},
		{"set up as new", "", []string{
			"first sign-in since setup",
			"Keep this PC as setup left it: nothing is restored",
			"you chose Set up as new PC: nothing was restored",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var frames []string
			out := firstSignInDrive(t, "hybrid-pc-first-sign-in", tc.choose, func(ctx context.Context, d *replay.Drive) (*oobe.Outcome, error) {
				return Run(ctx, d.Config, Options{Headless: true, Width: 100, Height: 30, Simulated: true, NoColor: true,
					Pilot: &Pilot{Person: d.Config.Person}, Actions: Actions{Approve: d.Approve},
					OnFrame: func(_ time.Time, s string) { frames = append(frames, ansi.Strip(s)) }})
			})
			if out.FinalStage != oobe.StageDesktop || out.FirstSignIn == nil || !out.FirstSignIn.RestorePage {
				t.Fatalf("final %s, first sign-in %+v; want the desktop after the first sign-in's page", out.FinalStage, out.FirstSignIn)
			}
			i := 0
			for _, f := range frames {
				for i < len(tc.want) && strings.Contains(f, tc.want[i]) {
					i++
				}
			}
			if i < len(tc.want) {
				t.Errorf("no frame shows %q after the ones before it; the last frame:\n%s", tc.want[i], frames[len(frames)-1])
			}
			if last := frames[len(frames)-1]; !strings.Contains(last, "At your first sign-in after setup") {
				t.Errorf("the last frame is not the desktop's summary:\n%s", last)
			}
		})
	}
}
