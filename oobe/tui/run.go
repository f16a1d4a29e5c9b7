package tui

import (
	"context"
	"errors"
	"io"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/oobe-dev/oobe/oobe"
)

// ErrQuit is what Run returns when the person quits before the flow ends (Ctrl+C): the
// command exits 130.
var ErrQuit = errors.New("setup was quit before it ended")

// Options configure a run of the terminal UI.
type Options struct {
	// Input and Output are the terminal's (nil: the program's own, the TTY and stdout).
	Input  io.Reader
	Output io.Writer
	// Headless runs without a terminal: no input, nothing drawn to Output, a fixed Width ×
	// Height. Replays use it with a Pilot; OnFrame sees what would be drawn.
	Headless      bool
	Width, Height int
	// NoColor draws without colours (bold and underline stay), as NO_COLOR asks.
	NoColor bool
	// Simulated is whether the tenant is the simulator's (the presenter key approves there).
	Simulated bool
	// Pilot, when set, presses the keys: a scenario's steps or the demo's choices.
	Pilot *Pilot
	// Outside is what a person at the keyboard does away from it: open the browser.
	Outside Outside
	Actions Actions
	// OnFrame, when set, is told every screen that differs from the one before, as text with
	// styles, at the flow clock's time. It is called from the UI's goroutine.
	OnFrame func(at time.Time, screen string)
}

// Run plays the Autopilot setup with the terminal UI as its person and returns the flow's
// outcome. cfg.Person is replaced by the UI; cfg.Observe, if set, still hears every event.
// It returns ErrQuit (with the outcome so far) when the person quits first.
func Run(ctx context.Context, cfg oobe.Config, opts Options) (*oobe.Outcome, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c := &Common{Styles: NewStyles(true), Keys: DefaultKeyMap(), Clock: cfg.Clock,
		Flow: &FlowState{Branding: cfg.Branding}, Simulated: opts.Simulated}
	actions := opts.Actions
	actions.Ctx = ctx
	if opts.Simulated && opts.Pilot == nil {
		// A pilot presses the scenario's method's keys on the method list; the page is for a
		// person at the keyboard.
		actions.page = newPageSession(actions.SignInPage)
	}
	m := newModel(c, actions)
	m.animate = opts.Pilot == nil || opts.Pilot.Pace > 0
	m.exitWhenDone = opts.Pilot != nil && opts.Pilot.Pace == 0

	if opts.Headless {
		// Sized before the flow's first message, so a replay's frames do not depend on
		// whether the program's size or the flow's first event arrives first.
		m.resize(opts.Width, opts.Height)
		m.headless = true
	}
	if !m.animate {
		// The screens tell the time of the flow's last event, not of the clock the flow
		// is moving meanwhile: a replay draws the same screens every time.
		c.Clock = &eventClock{flow: c.Flow, start: cfg.Clock.Now()}
	}
	var root tea.Model = m
	if opts.OnFrame != nil {
		root = &recorder{Model: m, on: opts.OnFrame}
	}
	popts := []tea.ProgramOption{tea.WithContext(ctx)}
	switch {
	case opts.Headless:
		popts = append(popts, tea.WithInput(nil), tea.WithoutRenderer(), tea.WithoutSignals(), tea.WithOutput(io.Discard))
	default:
		if opts.Input != nil {
			popts = append(popts, tea.WithInput(opts.Input))
		}
		if opts.Output != nil {
			popts = append(popts, tea.WithOutput(opts.Output))
		}
	}
	if opts.Width > 0 && opts.Height > 0 {
		popts = append(popts, tea.WithWindowSize(opts.Width, opts.Height))
	}
	if opts.NoColor {
		popts = append(popts, tea.WithColorProfile(colorprofile.Ascii))
	}
	p := tea.NewProgram(root, popts...)

	cfg.Person = &person{send: p.Send, outside: opts.Outside, pilot: opts.Pilot, page: actions.page}
	observe := cfg.Observe
	cfg.Observe = func(e oobe.Event) {
		if observe != nil {
			observe(e)
		}
		p.Send(eventMsg{event: e})
	}
	type result struct {
		out *oobe.Outcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := oobe.Run(ctx, cfg)
		done <- result{out, err}
		p.Send(doneMsg{outcome: out, err: err})
	}()

	_, perr := p.Run()
	cancel() // the flow stops where it is if the person quit first
	res := <-done
	switch {
	case m.Interrupted || errors.Is(perr, tea.ErrInterrupted):
		return res.out, ErrQuit
	case perr != nil && !errors.Is(perr, tea.ErrProgramKilled):
		return res.out, perr
	}
	return res.out, res.err
}

// recorder is the root model with every new frame told to on: recordings and screen
// snapshots of replays.
type recorder struct {
	*Model
	on   func(time.Time, string)
	last string
}

func (r *recorder) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := r.Model.Update(msg)
	switch msg.(type) {
	case eventMsg, askMsg, promptMsg, browserMsg, doneMsg, tea.KeyPressMsg:
		// The flow's messages and the pilot's keys come from one goroutine, in one order;
		// frames are taken only after them, so a replay records the same frames every time.
	default:
		return r, cmd
	}
	if s := r.Render(); s != r.last && r.width > 0 {
		r.last = s
		r.on(r.c.Clock.Now(), s) // the screens' own time: the flow's last event in a replay
	}
	return r, cmd
}

// eventClock is the time of the last event the UI has seen (start before the first).
type eventClock struct {
	flow  *FlowState
	start time.Time
}

func (e *eventClock) Now() time.Time {
	if n := len(e.flow.Transcript); n > 0 {
		return e.flow.Transcript[n-1].At
	}
	return e.start
}

// Sleep does not wait: nothing sleeps on the screens' clock.
func (e *eventClock) Sleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }
