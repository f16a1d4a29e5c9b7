package tui

import (
	"image/color"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

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
