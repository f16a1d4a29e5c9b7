package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
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
