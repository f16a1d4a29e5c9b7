package tui

import (
	"net/url"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/oobe-dev/oobe/auth"
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
	page     string // the browser sign-in's page, its query left out
	// status is the result of the last key action (open the page, approve), and bad
	// whether it is an error; approving is whether an approval is under way.
	status    string
	bad       bool
	approving bool
}

type signInStep int

const (
	signInWelcome signInStep = iota
	signInCode
	signInBrowser
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

func newSignInScreen(c *Common) screen {
	return &signInScreen{c: c, list: newChoiceList([]listItem{
		{label: "Sign in with a code on another device", note: "a phone or another computer"},
		{label: "Sign in with a web browser on this PC", note: "a browser opens here"},
	}, false)}
}

func (s *signInScreen) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case eventMsg:
		if msg.event.Kind == oobe.EventEnter {
			s.step, s.status, s.bad, s.approving = signInWelcome, "", false, false
			s.list.reset(s.list.items)
		}
	case askMsg:
		s.ask, s.branding, s.step = msg.ask, msg.ask.Branding, signInWelcome
		s.list.reset(s.list.items)
	case promptMsg:
		s.step, s.prompt = signInCode, msg.prompt
		s.status, s.bad, s.approving = "", false, false
	case browserMsg:
		s.step, s.page = signInBrowser, withoutQuery(msg.url)
		s.status, s.bad = "", false
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
	case signInWelcome:
		if s.ask == nil {
			return nil
		}
		switch {
		case key.Matches(msg, k.Select):
			if i, ok := s.list.selected(); ok {
				return s.answer(signInMethods[i])
			}
		case key.Matches(msg, k.Browser):
			return s.answer(oobe.SignInBrowser)
		default:
			s.list.update(msg, k)
		}
	case signInCode:
		switch {
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

func (s *signInScreen) answer(m oobe.SignInMethod) tea.Cmd {
	a := s.ask
	s.ask = nil
	return answer(a, Answer{Method: m})
}

func (s *signInScreen) canOpen() bool {
	return s.c.Actions != nil && s.c.Actions.Open != nil
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
	parts := []string{
		setupHeading(c, oobe.StageSignIn.Title(), ""),
		"",
		fitText(c, st.Body, "On your phone or another computer, open"),
		st.Body.MaxWidth(max(c.Width, 1)).Render("  " + st.Link.Render(p.VerificationURI)),
		fitText(c, st.Body, "and enter this code:"),
		"",
		s.codeBox(),
		"",
		s.countdown(),
	}
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
		fitText(c, st.Body, "A browser window opened on this PC. Sign in there, then come back here."),
		"",
		st.Body.MaxWidth(max(c.Width, 1)).Render("  "+st.Link.Render(s.page)),
		"",
		workingLine(c, "Waiting for you to finish signing in in the browser…", time.Time{}),
	)
}

func (s *signInScreen) help() []key.Binding {
	k := s.c.Keys
	switch s.step {
	case signInWelcome:
		return []key.Binding{upDown(k), rebind(k.Select, "enter", "sign in"), k.Browser}
	case signInCode:
		var out []key.Binding
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
	case signInWelcome:
		return [][]key.Binding{{k.Up, k.Down}, {rebind(k.Select, "enter", "sign in"), k.Browser}}
	case signInCode:
		if h := s.help(); len(h) > 0 {
			return [][]key.Binding{h}
		}
	}
	return nil
}
