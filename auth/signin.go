package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// accessTokenMargin is how long a cached access token must still be valid to be handed out, so
// that a caller does not start a request with a token about to expire.
const accessTokenMargin = 2 * time.Minute

// Key returns the cache key for user at this client's authority and client ID.
func (c *Client) Key(user string) Key {
	return Key{Authority: c.Authority(), ClientID: c.clientID, User: user}
}

// SignIn returns a signed-in user with as little interaction as possible: a cached access token
// that is still valid, else a refresh (whose new ID token is verified again), else interactive
// (for example a closure over DeviceCode or Browser). Fresh results are saved to cache; a nil
// cache disables caching. user, when not empty, is the UPN that must sign in.
func (c *Client) SignIn(ctx context.Context, cache *Cache, user string, interactive func(context.Context) (*Result, error)) (*Result, error) {
	key := c.Key(user)
	if cache != nil {
		if res, err := c.fromCache(ctx, cache, key); res != nil || err != nil {
			return res, err
		}
	}
	if interactive == nil {
		return nil, errors.New("no cached sign-in and no interactive flow to run")
	}
	res, err := interactive(ctx)
	if err != nil {
		return nil, err
	}
	if user != "" && !strings.EqualFold(res.Identity.UPN, user) {
		return nil, newSignInError(CodeWrongUser, 0, fmt.Errorf("%s signed in, not %s", res.Identity.UPN, user))
	}
	c.save(cache, key, res)
	return res, nil
}

// fromCache serves key from the cache or by refresh. It returns nothing (and no error) when an
// interactive sign-in is needed.
func (c *Client) fromCache(ctx context.Context, cache *Cache, key Key) (*Result, error) {
	cached, err := cache.Load(key)
	if errors.Is(err, ErrNotCached) {
		return nil, nil
	}
	if err != nil {
		// A damaged or exposed entry is not used; the interactive sign-in replaces it.
		c.log.Warn("token cache entry not used", "error", err)
		return nil, nil
	}
	if c.clock.Now().Add(accessTokenMargin).Before(cached.Expiry) {
		c.log.Info("using the cached access token", "cached", cached)
		return cached.Result(), nil
	}
	if cached.RefreshToken == "" {
		return nil, nil
	}
	res, err := c.Refresh(ctx, cached.RefreshToken)
	if err != nil {
		var se *SignInError
		if errors.As(err, &se) && needsInteraction(se.Code) {
			c.log.Info("refresh token no longer accepted; signing in again", "code", se.Code, "aadsts", se.AADSTS)
			if derr := cache.Delete(key); derr != nil {
				c.log.Warn("could not delete the stale cache entry", "error", derr)
			}
			return nil, nil
		}
		return nil, err
	}
	if !sameGUID(res.Identity.TenantID, cached.Identity.TenantID) || !sameGUID(res.Identity.ObjectID, cached.Identity.ObjectID) {
		return nil, newSignInError(CodeWrongUser, 0, fmt.Errorf("the refreshed token is for object %s in tenant %s, the cache held object %s in tenant %s",
			res.Identity.ObjectID, res.Identity.TenantID, cached.Identity.ObjectID, cached.Identity.TenantID))
	}
	c.save(cache, key, res)
	return res, nil
}

// needsInteraction reports whether a refresh failure means the person must sign in again, as
// opposed to a failure that would hit the interactive flow too.
func needsInteraction(code string) bool {
	switch code {
	case CodeInvalidGrant, CodeInteractionRequired, CodeConsentRequired, CodeLoginRequired:
		return true
	}
	return false
}

func (c *Client) save(cache *Cache, key Key, res *Result) {
	if cache == nil {
		return
	}
	if err := cache.Save(key, res); err != nil {
		// The sign-in worked; only the next run will have to ask again.
		c.log.Warn("could not cache the sign-in", "error", err)
	}
}
