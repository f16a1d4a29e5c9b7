package clock

import (
	"context"
	"sync"
	"time"
)

// Paced is the clock of a run with a person at the screen. Until Start it stands still and
// moves only when slept on, as Virtual does, so a scenario's history (an old PC's weeks of
// backups) is set up in no time. From Start it follows the wall clock from where it stood:
// a device code lasts its real 15 minutes. Fast gives a view of it for the setup's own
// waits, which pass quicker than they would on a real PC.
type Paced struct {
	mu     sync.Mutex
	base   time.Time // the time at anchor
	anchor time.Time // the wall time Start was called; zero while standing still
	wall   func() time.Time
}

// NewPaced returns a paced clock standing still at start.
func NewPaced(start time.Time) *Paced { return &Paced{base: start, wall: time.Now} }

// Now returns the paced time.
func (p *Paced) Now() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.now()
}

func (p *Paced) now() time.Time {
	if p.anchor.IsZero() {
		return p.base
	}
	return p.base.Add(p.wall().Sub(p.anchor))
}

// Start sets the clock going with the wall clock; calling it again changes nothing.
func (p *Paced) Start() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.anchor.IsZero() {
		p.anchor = p.wall()
	}
}

func (p *Paced) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.anchor.IsZero()
}

// Sleep waits d in real time once started; before, it moves the time forward at once.
func (p *Paced) Sleep(ctx context.Context, d time.Duration) error {
	if !p.running() {
		if err := ctx.Err(); err != nil {
			return err
		}
		p.Advance(d)
		return nil
	}
	return Real{}.Sleep(ctx, d)
}

// Advance moves the time forward by d without waiting; a negative d is ignored.
func (p *Paced) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	p.mu.Lock()
	p.base = p.base.Add(d)
	p.mu.Unlock()
}

// Set moves the time to t if t is later than now.
func (p *Paced) Set(t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if now := p.now(); t.After(now) {
		p.base = p.base.Add(t.Sub(now))
	}
}

// Fast is a view of p whose Sleep waits 1/speed of d in real time and moves the clock the
// rest of the way at the end, so its sleeper sees d pass. Everyone else sees the same time
// and simply finds it later than the wall clock says (a token may expire sooner, as it would
// have on a real PC that waited). A speed below 1 counts as 1.
func (p *Paced) Fast(speed float64) Clock {
	return fast{p: p, speed: max(speed, 1)}
}

type fast struct {
	p     *Paced
	speed float64
}

func (f fast) Now() time.Time { return f.p.Now() }

func (f fast) Sleep(ctx context.Context, d time.Duration) error {
	if !f.p.running() || d <= 0 {
		return f.p.Sleep(ctx, d)
	}
	real := time.Duration(float64(d) / f.speed)
	if err := (Real{}).Sleep(ctx, real); err != nil {
		return err
	}
	f.p.Advance(d - real)
	return nil
}
