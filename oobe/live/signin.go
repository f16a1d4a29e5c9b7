// Package live connects the enrollment flow to working parts: sign-in over an auth.Client, the
// cloud over Graph, and a simulated device directory. It holds the tokens and never shows them.
package live

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	bctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	res, err := s.client.Browser(bctx, auth.BrowserOptions{Out: io.Discard, Open: func(url string) error {
		if err := open(url); err != nil {
			cancel(err)
			return err
		}
		return nil
	}})
	if err != nil {
		if ctx.Err() == nil {
			if cause := context.Cause(bctx); cause != nil && !errors.Is(cause, context.Canceled) {
				return nil, cause
			}
		}
		return nil, err
	}
	return s.keep(res), nil
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
