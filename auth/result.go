package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"time"
)

// Flow says how a Result was obtained.
type Flow string

// The ways a sign-in can complete.
const (
	FlowDevice  Flow = "device"
	FlowBrowser Flow = "browser"
	FlowRefresh Flow = "refresh"
	FlowCache   Flow = "cache"
)

// Result is a completed sign-in; its String, Format and LogValue never reveal a token.
type Result struct {
	IDToken      string    `json:"-"`
	AccessToken  string    `json:"-"`
	RefreshToken string    `json:"-"`
	Expiry       time.Time `json:"expiry"` // when the access token expires, in the client's clock
	Identity     Identity  `json:"identity"`
	Claims       *Claims   `json:"claims,omitempty"`
	Flow         Flow      `json:"flow"`
}

// String describes the sign-in without any token value.
func (r Result) String() string {
	rt := "no refresh token"
	if r.RefreshToken != "" {
		rt = "refresh token held"
	}
	return fmt.Sprintf("%s signed in (tenant %s, object %s) via %s; access token valid until %s; %s",
		r.Identity.UPN, r.Identity.TenantID, r.Identity.ObjectID, r.Flow, r.Expiry.UTC().Format(time.RFC3339), rt)
}

// Format prints String for every verb, so %#v or %x cannot dump the token fields.
func (r Result) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, r.String()) }

// LogValue logs who signed in and until when, never the tokens.
func (r Result) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("upn", r.Identity.UPN),
		slog.String("tid", r.Identity.TenantID),
		slog.String("oid", r.Identity.ObjectID),
		slog.String("flow", string(r.Flow)),
		slog.Time("expiry", r.Expiry),
		slog.Bool("refresh_token", r.RefreshToken != ""),
	)
}

// finish verifies the ID token of a token response and builds the Result.
func (c *Client) finish(ctx context.Context, tok *tokenResponse, nonce string, flow Flow) (*Result, error) {
	if tok.IDToken == "" {
		return nil, newSignInError(CodeInvalidResponse, 0, errors.New("the token response has no id_token although openid was requested"))
	}
	claims, err := c.VerifyIDToken(ctx, tok.IDToken, nonce)
	if err != nil {
		c.log.Warn("ID token refused", "flow", string(flow), "error", err)
		return nil, newSignInError(CodeInvalidIDToken, 0, err)
	}
	var expiry time.Time
	if tok.ExpiresIn > 0 {
		expiry = c.clock.Now().Add(tok.ExpiresIn)
	}
	r := &Result{
		IDToken:      tok.IDToken,
		AccessToken:  tok.AccessToken,
		RefreshToken: tok.RefreshToken,
		Expiry:       expiry,
		Identity:     claims.Identity(),
		Claims:       claims,
		Flow:         flow,
	}
	c.log.Info("signed in", "result", r)
	return r, nil
}

// Refresh redeems a refresh token for new tokens and re-verifies the new ID token. Entra answers
// with a new refresh token: the Result holds it, or the old one if none came back.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (*Result, error) {
	if refreshToken == "" {
		return nil, newSignInError(CodeInvalidGrant, 0, errors.New("no refresh token to redeem"))
	}
	tok, err := c.redeem(ctx, url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {refreshToken},
		"scope":         {c.scope()},
	})
	if err != nil {
		c.log.Info("refresh refused", "error", err)
		return nil, err
	}
	if tok.RefreshToken == "" {
		tok.RefreshToken = refreshToken
	}
	return c.finish(ctx, tok, "", FlowRefresh)
}
