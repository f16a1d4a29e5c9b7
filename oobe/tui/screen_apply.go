package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/internal/when"
	"github.com/oobe-dev/oobe/oobe"
)

// qualityUpdatesScreen is the ESP's "Install Windows quality updates": a wait of 20 to 40
// minutes, with the time gone by.
type qualityUpdatesScreen struct {
	c *Common
}

func newQualityUpdatesScreen(c *Common) screen { return &qualityUpdatesScreen{c: c} }

func (q *qualityUpdatesScreen) update(tea.Msg) tea.Cmd { return nil }

func (q *qualityUpdatesScreen) view() string {
	c, s := q.c, q.c.Styles
	w := c.Width
	elapsed := ""
	if at := enteredAt(c.Flow, oobe.StageQualityUpdates); !at.IsZero() {
		elapsed = elapsedText(c.Clock.Now().Sub(at)) + " elapsed"
	}
	lines := []string{
		titleWithNote(s, oobe.StageQualityUpdates.Title(), elapsed, w),
		wrapTo(s.Subtitle, "Your organization installs the latest Windows quality updates before you reach the desktop. Your PC might restart; keep it on and plugged in.", w),
		"",
	}
	if d := qualityUpdateTime(c.Flow); d > 0 {
		lines = append(lines, wrapTo(s.Body, "This takes about "+when.Count(int(d.Minutes()), "minute")+".", w))
	} else {
		lines = append(lines, wrapTo(s.Body, "This usually takes 20 to 40 minutes.", w))
	}
	for _, ev := range c.Flow.Transcript {
		if ev.Stage == oobe.StageQualityUpdates && ev.Kind == oobe.EventInfo && !strings.HasPrefix(ev.Text, "Installing Windows quality updates") {
			lines = append(lines, hangIndent(s.Success.Render("✓ "), s.Body, ev.Text, w))
		}
	}
	return strings.Join(lines, "\n")
}

// qualityUpdateTime is how long the flow said the updates take ("Installing Windows quality
// updates (25m0s)"), or 0.
func qualityUpdateTime(f *FlowState) time.Duration {
	for i := len(f.Transcript) - 1; i >= 0; i-- {
		ev := f.Transcript[i]
		if ev.Stage != oobe.StageQualityUpdates {
			continue
		}
		rest, ok := strings.CutPrefix(ev.Text, "Installing Windows quality updates (")
		if !ok {
			continue
		}
		if d, err := time.ParseDuration(strings.TrimSuffix(rest, ")")); err == nil {
			return d
		}
	}
	return 0
}

func (q *qualityUpdatesScreen) help() []key.Binding       { return nil }
func (q *qualityUpdatesScreen) fullHelp() [][]key.Binding { return nil }

// restoreApplyScreen is "Restoring your settings and apps": a progress bar of the items done,
// and what each finished category restored, skipped and failed: setup's restore, or the one
// at the user's first sign-in after setup (stage).
type restoreApplyScreen struct {
	c     *Common
	stage oobe.Stage
}

func newRestoreApplyScreen(c *Common, stage oobe.Stage) screen {
	return &restoreApplyScreen{c: c, stage: stage}
}

func (r *restoreApplyScreen) update(tea.Msg) tea.Cmd { return nil }

func (r *restoreApplyScreen) view() string {
	c, s := r.c, r.c.Styles
	w := c.Width
	elapsed := ""
	if at := enteredAt(c.Flow, r.stage); !at.IsZero() {
		elapsed = elapsedText(c.Clock.Now().Sub(at)) + " elapsed"
	}
	sub := "Keep your PC on. Your settings and Microsoft Store apps are coming back."
	if from := restoringFrom(c.Flow, r.stage); from != "" {
		sub = "Restoring from " + from + ". Keep your PC on."
	}
	if r.stage.AfterDesktop() {
		sub = "Your first sign-in since setup. " + sub
	}
	lines := []string{
		titleWithNote(s, r.stage.Title(), elapsed, w),
		wrapTo(s.Subtitle, sub, w),
		"",
	}
	done, total := 0, 0
	if n := len(c.Flow.Progress); n > 0 {
		done, total = c.Flow.Progress[n-1].Done, c.Flow.Progress[n-1].Total
	}
	status := "Getting ready…"
	if total > 0 {
		status = fmt.Sprintf("%d of %s · %d%%", done, when.Count(total, "item"), done*100/total)
	}
	barW := max(min(w-lipgloss.Width(status)-2, 60), 10)
	lines = append(lines, progressBar(s, done, total, barW)+"  "+s.Body.Render(status), "")

	if len(c.Flow.Progress) > 0 {
		nameW := max(min(w-3*10-2, 40), 12)
		cell := func(st lipgloss.Style, v string) string {
			return st.Render(fmt.Sprintf("%10s", v))
		}
		lines = append(lines, "  "+s.Subtle.Render(fmt.Sprintf("%-*s", nameW, "Category"))+
			cell(s.Subtle, "Restored")+cell(s.Subtle, "Skipped")+cell(s.Subtle, "Failed"))
		for _, p := range c.Flow.Progress {
			mark := s.Success.Render("✓")
			if p.Counts.Failed > 0 {
				mark = s.Danger.Render("✗")
			}
			name := backup.CategoryTitle(p.Category)
			if lipgloss.Width(name) > nameW {
				name = truncateTo(name, nameW-1) + "…"
			}
			failed := cell(s.Body, fmt.Sprint(p.Counts.Failed))
			if p.Counts.Failed > 0 {
				failed = cell(s.Danger, fmt.Sprint(p.Counts.Failed))
			}
			lines = append(lines, mark+" "+s.Body.Render(name)+strings.Repeat(" ", max(nameW-lipgloss.Width(name), 0))+
				cell(s.Body, fmt.Sprint(p.Counts.Applied))+cell(s.Body, fmt.Sprint(skippedCount(p.Counts)))+failed)
		}
		if done < total {
			lines = append(lines, s.Subtle.Render("◌ the rest is on its way…"))
		}
	}
	return strings.Join(windowAround(lines, len(lines)-1, c.Height), "\n")
}

// restoringFrom is the previous PC being restored, from the flow's "Restoring from NAME
// (VERSION)" line at stage: "ADELE-SURFACE (Windows 11 24H2 (10.0.26100.4946))".
func restoringFrom(f *FlowState, stage oobe.Stage) string {
	for i := len(f.Transcript) - 1; i >= 0; i-- {
		ev := f.Transcript[i]
		if ev.Stage != stage || ev.Kind != oobe.EventInfo {
			continue
		}
		rest, ok := strings.CutPrefix(ev.Text, "Restoring from ")
		if !ok {
			continue
		}
		if name, version, ok := strings.Cut(rest, " ("); ok {
			return name + ", " + windowsRelease(strings.TrimSuffix(version, ")"))
		}
		return rest
	}
	return ""
}

// progressBar draws done of total as a bar w cells wide.
func progressBar(s *Styles, done, total, w int) string {
	full := 0
	if total > 0 {
		full = min(done*w/total, w)
	}
	return s.ProgressFull.Render(strings.Repeat("█", full)) + s.ProgressEmpty.Render(strings.Repeat("░", w-full))
}

func (r *restoreApplyScreen) help() []key.Binding       { return nil }
func (r *restoreApplyScreen) fullHelp() [][]key.Binding { return nil }
