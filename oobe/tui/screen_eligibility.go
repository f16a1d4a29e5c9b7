package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/restore"
)

// eligibilityScreen is the check whether the restore page shows. When it does not, it explains
// why rule by rule, as `oobe check` does, and stays up (a holder) until Enter dismisses it or
// the flow asks something.
type eligibilityScreen struct {
	c         *Common
	dismissed bool
	scroll    lineScroller
}

func newEligibilityScreen(c *Common) screen { return &eligibilityScreen{c: c} }

// notEligible is the decision when it keeps the restore page from showing.
func (e *eligibilityScreen) notEligible() *restore.Eligibility {
	el := e.c.Flow.Eligibility
	if el == nil || el.Eligible {
		return nil
	}
	return el
}

func (e *eligibilityScreen) holding() bool { return e.notEligible() != nil && !e.dismissed }

func (e *eligibilityScreen) update(msg tea.Msg) tea.Cmd {
	k := e.c.Keys
	switch msg := msg.(type) {
	case eventMsg:
		if msg.event.Kind == oobe.EventEnter && msg.event.Stage == oobe.StageEligibility {
			e.dismissed, e.scroll = false, lineScroller{}
		}
	case tea.KeyPressMsg:
		if e.notEligible() == nil {
			return nil
		}
		if key.Matches(msg, k.Select) {
			e.dismissed = true
			return nil
		}
		e.scroll.key(k, msg, len(e.lines()), e.bodyHeight())
	}
	return nil
}

// header is the title and the sentence under it, which do not scroll.
func (e *eligibilityScreen) header() string {
	s, w := e.c.Styles, e.c.Width
	el := e.c.Flow.Eligibility
	var sub string
	switch {
	case el == nil:
		sub = wrapTo(s.Subtitle, "This won't take long.", w)
	case el.Eligible:
		sub = hangIndent(s.Success.Render("✓ "), s.Body, "This PC can restore from a previous PC: the restore page shows next.", w)
	default:
		sub = hangIndent(s.Warning.Render("! "), s.Body, "This PC can't restore from a previous PC during setup, so the restore page won't show. Setup goes on without it. Here is why, rule by rule:", w)
	}
	return s.Title.Render(oobe.StageEligibility.Title()) + "\n" + sub + "\n"
}

func (e *eligibilityScreen) bodyHeight() int { return max(e.c.Height-lineCount(e.header()), 1) }

// lines is what scrolls under the header.
func (e *eligibilityScreen) lines() []string {
	s, w := e.c.Styles, e.c.Width
	el := e.c.Flow.Eligibility
	var out []string
	if el == nil {
		// What the check has found so far, from the transcript.
		for _, ev := range e.c.Flow.Transcript {
			if ev.Stage == oobe.StageEligibility && (ev.Kind == oobe.EventInfo || ev.Kind == oobe.EventWarning) {
				out = append(out, strings.Split(hangIndent(s.Subtle.Render("· "), s.Subtle, ev.Text, w), "\n")...)
			}
		}
		return out
	}
	if !el.Eligible {
		out = append(out, checkLines(s, el.Checks, w)...)
		out = append(out, "")
		status := el.Status
		if status == "" {
			status = "not decided yet"
		}
		out = append(out, strings.Split(hangIndent("Intune's restore status for this PC: ", s.Title, status, w), "\n")...)
	}
	for _, n := range el.Notes {
		if len(out) > 0 {
			out = append(out, "")
		}
		out = append(out, strings.Split(hangIndent(s.Warning.Render("Note: "), s.Body, n.Message, w), "\n")...)
		out = append(out, strings.Split(hangIndent("      ", s.Subtle, "What to do: "+n.Fix, w), "\n")...)
	}
	return out
}

// checkLines draws each rule as `oobe check` lists it: passed, failed (with what to do) or not
// checked, with what was found.
func checkLines(s *Styles, checks []restore.Check, w int) []string {
	ruleW := 0
	for _, c := range checks {
		ruleW = max(ruleW, lipgloss.Width(c.Rule))
	}
	ruleW = min(ruleW+2, w/3)
	var out []string
	for _, c := range checks {
		var mark string
		detail, detailStyle := c.Detail, s.Body
		switch c.State {
		case restore.CheckPassed:
			mark, detailStyle = s.Success.Render("✓"), s.Subtle
		case restore.CheckFailed:
			mark = s.Danger.Render("✗")
			detail += " [" + c.ID + "]"
		default:
			mark, detailStyle = s.Subtle.Render("–"), s.Subtle
		}
		rule := c.Rule + strings.Repeat(" ", max(ruleW-lipgloss.Width(c.Rule), 1))
		if c.State == restore.CheckFailed {
			rule = s.Title.Render(rule)
		}
		prefix := mark + " " + rule
		out = append(out, strings.Split(hangIndent(prefix, detailStyle, detail, w), "\n")...)
		if c.State == restore.CheckFailed && c.Fix != "" {
			pad := strings.Repeat(" ", lipgloss.Width(prefix))
			out = append(out, strings.Split(hangIndent(pad, s.Subtle, "What to do: "+c.Fix, w), "\n")...)
		}
	}
	return out
}

func (e *eligibilityScreen) view() string {
	return e.header() + "\n" + e.scroll.window(e.c.Styles, e.lines(), e.bodyHeight())
}

func (e *eligibilityScreen) help() []key.Binding {
	k := e.c.Keys
	if e.notEligible() == nil {
		return nil
	}
	bs := []key.Binding{relabel(k.Up, "scroll up"), relabel(k.Down, "scroll down")}
	if !e.dismissed {
		bs = append(bs, relabel(k.Select, "continue"))
	}
	return bs
}

func (e *eligibilityScreen) fullHelp() [][]key.Binding {
	if bs := e.help(); bs != nil {
		return [][]key.Binding{bs}
	}
	return nil
}
