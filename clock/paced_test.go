package clock

import (
	"context"
	"testing"
	"time"
)

// fakeWall is a wall clock the test moves by hand.
type fakeWall struct{ t time.Time }

func (w *fakeWall) now() time.Time { return w.t }

func TestPacedStandsStillUntilStartThenFollowsTheWall(t *testing.T) {
	start := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	w := &fakeWall{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	p := NewPaced(start)
	p.wall = w.now
	if err := p.Sleep(context.Background(), 8*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	w.t = w.t.Add(time.Hour) // the wall moves; a stopped clock does not follow
	if got, want := p.Now(), start.Add(8*24*time.Hour); !got.Equal(want) {
		t.Fatalf("before Start: Now = %v, want %v (slept, not walled)", got, want)
	}
	p.Set(start) // earlier: ignored
	p.Start()
	w.t = w.t.Add(90 * time.Second)
	if got, want := p.Now(), start.Add(8*24*time.Hour+90*time.Second); !got.Equal(want) {
		t.Fatalf("after Start: Now = %v, want %v", got, want)
	}
	p.Set(start.Add(9 * 24 * time.Hour))
	if got, want := p.Now(), start.Add(9*24*time.Hour); !got.Equal(want) {
		t.Fatalf("Set forward while running: Now = %v, want %v", got, want)
	}
}

func TestFastSleepTakesAFractionOfTheTimeAndMovesTheClockAllTheWay(t *testing.T) {
	start := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	p := NewPaced(start)
	p.Start()
	f := p.Fast(1e6)
	before, wall := p.Now(), time.Now()
	if err := f.Sleep(context.Background(), 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	if moved := p.Now().Sub(before); moved < 10*time.Minute {
		t.Fatalf("a fast sleep of 10m moved the clock %v", moved)
	}
	// The real wait is 600 µs; the bound only says it was not the full ten minutes.
	if took := time.Since(wall); took >= 10*time.Minute {
		t.Fatalf("a fast sleep took %v of real time", took)
	}
}

func TestFastSleepBeforeStartIsVirtual(t *testing.T) {
	start := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	p := NewPaced(start)
	if err := p.Fast(2).Sleep(context.Background(), time.Hour); err != nil {
		t.Fatal(err)
	}
	if got := p.Now(); !got.Equal(start.Add(time.Hour)) {
		t.Fatalf("Now = %v, want an hour later", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Fast(2).Sleep(ctx, time.Hour); err == nil {
		t.Fatal("a sleep on a cancelled context succeeded")
	}
}
