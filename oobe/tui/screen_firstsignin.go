package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/restore"
)

// firstSignInScreen is the user's first sign-in after setup, while Windows checks whether it
// offers to restore a previous PC (shared/domain.md §7.1). When it does not, it says why rule
// by rule, as the eligibility screen does for setup, and stays up (a holder) until Enter.
type firstSignInScreen struct {
	c         *Common
	dismissed bool
	scroll    lineScroller
}

func newFirstSignInScreen(c *Common) screen { return &firstSignInScreen{c: c} }

// notOffered is the decision when it keeps the restore page from showing at first sign-in.
func (f *firstSignInScreen) notOffered() *restore.FirstSignIn {
	d := f.c.Flow.FirstSignIn
	if d == nil || d.Eligible {
		return nil
	}
	return d
}

func (f *firstSignInScreen) holding() bool { return f.notOffered() != nil && !f.dismissed }

func (f *firstSignInScreen) update(msg tea.Msg) tea.Cmd {
	k := f.c.Keys
	switch msg := msg.(type) {
	case eventMsg:
		if msg.event.Kind == oobe.EventEnter && msg.event.Stage == oobe.StageFirstSignIn {
			f.dismissed, f.scroll = false, lineScroller{}
		}
	case tea.KeyPressMsg:
		if f.notOffered() == nil {
			return nil
		}
		if key.Matches(msg, k.Select) {
			f.dismissed = true
			return nil
		}
		f.scroll.key(k, msg, len(f.lines()), f.bodyHeight())
	}
	return nil
}

// gaveUp is the error that kept Windows from deciding (Graph, the restore app), once the flow
// has ended on it; "" otherwise.
func (f *firstSignInScreen) gaveUp() string {
	o := f.c.Flow.Outcome
	if o == nil || o.FirstSignIn == nil || o.FirstSignIn.Eligibility != nil {
		return ""
	}
	return o.FirstSignIn.Error
}

// header is the title and the sentence under it, which do not scroll.
func (f *firstSignInScreen) header() string {
	s, w := f.c.Styles, f.c.Width
	d := f.c.Flow.FirstSignIn
	var sub string
	switch {
	case d != nil && d.Eligible:
		sub = hangIndent(s.Success.Render("✓ "), s.Body, "Windows offers to restore your settings and apps from a previous PC: the restore page shows next.", w)
	case d != nil:
		sub = hangIndent(s.Warning.Render("! "), s.Body, "Windows does not offer to restore a previous PC at this sign-in, so the restore page won't show. Your desktop stays as setup left it. Here is why, rule by rule:", w)
	case f.gaveUp() != "":
		sub = hangIndent(s.Warning.Render("! "), s.Body, "Windows could not check whether to offer a restore, so the restore page won't show. Your desktop stays as setup left it.", w)
	default:
		sub = wrapTo(s.Subtitle, "Signing in for the first time since setup… Windows checks whether it can restore your settings and apps from a previous PC.", w)
	}
	return s.Title.Render(oobe.StageFirstSignIn.Title()) + "\n" + sub + "\n"
}

func (f *firstSignInScreen) bodyHeight() int { return max(f.c.Height-lineCount(f.header()), 1) }

// lines is what scrolls under the header.
func (f *firstSignInScreen) lines() []string {
	s, w := f.c.Styles, f.c.Width
	d := f.c.Flow.FirstSignIn
	var out []string
	if d == nil {
		// What the check has found so far, from the transcript.
		for _, ev := range f.c.Flow.Transcript {
			if ev.Stage == oobe.StageFirstSignIn && (ev.Kind == oobe.EventInfo || ev.Kind == oobe.EventWarning) {
				out = append(out, strings.Split(hangIndent(s.Subtle.Render("· "), s.Subtle, ev.Text, w), "\n")...)
			}
		}
		return out
	}
	if !d.Eligible {
		out = append(out, checkLines(s, d.Checks, w)...)
	}
	for _, n := range d.Notes {
		if len(out) > 0 {
			out = append(out, "")
		}
		out = append(out, strings.Split(hangIndent(s.Warning.Render("Note: "), s.Body, n.Message, w), "\n")...)
		out = append(out, strings.Split(hangIndent("      ", s.Subtle, "What to do: "+n.Fix, w), "\n")...)
	}
	return out
}

func (f *firstSignInScreen) view() string {
	return f.header() + "\n" + f.scroll.window(f.c.Styles, f.lines(), f.bodyHeight())
}

func (f *firstSignInScreen) help() []key.Binding {
	k := f.c.Keys
	if f.notOffered() == nil {
		return nil
	}
	bs := []key.Binding{relabel(k.Up, "scroll up"), relabel(k.Down, "scroll down")}
	if !f.dismissed {
		bs = append(bs, relabel(k.Select, "go to the desktop"))
	}
	return bs
}

func (f *firstSignInScreen) fullHelp() [][]key.Binding {
	if bs := f.help(); bs != nil {
		return [][]key.Binding{bs}
	}
	return nil
}
