package tenant

import (
	"slices"
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

// keepAfterExpiry is how long an expired device code stays known, so a late poll gets
// "expired" rather than "unknown". Its record is cut down to what that answer needs
// (retiredDevice) and counted against the same caps as pending ones.
const keepAfterExpiry = time.Hour

// sweepLocked forgets expired grants at most once a minute of clock time. Call with s.mu held.
func (s *Server) sweepLocked(now time.Time) {
	if !s.lastSweep.IsZero() && now.Sub(s.lastSweep) < time.Minute {
		return
	}
	s.sweepNowLocked(now)
}

// sweep forgets, now, every grant that can no longer be redeemed or told apart. Start runs it
// every minute so memory falls while the server is idle; tests call it after moving the clock.
func (s *Server) sweep() {
	now := s.clock.Now()
	s.mu.Lock()
	s.sweepNowLocked(now)
	s.mu.Unlock()
}

func (s *Server) sweepNowLocked(now time.Time) {
	s.lastSweep = now
	for k, f := range s.flows {
		if !now.Before(f.expires) {
			delete(s.flows, k)
			s.flowOrder.remove(k)
		}
	}
	for k, m := range s.deviceMFA {
		if !now.Before(m.expires) {
			delete(s.deviceMFA, k)
		}
	}
	for k, c := range s.codes {
		if now.After(c.expires.Add(keepCodeAfterExpiry)) {
			delete(s.codes, k)
		}
	}
	for k, d := range s.devices {
		switch {
		case now.After(d.expires.Add(keepAfterExpiry)):
			s.forgetDeviceLocked(k)
		case !now.Before(d.expires):
			if _, live := s.deviceOrder.byKey[k]; live {
				s.retireDeviceLocked(k, now)
			}
		}
	}
	s.sweepRefreshLocked(now)
	s.flows = shrunk(s.flows, &s.high.flows)
	s.deviceMFA = shrunk(s.deviceMFA, &s.high.deviceMFA)
	s.codes = shrunk(s.codes, &s.high.codes)
	s.devices = shrunk(s.devices, &s.high.devices)
	s.userCodes = shrunk(s.userCodes, &s.high.userCodes)
	s.refresh = shrunk(s.refresh, &s.high.refresh)
}

// sweepRefreshLocked forgets expired refresh tokens, and for each user and app all but the
// newest maxRefreshPerClient: every refresh returns a new token and the old ones stay valid, as
// Entra's do, so a client refreshing often would otherwise leave one behind each time.
func (s *Server) sweepRefreshLocked(now time.Time) {
	type owner struct {
		ts  *tenantState
		app *App
		oid string
	}
	byOwner := map[owner][]string{}
	for k, g := range s.refresh {
		if !now.Before(g.expires) {
			delete(s.refresh, k)
			continue
		}
		o := owner{g.ts, g.app, g.oid}
		byOwner[o] = append(byOwner[o], k)
	}
	for _, keys := range byOwner {
		if len(keys) <= maxRefreshPerClient {
			continue
		}
		// Every refresh token lives refreshTokenLifetime, so the soonest to expire is the oldest.
		slices.SortFunc(keys, func(a, b string) int { return s.refresh[a].expires.Compare(s.refresh[b].expires) })
		for _, k := range keys[:len(keys)-maxRefreshPerClient] {
			delete(s.refresh, k)
		}
	}
}

// retiredDevice is what stays of a device code that expired or was evicted: enough for a late
// poll to be told "expired" (or "already redeemed"), and for its user code not to be handed out.
func retiredDevice(d *deviceGrant, expires time.Time) *deviceGrant {
	return &deviceGrant{ts: d.ts, app: d.app, deviceCode: d.deviceCode, userCode: d.userCode,
		expires: expires, state: d.state, issued: d.issued}
}

// retireDeviceLocked replaces a live device code with its retired record, expired from now on
// if it was not yet. Retired records are capped as pending ones are; the oldest beyond the cap
// are forgotten. Call with s.mu held.
func (s *Server) retireDeviceLocked(dc string, now time.Time) {
	d := s.devices[dc]
	s.deviceOrder.remove(dc)
	if d == nil {
		return
	}
	exp := d.expires
	if now.Before(exp) {
		exp = now
	}
	r := retiredDevice(d, exp)
	s.devices[dc] = r
	if s.userCodes[d.userCode] == d {
		s.userCodes[d.userCode] = r
	}
	for _, k := range s.deviceRetired.admit(d.ts.id, s.pendingPerTenant, s.pendingTotal) {
		s.forgetDeviceLocked(k)
	}
	s.deviceRetired.add(d.ts.id, dc)
}

// forgetDeviceLocked drops a device code and its user code entirely. Call with s.mu held.
func (s *Server) forgetDeviceLocked(dc string) {
	if d := s.devices[dc]; d != nil && s.userCodes[d.userCode] == d {
		delete(s.userCodes, d.userCode)
	}
	delete(s.devices, dc)
	s.deviceOrder.remove(dc)
	s.deviceRetired.remove(dc)
}
