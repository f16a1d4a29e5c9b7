package tui

import (
	"net/url"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/internal/signinpage"
	"github.com/oobe-dev/oobe/oobe"
)

// signInScreen is the Autopilot welcome with the tenant's branding and the two ways to sign
// in; then the device code, large, with its page and a countdown, or the browser sign-in
// under way. The sign-in error is the failed screen's.
type signInScreen struct {
	c        *Common
	ask      *Ask
	branding oobe.Branding
	list     choiceList
	step     signInStep
	prompt   auth.DeviceCodePrompt
	page     string // the browser sign-in's page: the whole URL for a person, without its query under a pilot
	// noBrowser says why no browser opened, once the sign-in has fallen back to a code;
	// backed is whether Esc left a wait, so the question asked again shows the ways.
	noBrowser string
	backed    bool
	// status is the result of the last key action (open the page, approve), and bad
	// whether it is an error; approving is whether an approval is under way.
	status    string
	bad       bool
	approving bool
	// The branded page: its two fields, which has focus (0 username, 1 password), the
	// page's last refusal, and whether a sign-in is being posted.
	user, pass textinput.Model
	focus      int
	refused    *signinpage.RefusedError
	failed     string
	posting    bool
	// The page's MFA step: what it asks for, the code or pass typed, and which row has focus
	// (0 the step's own action, then its other ways, then Cancel). stepUp is whether the page
	// opened again after setup's sign-in, for the prompt at eligibility.
	mfa      *signinpage.MFAPrompt
	factor   textinput.Model
	mfaFocus int
	stepUp   bool
}

type signInStep int

const (
	signInWelcome signInStep = iota
	signInCode
	signInBrowser
	signInPage // the tenant's branded page: username and password on this device
	signInMFA  // the page's MFA step: a code, a passkey or a Temporary Access Pass
)

// The sign-in methods, in the order the welcome lists them.
var signInMethods = []oobe.SignInMethod{oobe.SignInDeviceCode, oobe.SignInBrowser}

// Results of the sign-in screen's commands, for the code they were started for.
type (
	pageOpenedMsg struct {
		code string
		err  error
	}
	codeApprovedMsg struct {
		code string
		err  error
	}
)

// The welcome's rows: the two ways this tool adds, after the page where the page is on.
var (
	codeItem    = listItem{label: "Sign in with a code on another device", note: "a phone or another computer"}
	browserItem = listItem{label: "Sign in with a web browser on this PC", note: "a browser opens here"}
	pageItem    = listItem{label: "Sign in here with your work or school account", note: "on this PC"}
)

func newSignInScreen(c *Common) screen {
	field := func(placeholder string) textinput.Model {
		in := textinput.New()
		in.Prompt = ""
		in.Placeholder = placeholder
		if c.Styles != nil {
			in.SetStyles(inputStyles(c.Styles))
		}
		return in
	}
	s := &signInScreen{c: c, list: newChoiceList([]listItem{codeItem, browserItem}, false),
		user: field("someone@example.com"), pass: field("Password"), factor: field("Code")}
	s.pass.EchoMode = textinput.EchoPassword
	s.pass.EchoCharacter = '•'
	s.factor.EchoCharacter = '•'
	return s
}

// pageOn is whether the branded page is offered: the simulated tenant, with a page session.
func (s *signInScreen) pageOn() bool {
	return s.c.Simulated && s.c.Actions != nil && s.c.Actions.page != nil
}

// items are the welcome's rows, the page's first where it is on.
func (s *signInScreen) items() []listItem {
	if s.pageOn() {
		return []listItem{pageItem, codeItem, browserItem}
	}
	return []listItem{codeItem, browserItem}
}

// start is the first step of a sign-in question: the page where it is on, else the welcome.
func (s *signInScreen) start() {
	s.list.reset(s.items())
	s.step = signInWelcome
	if !s.pageOn() {
		return
	}
	s.step, s.refused, s.failed, s.posting = signInPage, nil, "", false
	s.mfa, s.stepUp = nil, false
	s.user.SetValue(s.c.Actions.page.cfg.User)
	s.user.CursorEnd()
	s.pass.Reset()
	s.focusField(0)
	if s.user.Value() != "" {
		s.focusField(1)
	}
}

func (s *signInScreen) focusField(i int) {
	s.focus = i
	s.user.Blur()
	s.pass.Blur()
	if i == 0 {
		s.user.Focus()
	} else {
		s.pass.Focus()
	}
}

func (s *signInScreen) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case eventMsg:
		if msg.event.Kind == oobe.EventEnter {
			s.status, s.bad, s.approving = "", false, false
			s.start()
		}
	case askMsg:
		if msg.ask.StepUp {
			// The page again, for the prompt at eligibility: no other ways, nothing to answer
			// but the page.
			s.start()
			s.ask, s.stepUp = nil, true
			break
		}
		s.ask = msg.ask
		if b := msg.ask.Branding; b.TenantName != "" {
			s.branding = b
		}
		s.start()
		if s.backed { // back from a wait: the ways to sign in
			s.step, s.backed, s.noBrowser = signInWelcome, false, ""
		}
	case noBrowserMsg:
		s.noBrowser = "No browser opened on this PC (" + msg.err.Error() + "), so sign in with a code on another device instead."
	case pageRefusedMsg:
		if s.step == signInPage {
			s.posting, s.refused, s.failed = false, msg.err, ""
			s.pass.Reset()
			s.focusField(1)
		}
	case pageFailedMsg:
		if s.step == signInPage || s.step == signInMFA {
			s.step, s.posting, s.refused, s.failed = signInPage, false, nil, msg.err.Error()
		}
	case pageMFAMsg:
		if s.step == signInPage || s.step == signInMFA {
			s.showMFA(msg.prompt)
		}
	case promptMsg:
		s.step, s.prompt = signInCode, msg.prompt
		s.status, s.bad, s.approving = "", false, false
	case browserMsg:
		if s.step == signInPage || s.step == signInMFA { // the page's own sign-in, posted from here
			break
		}
		s.step, s.page = signInBrowser, msg.url
		if s.c.Piloted {
			s.page = withoutQuery(msg.url) // a replay's screens must repeat: the query's state does not
		}
		s.status, s.bad, s.noBrowser = "", false, ""
	case pageOpenedMsg:
		if s.step == signInCode && msg.code == s.prompt.UserCode {
			s.status, s.bad = "Opened the page in your browser.", false
			if msg.err != nil {
				s.status, s.bad = "Couldn't open a browser: "+msg.err.Error(), true
			}
		}
	case codeApprovedMsg:
		if s.step == signInCode && msg.code == s.prompt.UserCode {
			s.approving = false
			s.status, s.bad = "Approved as the demo user — signing in…", false
			if msg.err != nil {
				s.status, s.bad = "Couldn't approve the code: "+msg.err.Error(), true
			}
		}
	case tea.KeyPressMsg:
		return s.key(msg)
	}
	return nil
}

func (s *signInScreen) key(msg tea.KeyPressMsg) tea.Cmd {
	k := s.c.Keys
	switch s.step {
	case signInPage:
		return s.pageKey(msg)
	case signInMFA:
		return s.mfaKey(msg)
	case signInWelcome:
		if s.ask == nil {
			return nil
		}
		switch {
		case key.Matches(msg, k.Select):
			if i, ok := s.list.selected(); ok {
				if s.pageOn() {
					if i == 0 {
						s.step = signInPage
						return nil
					}
					i--
				}
				return s.answer(signInMethods[i])
			}
		case key.Matches(msg, k.Browser):
			return s.answer(oobe.SignInBrowser)
		case key.Matches(msg, k.DeviceCode) && s.pageOn():
			return s.answer(oobe.SignInDeviceCode)
		case key.Matches(msg, k.Back) && s.pageOn():
			s.step = signInPage
		default:
			s.list.update(msg, k)
		}
	case signInBrowser:
		if key.Matches(msg, k.Back) && s.canGoBack() {
			s.backed = true
			return s.c.Actions.attempt.back()
		}
	case signInCode:
		switch {
		case key.Matches(msg, k.Back) && s.canGoBack():
			s.backed = true
			return s.c.Actions.attempt.back()
		case key.Matches(msg, k.OpenPage) && s.canOpen():
			open, page, code := s.c.Actions.Open, s.prompt.VerificationURI, s.prompt.UserCode
			return func() tea.Msg { return pageOpenedMsg{code: code, err: open(page)} }
		case key.Matches(msg, k.Approve) && s.canApprove() && !s.approving:
			s.approving = true
			s.status, s.bad = "Approving the code as the demo user…", false
			approve, ctx, p := s.c.Actions.Approve, s.c.Actions.Ctx, s.prompt
			return func() tea.Msg { return codeApprovedMsg{code: p.UserCode, err: approve(ctx, p)} }
		}
	}
	return nil
}

// pageKey handles a key on the branded page. Before the first try the other ways are one key
// away; after a refusal the page waits for another try, and Esc gives up.
func (s *signInScreen) pageKey(msg tea.KeyPressMsg) tea.Cmd {
	k := s.c.Keys
	if s.posting {
		return nil
	}
	switch {
	case key.Matches(msg, k.DeviceCode) && s.ask != nil:
		return s.answer(oobe.SignInDeviceCode)
	case key.Matches(msg, k.Browser) && s.ask != nil:
		return s.answer(oobe.SignInBrowser)
	case key.Matches(msg, k.Back):
		if s.ask != nil {
			s.step = signInWelcome // the other ways to sign in
			return nil
		}
		if s.refused != nil || s.stepUp {
			s.posting = true
			return s.c.Actions.page.submit(s.c.Actions.Ctx, credentials{giveUp: true})
		}
		return nil
	case msg.String() == "tab" || msg.String() == "shift+tab" || msg.String() == "up" || msg.String() == "down":
		s.focusField(1 - s.focus)
		return nil
	case key.Matches(msg, k.Select):
		if s.focus == 0 {
			s.focusField(1)
			return nil
		}
		return s.submit()
	}
	var cmd tea.Cmd
	if s.focus == 0 {
		s.user, cmd = s.user.Update(msg)
	} else {
		s.pass, cmd = s.pass.Update(msg)
	}
	return cmd
}

// submit posts the typed credentials: the first try answers the question (a browser sign-in
// whose browser is the page), a retry goes to the page still open.
func (s *signInScreen) submit() tea.Cmd {
	ps := s.c.Actions.page
	c := credentials{user: strings.TrimSpace(s.user.Value()), password: s.pass.Value()}
	s.posting, s.failed = true, ""
	cmd := ps.submit(s.c.Actions.Ctx, c)
	if s.ask == nil {
		return cmd
	}
	a := s.ask
	s.ask = nil
	return tea.Batch(cmd, answer(a, Answer{Method: oobe.SignInPage, Page: true}))
}

// typing: the page's fields take '?' and 'q' as text.
func (s *signInScreen) typing() bool {
	return s.step == signInPage || s.step == signInMFA && s.mfaFocus == 0 && s.mfaField()
}

func (s *signInScreen) answer(m oobe.SignInMethod) tea.Cmd {
	a := s.ask
	s.ask = nil
	return answer(a, Answer{Method: m})
}

func (s *signInScreen) canOpen() bool {
	return s.c.Actions != nil && s.c.Actions.Open != nil
}

// canGoBack is whether Esc can leave a sign-in under way for the ways to sign in.
func (s *signInScreen) canGoBack() bool {
	return s.c.Actions != nil && s.c.Actions.attempt != nil
}

// canApprove is whether the presenter key works: on the simulated tenant only.
func (s *signInScreen) canApprove() bool {
	return s.c.Simulated && s.c.Actions != nil && s.c.Actions.Approve != nil
}

// withoutQuery is a URL without its query and fragment, which carry the sign-in's state.
func withoutQuery(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		if i := strings.IndexAny(raw, "?#"); i >= 0 {
			return raw[:i]
		}
		return raw
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}

func (s *signInScreen) view() string {
	switch s.step {
	case signInCode:
		return s.codeView()
	case signInBrowser:
		return s.browserView()
	case signInPage:
		return s.pageView()
	case signInMFA:
		return s.mfaView()
	}
	return s.welcomeView()
}

// tenant is the organization the welcome names.
func (s *signInScreen) tenant() oobe.Branding {
	b := s.branding
	if b.TenantName == "" {
		b.TenantName = s.c.Flow.Branding.TenantName
	}
	if b.DeviceName == "" {
		b.DeviceName = s.c.Flow.Branding.DeviceName
	}
	return b
}

func (s *signInScreen) welcomeView() string {
	c := s.c
	st := c.Styles
	b := s.tenant()
	title := "Welcome"
	if b.TenantName != "" {
		title = "Welcome to " + b.TenantName
	}
	head := setupHeading(c, title, oobe.StageSignIn.Title())
	parts := []string{head, ""}
	if b.TenantName != "" {
		about := b.TenantName + " will set up and manage this PC"
		if b.DeviceName != "" {
			about += " as " + b.DeviceName
		}
		parts = append(parts, fitText(c, st.Body, about+"."), "")
	}
	parts = append(parts, fitText(c, st.Body, "How do you want to sign in?"), "", s.list.view(st, c.Width, len(s.list.items)))
	return stack(parts...)
}

func (s *signInScreen) codeView() string {
	c := s.c
	st := c.Styles
	p := s.prompt
	parts := []string{setupHeading(c, oobe.StageSignIn.Title(), ""), ""}
	if s.noBrowser != "" {
		parts = append(parts, fitText(c, st.Warning, s.noBrowser), "")
	}
	parts = append(parts,
		fitText(c, st.Body, "On your phone or another computer, open"),
		st.Body.MaxWidth(max(c.Width, 1)).Render("  "+st.Link.Render(p.VerificationURI)),
		fitText(c, st.Body, "and enter this code:"),
		"",
		s.codeBox(),
		"",
		s.countdown(),
	)
	if s.prompt.ExpiresAt.After(c.Clock.Now()) {
		parts = append(parts, workingLine(c, "Waiting for you to sign in on the other device…", time.Time{}))
	}
	if s.status != "" {
		style := st.Success
		if s.bad {
			style = st.Danger
		} else if s.approving {
			style = st.Subtle
		}
		parts = append(parts, "", fitText(c, style, s.status))
	}
	return stack(parts...)
}

// countdown is how long the code has left, on the flow's clock.
func (s *signInScreen) countdown() string {
	st := s.c.Styles
	left := s.prompt.ExpiresAt.Sub(s.c.Clock.Now())
	if left <= 0 {
		return fitText(s.c, st.Warning, "The code has expired.")
	}
	return fitText(s.c, st.Body, "The code expires in "+durationText(left))
}

// codeBox is the device code, large: letter-spaced in groups of three, in a box.
func (s *signInScreen) codeBox() string {
	st := s.c.Styles
	code := spacedCode(s.prompt.UserCode)
	box := st.Panel.Padding(1, 4)
	if w := len([]rune(code)) + 10; w > s.c.Width {
		box = st.Panel // a narrow window: the code matters more than the room around it
	}
	return box.Render(st.Code.Render(code))
}

// spacedCode spaces a code's characters, with a wider gap between groups of three when it
// splits evenly into them (Entra's nine-character codes).
func spacedCode(code string) string {
	r := []rune(code)
	var b strings.Builder
	for i, c := range r {
		if i > 0 {
			b.WriteString(" ")
			if len(r)%3 == 0 && len(r) > 3 && i%3 == 0 {
				b.WriteString("  ")
			}
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (s *signInScreen) browserView() string {
	c := s.c
	st := c.Styles
	return stack(
		setupHeading(c, "Continue in your browser", oobe.StageSignIn.Title()),
		"",
		fitText(c, st.Body, "A browser window opened on this PC. Sign in there, then come back here. If it did not, open this page in a browser on this PC:"),
		"",
		s.pageLink(),
		"",
		workingLine(c, "Waiting for you to finish signing in in the browser…", time.Time{}),
	)
}

// pageLink is the browser's page, whole, broken across lines where it is wider than the
// window (a URL has no spaces to wrap at), so it can be copied.
func (s *signInScreen) pageLink() string {
	st := s.c.Styles
	w := max(s.c.Width-2, 1)
	r := []rune(s.page)
	var lines []string
	for len(r) > w {
		lines = append(lines, "  "+st.Link.Render(string(r[:w])))
		r = r[w:]
	}
	return strings.Join(append(lines, "  "+st.Link.Render(string(r))), "\n")
}

func (s *signInScreen) help() []key.Binding {
	k := s.c.Keys
	switch s.step {
	case signInPage:
		return s.pageHelp(false)
	case signInMFA:
		return s.mfaHelp()
	case signInWelcome:
		if s.pageOn() {
			return []key.Binding{upDown(k), rebind(k.Select, "enter", "select"), rebind(k.Back, "esc", "back to the sign-in page")}
		}
		return []key.Binding{upDown(k), rebind(k.Select, "enter", "sign in"), k.Browser}
	case signInBrowser:
		if s.canGoBack() {
			return []key.Binding{rebind(k.Back, "esc", "other ways to sign in")}
		}
	case signInCode:
		var out []key.Binding
		if s.canGoBack() {
			out = append(out, rebind(k.Back, "esc", "other ways to sign in"))
		}
		if s.canOpen() {
			out = append(out, k.OpenPage)
		}
		if s.canApprove() {
			out = append(out, k.Approve)
		}
		return out
	}
	return nil
}

func (s *signInScreen) fullHelp() [][]key.Binding {
	k := s.c.Keys
	switch s.step {
	case signInPage:
		return [][]key.Binding{s.pageHelp(true)}
	case signInMFA:
		return [][]key.Binding{s.mfaHelp()}
	case signInWelcome:
		if s.pageOn() {
			return [][]key.Binding{{k.Up, k.Down}, {rebind(k.Select, "enter", "select"), k.DeviceCode, k.Browser, rebind(k.Back, "esc", "back to the sign-in page")}}
		}
		return [][]key.Binding{{k.Up, k.Down}, {rebind(k.Select, "enter", "sign in"), k.Browser}}
	case signInCode, signInBrowser:
		if h := s.help(); len(h) > 0 {
			return [][]key.Binding{h}
		}
	}
	return nil
}

// pageHelp is the page's keys: sign in and the other ways while the question is open (all of
// them, the other field and Esc too, when full); after a refusal, Esc gives up.
func (s *signInScreen) pageHelp(full bool) []key.Binding {
	k := s.c.Keys
	if s.posting {
		return nil
	}
	enter := rebind(k.Select, "enter", "sign in")
	if s.focus == 0 {
		enter = rebind(k.Select, "enter", "next")
	}
	other := rebind(k.Next, "tab", "other field")
	if s.ask != nil {
		code, browser := rebind(k.DeviceCode, "ctrl+e", "code"), rebind(k.Browser, "ctrl+b", "browser")
		if full {
			return []key.Binding{enter, other, code, browser, rebind(k.Back, "esc", "other ways")}
		}
		return []key.Binding{enter, code, browser}
	}
	out := []key.Binding{enter, other}
	if s.refused != nil || s.stepUp {
		out = append(out, rebind(k.Back, "esc", "give up"))
	}
	return out
}

// pageView is the tenant's sign-in page as Windows setup shows it: the organization's name,
// its sign-in text, the username and the password, and Entra's error when it refuses.
func (s *signInScreen) pageView() string {
	c := s.c
	st := c.Styles
	b := s.tenant()
	text := c.Actions.page.cfg.Text
	if text == "" {
		org := b.TenantName
		if org == "" {
			org = "your organization's"
		}
		text = "Sign in with your " + org + " work or school account."
	}
	w := min(max(c.Width-2, 10), 60)
	fieldBox := func(in *textinput.Model, focused bool) string {
		in.SetWidth(max(w-4, 1))
		box := st.Panel.Width(w)
		if !focused {
			box = box.BorderForeground(st.Palette.Subtle)
		}
		return box.Render(in.View())
	}
	parts := []string{setupHeading(c, "Sign in", b.TenantName), "", fitText(c, st.Body, text), ""}
	if s.stepUp {
		parts = append(parts, fitText(c, st.Subtle, "Your organization asks you to sign in again, with a stronger method, before this PC restores from a previous PC."), "")
	}
	if s.refused != nil {
		parts = append(parts, fitText(c, st.Danger, s.refused.Message), fitText(c, st.Subtle, explainRefusal(s.refused)), "")
	}
	if s.failed != "" {
		parts = append(parts, fitText(c, st.Danger, s.failed), "")
	}
	parts = append(parts,
		fitText(c, st.Subtle, "Email or username"), fieldBox(&s.user, s.focus == 0),
		fitText(c, st.Subtle, "Password"), fieldBox(&s.pass, s.focus == 1))
	switch {
	case s.posting:
		parts = append(parts, "", workingLine(c, "Signing you in…", time.Time{}))
	case s.ask != nil:
		parts = append(parts, "", fitText(c, st.Subtle, "Other ways to sign in: ctrl+e a code on another device, ctrl+b a web browser."))
	}
	return stack(parts...)
}

// explainRefusal says in words what the person can do about the page's refusal.
func explainRefusal(e *signinpage.RefusedError) string {
	switch e.Code {
	case signinpage.CodeBadPassword:
		return "The password is wrong for this account. Type it again; Esc gives up."
	case signinpage.CodeUnknownUser:
		return "The organization has no account with this username. Check it and try again."
	case signinpage.CodeMissingInput:
		return "Both the username and the password are needed."
	}
	return "Try again, or press Esc to give up."
}
