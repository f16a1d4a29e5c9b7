package tui

import (
	"context"
	"sync"

	tea "charm.land/bubbletea/v2"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/oobe"
)

// switchingSignIn is the flow's SignIn with a way out of a sign-in under way: Esc on the
// code or the browser wait goes back to the ways to sign in, and a browser that does not
// open falls back to a device code. The engine asks for the way once and has no Back from
// sign-in (oobe/flow.go's backTo), so the UI cancels the attempt and asks again itself.
type switchingSignIn struct {
	inner   oobe.SignIn
	person  *person
	attempt *signInAttempt
}

// signInAttempt is the sign-in under way, which the screen (in a command) or the person can
// end to switch to another way.
type signInAttempt struct {
	mu       sync.Mutex
	cancel   context.CancelFunc
	switched bool
	next     oobe.SignInMethod // "" asks for the way again
}

func (a *signInAttempt) begin(cancel context.CancelFunc) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cancel, a.switched, a.next = cancel, false, ""
}

func (a *signInAttempt) end() (switched bool, next oobe.SignInMethod) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cancel = nil
	return a.switched, a.next
}

// switchTo ends the attempt under way for next ("" asks again); with none under way it does
// nothing.
func (a *signInAttempt) switchTo(next oobe.SignInMethod) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cancel == nil {
		return
	}
	a.switched, a.next = true, next
	a.cancel()
}

// back is the command the screen's Esc starts.
func (a *signInAttempt) back() tea.Cmd {
	return func() tea.Msg { a.switchTo(""); return nil }
}

func (s *switchingSignIn) DeviceCode(ctx context.Context, show func(auth.DeviceCodePrompt)) (*oobe.Session, error) {
	return s.run(ctx, oobe.SignInDeviceCode, show, nil)
}

func (s *switchingSignIn) Browser(ctx context.Context, open func(url string) error) (*oobe.Session, error) {
	return s.run(ctx, oobe.SignInBrowser, nil, open)
}

// run signs in with method, and again with another way each time the attempt is switched.
// The engine's own callbacks (which write its transcript) are used for the way it asked
// for; another way shows its code or page through the person directly.
func (s *switchingSignIn) run(ctx context.Context, method oobe.SignInMethod, show func(auth.DeviceCodePrompt), open func(string) error) (*oobe.Session, error) {
	for {
		actx, cancel := context.WithCancel(ctx)
		s.attempt.begin(cancel)
		var sess *oobe.Session
		var err error
		if method == oobe.SignInDeviceCode {
			if show == nil {
				show = func(p auth.DeviceCodePrompt) { s.person.DeviceCode(actx, p) }
			}
			sess, err = s.inner.DeviceCode(actx, show)
		} else {
			if open == nil {
				open = func(u string) error { return s.person.Browser(actx, u) }
			}
			sess, err = s.inner.Browser(actx, open)
		}
		switched, next := s.attempt.end()
		cancel()
		if !switched || ctx.Err() != nil {
			return sess, err
		}
		if next == "" {
			if next, err = s.person.SignInMethod(ctx, oobe.Branding{}); err != nil {
				return nil, err
			}
		}
		method, show, open = next, nil, nil
	}
}
