package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/oobe-dev/oobe/internal/when"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/restore/apply"
	"github.com/oobe-dev/oobe/restore/profile"
)

// Render helpers shared by the screens from enrollment to the desktop.

// nOf is "1 day", "3 days".
func nOf(n int, noun string) string { return when.Count(n, noun) }

// backupDate is a date as the restore page shows it, in UTC as every screen: "18 November 2026".
func backupDate(t time.Time) string { return when.Date(t) }

// windowsRelease names a full Windows version: "Windows 11 24H2 (10.0.26100.4946)"; a version it
// cannot read is shown as it is.
func windowsRelease(version string) string {
	v, err := profile.ParseVersion(version)
	if err != nil {
		if version == "" {
			return "unknown Windows version"
		}
		return version
	}
	return fmt.Sprintf("%s (%s)", v.Release(), version)
}

// elapsedText is an elapsed time as a stopwatch shows it: "4:05", "1:02:05".
func elapsedText(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int(d / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// enteredAt is when the flow last entered st, from the transcript; zero if it has not.
func enteredAt(f *FlowState, st oobe.Stage) time.Time {
	for i := len(f.Transcript) - 1; i >= 0; i-- {
		if e := f.Transcript[i]; e.Stage == st && e.Kind == oobe.EventEnter {
			return e.At
		}
	}
	return time.Time{}
}

// titleWithNote is a screen's title with a note (an elapsed time) at the right edge of width.
func titleWithNote(s *Styles, title, right string, width int) string {
	t := s.Title.Render(title)
	if right == "" {
		return t
	}
	r := s.Subtle.Render(right)
	gap := width - lipgloss.Width(t) - lipgloss.Width(r)
	if gap < 2 {
		return t + "\n" + r
	}
	return t + strings.Repeat(" ", gap) + r
}

// wrapTo breaks text into lines no wider than width, in style st, between words only: not at
// the hyphens of names like CONTOSO-4711 (lipgloss breaks at every hyphen).
func wrapTo(st lipgloss.Style, text string, width int) string {
	const nbHyphen = "\u2011" // one column wide, as "-" is
	out := st.Width(max(width, 1)).Render(strings.ReplaceAll(text, "-", nbHyphen))
	return strings.ReplaceAll(out, nbHyphen, "-")
}

// hangIndent draws prefix before text wrapped to the rest of width, its later lines indented under
// the text: a mark or label before a sentence.
func hangIndent(prefix string, st lipgloss.Style, text string, width int) string {
	w := lipgloss.Width(prefix)
	body := wrapTo(st, text, max(width-w, 8))
	lines := strings.Split(body, "\n")
	pad := strings.Repeat(" ", w)
	for i := range lines {
		if i == 0 {
			lines[i] = prefix + lines[i]
		} else {
			lines[i] = pad + lines[i]
		}
	}
	return strings.Join(lines, "\n")
}

// buttonRow draws buttons side by side with the focused one highlighted; focus -1 highlights none.
func buttonRow(s *Styles, labels []string, focus int) string {
	parts := make([]string, 0, 2*len(labels))
	for i, l := range labels {
		if i > 0 {
			parts = append(parts, " ")
		}
		st := s.Button
		if i == focus {
			st = s.ButtonFocus
		}
		parts = append(parts, st.Render(l))
	}
	return lipgloss.JoinHorizontal(lipgloss.Top, parts...)
}

// relabel is b with another description in the help footer.
func relabel(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}

// espMark is the mark and style of an ESP status.
func espMark(s *Styles, status string) (string, lipgloss.Style) {
	switch status {
	case oobe.ESPComplete:
		return "✓", s.Success
	case oobe.ESPFailed:
		return "✗", s.Danger
	case oobe.ESPInProgress:
		return "◐", s.Key
	case oobe.ESPIdentifying:
		return "◌", s.Key
	case oobe.ESPPreviousStepFailed:
		return "–", s.Warning
	}
	return "○", s.Subtle
}

// espLines draws the ESP's phases, each with its rows when expanded says so, and returns the
// index of the line to keep in view (the row failing or in progress).
func espLines(s *Styles, phases []oobe.ESPPhase, expanded func(i int) bool, width int) (lines []string, focus int) {
	nameW := 0
	for i, p := range phases {
		nameW = max(nameW, lipgloss.Width(p.Name)+2)
		if expanded(i) {
			for _, it := range p.Items {
				nameW = max(nameW, lipgloss.Width(it.Name)+6)
			}
		}
	}
	// The name column gives way to the longest status, so statuses wrap less than names.
	statusW := 0
	for i, p := range phases {
		statusW = max(statusW, lipgloss.Width(p.Status))
		if expanded(i) {
			for _, it := range p.Items {
				st := it.Status
				if it.Code != "" {
					st += " (" + it.Code + ")"
				}
				statusW = max(statusW, lipgloss.Width(st))
			}
		}
	}
	nameW = min(nameW+2, max(width-statusW, width/2))
	focus = -1
	row := func(indent, name, status, code string, bold bool) {
		mark, st := espMark(s, status)
		text := status
		if code != "" {
			text += " (" + code + ")"
		}
		label := indent + st.Render(mark) + " "
		nameStyle := s.Body
		if bold {
			nameStyle = s.Title
		}
		left := hangIndent(label, nameStyle, name, nameW-1)
		leftLines := strings.Split(left, "\n")
		for i, l := range leftLines {
			leftLines[i] = l + strings.Repeat(" ", max(nameW-lipgloss.Width(l), 0))
		}
		statusStyle := s.Subtle
		switch status {
		case oobe.ESPComplete:
			statusStyle = s.Success
		case oobe.ESPFailed:
			statusStyle = s.Danger
		case oobe.ESPInProgress, oobe.ESPIdentifying:
			statusStyle = s.Body
		}
		right := strings.Split(wrapTo(statusStyle, text, max(width-nameW, 10)), "\n")
		n := max(len(leftLines), len(right))
		if focus < 0 && (status == oobe.ESPFailed || status == oobe.ESPInProgress || status == oobe.ESPIdentifying) {
			focus = len(lines)
		}
		for i := range n {
			l, r := strings.Repeat(" ", nameW), ""
			if i < len(leftLines) {
				l = leftLines[i]
			}
			if i < len(right) {
				r = right[i]
			}
			lines = append(lines, strings.TrimRight(l+r, " "))
		}
	}
	for i, p := range phases {
		row("", p.Name, p.Status, "", true)
		if !expanded(i) {
			continue
		}
		for _, it := range p.Items {
			row("    ", it.Name, it.Status, it.Code, false)
		}
	}
	return lines, max(focus, 0)
}

// windowAround is at most h of lines, a window that keeps line focus in view.
func windowAround(lines []string, focus, h int) []string {
	if h <= 0 {
		return nil
	}
	if len(lines) <= h {
		return lines
	}
	top := min(max(focus-h/2, 0), len(lines)-h)
	return lines[top : top+h]
}

// lineScroller keeps the top line of text longer than its window; up and down move it.
type lineScroller struct{ top int }

// window is the lines of text that show in h lines, the last of them saying where the window
// is when the text does not fit.
func (sc *lineScroller) window(s *Styles, lines []string, h int) string {
	if h <= 0 {
		return ""
	}
	if len(lines) <= h {
		return strings.Join(lines, "\n")
	}
	view := max(h-1, 1)
	top := min(max(sc.top, 0), len(lines)-view)
	end := top + view
	shown := append([]string(nil), lines[top:end]...)
	var hint string
	switch {
	case top == 0:
		hint = "↓ " + nOf(len(lines)-end, "more line")
	case end >= len(lines):
		hint = "↑ " + nOf(top, "line") + " above"
	default:
		hint = fmt.Sprintf("↑↓ lines %d–%d of %d", top+1, end, len(lines))
	}
	if h > 1 {
		shown = append(shown, s.Subtle.Render(hint))
	}
	return strings.Join(shown, "\n")
}

// key scrolls for the up and down keys, within text of n lines shown in h, and reports
// whether msg was one of them.
func (sc *lineScroller) key(k KeyMap, msg tea.KeyPressMsg, n, h int) bool {
	switch {
	case key.Matches(msg, k.Up):
		sc.move(-1, n, h)
	case key.Matches(msg, k.Down):
		sc.move(1, n, h)
	default:
		return false
	}
	return true
}

// move scrolls by delta lines within text of n lines shown in h.
func (sc *lineScroller) move(delta, n, h int) {
	view := max(h-1, 1)
	sc.top = min(max(sc.top+delta, 0), max(n-view, 0))
}

// applyOutcomeTitle names an apply outcome for the person reading the summary.
func applyOutcomeTitle(o apply.Outcome) string {
	switch o {
	case apply.Applied:
		return "Restored"
	case apply.AlreadySet:
		return "Skipped: already set on this PC"
	case apply.KeptByPolicy:
		return "Skipped: kept by your organization's policy"
	case apply.NotSupported:
		return "Skipped: not supported on this PC"
	case apply.NotRestorable:
		return "Skipped: not restorable"
	case apply.Failed:
		return "Failed"
	}
	return string(o)
}

// applyOutcomeMark is the mark and style of an apply outcome.
func applyOutcomeMark(s *Styles, o apply.Outcome) (string, lipgloss.Style) {
	switch o {
	case apply.Applied:
		return "✓", s.Success
	case apply.Failed:
		return "✗", s.Danger
	}
	return "–", s.Warning
}

// skippedCount is how many items of c were skipped for any reason.
func skippedCount(c apply.Counts) int {
	return c.AlreadySet + c.KeptByPolicy + c.NotSupported + c.NotRestorable
}
