// Package live connects the enrollment flow to working parts: sign-in over an auth.Client, the
// cloud over Graph, and a simulated device directory. It holds the tokens and never shows them.
package live

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/oobe"
)

// SignIn is oobe.SignIn over an auth.Client. It keeps the signed-in user's tokens for the
// Cloud that Connect makes, and refreshes them on the flow's clock.
type SignIn struct {
	client *auth.Client
	clock  clock.Clock

	mu       sync.Mutex
	tokens   *auth.Tokens
	identity auth.Identity
	// open is the browser the setup sign-in used (Browser's), which a later prompt on the
	// device (StepUp) uses again; nil after a device code sign-in.
	open func(url string) error
}

var _ oobe.SignIn = (*SignIn)(nil)

// NewSignIn signs in with client; clk must be the clock client was made with (nil: real time).
func NewSignIn(client *auth.Client, clk clock.Clock) *SignIn {
	if clk == nil {
		clk = clock.Real{}
	}
	return &SignIn{client: client, clock: clk}
}

// DeviceCode runs the device code flow; show is told the code before polling starts.
func (s *SignIn) DeviceCode(ctx context.Context, show func(auth.DeviceCodePrompt)) (*oobe.Session, error) {
	res, err := s.client.DeviceCode(ctx, show)
	if err != nil {
		return nil, err
	}
	return s.keep(res), nil
}

// Browser runs the auth code + PKCE flow, with open playing the browser. When open returns an
// error — the person gave up on the sign-in page — the sign-in ends with that error instead of
// waiting for a redirect that will not come.
func (s *SignIn) Browser(ctx context.Context, open func(url string) error) (*oobe.Session, error) {
	if open == nil {
		return nil, errors.New("browser sign-in: nothing to open the sign-in page with")
	}
	res, err := s.browse(ctx, open, "")
	if err != nil {
		return nil, err
	}
	sess := s.keep(res)
	s.mu.Lock()
	s.open = open
	s.mu.Unlock()
	return sess, nil
}

// browse runs one auth code sign-in with open as the browser; a claims challenge, when given,
// goes on the authorize request as MSAL passes it (the claims parameter), with the signed-in
// user's login_hint.
func (s *SignIn) browse(ctx context.Context, open func(url string) error, claims string) (*auth.Result, error) {
	bctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	opts := auth.BrowserOptions{Out: io.Discard, Open: func(u string) error {
		if claims != "" {
			u += "&claims=" + url.QueryEscape(claims)
		}
		if err := open(u); err != nil {
			cancel(err)
			return err
		}
		return nil
	}}
	if claims != "" {
		_, id, _ := s.held()
		opts.LoginHint = id.UPN
	}
	res, err := s.client.Browser(bctx, opts)
	if err != nil {
		if ctx.Err() == nil {
			if cause := context.Cause(bctx); cause != nil && !errors.Is(cause, context.Canceled) {
				return nil, cause
			}
		}
		return nil, err
	}
	return res, nil
}

// ErrNoPrompt is StepUp's answer when the session was not signed in with a browser: there is
// no page to show the prompt on.
var ErrNoPrompt = errors.New("the sign-in was not made in a browser, so the prompt cannot be shown")

// StepUp shows the prompt a claims challenge asks for (Entra's AADSTS50076 with claims, for
// example phishing-resistant MFA for the restore experience app) the way Windows does during
// setup: an interactive sign-in, with the claims, through the browser the setup sign-in used.
// The person answers it on the page (their passkey); on success the session's tokens are the
// new sign-in's, which carry the stronger authentication. The signed-in user must not change.
func (s *SignIn) StepUp(ctx context.Context, claims string) error {
	s.mu.Lock()
	open, held := s.open, s.tokens != nil
	s.mu.Unlock()
	if !held {
		return errors.New("the prompt: nobody has signed in yet")
	}
	if open == nil {
		return ErrNoPrompt
	}
	res, err := s.browse(ctx, open, claims)
	if err != nil {
		return err
	}
	_, id, _ := s.held()
	if !sameUser(res.Identity, id) {
		return fmt.Errorf("the prompt was answered by %s, not the user who signed in (%s)", res.Identity.UPN, id.UPN)
	}
	s.keep(res)
	return nil
}

// keep stores a completed sign-in and returns the flow's view of it.
func (s *SignIn) keep(res *auth.Result) *oobe.Session {
	s.mu.Lock()
	s.tokens, s.identity = s.client.Tokens(res), res.Identity
	s.mu.Unlock()
	return &oobe.Session{Identity: res.Identity, Expiry: res.Expiry}
}

// held is the current sign-in's tokens and identity, or an error when nobody has signed in.
func (s *SignIn) held() (*auth.Tokens, auth.Identity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tokens == nil {
		return nil, auth.Identity{}, errors.New("nobody has signed in yet")
	}
	return s.tokens, s.identity, nil
}

// Token is a graph.TokenSource: the Graph access token, refreshed (auth.Tokens) ahead of its
// expiry on the flow's clock.
func (s *SignIn) Token(ctx context.Context) (string, error) {
	t, _, err := s.held()
	if err != nil {
		return "", fmt.Errorf("no Graph token: %w", err)
	}
	return t.Token(ctx)
}

// TokenFor asks for an access token for another resource (scopes like "{appId}/.default")
// with the signed-in user's refresh token, keeping the new one it brings; the Graph token is
// untouched. Only whether it was issued matters to the flow: the token itself is dropped.
func (s *SignIn) TokenFor(ctx context.Context, scopes ...string) error {
	t, _, err := s.held()
	if err != nil {
		return fmt.Errorf("no token for %s: %w", strings.Join(scopes, " "), err)
	}
	_, err = t.TokenFor(ctx, scopes)
	return err
}

func sameUser(a, b auth.Identity) bool {
	return strings.EqualFold(a.TenantID, b.TenantID) && strings.EqualFold(a.ObjectID, b.ObjectID)
}
