package tui

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/oobe-dev/oobe/internal/signinpage"
)

// The MFA step of the branded page: after the right password, Conditional Access (requireMfa,
// or the restore app's phishing-resistant demand) asks for a second factor. The screen draws
// it with the page's own words — its heading, its text, its button — and the other ways it
// offers under "Sign in another way", then Cancel.

// showMFA opens (or redraws) the MFA step the page shows.
func (s *signInScreen) showMFA(pr signinpage.MFAPrompt) {
	switched := s.mfa == nil || s.mfa.Kind != pr.Kind
	s.step, s.posting, s.refused, s.failed = signInMFA, false, nil, ""
	s.mfa = &pr
	s.factor.Reset()
	s.factor.EchoMode = textinput.EchoNormal
	s.factor.Placeholder = "Code"
	if pr.Kind == signinpage.KindTAP {
		// A pass is a password for a while: masked like one.
		s.factor.EchoMode = textinput.EchoPassword
		s.factor.Placeholder = "Temporary Access Pass"
	}
	if switched {
		s.mfaFocus = 0
		if pr.Kind == "" {
			s.mfaFocus = s.mfaRows() - 1 // only Cancel is left
		}
	}
	s.focusFactor()
}

// mfaField is whether the step has a field to type in: a code or a pass.
func (s *signInScreen) mfaField() bool {
	return s.mfa != nil && (s.mfa.Kind == signinpage.KindCode || s.mfa.Kind == signinpage.KindTAP)
}

// mfaRows is how many rows take the focus: the step's action (when it has one), its other
// ways, and Cancel.
func (s *signInScreen) mfaRows() int { return 1 + len(s.mfa.Others) + 1 }

// mfaCancelRow is Cancel's row.
func (s *signInScreen) mfaCancelRow() int { return s.mfaRows() - 1 }

func (s *signInScreen) focusFactor() {
	if s.mfaFocus == 0 && s.mfaField() {
		s.factor.Focus()
	} else {
		s.factor.Blur()
	}
}

// mfaKey handles a key on the MFA step: Enter on the action verifies, on another way switches
// to it, on Cancel cancels; Esc cancels too; up, down and Tab move between the rows.
func (s *signInScreen) mfaKey(msg tea.KeyPressMsg) tea.Cmd {
	k := s.c.Keys
	if s.posting {
		return nil
	}
	first := 0
	if s.mfa.Kind == "" {
		first = 1 // no action to take
	}
	move := func(d int) {
		n := s.mfaRows()
		s.mfaFocus = (s.mfaFocus + d + n) % n
		if s.mfaFocus < first {
			s.mfaFocus = (s.mfaFocus + d + n) % n
		}
		s.focusFactor()
	}
	switch {
	case msg.String() == "down" || msg.String() == "tab":
		move(1)
		return nil
	case msg.String() == "up" || msg.String() == "shift+tab":
		move(-1)
		return nil
	case key.Matches(msg, k.Back):
		return s.mfaSubmit(credentials{giveUp: true})
	case key.Matches(msg, k.Select):
		switch {
		case s.mfaFocus == s.mfaCancelRow():
			return s.mfaSubmit(credentials{giveUp: true})
		case s.mfaFocus > 0:
			return s.mfaSubmit(credentials{other: s.mfa.Others[s.mfaFocus-1].Kind})
		}
		a := signinpage.MFAAnswer{}
		switch s.mfa.Kind {
		case signinpage.KindCode:
			a.Code = strings.TrimSpace(s.factor.Value())
		case signinpage.KindTAP:
			a.TAP = strings.TrimSpace(s.factor.Value())
		case signinpage.KindPasskey:
			a.Passkey = true
		}
		return s.mfaSubmit(credentials{mfa: &a})
	}
	if s.mfaFocus != 0 || !s.mfaField() {
		return nil
	}
	var cmd tea.Cmd
	s.factor, cmd = s.factor.Update(msg)
	return cmd
}

func (s *signInScreen) mfaSubmit(c credentials) tea.Cmd {
	s.posting = true
	return s.c.Actions.page.submit(s.c.Actions.Ctx, c)
}

func (s *signInScreen) mfaHelp() []key.Binding {
	k := s.c.Keys
	if s.posting {
		return nil
	}
	enter := rebind(k.Select, "enter", "select")
	if s.mfaFocus == 0 && s.mfa.Action != "" {
		enter = rebind(k.Select, "enter", strings.ToLower(s.mfa.Action))
	}
	return []key.Binding{enter, upDown(k), rebind(k.Back, "esc", "cancel")}
}

// mfaView is the MFA step as Entra draws it: who is signing in, the step's heading and text,
// its error, the field or the passkey's button, then the other ways and Cancel.
func (s *signInScreen) mfaView() string {
	c := s.c
	st := c.Styles
	pr := s.mfa
	w := min(max(c.Width-2, 10), 60)
	parts := []string{setupHeading(c, "Sign in", s.tenant().TenantName), ""}
	if u := strings.TrimSpace(s.user.Value()); u != "" {
		parts = append(parts, fitText(c, st.Subtle, u), "")
	}
	if pr.Heading != "" {
		parts = append(parts, fitText(c, st.Title, pr.Heading))
	}
	if pr.Text != "" {
		parts = append(parts, fitText(c, st.Body, pr.Text))
	}
	if pr.Heading != "" || pr.Text != "" {
		parts = append(parts, "")
	}
	if pr.Message != "" {
		parts = append(parts, fitText(c, st.Danger, pr.Message), fitText(c, st.Subtle, explainMFA(pr)), "")
	}
	row := func(i int, label string) string {
		if i == s.mfaFocus {
			return st.ItemSelected.Render("› " + label)
		}
		return st.Body.Render("  " + label)
	}
	if s.mfaField() {
		box := st.Panel.Width(w)
		if s.mfaFocus != 0 {
			box = box.BorderForeground(st.Palette.Subtle)
		}
		s.factor.SetWidth(max(w-4, 1))
		parts = append(parts, box.Render(s.factor.View()))
	}
	if pr.Kind == signinpage.KindPasskey {
		note := "On a PC without a passkey or security key (a Hyper-V virtual machine) this prompt fails: "
		if len(pr.Others) > 0 {
			note += "sign in another way."
		} else {
			note += "cancel, and ask your admin for a Temporary Access Pass."
		}
		if !strings.Contains(pr.Text, "WebAuthn") { // the simulated tenant's page says so itself
			note = "This simulator cannot run WebAuthn: the button answers as your passkey would. " + note
		}
		parts = append(parts, fitText(c, st.Subtle, note))
	}
	if pr.Action != "" {
		button := st.Button
		if s.mfaFocus == 0 {
			button = st.ButtonFocus
		}
		parts = append(parts, button.Render(pr.Action))
	}
	if len(pr.Others) > 0 {
		parts = append(parts, "", fitText(c, st.Subtle, "Sign in another way"))
		for i, o := range pr.Others {
			parts = append(parts, row(i+1, o.Label))
		}
	} else {
		parts = append(parts, "")
	}
	parts = append(parts, row(s.mfaCancelRow(), "Cancel"))
	if s.posting {
		parts = append(parts, "", workingLine(c, "Verifying…", time.Time{}))
	}
	return stack(parts...)
}

// explainMFA says in words what the person can do about the MFA step's error.
func explainMFA(pr *signinpage.MFAPrompt) string {
	switch {
	case pr.Kind == "":
		return "The account has no method this sign-in accepts: ask your admin to register one (a passkey, or a Temporary Access Pass). Cancel ends the sign-in."
	case pr.Code == signinpage.CodeMFAFailed && pr.Kind == signinpage.KindCode:
		return "The code is wrong or has expired. Type the code the app shows now."
	case pr.Code == signinpage.CodeMFAFailed && pr.Kind == signinpage.KindTAP:
		return "The pass is wrong, expired or already used. Check it with your admin, or sign in another way."
	case pr.Code == signinpage.CodeMFAFailed:
		return "Your passkey did not answer. Try again, or sign in another way."
	}
	return "Try again, sign in another way, or cancel."
}
