package when

import (
	"testing"
	"time"
)

func TestAgoCountsCalendarDaysAsAPersonDoes(t *testing.T) {
	now := time.Date(2026, 11, 21, 9, 4, 10, 0, time.UTC)
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{now.Add(time.Minute), "in the future"},
		{now.Add(-20 * time.Second), "just now"},
		{now.Add(-5 * time.Minute), "5 minutes ago"},
		{now.Add(-time.Hour), "1 hour ago"},
		{time.Date(2026, 11, 20, 23, 0, 0, 0, time.UTC), "yesterday"},
		{time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC), "3 days ago"},
		{time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC), "2 weeks ago"},
		{time.Date(2026, 9, 2, 17, 40, 0, 0, time.UTC), "2 months ago"},
		{time.Date(2023, 9, 2, 17, 40, 0, 0, time.UTC), "3 years ago"},
	} {
		if got := Ago(now, tc.at); got != tc.want {
			t.Errorf("Ago(%s) = %q, want %q", tc.at, got, tc.want)
		}
	}
}

func TestTimesAreShownInUTCWhateverZoneTheyCameIn(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	at := time.Date(2026, 11, 18, 11, 0, 0, 0, berlin) // 10:00 UTC
	if got, want := Date(at), "18 November 2026"; got != want {
		t.Errorf("Date = %q, want %q", got, want)
	}
	if got, want := TimeOfDay(at), "10:00 UTC"; got != want {
		t.Errorf("TimeOfDay = %q, want %q", got, want)
	}
	if got, want := Stamp(at), "18 November 2026, 10:00 UTC"; got != want {
		t.Errorf("Stamp = %q, want %q", got, want)
	}
}

func TestCountSaysOneThingAndManyThings(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{Count(1, "time"), "1 time"},
		{Count(4, "time"), "4 times"},
		{Count(0, "PC"), "0 PCs"},
		{Count(1, "category", "categories"), "1 category"},
		{Count(3, "category", "categories"), "3 categories"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
