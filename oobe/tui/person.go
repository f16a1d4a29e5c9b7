package tui

import (
	"context"
	"errors"
	"fmt"
	"slices"

	tea "charm.land/bubbletea/v2"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/restore/profile"
)

// Ask is one question of the flow, waiting on the person: the screen of Stage shows it and
// answers it from their keys. The fields that matter depend on the stage.
type Ask struct {
	Stage    oobe.Stage
	Options  []string                // region, keyboard, second keyboard
	Networks []oobe.Network          // network
	Branding oobe.Branding           // sign-in method
	Profiles []profile.BackupProfile // the restore page's previous PCs (in setup or at first sign-in)
	Failure  oobe.ESPFailure         // an ESP failure
	// StepUp is the branded page opening again after setup's sign-in, for the prompt
	// Conditional Access adds at eligibility: the page answers it, not the flow.
	StepUp bool

	reply chan Answer
}

// Answer is the person's answer to an Ask.
type Answer struct {
	Text       string // a region, a keyboard ("" skips the second), a windowsDeviceId ("" for new)
	Network    oobe.Network
	Passphrase string
	Method     oobe.SignInMethod
	// Page is the sign-in on the tenant's page drawn here (Method is then browser).
	Page   bool
	Choice oobe.ESPChoice
	// Back goes back to the previous screen, where the stage has one.
	Back bool
}

// answer is the command that gives the flow a's answer. It never blocks: the reply channel
// holds one answer, and a screen answers once.
func answer(a *Ask, ans Answer) tea.Cmd {
	return func() tea.Msg {
		select {
		case a.reply <- ans:
		default:
		}
		return answeredMsg{stage: a.Stage}
	}
}

// Messages from the flow to the UI.
type (
	askMsg     struct{ ask *Ask }
	eventMsg   struct{ event oobe.Event }
	promptMsg  struct{ prompt auth.DeviceCodePrompt }
	browserMsg struct{ url string }
	// noBrowserMsg says no browser opened for the browser sign-in: it falls back to a code.
	noBrowserMsg struct{ err error }
	doneMsg      struct {
		outcome *oobe.Outcome
		err     error
	}
	answeredMsg struct{ stage oobe.Stage }
)

// Outside is what the person does away from the terminal: on the device-code page and in the
// browser. oobe.Person's two sign-in methods, for a person at the keyboard or a pilot.
type Outside interface {
	DeviceCode(ctx context.Context, prompt auth.DeviceCodePrompt)
	Browser(ctx context.Context, url string) error
}

// person is oobe.Person for the terminal UI: each question goes to the screen as an askMsg
// and waits for the answer the person's keys give. A pilot, when there is one, presses the
// keys.
type person struct {
	send    func(tea.Msg)
	outside Outside
	pilot   *Pilot
	page    *pageSession
	// attempt is the sign-in under way, which a browser that does not open switches to a
	// device code; nil where nothing can switch it.
	attempt *signInAttempt
}

var (
	_ oobe.Person       = (*person)(nil)
	_ oobe.SignInBacker = (*person)(nil)
)

// signInAttempt carries the person leaving a sign-in under way to the flow
// (oobe.SignInBacker): Esc on the code's or the browser's wait goes back to the ways to sign
// in, and a browser that does not open goes on with a code. One attempt serves every run of
// the flow a presenter restarts; the flow ignores what was left over from an ended wait.
type signInAttempt struct{ leave chan oobe.SignInMethod }

func newSignInAttempt() *signInAttempt {
	return &signInAttempt{leave: make(chan oobe.SignInMethod, 1)}
}

// switchTo leaves the sign-in under way for next ("" asks for the way again); a second
// before the flow has taken the first is dropped.
func (a *signInAttempt) switchTo(next oobe.SignInMethod) {
	select {
	case a.leave <- next:
	default:
	}
}

// back is the command the screen's Esc starts.
func (a *signInAttempt) back() tea.Cmd {
	return func() tea.Msg { a.switchTo(""); return nil }
}

// SignInBack is where the flow hears the person leave a sign-in; nil where nothing can.
func (p *person) SignInBack() <-chan oobe.SignInMethod {
	if p.attempt == nil {
		return nil
	}
	return p.attempt.leave
}

// ask shows a and waits for its answer, or for ctx.
func (p *person) ask(ctx context.Context, a *Ask) (Answer, error) {
	a.reply = make(chan Answer, 1)
	p.send(askMsg{ask: a})
	p.arrived()
	if p.pilot != nil {
		if err := p.pilot.press(ctx, a, p.send); err != nil {
			return Answer{}, err
		}
	}
	select {
	case ans := <-a.reply:
		if ans.Back {
			return ans, oobe.ErrBack
		}
		return ans, nil
	case <-ctx.Done():
		return Answer{}, ctx.Err()
	}
}

func (p *person) Region(ctx context.Context, offered []string) (string, error) {
	a, err := p.ask(ctx, &Ask{Stage: oobe.StageRegion, Options: slices.Clone(offered)})
	return a.Text, err
}

func (p *person) Keyboard(ctx context.Context, offered []string) (string, error) {
	a, err := p.ask(ctx, &Ask{Stage: oobe.StageKeyboard, Options: slices.Clone(offered)})
	return a.Text, err
}

func (p *person) SecondKeyboard(ctx context.Context, offered []string) (string, error) {
	a, err := p.ask(ctx, &Ask{Stage: oobe.StageSecondKeyboard, Options: slices.Clone(offered)})
	return a.Text, err
}

func (p *person) Network(ctx context.Context, offered []oobe.Network) (oobe.Network, string, error) {
	a, err := p.ask(ctx, &Ask{Stage: oobe.StageNetwork, Networks: slices.Clone(offered)})
	return a.Network, a.Passphrase, err
}

func (p *person) SignInMethod(ctx context.Context, b oobe.Branding) (oobe.SignInMethod, error) {
	a, err := p.ask(ctx, &Ask{Stage: oobe.StageSignIn, Branding: b})
	if p.page != nil {
		// Setup's sign-in: a page opened after it is the prompt at eligibility.
		p.page.use, p.page.signedIn = a.Page, false
	}
	return a.Method, err
}

// arrived tells a presenter that a new screen is up (a step ends there).
func (p *person) arrived() {
	if p.pilot != nil && p.pilot.presenter != nil {
		p.pilot.presenter.arrived()
	}
}

// DeviceCode shows the code; the person (or the pilot) acts on the verification page.
func (p *person) DeviceCode(ctx context.Context, prompt auth.DeviceCodePrompt) {
	p.send(promptMsg{prompt: prompt})
	p.arrived()
	if p.pilot != nil {
		p.pilot.deviceCode(ctx, prompt)
		return
	}
	if p.outside != nil {
		p.outside.DeviceCode(ctx, prompt)
	}
}

// Browser opens the sign-in page in a browser; the sign-in completes there. When no
// browser opens (no display, no opener), the screen says so and the sign-in falls back to a
// device code, which works from any other device.
func (p *person) Browser(ctx context.Context, url string) error {
	p.send(browserMsg{url: url})
	p.arrived()
	if p.page != nil && p.page.use {
		if p.page.signedIn {
			// The restore app's prompt (live.SignIn.StepUp): the same page again, on the
			// sign-in screen.
			p.send(askMsg{ask: &Ask{Stage: oobe.StageSignIn, StepUp: true}})
		}
		return p.page.signIn(ctx, url, p.send)
	}
	if p.pilot != nil {
		return p.pilot.browser(ctx, url)
	}
	err := errors.New("no browser to sign in with")
	if p.outside != nil {
		err = p.outside.Browser(ctx, url)
	}
	if err != nil && p.attempt != nil {
		p.send(noBrowserMsg{err: err})
		p.attempt.switchTo(oobe.SignInDeviceCode)
	}
	return err
}

func (p *person) RestoreChoice(ctx context.Context, profiles []profile.BackupProfile) (string, error) {
	a, err := p.ask(ctx, &Ask{Stage: oobe.StageRestorePage, Profiles: slices.Clone(profiles)})
	return a.Text, err
}

// FirstSignInRestoreChoice is the same restore page, at the user's first sign-in after setup.
func (p *person) FirstSignInRestoreChoice(ctx context.Context, profiles []profile.BackupProfile) (string, error) {
	a, err := p.ask(ctx, &Ask{Stage: oobe.StageFirstSignInRestorePage, Profiles: slices.Clone(profiles)})
	return a.Text, err
}

func (p *person) ESPFailure(ctx context.Context, f oobe.ESPFailure) (oobe.ESPChoice, error) {
	a, err := p.ask(ctx, &Ask{Stage: oobe.StageESP, Failure: f})
	if err == nil && a.Choice == "" {
		return "", fmt.Errorf("the ESP failure screen gave no choice")
	}
	return a.Choice, err
}
