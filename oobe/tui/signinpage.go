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

// credentials are what the person typed on the page; giveUp ends the sign-in after a refusal.
type credentials struct {
	user, password string
	giveUp         bool
}

// pageSession connects the sign-in screen, which takes the typing, to the person, which
// posts it to the page during the flow's browser sign-in.
type pageSession struct {
	cfg   SignInPage
	creds chan credentials
	// use is whether the person chose the page at the last sign-in question.
	use bool
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
// shown and the page waits for another try, until it signs in or the person gives up.
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
		if c.giveUp {
			return gaveUp(last)
		}
		err := pg.SignIn(ctx, c.user, c.password)
		var re *signinpage.RefusedError
		if errors.As(err, &re) {
			last = re
			send(pageRefusedMsg{err: re})
			continue
		}
		if err != nil {
			send(pageFailedMsg{err: err})
		}
		return err
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
