package tui

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	tea "charm.land/bubbletea/v2"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/internal/signinpage"
)

// SignInPage turns on the tenant's branded sign-in page, drawn in the terminal, as the
// default sign-in on the simulated tenant: the username and password are typed on this
// device, as in Windows setup, and posted to the tenant's own authorize page by the auth code
// + PKCE flow's "browser" (internal/signinpage). The password stays in this process and goes
// only to that page.
type SignInPage struct {
	// Client reaches the simulated tenant (its TLS, its in-memory door); nil is
	// http.DefaultClient.
	Client *http.Client
	// User prefills the username (the demo user); "" leaves it empty.
	User string
	// Text is the tenant's sign-in page text; "" shows the generic sentence.
	Text string
}

// credentials are what the person gave the page: the username and password, or on the MFA
// step a second factor (mfa) or another way to give one (other); giveUp ends the sign-in after
// a refusal, and cancels the page's MFA step.
type credentials struct {
	user, password string
	mfa            *signinpage.MFAAnswer
	other          string
	giveUp         bool
}

// pageSession connects the sign-in screen, which takes the typing, to the person, which
// posts it to the page during the flow's browser sign-in.
type pageSession struct {
	cfg   SignInPage
	creds chan credentials
	// use is whether the person chose the page at the last sign-in question.
	use bool
	// signedIn is whether a sign-in on the page has gone through: a later page (the prompt
	// the restore app's phishing-resistant demand opens at eligibility) is the same page again.
	signedIn bool
}

func newPageSession(cfg *SignInPage) *pageSession {
	if cfg == nil {
		return nil
	}
	return &pageSession{cfg: *cfg, creds: make(chan credentials, 1)}
}

// Messages from the page to the screen.
type (
	// pageRefusedMsg is the page refusing the credentials; it stays open for another try.
	pageRefusedMsg struct{ err *signinpage.RefusedError }
	// pageFailedMsg is the page failing outright: the sign-in ends.
	pageFailedMsg struct{ err error }
	// pageMFAMsg is the page's MFA step after the right password: the second factor it asks
	// for, with the error of a wrong answer when there was one.
	pageMFAMsg struct{ prompt signinpage.MFAPrompt }
	// pageStepUpMsg is the page opening again after setup's sign-in, for a prompt Conditional
	// Access adds (phishing-resistant MFA for the restore app).
	pageStepUpMsg struct{}
)

// submit is the command that hands the typed credentials to the person.
func (ps *pageSession) submit(ctx context.Context, c credentials) tea.Cmd {
	return func() tea.Msg {
		select {
		case ps.creds <- c:
		case <-ctx.Done():
		}
		return nil
	}
}

// signIn plays the browser on the page at url with what the person types: each refusal is
// shown and the page waits for another try, and the MFA step, when the page adds one, is shown
// and answered the same way, until it signs in or the person gives up.
func (ps *pageSession) signIn(ctx context.Context, url string, send func(tea.Msg)) error {
	pg, err := signinpage.Open(ctx, ps.cfg.Client, url)
	if err != nil {
		send(pageFailedMsg{err: err})
		return err
	}
	var last *signinpage.RefusedError
	for {
		var c credentials
		select {
		case c = <-ps.creds:
		case <-ctx.Done():
			return ctx.Err()
		}
		switch {
		case c.giveUp && pg.MFA() != nil:
			// The step's Cancel: the page tells the app the user declined, and the sign-in
			// ends with Entra's answer.
			if err := pg.Cancel(ctx); err != nil {
				send(pageFailedMsg{err: err})
				return err
			}
			return nil
		case c.giveUp:
			return gaveUp(last)
		case c.other != "":
			err = pg.Switch(ctx, c.other)
		case c.mfa != nil:
			err = pg.Verify(ctx, *c.mfa)
		default:
			err = pg.SignIn(ctx, c.user, c.password)
		}
		var re *signinpage.RefusedError
		refusedErr := errors.As(err, &re)
		if pr := pg.MFA(); pr != nil && (err == nil && c.other != "" || signinpage.IsMFARequired(err) || refusedErr && pr.Code == re.Code) {
			// The step is open: asked for, switched to another way, or showing a wrong answer.
			send(pageMFAMsg{prompt: *pr})
			continue
		}
		if refusedErr {
			last = re
			send(pageRefusedMsg{err: re})
			continue
		}
		if err != nil {
			send(pageFailedMsg{err: err})
			return err
		}
		ps.signedIn = true
		return nil
	}
}

// gaveUp is the sign-in's error when the person leaves the page after a refusal.
func gaveUp(last *signinpage.RefusedError) error {
	if last == nil {
		return &auth.SignInError{Code: auth.CodeCancelled, Reason: "The person left the sign-in page without signing in."}
	}
	return &auth.SignInError{Code: auth.CodeInvalidGrant, AADSTS: last.Code,
		Reason: fmt.Sprintf("The sign-in page refused the sign-in (%s) and the person gave up.", last.Message)}
}
