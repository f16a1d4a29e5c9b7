package tenant

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// restoreScope and backupsScope ask for the restore service's apps as a device's setup does.
const (
	restoreScope = RestoreAppID + "/.default"
	backupsScope = RestoreBackupsAppID + "/.default"
)

func boolp(b bool) *bool { return &b }

// withAccess sets Contoso's Conditional Access, and Adele's overrides when given.
func withAccess(ca ConditionalAccess, adele *UserConditionalAccess) func(*Config) {
	return func(c *Config) {
		c.Tenants[0].ConditionalAccess = ca
		for i := range c.Tenants[0].Users {
			if c.Tenants[0].Users[i].UPN == adeleUPN {
				c.Tenants[0].Users[i].ConditionalAccess = adele
			}
		}
	}
}

// refreshFor redeems a refresh token for scope at Contoso's token endpoint.
func (h *harness) refreshFor(rt, scope string) (*http.Response, []byte) {
	h.t.Helper()
	return h.post("/"+contosoID+"/oauth2/v2.0/token", url.Values{
		"grant_type": {"refresh_token"}, "client_id": {contosoClient}, "refresh_token": {rt}, "scope": {scope}})
}

func TestRestoreAppTokensFollowConditionalAccess(t *testing.T) {
	cases := []struct {
		name   string
		ca     ConditionalAccess
		adele  *UserConditionalAccess
		scope  string
		status int
		err    string
		code   int
	}{
		{"no policy lets the restore app through", ConditionalAccess{}, nil, restoreScope, 200, "", 0},
		{"no policy lets the restore experience app through", ConditionalAccess{}, nil, backupsScope, 200, "", 0},
		{"a blocking policy refuses the restore app with AADSTS53003", ConditionalAccess{BlockRestoreApp: true}, nil, restoreScope, 400, "invalid_grant", 53003},
		{"a blocking policy leaves the restore experience app alone", ConditionalAccess{BlockRestoreApp: true}, nil, backupsScope, 200, "", 0},
		{"phishing-resistant MFA refuses the restore experience app with AADSTS50076", ConditionalAccess{RequirePhishingResistantMFA: true}, nil, backupsScope, 400, "invalid_grant", 50076},
		{"phishing-resistant MFA leaves the restore app alone", ConditionalAccess{RequirePhishingResistantMFA: true}, nil, restoreScope, 200, "", 0},
		{"a user excluded from the tenant's block gets the restore app", ConditionalAccess{BlockRestoreApp: true}, &UserConditionalAccess{BlockRestoreApp: boolp(false)}, restoreScope, 200, "", 0},
		{"a user targeted by a block is refused although the tenant has none", ConditionalAccess{}, &UserConditionalAccess{BlockRestoreApp: boolp(true)}, restoreScope, 400, "invalid_grant", 53003},
		{"a user override of one policy keeps the tenant's other one", ConditionalAccess{RequirePhishingResistantMFA: true}, &UserConditionalAccess{BlockRestoreApp: boolp(true)}, backupsScope, 400, "invalid_grant", 50076},
		{"Graph is never refused by these policies", ConditionalAccess{BlockRestoreApp: true, RequirePhishingResistantMFA: true}, nil, "User.Read", 200, "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, withAccess(c.ca, c.adele))
			tok := h.signInWithDeviceCode(contosoID, contosoClient, adeleUPN, adelePassword)
			resp, body := h.refreshFor(tok.RefreshToken, c.scope)
			if c.status != 200 {
				wantEntraError(t, resp, body, c.status, c.err, c.code)
				if strings.Contains(string(body), tok.RefreshToken) {
					t.Fatal("the error body quotes the refresh token")
				}
				return
			}
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
		})
	}
}

func TestARefusalHasEntrasSuberrorAndClaimsChallenge(t *testing.T) {
	h := newHarness(t, withAccess(ConditionalAccess{BlockRestoreApp: true, RequirePhishingResistantMFA: true}, nil))
	tok := h.signInWithDeviceCode(contosoID, contosoClient, adeleUPN, adelePassword)

	resp, body := h.refreshFor(tok.RefreshToken, restoreScope)
	blocked := wantEntraError(t, resp, body, 400, "invalid_grant", 53003)
	if blocked.Suberror != "message_only" || blocked.Claims != "" ||
		!strings.Contains(blocked.ErrorDescription, "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.") {
		t.Fatalf("CA block body: %s", body)
	}

	resp, body = h.refreshFor(tok.RefreshToken, backupsScope)
	mfa := wantEntraError(t, resp, body, 400, "invalid_grant", 50076)
	if mfa.Suberror != "basic_action" || !strings.Contains(mfa.ErrorDescription, "'"+RestoreBackupsAppID+"'") {
		t.Fatalf("MFA body: %s", body)
	}
	var claims struct {
		AccessToken struct {
			Capolids struct {
				Essential bool     `json:"essential"`
				Values    []string `json:"values"`
			} `json:"capolids"`
		} `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(mfa.Claims), &claims); err != nil {
		t.Fatalf("claims %q are not JSON: %v", mfa.Claims, err)
	}
	if c := claims.AccessToken.Capolids; !c.Essential || len(c.Values) != 1 || !IsGUID(c.Values[0]) || c.Values[0] != policyID(contosoID, "phishing-resistant MFA") {
		t.Fatalf("claims challenge %s", mfa.Claims)
	}
	// The raw body has the fields in Entra's order, suberror and claims last.
	if i, j := strings.Index(string(body), `"error_uri"`), strings.Index(string(body), `"suberror"`); i < 0 || j < i || !strings.HasSuffix(strings.TrimSpace(string(body)), `"}`) {
		t.Fatalf("field order: %s", body)
	}
	if !strings.Contains(h.logs.String(), "token refused by Conditional Access") || strings.Contains(h.logs.String(), tok.RefreshToken) {
		t.Fatal("the refusal is not logged, or the log holds the refresh token")
	}
}

func TestARefusalLeavesTheRefreshTokenUsable(t *testing.T) {
	h := newHarness(t, withAccess(ConditionalAccess{BlockRestoreApp: true}, nil))
	tok := h.signInWithDeviceCode(contosoID, contosoClient, adeleUPN, adelePassword)
	for range 2 {
		if resp, body := h.refreshFor(tok.RefreshToken, restoreScope); resp.StatusCode != 400 {
			t.Fatalf("blocked refresh: %d %s", resp.StatusCode, body)
		}
	}
	resp, body := h.refreshFor(tok.RefreshToken, "openid profile offline_access User.Read")
	if resp.StatusCode != 200 {
		t.Fatalf("the Graph refresh after a refusal: %d %s", resp.StatusCode, body)
	}
	next := decodeJSON[tokenResponse](t, body)
	if resp, body := h.bearer("/v1.0/me", next.AccessToken); resp.StatusCode != 200 {
		t.Fatalf("Graph with the refreshed token: %d %s", resp.StatusCode, body)
	}
	// A refresh token stays usable after a successful refresh too, as Entra's do.
	if resp, body := h.refreshFor(tok.RefreshToken, "User.Read"); resp.StatusCode != 200 {
		t.Fatalf("a used refresh token was refused: %d %s", resp.StatusCode, body)
	}
}

func TestAnAllowedRestoreAppTokenIsForThatApp(t *testing.T) {
	h := newHarness(t)
	tok := h.signInWithDeviceCode(contosoID, contosoClient, adeleUPN, adelePassword)
	for _, app := range []string{RestoreAppID, RestoreBackupsAppID} {
		t.Run(app, func(t *testing.T) {
			resp, body := h.refreshFor(tok.RefreshToken, strings.ToUpper(app)+"/.default openid offline_access")
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			got := decodeJSON[tokenResponse](t, body)
			// Entra echoes the scope in the form it was asked for, .default included.
			up := strings.ToUpper(app)
			if got.Scope != up+"/user_impersonation "+up+"/.default" || got.ExpiresIn != 3600 || got.RefreshToken == "" || got.RefreshToken == tok.RefreshToken {
				t.Fatalf("answer scope %q expires_in %d, new refresh token %v", got.Scope, got.ExpiresIn, got.RefreshToken != tok.RefreshToken)
			}
			tok.RefreshToken = got.RefreshToken // the next subtest uses the new one
			at := h.verifyWithJWKS(contosoID, got.AccessToken)
			if at["aud"] != app || at["scp"] != "user_impersonation" || at["oid"] != adeleOID || at["tid"] != contosoID ||
				at["sub"] != pairwiseSub(contosoID, adeleOID, app) || at["appid"] != contosoClient {
				t.Fatalf("access token claims %v", at)
			}
			if got.IDToken == "" {
				t.Fatal("openid was asked for, but no ID token came")
			}
			// Graph refuses a token made for another resource.
			resp, body = h.bearer("/v1.0/me", got.AccessToken)
			if resp.StatusCode != 401 || !contains(body, "not a Microsoft Graph access token") {
				t.Fatalf("Graph with a restore app token: %d %s", resp.StatusCode, body)
			}
		})
	}
	// A refresh token issued with a restore app's token works for Graph again.
	resp, body := h.refreshFor(tok.RefreshToken, "User.Read")
	if resp.StatusCode != 200 {
		t.Fatalf("back to Graph: %d %s", resp.StatusCode, body)
	}
	if at := h.graphToken(contosoID, decodeJSON[tokenResponse](t, body).AccessToken); at["aud"] != graphAppID {
		t.Fatalf("aud %v", at["aud"])
	}
}

func TestADeviceCodeSignInForABlockedAppIsRefusedAtThePoll(t *testing.T) {
	h := newHarness(t, withAccess(ConditionalAccess{BlockRestoreApp: true}, nil))
	dc := h.deviceCode(contosoID, contosoClient, restoreScope+" openid offline_access")
	h.approve(dc.UserCode, adeleUPN, adelePassword)
	h.clock.Advance(time.Duration(dc.Interval) * time.Second)
	resp, body := h.poll(contosoID, contosoClient, dc.DeviceCode)
	wantEntraError(t, resp, body, 400, "invalid_grant", 53003)
}

// demoConsent is what the demo tenant's oobe app has consented.
func demoConsent(t *testing.T) consentSet {
	t.Helper()
	cs, err := newConsentSet(demoTenants(t)[0].Apps[0].Permissions)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestScopeParsingForTheRestoreApps(t *testing.T) {
	cases := []struct {
		name, scope      string
		granted, aud, sc string
		code             int
	}{
		{".default grants user_impersonation", restoreScope + " openid offline_access", RestoreAppID + "/user_impersonation " + restoreScope, RestoreAppID, "user_impersonation", 0},
		{"the app id is case-insensitive", strings.ToUpper(RestoreBackupsAppID) + "/.default", strings.ToUpper(RestoreBackupsAppID) + "/user_impersonation " + strings.ToUpper(RestoreBackupsAppID) + "/.default", RestoreBackupsAppID, "user_impersonation", 0},
		{"the named permission is accepted", RestoreAppID + "/user_impersonation", RestoreAppID + "/user_impersonation", RestoreAppID, "user_impersonation", 0},
		{"a permission the app does not have is refused", RestoreAppID + "/Files.Read", "", "", "", 70011},
		{"two resources in one request are refused", restoreScope + " User.Read", "", "", "", 28000},
		{"both restore apps in one request are refused", restoreScope + " " + backupsScope, "", "", "", 28000},
		{"another GUID app is still unknown", "11111111-2222-4333-8444-555555555555/.default", "", "", "", 500011},
		{"Graph's scopes read as before", "openid profile User.Read", "User.Read openid profile", graphAppID, "User.Read openid profile", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc, e := parseScope(c.scope, "Contoso")
			if e == nil {
				sc, e = demoConsent(t).resolve(sc, &App{ClientID: contosoClient, Name: "oobe"})
			}
			if c.code != 0 {
				if e == nil || e.Code != c.code {
					t.Fatalf("parseScope(%q) error = %+v, want AADSTS%d", c.scope, e, c.code)
				}
				return
			}
			if e != nil || sc.String() != c.granted || sc.audience() != c.aud || sc.scp() != c.sc {
				t.Fatalf("parseScope(%q) = %q aud %q scp %q, %+v", c.scope, sc.String(), sc.audience(), sc.scp(), e)
			}
		})
	}
}

func TestAccessForMergesTheUsersOverrides(t *testing.T) {
	ten := &Tenant{ConditionalAccess: ConditionalAccess{BlockRestoreApp: true}}
	cases := []struct {
		name string
		user *User
		want ConditionalAccess
	}{
		{"no user gets the tenant's", nil, ConditionalAccess{BlockRestoreApp: true}},
		{"a user without overrides gets the tenant's", &User{}, ConditionalAccess{BlockRestoreApp: true}},
		{"an override replaces only its own field", &User{ConditionalAccess: &UserConditionalAccess{RequirePhishingResistantMFA: boolp(true)}},
			ConditionalAccess{BlockRestoreApp: true, RequirePhishingResistantMFA: true}},
		{"an override can lift the tenant's block", &User{ConditionalAccess: &UserConditionalAccess{BlockRestoreApp: boolp(false)}}, ConditionalAccess{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ten.AccessFor(c.user); got != c.want {
				t.Fatalf("AccessFor = %+v, want %+v", got, c.want)
			}
		})
	}
}
