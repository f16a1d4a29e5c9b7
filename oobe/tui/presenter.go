package tui

import (
	"context"
	"fmt"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/oobe"
)

// Presenter turns a --demo pilot into a presenter's tool: a DEMO badge, pause and resume,
// step, restart and speed keys, every other key ignored, and the setup's own waits in
// virtual time at the presenter's pace. The world behind the run must keep virtual time
// (sim.Virtual): the presenter, not the clock, decides how long a wait shows.
type Presenter struct {
	// Restart builds a fresh world for the next run, as the first was built: a restart and a
	// loop start again from the first screen with it. nil turns restart and loop off.
	Restart func(ctx context.Context) (DemoRun, error)
	// Loop restarts the demo when it reaches the desktop or fails, until it is quit (a booth).
	Loop bool
	// Speed is how many times faster than a real PC the setup's own waits show (--speed);
	// no wait shows longer than the pilot's pace.
	Speed float64
}

// DemoRun is one run of a presenter's demo: the flow's configuration from a fresh world,
// the person the pilot presses keys for, and what closes the world.
type DemoRun struct {
	Config oobe.Config
	Person oobe.Person
	Close  func()
}

// presenterSpeeds are the speeds the presenter's keys step through; 1 is the pace given.
var presenterSpeeds = []float64{0.25, 0.5, 1, 2, 4, 8}

// presenter is the state the presenter's keys change, shared by the UI (which changes it),
// the pilot and the flow's clock (which wait on it).
type presenter struct {
	mu       sync.Mutex
	paused   bool
	stepping bool // a step is under way: the next screen pauses again
	skip     bool // the wait under way (or the next) ends at once: a step's
	speed    int  // index into presenterSpeeds
	wake     chan struct{}
}

func newPresenter() *presenter {
	return &presenter{speed: 2, wake: make(chan struct{})}
}

// changed wakes every wait; the caller holds mu.
func (p *presenter) changed() {
	close(p.wake)
	p.wake = make(chan struct{})
}

// presenterState is what the header and footer show.
type presenterState struct {
	paused bool
	speed  float64
}

func (p *presenter) state() presenterState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return presenterState{paused: p.paused && !p.stepping, speed: presenterSpeeds[p.speed]}
}

// togglePause pauses a running demo or resumes a paused one.
func (p *presenter) togglePause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paused, p.stepping, p.skip = !p.paused, false, false
	p.changed()
}

// step, while paused, ends the wait under way and runs to the next screen, where the demo
// pauses again. Running, it does nothing.
func (p *presenter) step() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.paused || p.stepping {
		return
	}
	p.stepping, p.skip = true, true
	p.changed()
}

// faster and slower change the speed by one step.
func (p *presenter) faster() { p.setSpeed(+1) }
func (p *presenter) slower() { p.setSpeed(-1) }

func (p *presenter) setSpeed(d int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.speed = min(max(p.speed+d, 0), len(presenterSpeeds)-1)
	p.changed()
}

// arrived is told each new screen (a stage entered, a question asked, a code shown): a
// step ends there.
func (p *presenter) arrived() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stepping {
		p.stepping, p.paused, p.skip = false, true, false
		p.changed()
	}
}

// wait waits d at the presenter's pace: d divided by the speed, not counting while paused,
// ended at once by a step. It is real time, as a room watches it.
func (p *presenter) wait(ctx context.Context, d time.Duration) error {
	left := d // at speed 1
	for {
		p.mu.Lock()
		if p.skip {
			p.skip = false
			p.mu.Unlock()
			return ctx.Err()
		}
		paused, stepping, speed, wake := p.paused, p.stepping, presenterSpeeds[p.speed], p.wake
		p.mu.Unlock()
		if left <= 0 {
			return ctx.Err()
		}
		if paused && !stepping {
			select {
			case <-wake:
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		real := time.Duration(float64(left) / speed)
		start := time.Now()
		t := time.NewTimer(real)
		select {
		case <-t.C:
			return ctx.Err()
		case <-wake:
			t.Stop()
			left -= time.Duration(float64(time.Since(start)) * speed)
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}

// presenterClock is the flow's clock under a presenter: each of the setup's waits shows for
// its length divided by speed, at most most, at the presenter's pace, then passes in
// virtual time (the world's clock moves the whole of it). A device code's 15 minutes or an
// ESP timeout's hour pass the same way.
type presenterClock struct {
	clock.Clock
	p     *presenter
	speed float64
	most  time.Duration
}

func (c presenterClock) Sleep(ctx context.Context, d time.Duration) error {
	if d > 0 {
		show := min(time.Duration(float64(d)/max(c.speed, 1)), c.most)
		if err := c.p.wait(ctx, show); err != nil {
			return err
		}
	}
	return c.Clock.Sleep(ctx, d)
}

// demo is the model's side of the presenter mode.
type demo struct {
	p *presenter
	// restart starts again from the first screen with a fresh world, after waiting after at
	// the presenter's pace, unless the run from has been replaced meanwhile; nil: no restart.
	restart func(from int, after time.Duration) tea.Cmd
	loop    bool
	// linger is how long the last screen stays before a loop restarts.
	linger time.Duration
}

// demoBadge is the header's badge: DEMO, and paused or the speed.
func demoBadge(st presenterState) string {
	if st.paused {
		return "DEMO ❚❚ paused"
	}
	return "DEMO ▶ " + speedText(st.speed)
}

func speedText(s float64) string {
	switch s {
	case 0.25:
		return "¼×"
	case 0.5:
		return "½×"
	}
	return fmt.Sprintf("%g×", s)
}
