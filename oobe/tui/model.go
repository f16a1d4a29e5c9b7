package tui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/internal/when"
	"github.com/oobe-dev/oobe/oobe"
)

// Actions are the effects screens start, always inside commands.
type Actions struct {
	// Ctx bounds them: it ends when the UI does.
	Ctx context.Context
	// Approve approves a device code on the simulated tenant's page as the demo user (the
	// presenter key); nil when the tenant is a real one.
	Approve func(ctx context.Context, p auth.DeviceCodePrompt) error
	// Open opens a URL in the system's browser; nil where there is none.
	Open func(url string) error
	// LogsDir is where "Collect logs" writes the transcript.
	LogsDir string
	// SignInPage, on the simulated tenant and with no pilot, makes the tenant's branded
	// sign-in page the default sign-in; nil offers the device code and the browser only.
	SignInPage *SignInPage

	page *pageSession // the page's typing, shared with the person; nil when it is off
	// attempt is the sign-in under way, which Esc on its wait ends; nil without a flow.
	attempt *signInAttempt
}

// Model is the root of the UI: it keeps the flow's state, the screens and the window size,
// and shows the screen of the stage the flow is at.
type Model struct {
	c       *Common
	actions Actions
	screens map[oobe.Stage]screen
	active  oobe.Stage
	help    help.Model

	width, height int
	fullHelp      bool
	confirmQuit   bool
	// Interrupted is set when the person quit before the flow ended.
	Interrupted bool
	// animate makes the model tick once a second for countdowns and spinners; replays,
	// which must draw the same screens every time, do not.
	animate bool
	// exitWhenDone quits the program once the flow has ended (replays).
	exitWhenDone bool
	// headless draws nothing: without a renderer the program still asks for a view after
	// every message, and a replay has no one to show it to (a recorder draws for itself).
	headless bool
	// piloted is whether a pilot presses the keys: the person's own keys then answer
	// nothing (a stray Down must not steer a demo); demo is the presenter's, under --demo.
	piloted bool
	demo    *demo
	// round is the run of the flow on screen: a presenter's restart starts another, and
	// messages of the one before are dropped.
	round int
	// started is the flow clock's time when the UI started, and today the wall clock (a
	// test's, in tests): a person at the screen of a world whose date is not today's (a
	// scenario that fixes its start) is told the simulated date in the header.
	started time.Time
	today   func() time.Time
}

// Messages of the runs of the flow.
type (
	// roundMsg is a message of run round of the flow.
	roundMsg struct {
		round int
		msg   tea.Msg
	}
	// resetMsg starts the screens again from the first for run round, on its clock.
	resetMsg struct {
		round    int
		clock    clock.Clock
		branding oobe.Branding
	}
)

// tickMsg redraws what moves with time: countdowns, elapsed times, spinners.
type tickMsg time.Time

func (m *Model) tick() tea.Cmd {
	if !m.animate {
		return nil
	}
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// newModel makes the root model; Run starts the flow beside it.
func newModel(c *Common, a Actions) *Model {
	if a.Ctx == nil {
		a.Ctx = context.Background()
	}
	h := help.New()
	m := &Model{c: c, actions: a, active: oobe.StageRegion, help: h, today: time.Now}
	if c.Clock != nil {
		m.started = c.Clock.Now()
	}
	c.Actions = &m.actions
	m.screens = newScreens(c)
	m.setStyles(c.Styles)
	return m
}

func (m *Model) setStyles(s *Styles) {
	m.c.Styles = s
	m.help.Styles.ShortKey = s.Key
	m.help.Styles.ShortDesc = s.Footer
	m.help.Styles.ShortSeparator = s.Footer
	m.help.Styles.FullKey = s.Key
	m.help.Styles.FullDesc = s.Footer
	m.help.Styles.FullSeparator = s.Footer
	m.help.Styles.Ellipsis = s.Footer
}

// Init asks the terminal for its background colour and starts the clock ticking.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(tea.RequestBackgroundColor, m.tick())
}

// Update handles one message; it never does I/O.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case roundMsg:
		if msg.round != m.round {
			return m, nil // a run a restart replaced
		}
		return m.Update(msg.msg)
	case resetMsg:
		m.reset(msg)
		return m, nil
	case pilotKeyMsg:
		return m, m.key(msg.key, true)
	case noBrowserMsg:
		return m, m.screens[oobe.StageSignIn].update(msg)
	case tea.WindowSizeMsg:
		m.resize(msg.Width, msg.Height)
		return m, nil
	case tea.BackgroundColorMsg:
		m.setStyles(NewStyles(msg.IsDark()))
		return m, nil
	case tickMsg:
		if e, ok := m.screens[oobe.StageESP].(*espScreen); ok {
			e.tick(time.Time(msg), m.active == oobe.StageESP)
		}
		return m, m.tick()
	case eventMsg:
		m.c.Flow.observe(msg.event)
		// The first sign-in takes over from any screen setup held up: the person has signed
		// out of the desktop and in again.
		if msg.event.Kind == oobe.EventEnter && (!m.held() || msg.event.Stage == oobe.StageFirstSignIn) {
			m.active = msg.event.Stage
		}
		// The sign-in page opened again later (a prompt for the restore app at eligibility)
		// is done once the flow speaks from its own stage again: back to that stage's screen.
		if m.active == oobe.StageSignIn && msg.event.Stage != oobe.StageSignIn && m.c.Flow.Stage != oobe.StageSignIn && !m.held() {
			m.active = msg.event.Stage
		}
		return m, m.screens[msg.event.Stage].update(msg)
	case askMsg:
		m.active = msg.ask.Stage
		return m, m.screens[msg.ask.Stage].update(msg)
	case promptMsg:
		p := msg.prompt
		m.c.Flow.Prompt = &p
		return m, m.screens[oobe.StageSignIn].update(msg)
	case browserMsg:
		m.c.Flow.BrowserURL = msg.url
		return m, m.screens[oobe.StageSignIn].update(msg)
	case doneMsg:
		m.c.Flow.Outcome, m.c.Flow.Err = msg.outcome, msg.err
		// The person ends at the desktop (after the first sign-in too) or at the failure.
		// Why the first sign-in offered no restore stays up until it is dismissed: the flow
		// ends right after it (setup's explanation was up while the ESP ran). A replay, which
		// dismisses nothing, ends on the outcome.
		keep := m.held() && m.active.AfterDesktop() && !m.exitWhenDone
		if st := m.flowStage(); (st == oobe.StageDesktop || st == oobe.StageFailed) && !keep {
			m.active = st
		}
		cmd := m.screens[m.active].update(msg)
		if m.exitWhenDone || msg.err != nil && m.Interrupted {
			return m, tea.Sequence(cmd, tea.Quit)
		}
		if d := m.demo; d != nil && d.loop && d.restart != nil && !m.Interrupted {
			cmd = tea.Batch(cmd, d.restart(m.round, d.linger)) // a booth: again from the start
		}
		return m, cmd
	case tea.KeyPressMsg:
		return m, m.key(msg, false)
	}
	return m, m.screens[m.active].update(msg)
}

// held is whether the active screen stays up though the flow has moved on.
func (m *Model) held() bool {
	h, ok := m.screens[m.active].(holder)
	return ok && h.holding()
}

// reset puts the screens back to the first, empty, for a new run of the flow.
func (m *Model) reset(msg resetMsg) {
	m.round = msg.round
	m.c.Flow = &FlowState{Branding: msg.branding}
	if msg.clock != nil {
		m.c.Clock = msg.clock
	}
	m.screens = newScreens(m.c)
	m.active = oobe.StageRegion
	m.Interrupted, m.confirmQuit = false, false
}

// key handles a key press: the pilot's (fromPilot) or the person's.
func (m *Model) key(msg tea.KeyPressMsg, fromPilot bool) tea.Cmd {
	k := m.c.Keys
	if m.piloted && !fromPilot && !m.confirmQuit {
		return m.presenterKey(msg)
	}
	if m.confirmQuit {
		switch {
		case key.Matches(msg, k.Confirm), key.Matches(msg, k.Quit):
			m.Interrupted = true
			return tea.Quit
		case key.Matches(msg, k.Cancel):
			m.confirmQuit = false
		}
		return nil
	}
	if m.tooSmall() && !key.Matches(msg, k.Quit) && !fromPilot {
		return nil // the screen is not showing: a key must not answer it unseen
	}
	switch {
	case key.Matches(msg, k.Quit):
		if m.applying() {
			m.confirmQuit = true
			return nil
		}
		m.Interrupted = m.c.Flow.Outcome == nil
		return tea.Quit
	case key.Matches(msg, k.Help) && !m.typing():
		m.fullHelp = !m.fullHelp
		return nil
	case key.Matches(msg, k.Exit) && m.c.Flow.Outcome != nil && !m.typing():
		return tea.Quit
	}
	held := m.held()
	cmd := m.screens[m.active].update(msg)
	if held && !m.held() { // dismissed: catch up with the flow
		m.active = m.flowStage()
	}
	return cmd
}

// presenterKey handles the person's key while a pilot drives: the presenter's keys under
// --demo, Ctrl+C, and q once the flow has ended; any other key is ignored.
func (m *Model) presenterKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.Quit):
		if m.applying() {
			m.confirmQuit = true
			return nil
		}
		m.Interrupted = m.c.Flow.Outcome == nil
		return tea.Quit
	case key.Matches(msg, k.Exit) && m.c.Flow.Outcome != nil:
		return tea.Quit
	}
	d := m.demo
	if d == nil {
		return nil
	}
	switch {
	case key.Matches(msg, k.Pause):
		d.p.togglePause()
	case key.Matches(msg, k.Step):
		d.p.step()
	case key.Matches(msg, k.Faster):
		d.p.faster()
	case key.Matches(msg, k.Slower):
		d.p.slower()
	case key.Matches(msg, k.Restart) && d.restart != nil:
		return d.restart(m.round, 0)
	}
	return nil
}

// flowStage is where the flow is: the stage it last entered, or where the person ended up
// once it has ended (the desktop again after the first sign-in).
func (m *Model) flowStage() oobe.Stage {
	if o := m.c.Flow.Outcome; o != nil && (o.FinalStage == oobe.StageDesktop || o.FinalStage == oobe.StageFailed) {
		return o.FinalStage
	}
	return m.c.Flow.Stage
}

// applying is whether a restore is being applied, in setup or at the first sign-in:
// quitting then asks first.
func (m *Model) applying() bool {
	st := m.c.Flow.Stage
	return m.c.Flow.Outcome == nil && (st == oobe.StageRestoreApply || st == oobe.StageFirstSignInRestore)
}

// typist is a screen with a text field focused, which takes '?' and 'q' as text.
type typist interface {
	typing() bool
}

func (m *Model) typing() bool {
	t, ok := m.screens[m.active].(typist)
	return ok && t.typing()
}

// resize sets the window size and what the screens' bodies get of it.
func (m *Model) resize(w, h int) {
	m.width, m.height = w, h
	m.help.SetWidth(max(w-4, 0))
	m.c.Width, m.c.Height = max(w-4, 0), max(h-2, 0) // the side padding; the header and the footer
}

// View draws the window: a header, the active screen and the help footer, clamped to the
// window so a small or changing size never garbles it.
func (m *Model) View() tea.View {
	if m.headless {
		return tea.View{}
	}
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.WindowTitle = "Windows setup — " + m.active.Title()
	return v
}

// Render is the window as text (with styles), as View draws it.
func (m *Model) Render() string {
	s := m.c.Styles
	if m.tooSmall() {
		return m.tooSmallView()
	}
	body := m.screens[m.active].view()
	if m.confirmQuit {
		stops := "What has been restored stays on this PC, but setup stops here and Intune is not told."
		if m.c.Flow.Stage.AfterDesktop() {
			stops = "What has been restored stays on this PC, but the rest is not restored."
		}
		body = s.Notice.Render(s.Title.Render("Quit while your settings are being restored?") + "\n\n" +
			s.Body.Render(stops) + "\n\n" +
			s.Key.Render("y") + s.Footer.Render(" quit   ") + s.Key.Render("n") + s.Footer.Render(" keep going"))
	}
	footer := m.footer()
	h := max(m.height-1-lipgloss.Height(footer), 1)
	body = lipgloss.NewStyle().MaxWidth(m.c.Width).MaxHeight(h).Render(body)
	body = lipgloss.PlaceVertical(h, lipgloss.Top, body)
	return s.App.Render(lipgloss.JoinVertical(lipgloss.Left, m.header(), body, footer))
}

func (m *Model) header() string {
	s := m.c.Styles
	left := "Windows setup"
	if b := m.c.Flow.Branding.TenantName; b != "" {
		left += " · " + b
	}
	step := ""
	if i, n := stageIndex(m.active); i > 0 && m.active.AfterDesktop() {
		step = fmt.Sprintf("first sign-in · step %d of %d", i, n)
	} else if i > 0 {
		step = fmt.Sprintf("step %d of %d", i, n)
	}
	if note := m.dateNote(); note != "" {
		// Where the window is too narrow for it, it goes before the tenant's name does.
		if room := m.c.Width - lipgloss.Width(left) - lipgloss.Width(step) - 4; lipgloss.Width(note)+3 <= room {
			left += " · " + note
		}
	}
	if m.demo != nil {
		badge := s.Badge.Render(demoBadge(m.demo.p.state()))
		if step != "" {
			step = s.Header.Render(step)
		}
		right := lipgloss.JoinHorizontal(lipgloss.Top, badge, strings.Repeat(" ", min(len(step), 2)), step)
		gap := max(m.c.Width-lipgloss.Width(left)-lipgloss.Width(right), 1)
		return lipgloss.NewStyle().MaxWidth(max(m.c.Width, 1)).Render(s.Header.Render(left+strings.Repeat(" ", gap)) + right)
	}
	gap := max(m.c.Width-lipgloss.Width(left)-lipgloss.Width(step), 1)
	return s.Header.Render(left + strings.Repeat(" ", gap) + step)
}

// dateNote is "simulated date: 21 November 2026" when a person watches a world that is not on
// today's date (a scenario that fixes its start), and "" otherwise: live runs are on today's
// date, and replays draw the same screens whatever the day.
func (m *Model) dateNote() string {
	if !m.animate || !m.c.Simulated || m.started.IsZero() || m.today == nil {
		return ""
	}
	if when.Date(m.started) == when.Date(m.today()) {
		return ""
	}
	return "simulated date: " + when.Date(m.started)
}

// stageIndex is st's place among setup's stages (to the desktop), or among the first
// sign-in's, which come after it, and how many there are: 0 for a stage in neither.
//
// The count is over the steps a person sees, so it never skips: a check with no screen of
// its own shares the step of the page it decides (eligibility, the restore page), the
// updates the ESP installs are the ESP's step, and the restore runs at the desktop.
func stageIndex(st oobe.Stage) (i, n int) {
	if shown, ok := stepOf[st]; ok {
		st = shown
	}
	var part []oobe.Stage
	for _, s := range oobe.Stages() {
		if _, folded := stepOf[s]; !folded && s.AfterDesktop() == st.AfterDesktop() {
			part = append(part, s)
		}
	}
	return slices.Index(part, st) + 1, len(part)
}

// stepOf maps a stage that is not a step of its own to the step it is part of.
var stepOf = map[oobe.Stage]oobe.Stage{
	oobe.StageEligibility:    oobe.StageRestorePage,
	oobe.StageQualityUpdates: oobe.StageESP,
	oobe.StageRestoreApply:   oobe.StageDesktop,
	oobe.StageFirstSignIn:    oobe.StageFirstSignInRestorePage,
}

func (m *Model) footer() string {
	sc := m.screens[m.active]
	k := m.c.Keys
	if m.demo != nil {
		return m.help.ShortHelpView(m.presenterHelp())
	}
	if m.fullHelp {
		groups := append(sc.fullHelp(), []key.Binding{k.Help, k.Quit})
		return m.help.FullHelpView(groups)
	}
	return m.help.ShortHelpView(append(sc.help(), k.Help, k.Quit))
}

// tooSmall is whether the window is below the size the screens are drawn for.
func (m *Model) tooSmall() bool { return m.width < MinWidth || m.height < MinHeight }

// presenterHelp is the footer under --demo: the presenter's keys, the screen's own being
// the pilot's.
func (m *Model) presenterHelp() []key.Binding {
	k := m.c.Keys
	pause := k.Pause
	if m.demo.p.state().paused {
		pause = relabel(pause, "resume")
	}
	out := []key.Binding{pause}
	if m.demo.p.state().paused {
		out = append(out, relabel(k.Step, "step to the next screen"))
	}
	if m.demo.restart != nil {
		out = append(out, k.Restart)
	}
	out = append(out, k.Faster, k.Slower, k.Quit)
	if m.c.Flow.Outcome != nil {
		out = append(out, k.Exit)
	}
	return out
}

func (m *Model) tooSmallView() string {
	s := m.c.Styles
	msg := fmt.Sprintf("Make the window larger.\nSetup needs at least %d×%d; this one is %d×%d.", MinWidth, MinHeight, m.width, m.height)
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	return lipgloss.NewStyle().MaxWidth(m.width).MaxHeight(m.height).Render(s.Body.Render(msg))
}
