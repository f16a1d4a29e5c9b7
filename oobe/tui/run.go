package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
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
	// Pilot, when set, presses the keys: a scenario's steps or the demo's choices. The
	// person's own keys then answer nothing.
	Pilot *Pilot
	// Presenter, with a Pilot, is --demo's presenter mode.
	Presenter *Presenter
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
		Flow: &FlowState{Branding: cfg.Branding}, Simulated: opts.Simulated,
		Piloted: opts.Pilot != nil}
	actions := opts.Actions
	actions.Ctx = ctx
	if opts.Simulated && opts.Pilot == nil {
		// A pilot presses the scenario's method's keys on the method list; the page is for a
		// person at the keyboard.
		actions.page = newPageSession(actions.SignInPage)
	}
	actions.attempt = newSignInAttempt()
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

	r := &runner{ctx: ctx, p: p, opts: opts, page: actions.page, attempt: m.actions.attempt}
	if pr := opts.Presenter; pr != nil && opts.Pilot != nil {
		r.presenter = newPresenter()
		m.demo = &demo{p: r.presenter, loop: pr.Loop && pr.Restart != nil, linger: 2 * opts.Pilot.Pace}
		if pr.Restart != nil {
			m.demo.restart = r.restartCmd
		}
	}
	m.piloted = opts.Pilot != nil
	var person oobe.Person
	if opts.Pilot != nil {
		person = opts.Pilot.Person
	}
	r.start(cfg, person, nil)

	_, perr := p.Run()
	cancel() // the flow stops where it is if the person quit first
	res := r.finish()
	switch {
	case m.Interrupted || errors.Is(perr, tea.ErrInterrupted):
		return res.out, ErrQuit
	case perr != nil && !errors.Is(perr, tea.ErrProgramKilled):
		return res.out, perr
	}
	return res.out, res.err
}

// runner runs the flow beside the program: once, or again from the start for each of a
// presenter's restarts, each run with its own context and messages.
type runner struct {
	ctx       context.Context
	p         *tea.Program
	opts      Options
	page      *pageSession
	attempt   *signInAttempt // the sign-in under way, whichever run it is of
	presenter *presenter

	mu  sync.Mutex
	cur *round
}

// round is one run of the flow.
type round struct {
	id     int
	cancel context.CancelFunc
	done   chan struct{}
	res    runResult
	close  func() // the world a restart built; nil for the caller's
}

type runResult struct {
	out *oobe.Outcome
	err error
}

// start runs the flow with cfg as round r.cur.id+1 (0 for the first); the caller holds mu
// or is the only goroutine.
func (r *runner) start(cfg oobe.Config, pilotPerson oobe.Person, closeWorld func()) {
	id := 0
	if r.cur != nil {
		id = r.cur.id + 1
	}
	ctx, cancel := context.WithCancel(r.ctx)
	rd := &round{id: id, cancel: cancel, done: make(chan struct{}), close: closeWorld}
	r.cur = rd
	send := func(msg tea.Msg) { r.p.Send(roundMsg{round: id, msg: msg}) }
	var pilot *Pilot
	if r.opts.Pilot != nil {
		pl := *r.opts.Pilot
		pl.Person, pl.presenter = pilotPerson, r.presenter
		pilot = &pl
	}
	if r.presenter != nil {
		cfg.Clock = presenterClock{Clock: cfg.Clock, p: r.presenter, speed: r.opts.Presenter.Speed, most: r.opts.Pilot.Pace}
	}
	per := &person{send: send, outside: r.opts.Outside, pilot: pilot, page: r.page, attempt: r.attempt}
	cfg.Person = per
	observe := cfg.Observe
	cfg.Observe = func(e oobe.Event) {
		if observe != nil {
			observe(e)
		}
		send(eventMsg{event: e})
		if e.Kind == oobe.EventEnter {
			per.arrived()
		}
	}
	if id > 0 {
		r.p.Send(resetMsg{round: id, clock: cfg.Clock, branding: cfg.Branding})
	}
	go func() {
		out, err := oobe.Run(ctx, cfg)
		rd.res = runResult{out, err}
		close(rd.done)
		send(doneMsg{outcome: out, err: err})
	}()
}

// restartCmd is the presenter's restart: after waiting after at the presenter's pace, the
// run from is stopped, its world closed and a fresh one started from the first screen. A run
// already replaced (a restart key pressed twice, a loop and a key) is left alone.
func (r *runner) restartCmd(from int, after time.Duration) tea.Cmd {
	r.mu.Lock()
	cur := r.cur
	r.mu.Unlock()
	if cur == nil || cur.id != from {
		return nil
	}
	ctx := r.ctx
	return func() tea.Msg {
		if after > 0 {
			// The wait ends early if the run is replaced meanwhile: its restart goes first.
			wctx, cancel := context.WithCancel(ctx)
			defer cancel()
			go func() {
				select {
				case <-cur.done:
				case <-wctx.Done():
				}
			}()
			if r.presenter.wait(wctx, after) != nil {
				return nil
			}
		}
		r.restart(from)
		return nil
	}
}

func (r *runner) restart(from int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := r.cur
	if cur.id != from || r.ctx.Err() != nil {
		return
	}
	cur.cancel()
	<-cur.done
	if cur.close != nil {
		cur.close()
	}
	d, err := r.opts.Presenter.Restart(r.ctx)
	if err != nil {
		r.p.Send(roundMsg{round: cur.id, msg: doneMsg{outcome: cur.res.out, err: fmt.Errorf("restarting the demo: %w", err)}})
		return
	}
	r.start(d.Config, d.Person, d.Close)
}

// finish waits for the run on screen to end, closes the worlds restarts built, and returns
// its result.
func (r *runner) finish() runResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := r.cur
	<-cur.done
	if cur.close != nil {
		cur.close()
	}
	return cur.res
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
	inner := msg
	if rm, ok := msg.(roundMsg); ok {
		inner = rm.msg
	}
	switch inner.(type) {
	case eventMsg, askMsg, promptMsg, browserMsg, noBrowserMsg, doneMsg, tea.KeyPressMsg, pilotKeyMsg, resetMsg:
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
