package tenant

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// idTokenClaims are Entra's v2.0 ID token claims, in Entra's order.
type idTokenClaims struct {
	Aud               string `json:"aud"`
	Iss               string `json:"iss"`
	Iat               int64  `json:"iat"`
	Nbf               int64  `json:"nbf"`
	Exp               int64  `json:"exp"`
	Email             string `json:"email,omitempty"`
	Name              string `json:"name"`
	Nonce             string `json:"nonce,omitempty"`
	Oid               string `json:"oid"`
	PreferredUsername string `json:"preferred_username"`
	Sub               string `json:"sub"`
	Tid               string `json:"tid"`
	Uti               string `json:"uti"`
	Ver               string `json:"ver"`
}

// accessTokenClaims are the claims of an access token (Graph's, or a restore app's). Clients treat them as opaque.
type accessTokenClaims struct {
	Aud   string `json:"aud"`
	Iss   string `json:"iss"`
	Iat   int64  `json:"iat"`
	Nbf   int64  `json:"nbf"`
	Exp   int64  `json:"exp"`
	Appid string `json:"appid"`
	Idtyp string `json:"idtyp"`
	Name  string `json:"name"`
	Oid   string `json:"oid"`
	Scp   string `json:"scp"`
	Sub   string `json:"sub"`
	Tid   string `json:"tid"`
	Upn   string `json:"upn"`
	Uti   string `json:"uti"`
	Ver   string `json:"ver"`
}

// tokenResponse is the token endpoint's success body.
type tokenResponse struct {
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope,omitempty"` // none for client credentials, as Entra's
	ExpiresIn    int    `json:"expires_in"`
	ExtExpiresIn int    `json:"ext_expires_in"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	// ClientInfo is MSAL's account key, sent when the request asks with client_info=1.
	ClientInfo string `json:"client_info,omitempty"`
}

// clientInfo is base64url JSON of {"uid":oid,"utid":tid}: what MSAL builds an account's home id
// (oid.tid) from.
func clientInfo(oid, tid string) string {
	b, _ := json.Marshal(struct {
		UID  string `json:"uid"`
		UTID string `json:"utid"`
	}{oid, tid})
	return base64.RawURLEncoding.EncodeToString(b)
}

// pairwiseKey keys the subject derivation; it is fixed so subjects stay stable across runs.
var pairwiseKey = []byte("oobe simulated Entra ID pairwise subject")

// pairwiseSub derives Entra's per-app subject: stable for (tenant, user, app), different across apps,
// and not reversible to the object id.
func pairwiseSub(tid, oid, audience string) string {
	mac := hmac.New(sha256.New, pairwiseKey)
	fmt.Fprintf(mac, "%s|%s|%s", strings.ToLower(tid), strings.ToLower(oid), strings.ToLower(audience))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// grantContext is what a token issuance needs: who, for which app, with which scopes.
type grantContext struct {
	ts    *tenantState
	app   *App
	user  *User
	scope scopeSet
	nonce string
	// clientInfo is set when the request asked for client_info (client_info=1).
	clientInfo bool
	// amr is how the user authenticated (amrFor); nil reads as a password alone.
	amr []string
}

// methods is the grant's amr, a password alone when none was recorded.
func (g *grantContext) methods() []string {
	if len(g.amr) == 0 {
		return amrFor("")
	}
	return g.amr
}

// consent resolves the grant's requested scope against the app's consent (consentSet.resolve).
func (g *grantContext) consent() *entraError {
	cs, err := newConsentSet(g.app.Permissions)
	if err != nil { // New checked every app; a Tenant changed since is the caller's fault
		return errServer(http.StatusInternalServerError)
	}
	sc, e := cs.resolve(g.scope, g.app)
	if e != nil {
		return e
	}
	g.scope = sc
	return nil
}

// issueTokens signs the access token for the scope's resource (and the ID token when openid was
// asked for) and stores a refresh token when offline_access was asked for.
func (s *Server) issueTokens(r *http.Request, g grantContext) (*tokenResponse, error) {
	now := s.clock.Now()
	iss := s.issuer(r, g.ts)
	clientID := strings.ToLower(g.app.ClientID)
	oid := strings.ToLower(g.user.ObjectID)
	key := g.ts.keys.signer()

	uti, err := s.rand.token(16)
	if err != nil {
		return nil, err
	}
	atLifetime := s.accessTokenLifetime
	at, err := s.signAccessToken(g, key, iss, uti, now)
	if err != nil {
		return nil, err
	}
	resp := &tokenResponse{
		TokenType:    "Bearer",
		Scope:        g.scope.String(),
		ExpiresIn:    int(atLifetime / time.Second),
		ExtExpiresIn: int(atLifetime / time.Second),
		AccessToken:  at,
	}
	if g.scope.openid {
		uti, err := s.rand.token(16)
		if err != nil {
			return nil, err
		}
		c := idTokenClaims{
			Aud: clientID, Iss: iss,
			Iat: now.Unix(), Nbf: now.Unix(), Exp: now.Add(tokenLifetime).Unix(),
			Name: g.user.DisplayName, Nonce: g.nonce, Oid: oid, PreferredUsername: g.user.UPN,
			Sub: pairwiseSub(g.ts.id, oid, clientID), Tid: g.ts.id, Uti: uti, Ver: "2.0",
		}
		if g.scope.email {
			c.Email = g.user.UPN
		}
		if resp.IDToken, err = key.sign(c); err != nil {
			return nil, err
		}
	}
	if g.scope.offline {
		rt, err := s.rand.token(48)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		s.sweepLocked(now)
		s.refresh[rt] = &refreshGrant{ts: g.ts, app: g.app, oid: oid, scope: g.scope, expires: now.Add(refreshTokenLifetime), amr: g.methods()}
		s.mu.Unlock()
		resp.RefreshToken = rt
	}
	if g.clientInfo {
		resp.ClientInfo = clientInfo(oid, g.ts.id)
	}
	return resp, nil
}

// signAccessToken signs the access token for the scope's resource: Graph's v1.0 token, or a
// restore app's v2.0 one.
func (s *Server) signAccessToken(g grantContext, key *signingKey, iss, uti string, now time.Time) (string, error) {
	clientID := strings.ToLower(g.app.ClientID)
	oid := strings.ToLower(g.user.ObjectID)
	aud := g.scope.audience()
	exp := now.Add(s.accessTokenLifetime).Unix()
	if aud != graphAppID {
		return key.sign(accessTokenClaims{
			Aud: aud, Iss: iss,
			Iat: now.Unix(), Nbf: now.Unix(), Exp: exp,
			Appid: clientID, Idtyp: "user", Name: g.user.DisplayName, Oid: oid,
			Scp: g.scope.scp(), Sub: pairwiseSub(g.ts.id, oid, aud), Tid: g.ts.id,
			Upn: g.user.UPN, Uti: uti, Ver: "2.0",
		})
	}
	if strings.HasPrefix(strings.ToLower(g.scope.prefix), "https://") {
		aud = graphResourceURI // Entra names Graph as the request did
	}
	nonce, err := s.rand.token(32)
	if err != nil {
		return "", err
	}
	c := graphTokenClaims{
		Aud: aud, Iss: graphTokenIssuer(g.ts.id),
		Iat: now.Unix(), Nbf: now.Unix(), Exp: exp,
		Acct: new(int), Acr: "1", Amr: g.methods(), AppDisplayName: g.app.Name, Appid: clientID, Appidacr: "0",
		Idtyp: "user", Name: g.user.DisplayName, Oid: oid, Scp: g.scope.scp(),
		Sub: pairwiseSub(g.ts.id, oid, graphAppID), TenantRegionScope: g.ts.cloud.regionScope, Tid: g.ts.id,
		UniqueName: g.user.UPN, Upn: g.user.UPN, Uti: uti, Ver: "1.0", Wids: roleIDs(g.user),
	}
	if given, surname := splitName(g.user.DisplayName); given != nil {
		c.GivenName, c.FamilyName = *given, *surname
	}
	return key.signGraph(c, nonce)
}

// issueAppToken signs an app's own Graph token for a client credentials grant: roles are the
// application permissions consented for it; no refresh token, no ID token, no scope, as Entra
// answers.
func (s *Server) issueAppToken(ts *tenantState, app *App, roles []string) (*tokenResponse, error) {
	now := s.clock.Now()
	uti, err := s.rand.token(16)
	if err != nil {
		return nil, err
	}
	nonce, err := s.rand.token(32)
	if err != nil {
		return nil, err
	}
	clientID := strings.ToLower(app.ClientID)
	sp := servicePrincipalID(ts.id, clientID)
	at, err := ts.keys.signer().signGraph(graphTokenClaims{
		Aud: graphResourceURI, Iss: graphTokenIssuer(ts.id),
		Iat: now.Unix(), Nbf: now.Unix(), Exp: now.Add(s.accessTokenLifetime).Unix(),
		AppDisplayName: app.Name, Appid: clientID, Appidacr: "1", Idp: graphTokenIssuer(ts.id), Idtyp: "app",
		Oid: sp, Roles: roles, Sub: sp, TenantRegionScope: ts.cloud.regionScope, Tid: ts.id, Uti: uti, Ver: "1.0",
	}, nonce)
	if err != nil {
		return nil, err
	}
	secs := int(s.accessTokenLifetime / time.Second)
	return &tokenResponse{TokenType: "Bearer", ExpiresIn: secs, ExtExpiresIn: secs, AccessToken: at}, nil
}
