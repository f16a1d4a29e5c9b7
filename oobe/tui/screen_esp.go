package tui

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/oobe-dev/oobe/oobe"
)

// The ESP failure's buttons, in the order the key contract gives them.
const (
	espContinue = iota
	espReset
	espCollect
)

var espButtons = []string{"Continue anyway", "Reset device", "Collect logs"}

// espScreen is the Enrollment Status Page: Device preparation, Device setup and Account setup
// with their rows (Ctrl+D shows or hides them) and, when a phase fails or times out, Windows'
// error text with Continue anyway, Reset device and Collect logs.
type espScreen struct {
	c        *Common
	expanded bool
	// ask is the failure waiting for the person's choice; nil once answered.
	ask     *Ask
	failure *oobe.ESPFailure
	// continued is set once the person chose Continue anyway on failure.
	continued bool
	focus     int

	collecting bool
	logsPath   string
	logsErr    error
}

func newESPScreen(c *Common) screen { return &espScreen{c: c} }

// logsMsg is the result of collecting the logs: the text file written, or why not.
type logsMsg struct {
	path string
	err  error
}

func (e *espScreen) update(msg tea.Msg) tea.Cmd {
	k := e.c.Keys
	switch msg := msg.(type) {
	case askMsg:
		if msg.ask.Stage != oobe.StageESP {
			return nil
		}
		f := msg.ask.Failure
		e.ask, e.failure, e.continued, e.focus = msg.ask, &f, false, espContinue
		e.logsPath, e.logsErr = "", nil
	case logsMsg:
		e.collecting, e.logsPath, e.logsErr = false, msg.path, msg.err
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, k.Details):
			e.expanded = !e.expanded
		case key.Matches(msg, k.CollectLogs):
			return e.collect()
		case e.ask == nil:
		case key.Matches(msg, k.Left):
			e.focus = max(e.focus-1, 0)
		case key.Matches(msg, k.Right):
			e.focus = min(e.focus+1, len(espButtons)-1)
		case key.Matches(msg, k.Next):
			e.focus = (e.focus + 1) % len(espButtons)
		case key.Matches(msg, k.Select):
			switch e.focus {
			case espContinue:
				a := e.ask
				e.ask, e.continued = nil, true
				return answer(a, Answer{Choice: oobe.ESPContinueAnyway})
			case espReset:
				a := e.ask
				e.ask = nil
				return answer(a, Answer{Choice: oobe.ESPResetDevice})
			case espCollect:
				return e.collect()
			}
		}
	}
	return nil
}

// collect starts writing the logs: the transcript so far, read now, written by a command.
func (e *espScreen) collect() tea.Cmd {
	if e.collecting {
		return nil
	}
	e.collecting, e.logsPath, e.logsErr = true, "", nil
	transcript := slices.Clone(e.c.Flow.Transcript)
	var failure *oobe.ESPFailure
	if e.failure != nil {
		f := *e.failure
		failure = &f
	}
	dir, clk := "", e.c.Clock
	if e.c.Actions != nil {
		dir = e.c.Actions.LogsDir
	}
	return func() tea.Msg {
		path, err := oobe.CollectLogs(dir, clk.Now(), transcript, failure)
		return logsMsg{path: path, err: err}
	}
}

func (e *espScreen) view() string {
	c, s := e.c, e.c.Styles
	w := c.Width
	elapsed := ""
	if !c.Flow.ESPStarted.IsZero() {
		elapsed = elapsedText(c.Clock.Now().Sub(c.Flow.ESPStarted)) + " elapsed"
	}
	head := strings.Join([]string{
		titleWithNote(s, oobe.StageESP.Title(), elapsed, w),
		wrapTo(s.Subtitle, "Setting up your device for work. Keep it on and connected; this might take a while.", w),
		"",
	}, "\n")

	var tail []string
	switch {
	case e.ask != nil:
		tail = append(tail, "", e.failureText(w))
		if c.Height >= 30 {
			if meaning, _, ok := errorHelp(e.failure.Code); ok {
				tail = append(tail, hangIndent("  ", s.Subtle, "What it means: "+meaning, w))
			}
		}
		tail = append(tail, "", buttonRow(s, espButtons, e.focus))
	case e.continued && e.failure != nil:
		tail = append(tail, "", hangIndent(s.Warning.Render("! "), s.Warning, failureWhat(*e.failure)+". You chose Continue anyway.", w))
	}
	switch {
	case e.collecting:
		tail = append(tail, s.Subtle.Render("Collecting logs…"))
	case e.logsErr != nil:
		tail = append(tail, hangIndent(s.Danger.Render("✗ "), s.Danger, "Couldn't collect the logs: "+e.logsErr.Error(), w))
	case e.logsPath != "":
		tail = append(tail, hangIndent(s.Success.Render("✓ "), s.Body, "Logs saved, as text and as JSON beside it:", w),
			hangIndent("  ", s.Key, e.logsPath, w))
	}
	bottom := strings.Join(tail, "\n")

	phases := c.Flow.ESP
	if len(phases) == 0 {
		phases = oobe.NewESP()
	}
	lines, focus := espLines(s, phases, func(int) bool { return e.expanded }, w)
	room := c.Height - lineCount(head)
	if bottom != "" {
		room -= lineCount(bottom)
	}
	out := head + "\n" + strings.Join(windowAround(lines, focus, max(room, 1)), "\n")
	if bottom != "" {
		out += "\n" + bottom
	}
	return out
}

// failureWhat says where the ESP failed and its code: "Device setup — Apps failed · error
// code 0x81036502".
func failureWhat(f oobe.ESPFailure) string {
	where := f.Phase
	if f.Item != "" {
		where += " — " + f.Item
	}
	what := where + " failed"
	if f.TimedOut {
		what = where + " timed out"
	}
	if f.Code != "" {
		what += " · error code " + f.Code
	}
	return what
}

// failureText is the page's error: Windows' text, where it failed and the code.
func (e *espScreen) failureText(w int) string {
	s, f := e.c.Styles, e.failure
	what := failureWhat(*f)
	msg := f.Message
	if msg == "" {
		msg = oobe.ESPErrorText
	}
	return hangIndent(s.Danger.Render("✗ "), s.Body, msg, w) + "\n" + hangIndent("  ", s.Subtle, what, w)
}

func (e *espScreen) help() []key.Binding {
	k := e.c.Keys
	details := relabel(k.Details, "show details")
	if e.expanded {
		details = relabel(k.Details, "hide details")
	}
	if e.ask != nil {
		return []key.Binding{relabel(k.Next, "next button"), relabel(k.Select, "press"), details}
	}
	return []key.Binding{details}
}

func (e *espScreen) fullHelp() [][]key.Binding {
	k := e.c.Keys
	if e.ask != nil {
		return [][]key.Binding{{k.Left, k.Right, k.Next, relabel(k.Select, "press")}, {k.Details, k.CollectLogs}}
	}
	return [][]key.Binding{{k.Details, k.CollectLogs}}
}
