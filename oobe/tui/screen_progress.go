package tui

import (
	"fmt"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/oobe-dev/oobe/oobe"
)

// updateCheckScreen is "Checking for updates": a calm line with the time it has taken, then
// what the check found.
type updateCheckScreen struct {
	c     *Common
	since time.Time // the stage's enter event
	found string    // the flow's "No critical updates to install", once said
}

func newUpdateCheckScreen(c *Common) screen { return &updateCheckScreen{c: c} }

func (s *updateCheckScreen) update(msg tea.Msg) tea.Cmd {
	if m, ok := msg.(eventMsg); ok {
		switch e := m.event; e.Kind {
		case oobe.EventEnter:
			s.since, s.found = e.At, ""
		case oobe.EventInfo:
			s.found = e.Text
		}
	}
	return nil
}

func (s *updateCheckScreen) view() string {
	c := s.c
	head := setupHeading(c, oobe.StageUpdateCheck.Title(), "Setup is looking for critical updates for itself. This might take several minutes.")
	if s.found != "" {
		return stack(head, "", fitText(c, c.Styles.Success, "✓ "+s.found))
	}
	return stack(head, "", workingLine(c, "Checking for updates…", s.since))
}

func (s *updateCheckScreen) help() []key.Binding       { return nil }
func (s *updateCheckScreen) fullHelp() [][]key.Binding { return nil }

// workingLine is what a screen that waits on the flow says it is doing, with the time it has
// taken so far on the flow's clock (a line that does not move when the UI does not tick).
func workingLine(c *Common, doing string, since time.Time) string {
	st := c.Styles
	line := st.Key.Render("•") + " " + st.Body.Render(doing)
	if !since.IsZero() {
		line += st.Subtle.Render("  " + durationText(c.Clock.Now().Sub(since)))
	}
	return st.Body.MaxWidth(max(c.Width, 1)).Render(line)
}

// durationText is a duration as minutes and seconds ("14:32"), rounded up to the second so a
// countdown reads 0:00 only when it has run out.
func durationText(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	secs := int((d + time.Second - 1) / time.Second)
	return fmt.Sprintf("%d:%02d", secs/60, secs%60)
}

// profileScreen is "Getting the Autopilot profile": the download, then the tenant and the
// device name the profile gives.
type profileScreen struct {
	c        *Common
	since    time.Time
	branding *oobe.Branding
	warnings []string
}

func newProfileScreen(c *Common) screen { return &profileScreen{c: c} }

func (s *profileScreen) update(msg tea.Msg) tea.Cmd {
	if m, ok := msg.(eventMsg); ok {
		switch e := m.event; e.Kind {
		case oobe.EventEnter:
			s.since, s.branding, s.warnings = e.At, nil, nil
		case oobe.EventInfo:
			if b, ok := e.Detail.(oobe.Branding); ok {
				s.branding = &b
			}
		case oobe.EventWarning:
			s.warnings = append(s.warnings, e.Text)
		}
	}
	return nil
}

func (s *profileScreen) view() string {
	c := s.c
	st := c.Styles
	head := setupHeading(c, oobe.StageAutopilotProfile.Title(), "Windows is getting your organization's settings for this PC.")
	parts := []string{head, ""}
	if s.branding == nil {
		parts = append(parts, workingLine(c, "Downloading the profile…", s.since))
	} else {
		b := s.branding
		parts = append(parts, fitText(c, st.Success, "✓ Your organization's settings are ready"), "")
		rows := [][2]string{{"Organization", b.TenantName}}
		if b.DeviceName != "" {
			rows = append(rows, [2]string{"Device name", b.DeviceName})
		}
		if b.DeploymentMode != "" {
			rows = append(rows, [2]string{"Deployment", deploymentName(b.DeploymentMode)})
		}
		w := min(max(c.Width, 20), 60)
		var body []string
		for _, r := range rows {
			body = append(body, st.Subtle.Render(fmt.Sprintf("%-14s", r[0]))+st.Body.Render(r[1]))
		}
		parts = append(parts, st.Panel.Width(w).Render(st.Body.MaxWidth(w-4).Render(stack(body...))))
	}
	for _, wn := range s.warnings {
		parts = append(parts, "", fitText(c, st.Warning, "! "+wn))
	}
	return stack(parts...)
}

// deploymentName is an Autopilot deployment mode as Intune shows it.
func deploymentName(mode string) string {
	switch mode {
	case "userDriven":
		return "User-driven"
	case "selfDeploying":
		return "Self-deploying"
	}
	return mode
}

func (s *profileScreen) help() []key.Binding       { return nil }
func (s *profileScreen) fullHelp() [][]key.Binding { return nil }
