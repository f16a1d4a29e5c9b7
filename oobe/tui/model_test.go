package tui

import (
	"image/color"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/charmbracelet/x/ansi"
	"github.com/oobe-dev/oobe/oobe"
)

func TestASmallWindowAsksToBeMadeLarger(t *testing.T) {
	m, _ := testModel(t)
	for _, sz := range [][2]int{{79, 24}, {80, 23}, {40, 10}, {1, 1}} {
		m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		got := screenText(m)
		if !strings.Contains(got, "Make the window larger") && sz[0] >= 24 {
			t.Errorf("at %dx%d the screen does not ask for a larger window:\n%s", sz[0], sz[1], got)
		}
		checkFits(t, got, sz[0], sz[1])
	}
	m.Update(tea.WindowSizeMsg{Width: 0, Height: 0})
	if got := m.Render(); got != "" {
		t.Errorf("a 0x0 window draws %q", got)
	}
}

func TestCtrlCWhileARestoreIsAppliedAsksBeforeQuitting(t *testing.T) {
	for _, st := range []oobe.Stage{oobe.StageRestoreApply, oobe.StageFirstSignInRestore} {
		t.Run(string(st), func(t *testing.T) { ctrlCAsksBeforeQuitting(t, st) })
	}
}

func ctrlCAsksBeforeQuitting(t *testing.T, st oobe.Stage) {
	m, clk := testModel(t)
	send(m, enter(clk, st, nil))
	if cmds := send(m, press("ctrl+c")); len(cmds) != 0 || m.Interrupted {
		t.Fatalf("Ctrl+C during the restore quit at once")
	}
	if got := screenText(m); !strings.Contains(got, "Quit while your settings are being restored?") {
		t.Fatalf("no confirmation on screen:\n%s", got)
	}
	send(m, press("n"))
	if strings.Contains(screenText(m), "Quit while") || m.Interrupted {
		t.Fatal("n did not take the confirmation away")
	}
	send(m, press("ctrl+c"))
	cmds := send(m, press("y"))
	if !m.Interrupted || len(cmds) != 1 {
		t.Fatalf("y did not quit: interrupted %v, %d commands", m.Interrupted, len(cmds))
	}
	if _, ok := cmds[0]().(tea.QuitMsg); !ok {
		t.Fatal("y's command is not tea.Quit")
	}
}

func TestCtrlCElsewhereQuitsAtOnce(t *testing.T) {
	m, clk := testModel(t)
	send(m, enter(clk, oobe.StageRegion, nil))
	cmds := send(m, press("ctrl+c"))
	if !m.Interrupted || len(cmds) != 1 {
		t.Fatalf("Ctrl+C on the region screen: interrupted %v, %d commands", m.Interrupted, len(cmds))
	}
	if _, ok := cmds[0]().(tea.QuitMsg); !ok {
		t.Fatal("Ctrl+C's command is not tea.Quit")
	}
}

func TestALightBackgroundRedrawsInLightColoursWithTheSameText(t *testing.T) {
	m, clk := testModel(t)
	send(m, enter(clk, oobe.StageRegion, nil), askMsg{ask: newAsk(Ask{Stage: oobe.StageRegion, Options: []string{"United States", "Canada"}})})
	dark, darkText := m.Render(), screenText(m)
	send(m, tea.BackgroundColorMsg{Color: color.White})
	if m.c.Styles.Dark {
		t.Fatal("a white background left the dark styles on")
	}
	if light := m.Render(); light == dark {
		t.Error("the light styles draw the same colours as the dark ones")
	}
	if got := screenText(m); got != darkText {
		t.Errorf("the text changed with the background:\n%s\n---\n%s", got, darkText)
	}
}

func TestTheStepCounterNeverSkipsAStep(t *testing.T) {
	prev := map[bool]int{}
	for _, st := range oobe.Stages() {
		i, n := stageIndex(st)
		if i < 1 || i > n {
			t.Fatalf("%s is step %d of %d", st, i, n)
		}
		if d := i - prev[st.AfterDesktop()]; d != 0 && d != 1 {
			t.Errorf("%s is step %d, after step %d: the count skips", st, i, prev[st.AfterDesktop()])
		}
		prev[st.AfterDesktop()] = i
	}
	// Enrollment, then the restore page after its check: 8, 9 (it said 8, then 10).
	if e, _ := stageIndex(oobe.StageEnrollment); e != 8 {
		t.Errorf("enrollment is step %d", e)
	}
	if r, _ := stageIndex(oobe.StageRestorePage); r != 9 {
		t.Errorf("the restore page is step %d, want 9", r)
	}
}

func TestTheHeaderSaysTheSimulatedDateWhenItIsNotToday(t *testing.T) {
	for _, tc := range []struct {
		name     string
		today    time.Time
		animate  bool
		wantNote bool
	}{
		{"a live run on another day than the scenario's", time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC), true, true},
		{"a live run on today's date", time.Date(2026, 11, 21, 23, 0, 0, 0, time.UTC), true, false},
		{"a replay, whatever the day", time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC), false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := testModel(t)
			m.c.Simulated, m.animate = true, tc.animate
			m.started = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
			m.today = func() time.Time { return tc.today }
			got := ansi.Strip(m.header())
			if has := strings.Contains(got, "simulated date: 21 November 2026"); has != tc.wantNote {
				t.Errorf("header %q: simulated date shown %v, want %v", got, has, tc.wantNote)
			}
		})
	}
}
