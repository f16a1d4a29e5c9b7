package tui

import (
	"testing"
	"time"

	"github.com/oobe-dev/oobe/oobe"
)

// A sped-up wait (clock.Paced.Fast at speed 30) moves the flow's clock at the wall clock's
// pace for d/30, then by the rest of d at once; the ESP's elapsed time should not follow it
// by seconds and then minutes.
func TestTheESPsElapsedTimeMovesWithTheClockEachFrameNotInJumps(t *testing.T) {
	const speed, wait = 30, 8 * time.Minute // a wait takes 16 s of the wall clock
	real := wait / speed
	start := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	wallStart := time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC)
	flowAt := func(w time.Duration) time.Time { // the flow's clock, w into back-to-back waits
		k := w / real
		return start.Add(k*wait + (w - k*real))
	}
	var p paceWatch
	var prev time.Time
	for s := 0; s <= 5*int(real/time.Second); s++ {
		w := time.Duration(s) * time.Second
		flow := flowAt(w)
		shown := p.frame(flow, wallStart.Add(w))
		if shown.Before(flow) {
			t.Fatalf("at %s the elapsed time shows %s, behind the clock's %s", w, shown.Sub(start), flow.Sub(start))
		}
		if s > 0 && shown.Before(prev) {
			t.Fatalf("at %s the elapsed time went back from %s to %s", w, prev.Sub(start), shown.Sub(start))
		}
		// After the first wait has shown the pace, each frame moves about speed seconds.
		if w > real && shown.Sub(prev) > (speed+1)*time.Second {
			t.Errorf("at %s the elapsed time jumped %s in one frame", w, shown.Sub(prev))
		}
		if w > real+time.Second && shown.Sub(prev) < (speed-1)*time.Second {
			t.Errorf("at %s the elapsed time moved only %s in a frame of a %d× wait", w, shown.Sub(prev), speed)
		}
		prev = shown
	}
}

func TestTheESPsElapsedTimeIsTheClocksWithoutFrames(t *testing.T) {
	m, clk := testModel(t)
	e := m.screens[oobe.StageESP].(*espScreen)
	if !e.now().Equal(clk.Now()) {
		t.Fatalf("without frames the ESP shows %s, not the clock's %s", e.now(), clk.Now())
	}
}
