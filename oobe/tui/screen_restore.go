package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/internal/when"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/restore/profile"
)

// restoreWideBody is the body width (a 110-column window) from which the details of the
// highlighted PC sit beside the list rather than below it.
const restoreWideBody = 106

// The confirmation's buttons: Microsoft's restore page confirms with Continue
// (shared/domain.md §7.2).
var restoreButtons = []string{"Continue", "Back"}

// restorePageScreen is "Restore from your previous PC": one row per previous PC (device name,
// last backup, Windows version), then "Set up as new PC", with what the highlighted PC's
// backup holds beside the list (or below it, Ctrl+D, in a narrow window), and a confirmation
// before restoring. Setup and the user's first sign-in after it show the same page [W]; stage
// says which one this is.
type restorePageScreen struct {
	c        *Common
	stage    oobe.Stage
	ask      *Ask
	profiles []profile.BackupProfile
	cursor   int
	// confirming shows the confirmation for the highlighted PC; focus is its button.
	confirming bool
	focus      int
	// details shows the details pane below the list in a narrow window.
	details bool
	// chose is what was answered: a device name, or "" for a new PC; answered says whether.
	answered bool
	chose    string
}

func newRestorePageScreen(c *Common, stage oobe.Stage) screen {
	return &restorePageScreen{c: c, stage: stage}
}

// firstSignIn is whether this is the page at the user's first sign-in after setup.
func (r *restorePageScreen) firstSignIn() bool { return r.stage.AfterDesktop() }

func (r *restorePageScreen) wide() bool { return r.c.Width >= restoreWideBody }

func (r *restorePageScreen) update(msg tea.Msg) tea.Cmd {
	k := r.c.Keys
	switch msg := msg.(type) {
	case askMsg:
		if msg.ask.Stage != r.stage {
			return nil
		}
		r.ask, r.profiles, r.cursor = msg.ask, msg.ask.Profiles, 0
		r.confirming, r.focus, r.answered, r.chose = false, 0, false, ""
	case tea.KeyPressMsg:
		if key.Matches(msg, k.Details) {
			r.details = !r.details
			return nil
		}
		if r.ask == nil {
			return nil
		}
		if r.confirming {
			return r.confirmKey(msg)
		}
		switch {
		case key.Matches(msg, k.Up):
			r.cursor = max(r.cursor-1, 0)
		case key.Matches(msg, k.Down):
			r.cursor = min(r.cursor+1, len(r.profiles))
		case key.Matches(msg, k.Select):
			if r.cursor == len(r.profiles) {
				return r.answer("", "")
			}
			r.confirming, r.focus = true, 0
		}
	}
	return nil
}

func (r *restorePageScreen) confirmKey(msg tea.KeyPressMsg) tea.Cmd {
	k := r.c.Keys
	switch {
	case key.Matches(msg, k.Back):
		r.confirming = false
	case key.Matches(msg, k.Left):
		r.focus = 0
	case key.Matches(msg, k.Right):
		r.focus = 1
	case key.Matches(msg, k.Next):
		r.focus = (r.focus + 1) % len(restoreButtons)
	case key.Matches(msg, k.Select):
		if r.focus == 1 {
			r.confirming = false
			return nil
		}
		p := r.profiles[r.cursor]
		return r.answer(p.WindowsDeviceID, p.DeviceName)
	}
	return nil
}

// answer gives the flow the choice once and forgets the question.
func (r *restorePageScreen) answer(id, name string) tea.Cmd {
	a := r.ask
	r.ask, r.confirming, r.answered, r.chose = nil, false, true, name
	return answer(a, Answer{Text: id})
}

func (r *restorePageScreen) view() string {
	c, s := r.c, r.c.Styles
	w, h := c.Width, c.Height
	title := s.Title.Render(r.stage.Title())
	if r.firstSignIn() {
		title = titleWithNote(s, r.stage.Title(), "first sign-in since setup", w)
	}
	var sub string
	switch {
	case r.answered && r.chose != "" && r.firstSignIn():
		sub = hangIndent(s.Success.Render("✓ "), s.Body, "Restoring from "+r.chose+": your settings and apps come back now.", w)
	case r.answered && r.chose != "":
		sub = hangIndent(s.Success.Render("✓ "), s.Body, "Restoring from "+r.chose+": your settings and apps come back once setup is done.", w)
	case r.answered:
		sub = hangIndent(s.Success.Render("✓ "), s.Body, "Setting up as a new PC: nothing is restored.", w)
	case r.ask == nil && len(r.profiles) == 0:
		return title + "\n" + wrapTo(s.Subtitle, "Looking for your previous PCs…", w)
	case r.firstSignIn():
		sub = wrapTo(s.Subtitle, "This is your first sign-in since setup, and Windows offers to restore a previous PC. Choose the PC to bring your settings and Microsoft Store apps from, or keep this one as new. Files are not part of the backup.", w)
	default:
		sub = wrapTo(s.Subtitle, "Choose the PC to bring your settings and Microsoft Store apps from, or set this one up as new. Files are not part of the backup.", w)
	}
	head := title + "\n" + sub + "\n"
	room := max(h-lineCount(head), 1)

	var main string
	if r.wide() {
		detailsW := min(max(w*9/20, 40), 60)
		left := padBlock(r.mainPane(w-detailsW-2, room), w-detailsW-2)
		right := r.detailsPane(detailsW, room)
		main = lipgloss.JoinHorizontal(lipgloss.Top, left, "  ", right)
	} else if r.details && !r.confirming {
		// The details come first: the list keeps a window around the highlighted row.
		details := r.detailsPane(w, max(room-5, 3))
		main = r.mainPane(w, max(room-lineCount(details)-1, 2)) + "\n\n" + details
	} else {
		main = r.mainPane(w, room)
		if !r.confirming && r.ask != nil && lineCount(main)+1 < room {
			main += "\n\n" + s.Key.Render("ctrl+d") + s.Subtle.Render(" shows what the highlighted backup holds")
		}
	}
	return head + "\n" + main
}

// mainPane is the list of previous PCs, or the confirmation for the highlighted one.
func (r *restorePageScreen) mainPane(w, h int) string {
	if r.confirming {
		return r.confirmation(w)
	}
	rows, focus := r.listRows(w)
	return strings.Join(rowWindow(rows, focus, h), "\n")
}

// listRows draws a row of two lines per previous PC and the "Set up as new PC" row, each with
// the blank line before it, and says which row is highlighted.
func (r *restorePageScreen) listRows(w int) (rows [][]string, focus int) {
	s, now := r.c.Styles, r.c.Clock.Now()
	row := func(i int, first, second string) {
		current := i == r.cursor && r.ask != nil
		if current {
			focus = i
		}
		pointer, st := "  ", s.Title
		if current {
			pointer, st = s.ItemSelected.Render("› "), s.ItemSelected
		}
		var lines []string
		if i > 0 {
			lines = append(lines, "")
		}
		lines = append(lines, truncateTo(pointer+st.Render(first), w), truncateTo("  "+s.Subtle.Render(second), w))
		rows = append(rows, lines)
	}
	for i, p := range r.profiles {
		last := "Last backup " + when.Ago(now, p.LastBackup) + " (" + backupDate(p.LastBackup) + ")"
		row(i, p.DeviceName+" · "+windowsRelease(p.OSVersion), last)
	}
	fresh := "Start fresh: nothing is restored"
	if r.firstSignIn() {
		fresh = "Keep this PC as setup left it: nothing is restored"
	}
	row(len(r.profiles), "Set up as new PC", fresh)
	return rows, focus
}

// rowWindow is whole rows around row focus in at most h lines: the focused row first, then
// its neighbours, the ones after it first.
func rowWindow(rows [][]string, focus, h int) []string {
	if len(rows) == 0 {
		return nil
	}
	focus = min(max(focus, 0), len(rows)-1)
	// A row's blank line before it does not show at the top of the window.
	blank := func(i int) int {
		if len(rows[i]) > 0 && rows[i][0] == "" {
			return 1
		}
		return 0
	}
	lo, hi, used := focus, focus+1, len(rows[focus])-blank(focus)
	for {
		grew := false
		if hi < len(rows) && used+len(rows[hi]) <= h {
			used += len(rows[hi])
			hi++
			grew = true
		}
		if lo > 0 && used+len(rows[lo-1])-blank(lo-1)+blank(lo) <= h {
			used += len(rows[lo-1]) - blank(lo-1) + blank(lo)
			lo--
			grew = true
		}
		if !grew {
			break
		}
	}
	var out []string
	for i, r := range rows[lo:hi] {
		if i == 0 && len(r) > 0 && r[0] == "" {
			r = r[1:] // no blank line at the top of the window
		}
		out = append(out, r...)
	}
	if len(out) > h {
		out = out[:max(h, 1)]
	}
	return out
}

// padBlock pads every line of a drawn block to w columns, so what is joined beside it stays put.
func padBlock(block string, w int) string {
	lines := strings.Split(block, "\n")
	for i, l := range lines {
		lines[i] = l + strings.Repeat(" ", max(w-lipgloss.Width(l), 0))
	}
	return strings.Join(lines, "\n")
}

// truncateTo cuts a drawn line to w columns.
func truncateTo(line string, w int) string {
	return lipgloss.NewStyle().MaxWidth(max(w, 1)).Render(line)
}

// confirmation asks before restoring the highlighted PC.
func (r *restorePageScreen) confirmation(w int) string {
	s, now := r.c.Styles, r.c.Clock.Now()
	p := r.profiles[r.cursor]
	inner := max(w-4, 10)
	comeBack := "once setup is done"
	if r.firstSignIn() {
		comeBack = "now"
	}
	body := []string{
		wrapTo(s.Title, "Restore from "+p.DeviceName+"?", inner),
		wrapTo(s.Subtle, "Last backup "+when.Ago(now, p.LastBackup)+" ("+backupDate(p.LastBackup)+") · "+windowsRelease(p.OSVersion), inner),
		"",
		wrapTo(s.Body, "Windows brings back this PC's settings and reinstalls its Microsoft Store apps "+comeBack+". Settings your organization manages keep their policy values.", inner),
		"",
		buttonRow(s, restoreButtons, r.focus),
	}
	return s.Panel.Width(w).Render(strings.Join(body, "\n"))
}

// detailsPane says what the highlighted PC's backup holds, in at most h lines.
func (r *restorePageScreen) detailsPane(w, h int) string {
	s := r.c.Styles
	inner := max(w-4, 10)
	var lines []string
	if r.cursor >= len(r.profiles) {
		lines = append(lines, s.Title.Render("Set up as new PC"))
		text := "This PC starts with Windows' defaults and what your organization assigns. Nothing is restored, and Intune records \"Setup as New PC Selected\"."
		if r.firstSignIn() {
			// Intune's reporting for this moment is not documented (shared/domain.md §7.1).
			text = "This PC keeps the settings setup gave it and what your organization assigns. Nothing is restored."
		}
		lines = append(lines, strings.Split(wrapTo(s.Body, text, inner), "\n")...)
	} else {
		lines = profileDetails(s, r.profiles[r.cursor], inner)
	}
	maxInner := max(h-2, 1)
	if len(lines) > maxInner {
		lines = append(lines[:maxInner-1], s.Subtle.Render("…"))
	}
	return s.Panel.Width(w).Render(strings.Join(lines, "\n"))
}

// profileDetails lists what a backup holds: settings by category, apps, Wi-Fi networks, Start
// and taskbar pins; or that Windows keeps its content opaque.
func profileDetails(s *Styles, p profile.BackupProfile, w int) []string {
	lines := []string{s.Title.Render("What " + p.DeviceName + "'s backup holds")}
	add := func(st lipgloss.Style, text string) {
		lines = append(lines, strings.Split(wrapTo(st, text, w), "\n")...)
	}
	if p.ContentError != "" {
		add(s.Danger, "This backup can't be restored: "+p.ContentError)
		return lines
	}
	sum := p.Summary
	if sum == nil && p.Content != nil {
		sum = profile.Summarize(p.Content)
	}
	if sum == nil {
		opaque := "its content"
		if len(p.Opaque) > 0 {
			opaque = strings.Join(p.Opaque, ", ")
		}
		add(s.Body, "Windows keeps what this backup holds to itself ("+opaque+"), so it can't be listed here.")
		add(s.Subtle, "Backed up "+backupDate(p.LastBackup)+" from "+windowsRelease(p.OSVersion)+".")
		return lines
	}
	total := 0
	for _, n := range sum.Settings {
		total += n
	}
	lines = append(lines, s.Body.Render(fmt.Sprintf("Settings (%d)", total)))
	for _, cat := range backup.Categories() {
		n, ok := sum.Settings[cat]
		if !ok {
			continue
		}
		name := backup.CategoryTitle(cat)
		count := fmt.Sprintf("%d", n)
		gap := w - 2 - lipgloss.Width(name) - len(count)
		if gap < 1 {
			name = truncateTo(name, max(w-4-len(count), 4))
			gap = max(w-2-lipgloss.Width(name)-len(count), 1)
		}
		lines = append(lines, "  "+s.Subtle.Render(name)+strings.Repeat(" ", gap)+s.Body.Render(count))
	}
	var apps, wifi []string
	if c := p.Content; c != nil {
		for _, a := range c.StoreApps {
			apps = append(apps, a.Name)
		}
		for _, n := range c.WiFi {
			wifi = append(wifi, n.SSID)
		}
	}
	list := func(title string, n int, names []string) {
		text := fmt.Sprintf("%s (%d)", title, n)
		if len(names) > 0 {
			text += ": " + strings.Join(names, ", ")
		}
		add(s.Body, text)
	}
	list("Microsoft Store apps", sum.StoreApps, apps)
	list("Wi-Fi networks", sum.WiFi, wifi)
	pins := fmt.Sprintf("Start pins (%d) · taskbar pins (%d)", sum.StartPins, sum.TaskbarPins)
	if p.Content != nil && len(p.Content.StartTiles) > 0 {
		pins = fmt.Sprintf("Windows 10 Start tiles (%d) · taskbar pins (%d)", len(p.Content.StartTiles), sum.TaskbarPins)
	}
	add(s.Body, pins)
	if sum.DeviceName {
		name := p.DeviceName
		if p.Content != nil && p.Content.DeviceName != "" {
			name = p.Content.DeviceName
		}
		add(s.Body, "Device name: "+name)
	}
	return lines
}

func (r *restorePageScreen) help() []key.Binding {
	k := r.c.Keys
	if r.ask == nil {
		return nil
	}
	if r.confirming {
		return []key.Binding{relabel(k.Next, "next button"), relabel(k.Select, "press"), k.Back}
	}
	bs := []key.Binding{relabel(k.Up, "up"), relabel(k.Down, "down"), k.Select}
	if !r.wide() {
		if r.details {
			bs = append(bs, relabel(k.Details, "hide details"))
		} else {
			bs = append(bs, relabel(k.Details, "show details"))
		}
	}
	return bs
}

func (r *restorePageScreen) fullHelp() [][]key.Binding {
	k := r.c.Keys
	if r.ask == nil {
		return nil
	}
	if r.confirming {
		return [][]key.Binding{{k.Left, k.Right, k.Next}, {relabel(k.Select, "press"), k.Back}}
	}
	return [][]key.Binding{{k.Up, k.Down, k.Select}, {k.Details}}
}
