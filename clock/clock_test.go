package clock

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestVirtualSleepMovesTimeWithoutWaiting(t *testing.T) {
	start := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	c := NewVirtual(start)
	if err := c.Sleep(context.Background(), 15*time.Minute); err != nil {
		t.Fatal(err)
	}
	if got, want := c.Now(), start.Add(15*time.Minute); !got.Equal(want) {
		t.Fatalf("Now() = %v, want %v", got, want)
	}
}

func TestVirtualSleepOnCancelledContextKeepsTime(t *testing.T) {
	start := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	c := NewVirtual(start)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep on a cancelled context = %v, want context.Canceled", err)
	}
	if !c.Now().Equal(start) {
		t.Fatalf("time moved to %v on a cancelled sleep", c.Now())
	}
}

func TestVirtualNeverRunsBackwards(t *testing.T) {
	start := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	c := NewVirtual(start)
	c.Advance(-time.Hour)
	c.Set(start.Add(-time.Minute))
	if !c.Now().Equal(start) {
		t.Fatalf("time moved backwards to %v", c.Now())
	}
	c.Set(start.Add(time.Minute))
	if !c.Now().Equal(start.Add(time.Minute)) {
		t.Fatalf("Set forward did not move time: %v", c.Now())
	}
}

func TestRealSleepReturnsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (Real{}).Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Real.Sleep on a cancelled context = %v, want context.Canceled", err)
	}
}
