package auth

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Entra's `error` values this client reacts to (RFC 6749, RFC 8628 and Entra's own).
const (
	CodeAuthorizationPending  = "authorization_pending"
	CodeSlowDown              = "slow_down"
	CodeAuthorizationDeclined = "authorization_declined"
	CodeExpiredToken          = "expired_token"
	CodeBadVerificationCode   = "bad_verification_code"
	CodeAccessDenied          = "access_denied"
	CodeInvalidGrant          = "invalid_grant"
	CodeInvalidClient         = "invalid_client"
	CodeUnauthorizedClient    = "unauthorized_client"
	CodeInvalidTenant         = "invalid_tenant"
	CodeInvalidRequest        = "invalid_request"
	CodeInvalidScope          = "invalid_scope"
	CodeInteractionRequired   = "interaction_required"
	CodeConsentRequired       = "consent_required"
	CodeLoginRequired         = "login_required"
	CodeServerError           = "server_error"
	CodeTemporarilyUnavail    = "temporarily_unavailable"
)

// This package's own codes, for failures Entra did not name.
const (
	CodeNetwork         = "network"          // Entra could not be reached
	CodeThrottled       = "throttled"        // HTTP 429
	CodeCancelled       = "cancelled"        // the context was cancelled or timed out
	CodeInvalidResponse = "invalid_response" // an answer this client cannot read
	CodeInvalidIDToken  = "invalid_id_token" // the ID token failed verification (see VerifyError)
	CodeWrongUser       = "wrong_user"       // someone else signed in than the one asked for
)

// SignInError is a failed sign-in: Entra's error code, its AADSTS number and what a person can do.
type SignInError struct {
	Code          string // Entra's `error`, or one of this package's Code* values
	AADSTS        int    // the first of Entra's error_codes, 0 when there is none
	Reason        string // a sentence for a person: what happened and what to do
	Description   string // Entra's error_description with control characters removed; for support, never branched on
	CorrelationID string // Entra's correlation_id, for a support request
	Err           error  // the underlying cause, if any
	// Suberror is Entra's suberror when it sends one (basic_action: an interactive sign-in can
	// satisfy the policy; message_only: nothing the person does now will).
	Suberror string
	// Claims is Entra's claims challenge (JSON) when it sends one: pass it as the claims
	// parameter of the next interactive sign-in for the resource.
	Claims string

	retryAfter time.Duration // the server's Retry-After, for transient failures
}

func (e *SignInError) Error() string {
	var b strings.Builder
	b.WriteString("sign-in failed")
	if e.Code != "" {
		b.WriteString(" (")
		b.WriteString(e.Code)
		if e.AADSTS != 0 {
			fmt.Fprintf(&b, ", AADSTS%d", e.AADSTS)
		}
		b.WriteString(")")
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	if e.Reason == reasonUnknown {
		if s := descriptionSummary(e.Description); s != "" {
			fmt.Fprintf(&b, " Entra said: %q.", s)
		}
	}
	if e.CorrelationID != "" {
		fmt.Fprintf(&b, " Correlation ID %s.", e.CorrelationID)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, " Cause: %v", e.Err)
	}
	return b.String()
}

func (e *SignInError) Unwrap() error { return e.Err }

// temporary reports whether the same request may succeed if tried again later.
func (e *SignInError) temporary() bool {
	switch e.Code {
	case CodeNetwork, CodeThrottled, CodeServerError, CodeTemporarilyUnavail:
		return true
	}
	return false
}

const reasonUnknown = "Entra refused the sign-in request."

// reason is the sentence shown for an error code; the AADSTS number refines it where Entra uses
// one `error` for several causes. Never decided from the description text.
func reason(code string, aadsts int) string {
	if code == CodeInvalidGrant || code == CodeInteractionRequired {
		switch {
		case accessBlockedCodes[aadsts]:
			return reasonAccessBlocked
		case mfaRequiredCodes[aadsts]:
			return reasonMFARequired
		}
	}
	switch code {
	case CodeAuthorizationDeclined:
		return "The sign-in was declined on the verification page. Run sign-in again and approve it; if you did not start it, tell your administrator."
	case CodeAccessDenied:
		return "The sign-in was cancelled or consent was refused. Run sign-in again and accept, or ask an administrator to grant consent to the app."
	case CodeExpiredToken:
		return "The code expired before the sign-in was approved. Run sign-in again and enter the new code before it expires."
	case CodeBadVerificationCode:
		return "Entra did not recognise the device code. Run sign-in again to get a new code."
	case CodeInvalidGrant:
		switch aadsts {
		case 54005:
			return "This authorization code was already redeemed. Run sign-in again."
		case 50148, 501481:
			return "Entra refused the PKCE code verifier for this sign-in. Run sign-in again; report it if it happens again."
		case 700082, 50173, 50133:
			return "The saved sign-in has expired or was revoked. Sign in again."
		}
		return "The sign-in grant is no longer valid (already used, expired or revoked). Sign in again."
	case CodeInvalidClient:
		switch aadsts {
		case 700025:
			return "Entra received a client secret, which a public client must not send. Check for a proxy that alters requests."
		case 7000218:
			return "The app registration does not allow public client flows. In the Entra admin center set App registrations > Authentication > Allow public client flows to Yes."
		}
		return "Entra refused the client. Check the client ID and that the app registration allows public client flows."
	case CodeUnauthorizedClient:
		return "The application (client ID) is unknown in this tenant or not allowed this flow. Check the client ID and the authority."
	case CodeInvalidTenant:
		return "The tenant in the authority URL was not found. Check the authority; use the tenant GUID."
	case CodeInvalidRequest:
		switch aadsts {
		case 50011:
			return "The redirect URI is not registered for the app. Register http://127.0.0.1 (the loopback redirect this tool uses; Entra ignores the port) in the app registration's manifest (redirectUris), under Mobile and desktop applications."
		case 900144:
			return "Entra says a required parameter is missing. Report this; it is a client bug."
		}
		return "Entra rejected the request as malformed. Report this with the correlation ID."
	case CodeInvalidScope:
		return "The app may not request these permissions. Check the scopes and the app registration's API permissions."
	case CodeInteractionRequired, CodeConsentRequired, CodeLoginRequired:
		return "Entra needs an interactive sign-in (MFA, consent or a policy). Run sign-in with the browser or device code flow."
	case CodeServerError, CodeTemporarilyUnavail:
		return "Entra is temporarily unavailable. Try again in a few minutes."
	case CodeThrottled:
		return "Entra is throttling requests from this client. Wait a few minutes and try again."
	case CodeNetwork:
		return "Could not reach Entra. Check the network connection or proxy and try again."
	case CodeCancelled:
		return "The sign-in was cancelled before it finished."
	case CodeInvalidResponse:
		return "Entra sent an answer this client cannot read. Try again; report it with the correlation ID if it persists."
	case CodeInvalidIDToken:
		return "The ID token failed verification, so the sign-in is not trusted. Check the authority URL; report it if it persists."
	case CodeWrongUser:
		return "A different account signed in than the one requested. Sign in again with the requested account."
	}
	return reasonUnknown
}

// newSignInError builds a SignInError whose Reason comes from the table above.
func newSignInError(code string, aadsts int, err error) *SignInError {
	return &SignInError{Code: code, AADSTS: aadsts, Reason: reason(code, aadsts), Err: err}
}

// transportError maps a failed HTTP exchange to a SignInError: cancellation wins over the
// network error it caused.
func transportError(ctx context.Context, op string, err error) *SignInError {
	if cerr := ctx.Err(); cerr != nil {
		return newSignInError(CodeCancelled, 0, cerr)
	}
	return newSignInError(CodeNetwork, 0, fmt.Errorf("%s: %w", op, err))
}

// descriptionSummary keeps the human part of an Entra description ("AADSTS70019: Verification
// code expired.") and drops the trace and correlation lines; it is for display only.
func descriptionSummary(d string) string {
	if i := strings.Index(d, " Trace ID:"); i >= 0 {
		d = d[:i]
	}
	d = strings.TrimSpace(d)
	if len(d) > 300 {
		d = d[:300] + "…"
	}
	return d
}

// sanitize removes control characters (terminal escapes, CR/LF) from server-supplied text and
// bounds its length.
func sanitize(s string) string {
	const limit = 2000
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= limit {
			b.WriteString("…")
			break
		}
		switch {
		case r == '\r' || r == '\n' || r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x2028, r == 0x2029:
			// Bidirectional overrides and line separators could disguise the text on a terminal.
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
