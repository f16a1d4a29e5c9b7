package auth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ErrAccessBlocked matches (errors.Is) a SignInError for a token that Conditional Access refuses
// to issue: AADSTS53003 and the other Conditional Access blocks. Signing in again does not help;
// an administrator must change the policy.
var ErrAccessBlocked = errors.New("blocked by Conditional Access")

// ErrMFARequired matches (errors.Is) a SignInError demanding multifactor authentication (or a
// stronger method, such as phishing-resistant MFA) that a refresh token cannot satisfy: only an
// interactive sign-in with that method can, passing SignInError.Claims.
var ErrMFARequired = errors.New("multifactor authentication required")

// accessBlockedCodes are the AADSTS codes of Conditional Access blocks (Entra's
// reference-error-codes page): 53000 device not compliant, 53001 device not domain joined, 53002
// app not approved, 53003 blocked by policy, 530032 blocked by security policy, 530035 blocked by
// security defaults.
var accessBlockedCodes = map[int]bool{53000: true, 53001: true, 53002: true, 53003: true, 530032: true, 530035: true}

// mfaRequiredCodes are the AADSTS codes demanding MFA: 50074 and 50076 (strong authentication
// required), 50078 (the MFA given has expired), 50079 (the user must register for MFA first).
var mfaRequiredCodes = map[int]bool{50074: true, 50076: true, 50078: true, 50079: true}

const (
	reasonAccessBlocked = "You don't have access to this: your sign-in was successful, but a Conditional Access policy of your organization blocks this app. Signing in again will not help; ask your administrator to allow the app in Conditional Access."
	reasonMFARequired   = "Your organization requires multifactor authentication for this app, and this sign-in did not include it. Sign in again interactively and complete the extra verification."
)

// Is makes errors.Is(err, ErrAccessBlocked) and errors.Is(err, ErrMFARequired) hold for the
// matching Entra answers, whatever the AADSTS code among them.
func (e *SignInError) Is(target error) bool {
	if e.Code != CodeInvalidGrant && e.Code != CodeInteractionRequired {
		return false
	}
	switch target {
	case ErrAccessBlocked:
		return accessBlockedCodes[e.AADSTS]
	case ErrMFARequired:
		return mfaRequiredCodes[e.AADSTS]
	}
	return false
}

// The restore service's apps (domain.md §2, "access"): Conditional Access can block the first,
// and an authentication strength policy can demand phishing-resistant MFA for the second.
// Knowing them lets a refusal say what it means for the person setting up a PC.
const (
	restoreAppID        = "d32c68ad-72d2-4acb-a0c7-46bb2cf93873"
	restoreBackupsAppID = "74d197dc-b84d-4d43-a1b2-b5bf3bb91c11"
)

// resourceReason is the sentence for a refused token for resource, or "" to keep the generic one.
func resourceReason(se *SignInError, resource string) string {
	blocked, mfa := errors.Is(se, ErrAccessBlocked), errors.Is(se, ErrMFARequired)
	switch {
	case blocked && resource == restoreAppID:
		return "You don't have access to this: your sign-in was successful, but a Conditional Access policy of your organization blocks the Windows restore service (app " + restoreAppID +
			"), so settings cannot be restored from a previous PC. Ask your administrator to allow that app in Conditional Access, or set up this PC as new."
	case mfa && resource == restoreBackupsAppID:
		return "Restoring from a previous PC needs phishing-resistant multifactor authentication: an authentication strength policy demands it for the Windows restore experience (app " + restoreBackupsAppID +
			"), and this sign-in did not use such a method. Sign in with Windows Hello for Business, a passkey or a FIDO2 security key, or ask your administrator for a Temporary Access Pass; otherwise set up this PC as new."
	case (blocked || mfa) && resource != "":
		return se.Reason + " (app " + resource + ")"
	}
	return ""
}

// resourceOf is the resource the scopes name ("{resource}/{permission}"), or "" for bare names,
// which mean Microsoft Graph.
func resourceOf(scopes []string) string {
	for _, s := range scopes {
		if i := strings.LastIndex(s, "/"); i > 0 {
			return strings.ToLower(strings.TrimSuffix(s[:i], "/"))
		}
	}
	return ""
}

// TokenFor redeems a refresh token for an access token for another resource, for example
// []string{"d32c68ad-72d2-4acb-a0c7-46bb2cf93873/.default"}: Entra issues one resource's token per
// request, and a refresh token works for every resource the app may use. It verifies an ID token
// only when one comes back (when scopes include openid); the Result's Identity is otherwise
// empty. Entra answers with a new refresh token: the Result holds it, or refreshToken if none came
// back. A refusal is a *SignInError whose Reason says what it means; Conditional Access blocks
// match ErrAccessBlocked and MFA demands ErrMFARequired (errors.Is).
func (c *Client) TokenFor(ctx context.Context, refreshToken string, scopes []string) (*Result, error) {
	if refreshToken == "" {
		return nil, newSignInError(CodeInvalidGrant, 0, errors.New("no refresh token to redeem"))
	}
	if len(scopes) == 0 {
		return nil, newSignInError(CodeInvalidScope, 0, errors.New("no scopes given: name the resource, like <app id>/.default"))
	}
	for _, s := range scopes {
		if s == "" || strings.ContainsAny(s, " \t\r\n") {
			return nil, newSignInError(CodeInvalidScope, 0, fmt.Errorf("scope %q is empty or has white space; give one scope per element", s))
		}
	}
	resource := resourceOf(scopes)
	tok, err := c.redeem(ctx, url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {refreshToken},
		"scope":         {strings.Join(scopes, " ")},
	})
	if err != nil {
		var se *SignInError
		if errors.As(err, &se) {
			if r := resourceReason(se, resource); r != "" {
				se.Reason = r
			}
		}
		c.log.Info("token for another resource refused", "resource", resource, "error", err)
		return nil, err
	}
	if tok.RefreshToken == "" {
		tok.RefreshToken = refreshToken
	}
	res := &Result{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Flow: FlowRefresh}
	if tok.ExpiresIn > 0 {
		res.Expiry = c.clock.Now().Add(tok.ExpiresIn)
	}
	if tok.IDToken != "" {
		claims, err := c.VerifyIDToken(ctx, tok.IDToken, "")
		if err != nil {
			c.log.Warn("ID token refused", "flow", string(FlowRefresh), "resource", resource, "error", err)
			return nil, newSignInError(CodeInvalidIDToken, 0, err)
		}
		res.IDToken, res.Claims, res.Identity = tok.IDToken, claims, claims.Identity()
	}
	c.log.Info("token issued for another resource", "resource", resource, "expiry", res.Expiry)
	return res, nil
}
