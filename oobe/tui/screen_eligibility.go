package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/restore"
)

// ruleScreen is a check of whether a restore page shows: setup's (the eligibility screen) or
// the one at the user's first sign-in after setup. When the page does not show, it explains
// why rule by rule, as `oobe check` does, and stays up (a holder) until Enter dismisses it or
// the flow asks something.
type ruleScreen struct {
	c     *Common
	stage oobe.Stage
	// decision is the check's result once the flow has made it, nil before.
	decision func(*FlowState) *ruleDecision
	text     ruleTexts

	dismissed bool
	scroll    lineScroller
}

// ruleDecision is a check's result as the screen draws it.
type ruleDecision struct {
	eligible bool
	checks   []restore.Check
	notes    []restore.Reason
	// status is Intune's restore status, which setup's decision sets and the first
	// sign-in's does not (its reporting is not documented); hasStatus says which.
	status    string
	hasStatus bool
}

// ruleTexts are what a rule screen says: while it checks, when the page shows, when it does
// not, and Enter's label then.
type ruleTexts struct {
	checking, shows, hidden, dismiss string
}

func newEligibilityScreen(c *Common) screen {
	return &ruleScreen{c: c, stage: oobe.StageEligibility,
		decision: func(f *FlowState) *ruleDecision {
			el := f.Eligibility
			if el == nil {
				return nil
			}
			return &ruleDecision{eligible: el.Eligible, checks: el.Checks, notes: el.Notes, status: el.Status, hasStatus: true}
		},
		text: ruleTexts{
			checking: "This won't take long.",
			shows:    "This PC can restore from a previous PC: the restore page shows next.",
			hidden:   "This PC can't restore from a previous PC during setup, so the restore page won't show. Setup goes on without it. Here is why, rule by rule:",
			dismiss:  "continue",
		}}
}

func newFirstSignInScreen(c *Common) screen {
	return &ruleScreen{c: c, stage: oobe.StageFirstSignIn,
		decision: func(f *FlowState) *ruleDecision {
			d := f.FirstSignIn
			if d == nil {
				return nil
			}
			return &ruleDecision{eligible: d.Eligible, checks: d.Checks, notes: d.Notes}
		},
		text: ruleTexts{
			checking: "Signing in for the first time since setup… Windows checks whether it can restore your settings and apps from a previous PC.",
			shows:    "Windows offers to restore your settings and apps from a previous PC: the restore page shows next.",
			hidden:   "Windows does not offer to restore a previous PC at this sign-in, so the restore page won't show. Your desktop stays as setup left it. Here is why, rule by rule:",
			dismiss:  "go to the desktop",
		}}
}

// notEligible is the decision when it keeps the restore page from showing.
func (e *ruleScreen) notEligible() *ruleDecision {
	d := e.decision(e.c.Flow)
	if d == nil || d.eligible {
		return nil
	}
	return d
}

func (e *ruleScreen) holding() bool { return e.notEligible() != nil && !e.dismissed }

func (e *ruleScreen) update(msg tea.Msg) tea.Cmd {
	k := e.c.Keys
	switch msg := msg.(type) {
	case eventMsg:
		if msg.event.Kind == oobe.EventEnter && msg.event.Stage == e.stage {
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
func (e *ruleScreen) header() string {
	s, w := e.c.Styles, e.c.Width
	d := e.decision(e.c.Flow)
	var sub string
	switch {
	case d == nil:
		sub = wrapTo(s.Subtitle, e.text.checking, w)
	case d.eligible:
		sub = hangIndent(s.Success.Render("✓ "), s.Body, e.text.shows, w)
	default:
		sub = hangIndent(s.Warning.Render("! "), s.Body, e.text.hidden, w)
	}
	return s.Title.Render(e.stage.Title()) + "\n" + sub + "\n"
}

func (e *ruleScreen) bodyHeight() int { return max(e.c.Height-lineCount(e.header()), 1) }

// lines is what scrolls under the header.
func (e *ruleScreen) lines() []string {
	s, w := e.c.Styles, e.c.Width
	d := e.decision(e.c.Flow)
	var out []string
	if d == nil {
		// What the check has found so far, from the transcript.
		for _, ev := range e.c.Flow.Transcript {
			if ev.Stage == e.stage && (ev.Kind == oobe.EventInfo || ev.Kind == oobe.EventWarning) {
				out = append(out, strings.Split(hangIndent(s.Subtle.Render("· "), s.Subtle, ev.Text, w), "\n")...)
			}
		}
		return out
	}
	if !d.eligible {
		out = append(out, checkLines(s, d.checks, w)...)
		if d.hasStatus {
			out = append(out, "")
			status := d.status
			if status == "" {
				status = "not decided yet"
			}
			out = append(out, strings.Split(hangIndent("Intune's restore status for this PC: ", s.Title, status, w), "\n")...)
		}
	}
	for _, n := range d.notes {
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

func (e *ruleScreen) view() string {
	return e.header() + "\n" + e.scroll.window(e.c.Styles, e.lines(), e.bodyHeight())
}

func (e *ruleScreen) help() []key.Binding {
	k := e.c.Keys
	if e.notEligible() == nil {
		return nil
	}
	bs := []key.Binding{relabel(k.Up, "scroll up"), relabel(k.Down, "scroll down")}
	if !e.dismissed {
		bs = append(bs, relabel(k.Select, e.text.dismiss))
	}
	return bs
}

func (e *ruleScreen) fullHelp() [][]key.Binding {
	if bs := e.help(); bs != nil {
		return [][]key.Binding{bs}
	}
	return nil
}
