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
