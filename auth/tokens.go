package auth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Tokens holds one signed-in user's tokens for as long as a program works for them. It hands out
// an access token that is still valid, refreshing it ahead of expiry, and gets tokens for other
// resources (TokenFor) with the same refresh token. Each redemption returns a new refresh token,
// which the holder keeps (the old one stays valid, with Entra and the simulator alike); one holder
// also means one refresh where copies side by side would each refresh. Safe for concurrent use;
// time is the Client's clock.
type Tokens struct {
	c *Client
	// lock is held while tokens are read or redeemed; a channel, so that a caller waiting behind
	// a refresh can give up when its context ends.
	lock chan struct{}
	res  Result
	// obtained is when res was obtained (or handed to the holder), to size the refresh margin.
	obtained time.Time
}

// Tokens returns a holder for res, a completed sign-in. res is copied; use the holder's Result
// for the current tokens.
func (c *Client) Tokens(res *Result) *Tokens {
	t := &Tokens{c: c, lock: make(chan struct{}, 1), obtained: c.clock.Now()}
	if res != nil {
		t.res = *res
	}
	return t
}

// TokenSource returns a function that hands out a valid access token for res's resource,
// refreshing it (and keeping the rotated refresh token) when it is within a margin of expiry:
// the shape graph.Config.Token takes. It is c.Tokens(res).Token; keep the Tokens instead when the
// same sign-in also needs tokens for other resources.
func (c *Client) TokenSource(res *Result) func(ctx context.Context) (string, error) {
	return c.Tokens(res).Token
}

func (t *Tokens) acquire(ctx context.Context) error {
	select {
	case t.lock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return newSignInError(CodeCancelled, 0, ctx.Err())
	}
}

func (t *Tokens) release() { <-t.lock }

// Result returns a copy of the current sign-in: the newest access and refresh tokens.
func (t *Tokens) Result(ctx context.Context) (Result, error) {
	if err := t.acquire(ctx); err != nil {
		return Result{}, err
	}
	defer t.release()
	return t.res, nil
}

// margin is how long before expiry the access token is refreshed: accessTokenMargin (2 minutes),
// or half the token's lifetime when that is shorter, so that a token issued for a few minutes
// (a scenario's short lifetime) is not refreshed on every call.
func (t *Tokens) margin() time.Duration {
	m := accessTokenMargin
	if life := t.res.Expiry.Sub(t.obtained); life > 0 && life/2 < m {
		m = life / 2
	}
	return m
}

// Token returns an access token valid for at least the refresh margin, refreshing first when the
// current one is closer to expiry. Concurrent callers wait for one refresh and share its result.
// When a refresh fails while the current token has not yet expired, that token is returned and the
// next call tries again; once it has expired, the refresh's error is returned.
func (t *Tokens) Token(ctx context.Context) (string, error) {
	if err := t.acquire(ctx); err != nil {
		return "", err
	}
	defer t.release()
	now := t.c.clock.Now()
	if t.res.AccessToken != "" && (t.res.Expiry.IsZero() || now.Add(t.margin()).Before(t.res.Expiry)) {
		return t.res.AccessToken, nil
	}
	valid := t.res.AccessToken != "" && now.Before(t.res.Expiry)
	if t.res.RefreshToken == "" {
		if valid {
			return t.res.AccessToken, nil
		}
		return "", newSignInError(CodeInvalidGrant, 0, errors.New("the access token has expired and there is no refresh token to renew it"))
	}
	res, err := t.c.Refresh(ctx, t.res.RefreshToken)
	if err != nil {
		if valid {
			t.c.log.Warn("refreshing the access token failed; using the current one until it expires", "expiry", t.res.Expiry, "error", err)
			return t.res.AccessToken, nil
		}
		return "", err
	}
	if held := t.res.Identity; held.ObjectID != "" && (!sameGUID(res.Identity.TenantID, held.TenantID) || !sameGUID(res.Identity.ObjectID, held.ObjectID)) {
		return "", newSignInError(CodeWrongUser, 0, fmt.Errorf("the refreshed token is for object %s in tenant %s, the holder had object %s in tenant %s",
			res.Identity.ObjectID, res.Identity.TenantID, held.ObjectID, held.TenantID))
	}
	t.res, t.obtained = *res, t.c.clock.Now()
	t.c.log.Info("access token refreshed", "result", res)
	return t.res.AccessToken, nil
}

// TokenFor gets an access token for another resource (Client.TokenFor) with the held refresh
// token, and keeps the refresh token the answer rotates in; the held access token is unchanged.
// A refusal (Conditional Access, an MFA demand) leaves the held tokens as they were.
func (t *Tokens) TokenFor(ctx context.Context, scopes []string) (*Result, error) {
	if err := t.acquire(ctx); err != nil {
		return nil, err
	}
	defer t.release()
	res, err := t.c.TokenFor(ctx, t.res.RefreshToken, scopes)
	if err != nil {
		return nil, err
	}
	t.res.RefreshToken = res.RefreshToken
	return res, nil
}
