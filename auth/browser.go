package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// BrowserOptions tune the auth code + PKCE flow.
type BrowserOptions struct {
	// Open shows the sign-in page; nil opens the system browser when there is one. Browser
	// returns only after Open has returned, so a test can play the browser inside it.
	Open func(url string) error
	// Out receives the sign-in URL and hints for the person; nil means os.Stderr.
	Out io.Writer
	// ResponseMode is "query" (default) or "form_post".
	ResponseMode string
	// LoginHint prefills the username on the sign-in page.
	LoginHint string
	// ListenAddr is the loopback listener's address; default "127.0.0.1:0" (any free port).
	ListenAddr string
}

// Browser runs the auth code flow with PKCE (always S256) and a loopback redirect on 127.0.0.1.
// It accepts exactly one callback carrying this sign-in's state, redeems the code without any
// client secret, and verifies the ID token against the nonce it sent. Failures are *SignInError.
func (c *Client) Browser(ctx context.Context, opts BrowserOptions) (*Result, error) {
	mode := opts.ResponseMode
	if mode == "" {
		mode = ResponseModeQuery
	}
	if mode != ResponseModeQuery && mode != ResponseModeFormPost {
		return nil, fmt.Errorf("response mode %q: use %q or %q", mode, ResponseModeQuery, ResponseModeFormPost)
	}
	out := opts.Out
	if out == nil {
		out = os.Stderr
	}
	ln, err := listenLoopback(opts.ListenAddr)
	if err != nil {
		return nil, err
	}
	hostPort := ln.Addr().String()
	redirectURI := "http://" + hostPort + "/"
	state, nonce, verifier := randomToken(), randomToken(), oauth2.GenerateVerifier()

	oc := oauth2.Config{
		ClientID:    c.clientID,
		Endpoint:    oauth2.Endpoint{AuthURL: c.disc.AuthorizationEndpoint, TokenURL: c.disc.TokenEndpoint, AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL: redirectURI,
		Scopes:      c.scopes,
	}
	params := []oauth2.AuthCodeOption{
		oauth2.S256ChallengeOption(verifier),
		oidc.Nonce(nonce),
		oauth2.SetAuthURLParam("response_mode", mode),
	}
	if opts.LoginHint != "" {
		params = append(params, oauth2.SetAuthURLParam("login_hint", opts.LoginHint))
	}
	authURL := oc.AuthCodeURL(state, params...)

	lb := newLoopback(mode, state, hostPort, c.log)
	srv := &http.Server{Handler: lb, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		close(lb.finished)
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if srv.Shutdown(sctx) != nil {
			_ = srv.Close()
		}
	}()
	c.log.Info("waiting for the browser sign-in", "listener", hostPort, "response_mode", mode)

	open := opts.Open
	if open == nil {
		open = OpenBrowser
	}
	fmt.Fprintf(out, "Sign in with your browser. If no browser opens, visit this URL on this machine:\n\n  %s\n\n", authURL)
	openDone := make(chan struct{})
	go func() {
		defer close(openDone)
		if err := open(authURL); err != nil {
			if errors.Is(err, ErrNoBrowser) {
				fmt.Fprintln(out, "No browser was found here: open the URL above in a browser on this machine.")
			} else {
				fmt.Fprintf(out, "Could not open a browser (%v): open the URL above yourself.\n", err)
			}
		}
	}()

	var cb callback
	select {
	case cb = <-lb.results:
	case <-ctx.Done():
		return nil, newSignInError(CodeCancelled, 0, ctx.Err())
	}
	res, err := c.completeBrowser(ctx, cb, verifier, redirectURI, nonce)
	lb.outcome <- err
	select {
	case <-openDone:
	case <-ctx.Done():
	}
	return res, err
}

// completeBrowser turns the accepted callback into a Result.
func (c *Client) completeBrowser(ctx context.Context, cb callback, verifier, redirectURI, nonce string) (*Result, error) {
	if cb.Error != "" {
		e := entraError{Error: cb.Error, Description: cb.ErrorDescription}
		se := e.signInError()
		c.log.Info("browser sign-in refused", "code", se.Code, "aadsts", se.AADSTS)
		return nil, se
	}
	tok, err := c.redeem(ctx, url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {cb.Code},
		"redirect_uri":  {redirectURI},
		"code_verifier": {verifier},
		"scope":         {c.scope()},
	})
	if err != nil {
		c.log.Info("code redemption refused", "error", err)
		return nil, err
	}
	return c.finish(ctx, tok, nonce, FlowBrowser)
}

// listenLoopback binds addr, which must be on 127.0.0.1: the redirect must never be reachable
// from another machine.
func listenLoopback(addr string) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", addr, err)
	}
	if host != "127.0.0.1" {
		return nil, fmt.Errorf("listen address %q: the redirect listener binds 127.0.0.1 only", addr)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return nil, fmt.Errorf("listen address %q: bad port", addr)
	}
	ln, err := net.Listen("tcp4", addr)
	if err != nil {
		return nil, fmt.Errorf("opening the loopback listener for the browser redirect: %w", err)
	}
	return ln, nil
}
