package oobe

import (
	"fmt"
	"strings"

	"github.com/oobe-dev/oobe/restore/apply"
)

// Text is the summary as plain lines, for stdout after the UI has gone and for the accessible
// mode: a headline, then one labelled fact a line (continuation lines indented under it).
func (s Summary) Text() []string {
	var out []string
	fact := func(label string, lines ...string) {
		for i, l := range lines {
			if i > 0 {
				label = ""
			}
			out = append(out, fmt.Sprintf("  %-15s %s", label, l))
		}
	}
	switch s.Result {
	case ResultFinished:
		out = append(out, "Setup finished at the desktop.")
	case ResultFailed:
		out = append(out, "Setup failed: "+s.Error.line())
	default:
		if s.Error != nil {
			out = append(out, s.Error.Text)
		} else {
			out = append(out, "Setup stopped at “"+s.StageTitle+"”.")
		}
	}
	if s.Result == ResultFailed && s.Error.Explanation != nil {
		fact("What it means:", s.Error.Explanation.Meaning)
		fact("What to do:", s.Error.Explanation.Todo)
	}
	if s.User != "" {
		fact("User:", s.User)
	}
	if s.DeviceName != "" {
		name := s.DeviceName
		switch s.DeviceNameFrom {
		case NameFromRestore:
			name += " (restored from the backup)"
		case NameFromAutopilot:
			name += " (named by the Autopilot profile)"
		}
		fact("Device:", name)
	}
	fact("Restore page:", s.Restore.lines()...)
	if items := notRestored(s.Restore); len(items) > 0 {
		out = append(out, items...)
	}
	if in := s.Intune; in != nil {
		status := in.Status + " (reported to Intune)"
		if !in.Reported {
			status = in.Status + " (not reported to Intune)"
		}
		fact("Intune status:", status)
	}
	for i, p := range s.ContinuedPast {
		label := ""
		if i == 0 {
			label = "Got past:"
		}
		fact(label, p.line())
	}
	if f := s.FirstSignIn; f != nil {
		fact("First sign-in:", f.lines()...)
		if items := notRestored(*f); len(items) > 0 {
			out = append(out, items...)
		}
	}
	return out
}

// line is a problem's text with its code, once.
func (p *Problem) line() string {
	if p == nil {
		return ""
	}
	if p.Code == "" || strings.Contains(strings.ToLower(p.Text), strings.ToLower(p.Code)) {
		return p.Text
	}
	return p.Text + " (" + p.Code + ")"
}

// lines say what happened at one restore moment.
func (r RestoreSummary) lines() []string {
	switch r.Page {
	case PageNotReached:
		if r.Error != nil {
			return []string{"not shown: " + r.Error.line()}
		}
		return []string{"not reached"}
	case PageNotShown:
		if r.Error != nil {
			return []string{"not shown: " + r.Error.line()}
		}
		out := []string{"not shown:"}
		for _, why := range r.Reasons {
			out = append(out, "- "+why.Message+" ["+why.ID+"]")
		}
		return out
	}
	switch r.Choice {
	case "":
		return []string{"shown; setup stopped before a choice was made"}
	case ChoiceNew:
		return []string{"shown; you chose Set up as new PC: nothing was restored"}
	}
	switch r.Outcome {
	case RestoreDone:
		c := r.Counts
		skipped := c.AlreadySet + c.KeptByPolicy + c.NotSupported + c.NotRestorable
		return []string{fmt.Sprintf("shown; restored from %s: %s restored, %s skipped, %d failed",
			r.From, plural(c.Applied, "item"), plural(skipped, "item"), c.Failed)}
	case RestoreFailed:
		return []string{"shown; restoring from " + r.From + " failed: " + r.Error.line()}
	}
	return []string{"shown; you chose " + r.From + ", but setup stopped before the restore: nothing was restored"}
}

// notRestored lists a restore's skipped items, then its failed ones, each with why.
func notRestored(r RestoreSummary) []string {
	var skipped, failed []string
	for _, it := range r.Items {
		l := fmt.Sprintf("    %s: %s", apply.ItemLabel(it), it.Reason)
		if it.Outcome == apply.Failed {
			failed = append(failed, l)
		} else {
			skipped = append(skipped, l+" ("+outcomeWords(it.Outcome)+")")
		}
	}
	var out []string
	if len(skipped) > 0 {
		out = append(out, "  Skipped:")
		out = append(out, skipped...)
	}
	if len(failed) > 0 {
		out = append(out, "  Failed:")
		out = append(out, failed...)
	}
	return out
}

// outcomeWords is an apply outcome as a person says it.
func outcomeWords(o apply.Outcome) string {
	switch o {
	case apply.AlreadySet:
		return "already set"
	case apply.KeptByPolicy:
		return "kept by policy"
	case apply.NotSupported:
		return "not supported here"
	case apply.NotRestorable:
		return "not restorable"
	}
	return string(o)
}

// plural is n with its noun, "1 item" or "3 items".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
