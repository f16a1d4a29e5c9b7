// Package when says times the way people say them, the same on every screen: the terminal
// UI, the accessible prompts and the CLI. It reads no clock: now is always given. Every time
// shown to a person is in UTC, and says so where it gives a time of day (docs/tui.md).
package when

import (
	"fmt"
	"time"
)

// Ago says how long before now t was, by calendar days as a person counts them: "2 hours ago",
// "yesterday", "3 days ago", "2 months ago".
func Ago(now, t time.Time) string {
	now, t = now.UTC(), t.UTC()
	d := now.Sub(t)
	if d < 0 {
		return "in the future"
	}
	y1, m1, d1 := now.Date()
	y2, m2, d2 := t.Date()
	days := int(time.Date(y1, m1, d1, 0, 0, 0, 0, time.UTC).Sub(time.Date(y2, m2, d2, 0, 0, 0, 0, time.UTC)).Hours() / 24)
	switch {
	case days == 0 && d < time.Minute:
		return "just now"
	case days == 0 && d < time.Hour:
		return Count(int(d.Minutes()), "minute") + " ago"
	case days == 0:
		return Count(int(d.Hours()), "hour") + " ago"
	case days == 1:
		return "yesterday"
	case days < 14:
		return Count(days, "day") + " ago"
	case days < 60:
		return Count(days/7, "week") + " ago"
	case days < 730:
		return Count(days/30, "month") + " ago"
	}
	return Count(days/365, "year") + " ago"
}

// Date is t's day as a person reads it, in UTC: "18 November 2026".
func Date(t time.Time) string { return t.UTC().Format("2 January 2006") }

// TimeOfDay is t's time to the minute, in UTC and saying so: "14:48 UTC".
func TimeOfDay(t time.Time) string { return t.UTC().Format("15:04") + " UTC" }

// Stamp is t to the minute with its day, in UTC: "18 November 2026, 10:00 UTC".
func Stamp(t time.Time) string { return Date(t) + ", " + TimeOfDay(t) }

// Count is n of a noun with the noun's plural when n is not 1: "1 item", "4 times", "0 PCs".
// The plural is noun+"s"; give it when it is not ("1 category", "3 categories").
func Count(n int, noun string, plural ...string) string {
	if n == 1 {
		return "1 " + noun
	}
	if len(plural) > 0 {
		return fmt.Sprintf("%d %s", n, plural[0])
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
