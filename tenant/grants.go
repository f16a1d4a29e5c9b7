package tenant

import (
	"strings"
	"time"
)

// authFlow is a pending authorization request, between the sign-in page and the form post.
type authFlow struct {
	ts           *tenantState
	app          *App
	redirectURI  string
	responseMode string
	state        string
	nonce        string
	challenge    string
	method       string
	loginHint    string
	scope        scopeSet
	expires      time.Time
	// challenged are the Conditional Access policies the request's claims challenge names.
	challenged []string
	// mfa is set once the password was right and the page asks for a second factor.
	mfa *mfaStep
}

// authCode is an issued authorization code; it stays after redemption so a second use is recognised.
type authCode struct {
	ts          *tenantState
	app         *App
	redirectURI string
	scope       scopeSet
	nonce       string
	challenge   string
	method      string
	oid         string
	expires     time.Time
	redeemed    bool
	amr         []string // how the user signed in (amrFor)
}

// deviceState is where a device code is in its sign-in.
type deviceState int

const (
	devicePending deviceState = iota
	deviceApproved
	deviceDenied
)

// deviceGrant is an issued device code and its user code.
type deviceGrant struct {
	ts         *tenantState
	app        *App
	scope      scopeSet
	deviceCode string
	userCode   string
	expires    time.Time
	state      deviceState
	oid        string
	issued     bool
	amr        []string // how the user signed in on the device login page
}

// deviceMFA is a device login between the password and the second factor.
type deviceMFA struct {
	d       *deviceGrant
	step    mfaStep
	expires time.Time
}

// refreshGrant is an issued refresh token. It stays usable after use, as Entra's do.
type refreshGrant struct {
	ts      *tenantState
	app     *App
	oid     string
	scope   scopeSet
	expires time.Time
	revoked bool // the user's sessions were revoked after it was issued
	// amr is how the session's sign-in authenticated: the session's authentication strength,
	// which each token redeemed with it inherits (Entra's refresh tokens keep the MFA claim of
	// the sign-in they came from).
	amr []string
}

// revokeSessions ends every refresh token issued to the user until now, as Graph's
// revokeSignInSessions and a password change do; tokens issued later work. Revoked tokens stay
// known until they expire, so a late use is told why it failed.
func (s *Server) revokeSessions(tid, oid string) {
	oid = strings.ToLower(oid)
	s.mu.Lock()
	for _, g := range s.refresh {
		if g.ts.id == tid && g.oid == oid {
			g.revoked = true
		}
	}
	s.mu.Unlock()
}

// keepAfterExpiry is how long spent codes stay known, so late uses get "expired" or "already
// redeemed" rather than "unknown".
const keepAfterExpiry = time.Hour

// sweepLocked forgets expired grants at most once a minute of clock time. Call with s.mu held.
func (s *Server) sweepLocked(now time.Time) {
	if !s.lastSweep.IsZero() && now.Sub(s.lastSweep) < time.Minute {
		return
	}
	s.lastSweep = now
	for k, f := range s.flows {
		if now.After(f.expires) {
			delete(s.flows, k)
		}
	}
	for k, m := range s.deviceMFA {
		if now.After(m.expires) {
			delete(s.deviceMFA, k)
		}
	}
	for k, c := range s.codes {
		if now.After(c.expires.Add(keepAfterExpiry)) {
			delete(s.codes, k)
		}
	}
	for k, d := range s.devices {
		if now.After(d.expires.Add(keepAfterExpiry)) {
			delete(s.devices, k)
			delete(s.userCodes, d.userCode)
		}
	}
	for k, g := range s.refresh {
		if now.After(g.expires) {
			delete(s.refresh, k)
		}
	}
}
