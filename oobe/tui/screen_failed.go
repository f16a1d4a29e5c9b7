package tui

import (
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/oobe-dev/oobe/oobe"
)

// failedScreen is Windows' error page for a run that cannot go on: the error's own text and
// code, what it means and what to do. A code it has no explanation for still shows its text.
type failedScreen struct {
	c      *Common
	scroll lineScroller
}

func newFailedScreen(c *Common) screen { return &failedScreen{c: c} }

func (f *failedScreen) update(msg tea.Msg) tea.Cmd {
	if msg, ok := msg.(tea.KeyPressMsg); ok {
		f.scroll.key(f.c.Keys, msg, len(f.lines()), f.bodyHeight())
	}
	return nil
}

// runFailure is the error the run ended with: the outcome's, or before the outcome arrives the
// last error of the transcript.
func runFailure(fs *FlowState) (text, code string) {
	if o := fs.Outcome; o != nil && o.Error != "" {
		return o.Error, o.ErrorCode
	}
	for i := len(fs.Transcript) - 1; i >= 0; i-- {
		ev := fs.Transcript[i]
		if ev.Kind != oobe.EventError {
			continue
		}
		switch d := ev.Detail.(type) {
		case oobe.ErrorDetail:
			code = d.Code
		case oobe.ESPFailure:
			code = d.Code
		}
		return ev.Text, code
	}
	if fs.Err != nil {
		return fs.Err.Error(), ""
	}
	return "", ""
}

// failureHelp explains the failure (oobe.ExplainError).
func failureHelp(text, code string) (meaning, todo string, ok bool) {
	e, ok := oobe.ExplainError(text, code)
	return e.Meaning, e.Todo, ok
}

// errorHelp explains an error code (oobe.Explain).
func errorHelp(code string) (meaning, todo string, ok bool) {
	e, ok := oobe.Explain(code)
	return e.Meaning, e.Todo, ok
}

// splitSource parts an explanation from the Microsoft page it cites at its end, "… Intune,
// Troubleshooting Windows device enrollment errors (learn.microsoft.com/…)".
func splitSource(text string) (body, source string) {
	i := strings.LastIndex(text, " (learn.microsoft.com/")
	if i < 0 || !strings.HasSuffix(text, ")") {
		return text, ""
	}
	j := strings.LastIndex(text[:i], ". ")
	if j < 0 {
		return text, ""
	}
	return text[:j+1], text[j+2:]
}

// resetChosen is whether the person chose Reset device on an ESP failure.
func resetChosen(fs *FlowState) bool {
	for _, ev := range fs.Transcript {
		if ev.Stage == oobe.StageESP && ev.Kind == oobe.EventChoice && ev.Text == "Reset device" {
			return true
		}
	}
	return false
}

func (f *failedScreen) header() string {
	s, w := f.c.Styles, f.c.Width
	return s.Title.Render(oobe.StageFailed.Title()) + "\n" +
		wrapTo(s.Subtitle, "Something went wrong, and setup can't go on from here.", w) + "\n"
}

func (f *failedScreen) bodyHeight() int { return max(f.c.Height-lineCount(f.header()), 1) }

func (f *failedScreen) lines() []string {
	s, w, fs := f.c.Styles, f.c.Width, f.c.Flow
	var out []string
	add := func(block string) { out = append(out, strings.Split(block, "\n")...) }
	text, code := runFailure(fs)
	if text == "" {
		text = "Setup stopped without saying why."
	}
	add(hangIndent(s.Danger.Render("✗ "), s.Body, text, w))
	if code != "" {
		add(hangIndent("  ", s.Subtle, "Error code: "+code, w))
	}
	if resetChosen(fs) {
		add("")
		add(hangIndent("  ", s.Body, "You chose Reset device: Windows resets this PC and starts setup again from the beginning.", w))
	}
	// Setup has ended on it: what to do no longer offers the failure's buttons (after Reset
	// device, Continue anyway is gone).
	x, ok := oobe.ExplainEnded(text, code)
	meaning, todo := x.Meaning, x.Todo
	if ok {
		add("")
		add(s.Title.Render("What it means"))
		meaning, source := splitSource(meaning)
		add(hangIndent("  ", s.Body, meaning, w))
		if source != "" {
			add(hangIndent("  ", s.Subtle, "Source: "+source, w))
		}
		add("")
		add(s.Title.Render("What to do"))
		add(hangIndent("  ", s.Body, todo, w))
	} else {
		add("")
		what := "Setup has no explanation for this error; the text above is what it reported."
		if n, found := strings.CutPrefix(strings.ToUpper(code), "AADSTS"); found {
			if _, err := strconv.Atoi(n); err == nil {
				what += " Microsoft explains Entra's codes at https://login.microsoftonline.com/error?code=" + n + "."
			}
		}
		add(hangIndent("  ", s.Subtle, what, w))
		add(hangIndent("  ", s.Body, "Tell your IT support the text above and the time it happened; Collect logs on the Enrollment Status Page, or the transcript, has the details.", w))
	}
	if o := fs.Outcome; o != nil && (o.User != "" || o.DeviceName != "") {
		add("")
		var who []string
		if o.User != "" {
			who = append(who, "Signed in as "+o.User)
		}
		if o.DeviceName != "" {
			who = append(who, "device "+o.DeviceName)
		}
		line := strings.Join(who, " · ")
		add(hangIndent("  ", s.Subtle, strings.ToUpper(line[:1])+line[1:], w))
	}
	return out
}

func (f *failedScreen) view() string {
	return f.header() + "\n" + f.scroll.window(f.c.Styles, f.lines(), f.bodyHeight())
}

func (f *failedScreen) help() []key.Binding {
	k := f.c.Keys
	var bs []key.Binding
	if len(f.lines()) > f.bodyHeight() {
		bs = append(bs, relabel(k.Up, "scroll up"), relabel(k.Down, "scroll down"))
	}
	if f.c.Flow.Outcome != nil {
		bs = append(bs, k.Exit)
	}
	return bs
}

func (f *failedScreen) fullHelp() [][]key.Binding {
	if bs := f.help(); len(bs) > 0 {
		return [][]key.Binding{bs}
	}
	return nil
}
