// Package when says times the way people say them, the same on every screen: the terminal
// UI, the accessible prompts and the CLI. It reads no clock: now is always given.
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
		return nOf(int(d.Minutes()), "minute") + " ago"
	case days == 0:
		return nOf(int(d.Hours()), "hour") + " ago"
	case days == 1:
		return "yesterday"
	case days < 14:
		return nOf(days, "day") + " ago"
	case days < 60:
		return nOf(days/7, "week") + " ago"
	case days < 730:
		return nOf(days/30, "month") + " ago"
	}
	return nOf(days/365, "year") + " ago"
}

// nOf is "1 day", "3 days".
func nOf(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
