package accessible

import (
	"path/filepath"
	"strings"

	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/restore"
)

// observe prints one of the flow's events as a line of text, and keeps it for "Collect
// logs". Any event after a device code means the sign-in is over, so the approval reader is
// stopped first and its last words come before the event's.
func (p *person) observe(e oobe.Event) {
	p.endSignIn()
	p.transcript = append(p.transcript, e)
	switch e.Kind {
	case oobe.EventEnter:
		p.heading = e.Text
		p.out.blank()
		p.out.line("== %s ==", e.Text)
	case oobe.EventChoice:
		p.out.line("You chose: %s", e.Text)
	case oobe.EventWarning:
		p.out.line("Warning: %s", e.Text)
	case oobe.EventError:
		if _, ok := e.Detail.(oobe.ESPFailure); ok {
			return // the question that follows reads the failure out
		}
		if p.stopped != nil {
			// The run stopped because the approval reader ended it: say why, not
			// "context canceled".
			p.out.line("Setup stopped at “%s”: %v", e.Stage.Title(), p.stopped)
			p.stopped = nil
			return
		}
		if strings.HasPrefix(e.Text, "interrupted: ") {
			// The flow's own words for a stop name its internals; the summary after the run
			// says why.
			p.out.line("Setup stopped at “%s”.", e.Stage.Title())
			return
		}
		p.out.line("Error: %s", e.Text)
		code := ""
		if d, ok := e.Detail.(oobe.ErrorDetail); ok {
			code = d.Code
		}
		if x, ok := oobe.ExplainError(e.Text, code); ok {
			p.out.line("What it means: %s", x.Meaning)
			p.out.line("What to do: %s", x.Todo)
		}
	default: // info, an ESP row's status ("Device setup — Apps: In progress"), restore progress
		p.out.line("%s", e.Text)
		if d, ok := e.Detail.(restore.FirstSignIn); ok && !d.Eligible {
			// The warnings before said what stops it; this says what to do about each.
			p.out.line("You are at your desktop; nothing was restored.")
			for _, r := range d.Reasons {
				if r.Fix != "" {
					p.out.line("What to do about %s: %s", r.ID, r.Fix)
				}
			}
		}
	}
}

// collectLogs writes the transcript so far, and the ESP failure being asked about, as
// oobe.CollectLogs does for every driver, and returns the text file's path.
func (p *person) collectLogs(failure *oobe.ESPFailure) (string, error) {
	path, err := oobe.CollectLogs(p.opts.LogsDir, p.clock.Now(), p.transcript, failure)
	if err != nil {
		return "", err
	}
	return filepath.Abs(path)
}
