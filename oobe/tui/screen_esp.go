package tui

import (
	"slices"
	"strings"
	"time"

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

	// watch moves the elapsed time shown with the flow's clock, frame by frame; watching is
	// whether it has since the ESP came on screen.
	watch    paceWatch
	watching bool
}

// paceWatch is the flow clock's time as the ESP's elapsed time shows it, frame by frame. Where
// the setup's waits pass faster than real time (clock.Paced.Fast, --speed), the flow's clock
// moves at the wall clock's pace during a wait and the rest of the way when it ends: shown as
// it is, the elapsed time ticks by seconds for the wait's real length, then jumps by minutes.
// paceWatch learns from those jumps how fast the flow's time passes and moves the time shown
// at that pace between them: never behind the flow's clock, never further ahead than one jump,
// never backwards. Without frames (replays, which draw no clock ticks) it is the clock itself.
type paceWatch struct {
	anchorFlow, anchorWall time.Time // where the last jump left the clock
	lastFlow, lastWall     time.Time // the frame before
	rate                   float64   // flow time per wall time, learned from the jumps; 0 until one
	lead                   time.Duration
	shown                  time.Time
}

// reanchor starts showing the flow's time afresh from flow at wall (the ESP on screen, a
// person's answer given), keeping the pace learned.
func (p *paceWatch) reanchor(flow, wall time.Time) {
	p.anchorFlow, p.anchorWall, p.lastFlow, p.lastWall, p.shown = flow, wall, flow, wall, flow
}

// frame takes the flow clock's time at wall time wall and returns the time to show.
func (p *paceWatch) frame(flow, wall time.Time) time.Time {
	if p.lastWall.IsZero() || flow.Before(p.lastFlow) || !wall.After(p.lastWall) {
		*p = paceWatch{}
		p.reanchor(flow, wall)
		return flow
	}
	dw, df := wall.Sub(p.lastWall), flow.Sub(p.lastFlow)
	if jump := df - dw; jump > dw/2+time.Second { // a sped-up wait ended
		if span := wall.Sub(p.anchorWall); span > 0 {
			p.rate = float64(flow.Sub(p.anchorFlow)) / float64(span)
		}
		p.anchorFlow, p.anchorWall, p.lead = flow, wall, max(p.lead, jump)
	}
	p.lastFlow, p.lastWall = flow, wall
	est := flow
	if p.rate > 1 {
		est = p.anchorFlow.Add(time.Duration(float64(wall.Sub(p.anchorWall)) * p.rate))
	}
	est = minTime(maxTime(est, flow, p.shown), flow.Add(p.lead))
	p.shown = maxTime(est, p.shown)
	return p.shown
}

func maxTime(t time.Time, more ...time.Time) time.Time {
	for _, u := range more {
		if u.After(t) {
			t = u
		}
	}
	return t
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// tick is a frame of a run with a person watching: the elapsed time moves with the clock.
// Frames before the ESP teach the watch the pace of the setup's waits; the ESP coming on
// screen, and a failure waiting for the person, start it again from the clock.
func (e *espScreen) tick(wall time.Time, onScreen bool) {
	now := e.c.Clock.Now()
	e.watch.frame(now, wall)
	switch {
	case !onScreen || e.ask != nil:
		e.watching = false
	case !e.watching:
		e.watch.reanchor(now, wall)
		e.watching = true
	}
}

// now is the flow's time as the elapsed time shows it.
func (e *espScreen) now() time.Time {
	now := e.c.Clock.Now()
	if e.watching && e.ask == nil && e.watch.shown.After(now) {
		return e.watch.shown
	}
	return now
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
		elapsed = elapsedText(e.now().Sub(c.Flow.ESPStarted)) + " elapsed"
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
