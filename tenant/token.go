package tenant

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// deviceCodeGrantType is RFC 8628's grant type for polling with a device code.
const deviceCodeGrantType = "urn:ietf:params:oauth:grant-type:device_code"

// deviceCodeGrantShort is the short form MSAL (Go, Node, .NET) polls with, which Entra accepts
// beside the URN (domain.md §7.5).
const deviceCodeGrantShort = "device_code"

// handleToken is the token endpoint: authorization_code, refresh_token and device_code grants.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	form, ts, app, ok := s.clientPost(w, r)
	if !ok {
		return
	}
	var (
		resp *tokenResponse
		e    *entraError
	)
	switch form.Get("grant_type") {
	case "":
		e = errMissingParam("grant_type")
	case "authorization_code":
		resp, e = s.redeemAuthCode(r, form, ts, app)
	case "refresh_token":
		resp, e = s.redeemRefreshToken(r, form, ts, app)
	case deviceCodeGrantType, deviceCodeGrantShort:
		resp, e = s.redeemDeviceCode(r, form, ts, app)
	case "client_credentials":
		resp, e = s.clientCredentials(r, form, ts, app)
	default:
		e = errUnsupportedGrant()
	}
	if e != nil {
		s.writeEntraError(w, r, e)
		return
	}
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, resp)
}

// clientPost reads a client's form post to the token or devicecode endpoint and identifies the
// client; on failure it has answered with Entra's error and reports false.
func (s *Server) clientPost(w http.ResponseWriter, r *http.Request) (url.Values, *tenantState, *App, bool) {
	if r.Method != http.MethodPost {
		s.writeEntraError(w, r, errPostOnly(r.Method))
		return nil, nil, nil, false
	}
	form, e := readForm(w, r)
	if e != nil {
		s.writeEntraError(w, r, e)
		return nil, nil, nil, false
	}
	ts, app, e := s.clientForRequest(r, form)
	if e != nil {
		s.writeEntraError(w, r, e)
		return nil, nil, nil, false
	}
	return form, ts, app, true
}

// clientForRequest resolves tenant and app for a token or devicecode request and authenticates the client.
func (s *Server) clientForRequest(r *http.Request, form url.Values) (*tenantState, *App, *entraError) {
	clientID, e := clientIDOf(r, form)
	if e != nil {
		return nil, nil, e
	}
	ts, app, e := s.resolveClient(r.PathValue("tenant"), clientID)
	if ts != nil {
		info(r).tenant = ts.id
	}
	if e != nil {
		return nil, nil, e
	}
	if e := authenticateClient(r, form, app); e != nil {
		return nil, nil, e
	}
	return ts, app, nil
}

// internalError hides a signing or randomness failure behind Entra's generic server error.
func (s *Server) internalError(r *http.Request, err error) *entraError {
	s.log.Error("issuing tokens failed", "trace_id", info(r).traceID, "err", err)
	return errServer(http.StatusInternalServerError)
}

func (s *Server) redeemAuthCode(r *http.Request, form url.Values, ts *tenantState, app *App) (*tokenResponse, *entraError) {
	code := form.Get("code")
	if code == "" {
		return nil, errMissingParam("code")
	}
	redirect := form.Get("redirect_uri")
	if redirect == "" {
		return nil, errMissingParam("redirect_uri")
	}
	verifier := form.Get("code_verifier")
	now := s.clock.Now()

	s.mu.Lock()
	c := s.codes[code]
	switch {
	case c == nil:
		s.mu.Unlock()
		return nil, errBadAuthCode("It is unknown or malformed.")
	case c.ts != ts:
		s.mu.Unlock()
		return nil, errCodeOtherTenant()
	case c.app != app:
		s.mu.Unlock()
		return nil, errBadAuthCode("It was issued to another client.")
	case c.redeemed:
		// A second redemption is the mark of a code stolen from a redirect: RFC 6749 §4.1.2
		// says the server SHOULD revoke what the code issued, so the thief and the app both
		// lose its refresh tokens (the access tokens are JWTs and live out their hour).
		n := s.revokeCodeGrantsLocked(c)
		s.mu.Unlock()
		s.log.Warn("authorization code redeemed a second time; refused, its refresh tokens revoked", "tenant", ts.id,
			"client", strings.ToLower(app.ClientID), "revoked", n, "trace_id", info(r).traceID)
		return nil, errCodeRedeemed()
	case !now.Before(c.expires):
		s.mu.Unlock()
		return nil, errCodeExpired()
	case redirect != c.redirectURI:
		s.mu.Unlock()
		return nil, errRedirectMismatch(app.ClientID)
	}
	if c.challenge != "" && verifier == "" {
		s.mu.Unlock()
		return nil, errVerifierMissing()
	}
	if (c.challenge == "" && verifier != "") || (c.challenge != "" && !pkceMatches(c.method, c.challenge, verifier)) {
		s.mu.Unlock()
		return nil, errVerifierMismatch()
	}
	g := grantContext{ts: ts, app: app, user: ts.oids[c.oid], scope: c.scope, nonce: c.nonce, clientInfo: wantsClientInfo(form), amr: c.amr}
	if g.user == nil {
		c.redeemed = true
		s.mu.Unlock()
		return nil, errBadAuthCode("Its user no longer exists.")
	}
	return s.grantLocked(r, g, func() { c.redeemed = true })
}

// revokeCodeGrantsLocked revokes the refresh tokens a redeemed code led to and reports how many
// were live: those of the code's user and app issued since the code was, which holds the code's
// own and every one refreshed from it. A grant does not record the code it came from, so a
// later sign-in of the same user to the same app loses its refresh tokens too: after a replay,
// the safe side. Call with s.mu held.
func (s *Server) revokeCodeGrantsLocked(c *authCode) int {
	issued := c.expires.Add(-authCodeLifetime)
	n := 0
	for _, g := range s.refresh {
		if g.ts == c.ts && g.app == c.app && g.oid == c.oid && !g.revoked &&
			!g.expires.Add(-refreshTokenLifetime).Before(issued) {
			g.revoked = true
			n++
		}
	}
	return n
}

// verifierRE is RFC 7636 §4.1's code_verifier: 43 to 128 unreserved characters.
var verifierRE = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// pkceMatches checks a code_verifier against the stored challenge in constant time.
func pkceMatches(method, challenge, verifier string) bool {
	if !verifierRE.MatchString(verifier) {
		return false
	}
	want := verifier
	if method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}

// redeemRefreshToken answers a refresh_token grant. As with Entra, a refresh token stays usable
// after it is redeemed, until it expires or the user's sessions are revoked (revokeSignInSessions,
// a password change); each redemption also returns a new one. A scope asked for is resolved
// against the app's consent again, so a refresh never widens what was consented.
func (s *Server) redeemRefreshToken(r *http.Request, form url.Values, ts *tenantState, app *App) (*tokenResponse, *entraError) {
	rt := form.Get("refresh_token")
	if rt == "" {
		return nil, errMissingParam("refresh_token")
	}
	now := s.clock.Now()
	s.mu.Lock()
	g := s.refresh[rt]
	switch {
	case g == nil:
		s.mu.Unlock()
		return nil, errBadRefreshToken("It is unknown or malformed.")
	case g.ts != ts:
		s.mu.Unlock()
		return nil, errBadRefreshToken("It was issued by another tenant.")
	case g.app != app:
		s.mu.Unlock()
		return nil, errBadRefreshToken("It was issued to another client.")
	case !now.Before(g.expires):
		s.mu.Unlock()
		return nil, errCodeExpired()
	case g.revoked:
		s.mu.Unlock()
		return nil, errGrantRevoked()
	}
	scope, amr := g.scope, g.amr
	s.mu.Unlock()
	if raw := form.Get("scope"); raw != "" {
		sc, e := parseScope(raw, ts.t.Name)
		if e != nil {
			return nil, e
		}
		sc.offline = true // the grant being redeemed is itself offline access
		scope = sc
	}
	gc := grantContext{ts: ts, app: app, user: ts.oids[g.oid], scope: scope, clientInfo: wantsClientInfo(form), amr: amr}
	if gc.user == nil {
		return nil, errBadRefreshToken("Its user no longer exists.")
	}
	if e := gc.consent(); e != nil {
		return nil, e
	}
	// A refusal leaves the refresh token usable: the person keeps their Graph access when the
	// restore app is blocked, as with Entra.
	if e := accessRefusal(gc); e != nil {
		s.logRefusal(r, gc, e)
		return nil, e
	}
	resp, err := s.issueTokens(r, gc)
	if err != nil {
		return nil, s.internalError(r, err)
	}
	return resp, nil
}

// clientCredentials answers a confidential client's own token request (client_credentials):
// the scope must be one resource's .default (OIDC scopes beside it are ignored), and the token
// carries the app's application permissions for Microsoft Graph. The restore apps take no
// app-only tokens in the simulator.
func (s *Server) clientCredentials(r *http.Request, form url.Values, ts *tenantState, app *App) (*tokenResponse, *entraError) {
	if app.Public {
		return nil, errMissingSecret() // a public client has no credential to prove itself with
	}
	raw := form.Get("scope")
	// MSAL adds openid, profile and offline_access to every request, a confidential client's
	// too; Entra ignores them here. What is left must be one resource's .default.
	sc, e := parseScope(raw, ts.t.Name)
	if e != nil {
		return nil, e
	}
	if !sc.wantDefault || sc.prefix == "" {
		return nil, &entraError{Err: "invalid_scope", Code: 1002012, Desc: "The provided value for scope " + clip(raw, 200) +
			" is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."}
	}
	if sc.resource != "" {
		return nil, errUnknownResource(ts.t.Name) // the restore apps take users' tokens only
	}
	cs, err := newAppConsentSet(app.ApplicationPermissions)
	if err != nil {
		return nil, errServer(http.StatusInternalServerError)
	}
	resp, err := s.issueAppToken(ts, app, cs.names(graphAppID))
	if err != nil {
		return nil, s.internalError(r, err)
	}
	return resp, nil
}

// wantsClientInfo reports a request for MSAL's client_info.
func wantsClientInfo(form url.Values) bool { return form.Get("client_info") == "1" }

func (s *Server) redeemDeviceCode(r *http.Request, form url.Values, ts *tenantState, app *App) (*tokenResponse, *entraError) {
	dc := form.Get("device_code")
	if dc == "" {
		return nil, errMissingParam("device_code")
	}
	now := s.clock.Now()
	s.mu.Lock()
	d := s.devices[dc]
	if d == nil || d.ts != ts || d.app != app {
		s.mu.Unlock()
		return nil, errBadDeviceCode()
	}
	if d.issued {
		s.mu.Unlock()
		return nil, errCodeRedeemed()
	}
	if !now.Before(d.expires) {
		s.mu.Unlock()
		return nil, errDeviceCodeExpired()
	}
	// Entra answers a poll sooner than the interval as it answers any other: pending until the
	// user has signed in (domain.md §7.5). It sends no slow_down, which msal-node treats as
	// fatal; a scenario that wants one injects it as a fault.
	switch d.state {
	case devicePending:
		s.mu.Unlock()
		return nil, errPending()
	case deviceDenied:
		s.mu.Unlock()
		return nil, errDeclined()
	}
	g := grantContext{ts: ts, app: app, user: ts.oids[d.oid], scope: d.scope, clientInfo: wantsClientInfo(form), amr: d.amr}
	if g.user == nil {
		d.issued = true
		s.mu.Unlock()
		return nil, errBadDeviceCode()
	}
	return s.grantLocked(r, g, func() { d.issued = true })
}

// grantLocked ends a code's redemption, called with s.mu held, and releases it: it checks
// consent and Conditional Access for g, and only when both let the grant through marks the
// code used (spend) and issues the tokens, outside the lock.
func (s *Server) grantLocked(r *http.Request, g grantContext, spend func()) (*tokenResponse, *entraError) {
	if e := g.consent(); e != nil {
		s.mu.Unlock()
		return nil, e
	}
	if e := accessRefusal(g); e != nil {
		s.mu.Unlock()
		s.logRefusal(r, g, e)
		return nil, e
	}
	spend()
	s.mu.Unlock()

	resp, err := s.issueTokens(r, g)
	if err != nil {
		return nil, s.internalError(r, err)
	}
	return resp, nil
}
