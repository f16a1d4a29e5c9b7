package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/restore/apply"
)

// desktopScreen is the end of setup: who is signed in on which device, Intune's restore status,
// and item by item what the restore brought back, skipped and failed, with why. It scrolls.
type desktopScreen struct {
	c      *Common
	scroll lineScroller
}

func newDesktopScreen(c *Common) screen { return &desktopScreen{c: c} }

func (d *desktopScreen) update(msg tea.Msg) tea.Cmd {
	if msg, ok := msg.(tea.KeyPressMsg); ok {
		d.scroll.key(d.c.Keys, msg, len(d.lines()), d.bodyHeight())
	}
	return nil
}

func (d *desktopScreen) header() string {
	s, w, fs := d.c.Styles, d.c.Width, d.c.Flow
	took := ""
	if o := fs.Outcome; o != nil && len(fs.Transcript) > 0 {
		// Setup ends at the desktop; the first sign-in after it is not part of its time.
		last := len(fs.Transcript) - 1
		for i, e := range fs.Transcript {
			if e.Stage.AfterDesktop() {
				last = max(i-1, 0)
				break
			}
		}
		took = "setup took " + elapsedText(fs.Transcript[last].At.Sub(fs.Transcript[0].At))
	}
	sub := wrapTo(s.Subtitle, "Finishing setup…", w)
	if fs.Outcome != nil {
		sub = hangIndent(s.Success.Render("✓ "), s.Body, "Setup is complete. Your PC is ready to use.", w)
	}
	return titleWithNote(s, oobe.StageDesktop.Title(), took, w) + "\n" + sub + "\n"
}

func (d *desktopScreen) bodyHeight() int { return max(d.c.Height-lineCount(d.header()), 1) }

func (d *desktopScreen) lines() []string {
	s, w, fs := d.c.Styles, d.c.Width, d.c.Flow
	o := fs.Outcome
	if o == nil {
		return nil
	}
	// The facts are the run's summary, as the text summary and the accessible mode tell them.
	sum := oobe.Summarize(o)
	var out []string
	add := func(block string) { out = append(out, strings.Split(block, "\n")...) }
	const labelW = 17
	fact := func(label, value string) {
		add(hangIndent(s.Subtle.Render(fmt.Sprintf("%-*s", labelW, label)), s.Body, value, w))
	}
	user := o.User
	if user == "" {
		user = fs.User
	}
	if user != "" {
		fact("Signed in as", user)
	}
	switch sum.DeviceNameFrom {
	case oobe.NameFromRestore:
		fact("Device name", sum.DeviceName+" (restored from the backup)")
	case oobe.NameFromAutopilot:
		fact("Device name", sum.DeviceName+" (named by the Autopilot profile)")
	default:
		if sum.DeviceName != "" {
			fact("Device name", sum.DeviceName)
		}
	}
	status := o.IntuneStatus
	switch {
	case status == "":
		status = "not reported (no restore decision was made)"
	case o.Reported:
		status += " · reported to Intune"
	default:
		status += " · not reported: the status did not reach Intune"
	}
	fact("Intune restore", status)
	if r := o.Report; r != nil {
		fact("Restored from", r.Source.DeviceName+" · "+windowsRelease(r.Source.OSVersion))
	}

	switch {
	case o.Report != nil:
		out = append(out, "")
		out = append(out, d.reportLines(o.Report)...)
	case o.Eligibility != nil && !o.Eligibility.Eligible:
		add("")
		text := "The restore page didn't show, so nothing was restored:"
		if o.FirstSignIn != nil {
			text = "The restore page didn't show during setup:"
		}
		add(hangIndent(s.Warning.Render("! "), s.Body, text, w))
		for _, r := range o.Eligibility.Reasons {
			add(hangIndent("    "+s.Danger.Render("✗")+" ", s.Body, r.Message+" ["+r.ID+"]", w))
		}
	case o.RestorePage && o.Chosen == "":
		add("")
		add(hangIndent(s.Success.Render("✓ "), s.Body, "You chose Set up as new PC: nothing was restored, and this PC starts with your organization's settings.", w))
	case o.IntuneStatus == backup.StatusFailed:
		add("")
		add(hangIndent(s.Danger.Render("✗ "), s.Body, "Your settings and apps could not be restored.", w))
	}
	if len(sum.ContinuedPast) > 0 {
		add("")
		add(s.Title.Render("Errors setup got past"))
		for _, p := range sum.ContinuedPast {
			text := p.Text
			if p.Code != "" && !strings.Contains(strings.ToLower(text), strings.ToLower(p.Code)) {
				text += " (" + p.Code + ")"
			}
			add(hangIndent(s.Warning.Render("! "), s.Body, text, w))
			if p.Explanation != nil {
				add(hangIndent("  ", s.Subtle, p.Explanation.Meaning, w))
			}
		}
	}
	if o.FirstSignIn != nil {
		out = append(out, "")
		out = append(out, d.firstSignInLines(o.FirstSignIn)...)
	}
	return out
}

// firstSignInLines say what happened at the user's first sign-in after setup: restored from
// a previous PC (with what came back), set up as new, not offered and why, or failed.
func (d *desktopScreen) firstSignInLines(f *oobe.FirstSignInOutcome) []string {
	s, w := d.c.Styles, d.c.Width
	var out []string
	add := func(block string) { out = append(out, strings.Split(block, "\n")...) }
	add(s.Title.Render("At your first sign-in after setup"))
	from := f.Chosen
	for _, b := range f.Backups {
		if b.WindowsDeviceID == f.Chosen {
			from = b.DeviceName
		}
	}
	switch el := f.Eligibility; {
	case f.Report != nil:
		add(hangIndent(s.Success.Render("✓ "), s.Body, "Windows offered the restore page, and you restored from "+f.Report.Source.DeviceName+" · "+windowsRelease(f.Report.Source.OSVersion)+":", w))
		out = append(out, d.reportLines(f.Report)...)
	case f.Chosen != "" && f.Error != "":
		label := "Restoring from " + from + " failed"
		if f.ErrorCode != "" {
			label += " (" + f.ErrorCode + ")"
		}
		add(hangIndent(s.Danger.Render("✗ "), s.Body, label+": "+f.Error, w))
		if meaning, _, ok := errorHelp(f.ErrorCode); ok {
			add(hangIndent("  ", s.Subtle, meaning, w))
		}
	case f.RestorePage:
		add(hangIndent(s.Success.Render("✓ "), s.Body, "Windows offered the restore page, and you chose Set up as new PC: nothing was restored.", w))
	case el != nil && !el.Eligible:
		add(hangIndent(s.Warning.Render("! "), s.Body, "Windows did not offer to restore a previous PC:", w))
		for _, r := range el.Reasons {
			add(hangIndent("    "+s.Danger.Render("✗")+" ", s.Body, r.Message+" ["+r.ID+"]", w))
			if r.Fix != "" {
				add(hangIndent("      ", s.Subtle, "What to do: "+r.Fix, w))
			}
		}
	case f.Error != "":
		add(hangIndent(s.Warning.Render("! "), s.Body, "Windows could not check whether to offer a restore, so it did not: "+f.Error, w))
	}
	add(hangIndent("  ", s.Subtle, "Intune's reporting for this moment is not documented, so no status was sent.", w))
	return out
}

// reportLines are a restore's counts, then its items grouped by outcome, each with its reason.
func (d *desktopScreen) reportLines(r *apply.Report) []string {
	s, w := d.c.Styles, d.c.Width
	c := r.Counts
	var out []string
	add := func(block string) { out = append(out, strings.Split(block, "\n")...) }
	summary := fmt.Sprintf("%d restored · %d already set · %d kept by policy · %d not supported · %d not restorable · ",
		c.Applied, c.AlreadySet, c.KeptByPolicy, c.NotSupported, c.NotRestorable)
	failed := s.Body.Render(fmt.Sprintf("%d failed", c.Failed))
	if c.Failed > 0 {
		failed = s.Danger.Render(fmt.Sprintf("%d failed", c.Failed))
	}
	add(wrapTo(lipgloss.NewStyle(), s.Body.Render(summary)+failed, w))
	order := []apply.Outcome{apply.Failed, apply.Applied, apply.AlreadySet, apply.KeptByPolicy, apply.NotSupported, apply.NotRestorable}
	for _, oc := range order {
		n := c.Of(oc)
		if n == 0 {
			continue
		}
		out = append(out, "")
		mark, st := applyOutcomeMark(s, oc)
		add(s.Title.Render(fmt.Sprintf("%s (%d)", applyOutcomeTitle(oc), n)))
		for _, it := range r.Items {
			if it.Outcome != oc {
				continue
			}
			text := s.Body.Render(apply.ItemLabel(it))
			if it.Reason != "" {
				text += s.Subtle.Render(" — " + it.Reason)
			}
			add(hangIndent("  "+st.Render(mark)+" ", lipgloss.NewStyle(), text, w))
		}
	}
	return out
}

func (d *desktopScreen) view() string {
	return d.header() + "\n" + d.scroll.window(d.c.Styles, d.lines(), d.bodyHeight())
}

func (d *desktopScreen) help() []key.Binding {
	k := d.c.Keys
	var bs []key.Binding
	if len(d.lines()) > d.bodyHeight() {
		bs = append(bs, relabel(k.Up, "scroll up"), relabel(k.Down, "scroll down"))
	}
	if d.c.Flow.Outcome != nil {
		bs = append(bs, k.Exit)
	}
	return bs
}

func (d *desktopScreen) fullHelp() [][]key.Binding {
	if bs := d.help(); len(bs) > 0 {
		return [][]key.Binding{bs}
	}
	return nil
}
