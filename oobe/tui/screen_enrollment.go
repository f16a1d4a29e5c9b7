package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/oobe-dev/oobe/oobe"
)

// enrollmentScreen is the Entra join and Intune enrollment, which Windows shows as the
// Enrollment Status Page's Device preparation phase: its rows, with the two later phases
// waiting below.
type enrollmentScreen struct {
	c *Common
}

func newEnrollmentScreen(c *Common) screen { return &enrollmentScreen{c: c} }

// update has nothing to do: the status events land in c.Flow.ESP, which view reads.
func (e *enrollmentScreen) update(tea.Msg) tea.Cmd { return nil }

func (e *enrollmentScreen) view() string {
	c, s := e.c, e.c.Styles
	w := c.Width
	elapsed := ""
	if !c.Flow.ESPStarted.IsZero() {
		elapsed = elapsedText(c.Clock.Now().Sub(c.Flow.ESPStarted)) + " elapsed"
	}
	head := []string{
		titleWithNote(s, oobe.StageEnrollment.Title(), elapsed, w),
		wrapTo(s.Subtitle, "Setting up your device for work. Keep it on and connected; this might take several minutes.", w),
		"",
	}
	phases := c.Flow.ESP
	if len(phases) == 0 {
		phases = oobe.NewESP()
	}
	lines, focus := espLines(s, phases, func(i int) bool { return i == 0 }, w)
	top := strings.Join(head, "\n")
	rest := max(c.Height-lineCount(top), 1)
	return top + "\n" + strings.Join(windowAround(lines, focus, rest), "\n")
}

func (e *enrollmentScreen) help() []key.Binding       { return nil }
func (e *enrollmentScreen) fullHelp() [][]key.Binding { return nil }

// lineCount is the number of lines of a drawn block.
func lineCount(s string) int { return strings.Count(s, "\n") + 1 }
