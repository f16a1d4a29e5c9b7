package tenant

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
)

// What Microsoft's libraries (MSAL, azidentity) rely on from Entra's token endpoint
// (domain.md §7.5): the short device code grant type, no slow_down, {resource}/.default echoed
// and resolved against the app's consent, AADSTS65001 for what was not consented, reusable
// refresh tokens that revokeSignInSessions ends, client_info, and v1.0 Graph tokens that a
// client cannot verify.

const (
	// grantsVerifier is the PKCE verifier of the auth code sign-ins here.
	grantsVerifier = "grants-test-verifier-0123456789-abcdefghijklmnopqrstuvwxyz"
	// grantsRedirect is a loopback redirect the demo app has registered (any port).
	grantsRedirect = "http://127.0.0.1:50123/"
	// bareClient is an app registration with no permissions: Entra's default consent, User.Read.
	bareClient = "a7c5d0e1-3b2f-4c6d-8e9f-0a1b2c3d4e5f"
	// msalScopes are the OIDC scopes MSAL adds to every request.
	msalScopes = "openid profile offline_access"
)

// withBareApp registers bareClient in Contoso: a public client with no permissions: list.
func withBareApp(c *Config) {
	c.Tenants[0].Apps = append(c.Tenants[0].Apps, App{Name: "bare", ClientID: bareClient, Public: true,
		RedirectURIs: []string{"http://127.0.0.1"}})
}

// withRoles gives a Contoso user exactly these directory roles (and not admin: true).
func withRoles(upn string, roles ...string) func(*Config) {
	return func(c *Config) {
		for i, u := range c.Tenants[0].Users {
			if u.UPN == upn {
				c.Tenants[0].Users[i].Admin = false
				c.Tenants[0].Users[i].Roles = roles
				return
			}
		}
		panic("no user " + upn)
	}
}

// consentedGraph is what fixtures/demo/contoso.yaml consents for the demo app on Graph.
func consentedGraph(t *testing.T) []string {
	t.Helper()
	for _, a := range demoTenants(t)[0].Apps {
		if strings.EqualFold(a.ClientID, contosoClient) {
			perms := a.Permissions["graph"]
			if !slices.Contains(perms, "User.Read") || len(perms) < 2 {
				t.Fatalf("the demo app's Graph permissions %v are not what these tests expect", perms)
			}
			return perms
		}
	}
	t.Fatal("the demo app is not in the Contoso fixture")
	return nil
}

// tokenAt posts a token request to Contoso's token endpoint.
func (h *harness) tokenAt(form url.Values) (*http.Response, []byte) {
	h.t.Helper()
	return h.post("/"+contosoID+"/oauth2/v2.0/token", form)
}

// approvedDeviceCode starts a device code sign-in for client with scope and approves it as upn.
func (h *harness) approvedDeviceCode(client, upn, password, scope string) deviceCodeResponse {
	h.t.Helper()
	dc := h.deviceCode(contosoID, client, scope)
	h.approve(dc.UserCode, upn, password)
	return dc
}

// deviceGrant runs a device code sign-in for client as upn with scope and returns the answer
// to the first poll after approval, which carries extra parameters too.
func (h *harness) deviceGrant(client, upn, password, scope string, extra url.Values) (*http.Response, []byte) {
	h.t.Helper()
	dc := h.approvedDeviceCode(client, upn, password, scope)
	form := url.Values{"grant_type": {deviceCodeGrantType}, "client_id": {client}, "device_code": {dc.DeviceCode}}
	for k, v := range extra {
		form[k] = v
	}
	return h.tokenAt(form)
}

// authCodeGrant signs Adele in through the authorize page (PKCE S256) for client with scope
// and redeems the code with extra parameters.
func (h *harness) authCodeGrant(client, scope string, extra url.Values) (*http.Response, []byte) {
	h.t.Helper()
	q := authorizeQuery(grantsRedirect, s256(grantsVerifier), "S256")
	q.Set("client_id", client)
	q.Set("scope", scope)
	code := h.authCodeFor(q)
	form := url.Values{"grant_type": {"authorization_code"}, "client_id": {client}, "code": {code},
		"redirect_uri": {grantsRedirect}, "code_verifier": {grantsVerifier}}
	for k, v := range extra {
		form[k] = v
	}
	return h.tokenAt(form)
}

// refreshGrant redeems a refresh token, with extra parameters (scope, client_info).
func (h *harness) refreshGrant(client, rt string, extra url.Values) (*http.Response, []byte) {
	h.t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "client_id": {client}, "refresh_token": {rt}}
	for k, v := range extra {
		form[k] = v
	}
	return h.tokenAt(form)
}

// wantTokens checks a 200 from the token endpoint and decodes it; it takes the answer in a
// second call, so that wantTokens(t)(h.refreshGrant(…)) reads as one step.
func wantTokens(t testing.TB) func(*http.Response, []byte) tokenResponse {
	return func(resp *http.Response, body []byte) tokenResponse {
		t.Helper()
		return checkTokens(t, resp, body)
	}
}

func checkTokens(t testing.TB, resp *http.Response, body []byte) tokenResponse {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token endpoint: %d %s", resp.StatusCode, body)
	}
	tok := decodeJSON[tokenResponse](t, body)
	if tok.AccessToken == "" || tok.TokenType != "Bearer" {
		t.Fatalf("token answer %s has no bearer access token", body)
	}
	return tok
}

// wantConsentRequired checks Entra's AADSTS65001 answer to a grant for an unconsented
// permission; like wantTokens, it takes the answer in a second call.
func wantConsentRequired(t *testing.T) func(*http.Response, []byte) {
	return func(resp *http.Response, body []byte) {
		t.Helper()
		checkConsentRequired(t, resp, body)
	}
}

func checkConsentRequired(t *testing.T, resp *http.Response, body []byte) {
	t.Helper()
	e := wantEntraError(t, resp, body, http.StatusBadRequest, "invalid_grant", 65001)
	if e.Suberror != "consent_required" {
		t.Fatalf("suberror = %q, want consent_required; %s", e.Suberror, body)
	}
}

// jwtPart decodes part i (0 header, 1 payload) of a compact JWT without verifying anything, as
// a client may read its own token.
func jwtPart(t *testing.T, tok string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("%q is not a compact JWT", clip(tok, 40))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatalf("JWT part %d is not base64url: %v", i, err)
	}
	return decodeJSON[map[string]any](t, raw)
}

// scpOf is the access token's scp, as a sorted list.
func scpOf(t *testing.T, tok string) []string {
	t.Helper()
	scp, _ := jwtPart(t, tok, 1)["scp"].(string)
	out := strings.Fields(scp)
	slices.Sort(out)
	return out
}

// sorted returns a sorted copy.
func sorted(s ...string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// hasScope reports whether the answer's scope has s, compared as MSAL compares: ignoring case.
func hasScope(answer, s string) bool {
	return slices.ContainsFunc(strings.Fields(answer), func(f string) bool { return strings.EqualFold(f, s) })
}

// wantRequestedScopesEchoed checks that every scope asked for is in the answer, case-insensitively,
// as MSAL checks (a missing one counts as declined). offline_access is never echoed: it is
// answered with a refresh token. The OIDC scopes are echoed for Graph only, as Entra does.
func wantRequestedScopesEchoed(t *testing.T, requested, answer string, graph bool) {
	t.Helper()
	for _, s := range strings.Fields(requested) {
		switch strings.ToLower(s) {
		case "offline_access":
			continue
		case "openid", "profile", "email":
			if !graph {
				continue
			}
		}
		if !hasScope(answer, s) {
			t.Errorf("requested scope %q is missing from the answer's scope %q", s, answer)
		}
	}
}

func TestMSALsShortDeviceCodeGrantTypePollsAsTheURNDoes(t *testing.T) {
	cases := []struct{ name, grantType string }{
		{"RFC 8628's URN", deviceCodeGrantType},
		{"MSAL's short device_code", "device_code"},
	}
	for _, c := range cases {
		t.Run(c.name+" is pending before approval and then issues tokens", func(t *testing.T) {
			h := newHarness(t)
			dc := h.deviceCode(contosoID, contosoClient, msalScopes+" User.Read")
			poll := func() (*http.Response, []byte) {
				return h.tokenAt(url.Values{"grant_type": {c.grantType}, "client_id": {contosoClient}, "device_code": {dc.DeviceCode}})
			}
			resp, body := poll()
			wantEntraError(t, resp, body, http.StatusBadRequest, "authorization_pending", 70016)
			h.approve(dc.UserCode, adeleUPN, adelePassword)
			h.clock.Advance(time.Duration(dc.Interval) * time.Second)
			tok := wantTokens(t)(poll())
			if tok.RefreshToken == "" || tok.IDToken == "" || tok.Scope != "User.Read openid profile" {
				t.Fatalf("answer %+v: want access, refresh and ID tokens for User.Read openid profile", tok)
			}
			if c := h.graphToken(contosoID, tok.AccessToken); c["oid"] != adeleOID {
				t.Fatalf("access token is for %v, want Adele", c["oid"])
			}
			resp, body = poll()
			wantEntraError(t, resp, body, http.StatusBadRequest, "invalid_grant", 54005)
		})
	}
}

func TestAnUnknownGrantTypeIsStillAADSTS70003(t *testing.T) {
	h := newHarness(t)
	dc := h.approvedDeviceCode(contosoClient, adeleUPN, adelePassword, "openid User.Read")
	for _, gt := range []string{"devicecode", "device", "urn:ietf:params:oauth:grant-type:device_code:short",
		"urn:ietf:params:oauth:grant-type:jwt-bearer", "password"} {
		t.Run("grant_type "+gt+" is unsupported", func(t *testing.T) {
			resp, body := h.tokenAt(url.Values{"grant_type": {gt}, "client_id": {contosoClient}, "device_code": {dc.DeviceCode}})
			wantEntraError(t, resp, body, http.StatusBadRequest, "unsupported_grant_type", 70003)
		})
	}
	// None of those used the device code up.
	wantTokens(t)(h.tokenAt(url.Values{"grant_type": {"device_code"}, "client_id": {contosoClient}, "device_code": {dc.DeviceCode}}))
}

func TestPollsSoonerThanTheIntervalArePendingAndNeverSlowDown(t *testing.T) {
	h := newHarness(t)
	dc := h.deviceCode(contosoID, contosoClient, "openid User.Read")
	for _, gap := range []time.Duration{0, 50 * time.Millisecond, 150 * time.Millisecond, 450 * time.Millisecond, 1350 * time.Millisecond, 0, 0} {
		h.clock.Advance(gap)
		resp, body := h.poll(contosoID, contosoClient, dc.DeviceCode)
		wantEntraError(t, resp, body, http.StatusBadRequest, "authorization_pending", 70016)
	}
}

func TestTheFirstPollAfterApprovalGetsTokensHoweverEarly(t *testing.T) {
	for _, gap := range []time.Duration{0, 10 * time.Millisecond, 450 * time.Millisecond, 4 * time.Second} {
		t.Run("a poll "+gap.String()+" after a pending one", func(t *testing.T) {
			h := newHarness(t)
			dc := h.deviceCode(contosoID, contosoClient, "openid User.Read")
			resp, body := h.poll(contosoID, contosoClient, dc.DeviceCode)
			wantEntraError(t, resp, body, http.StatusBadRequest, "authorization_pending", 70016)
			h.approve(dc.UserCode, adeleUPN, adelePassword)
			h.clock.Advance(gap)
			wantTokens(t)(h.poll(contosoID, contosoClient, dc.DeviceCode))
		})
	}
}

func TestAnInjectedSlowDownAnswersTheOnePollItHitsThenPollingGoesOn(t *testing.T) {
	h := newHarness(t)
	dc := h.deviceCode(contosoID, contosoClient, "openid User.Read")
	if err := h.srv.Faults().Add(Fault{Endpoint: EndpointToken, Kind: FaultSlowDown, Times: 1}); err != nil {
		t.Fatalf("adding a slow_down fault at the token endpoint: %v", err)
	}
	resp, body := h.poll(contosoID, contosoClient, dc.DeviceCode)
	e := wantEntraError(t, resp, body, http.StatusBadRequest, "slow_down", 70016)
	if want := itoa(dc.Interval+5) + " seconds"; !strings.Contains(e.ErrorDescription, want) {
		t.Errorf("slow_down %q does not give the new interval, %s", e.ErrorDescription, want)
	}
	h.clock.Advance(time.Duration(dc.Interval+5) * time.Second)
	resp, body = h.poll(contosoID, contosoClient, dc.DeviceCode)
	wantEntraError(t, resp, body, http.StatusBadRequest, "authorization_pending", 70016)
	h.approve(dc.UserCode, adeleUPN, adelePassword)
	wantTokens(t)(h.poll(contosoID, contosoClient, dc.DeviceCode))
	if left := h.srv.Faults().Unfired(); len(left) != 0 {
		t.Errorf("faults never fired: %v", left)
	}
}

func TestASlowDownFaultCanOnlyBeAddedAtTheTokenEndpoint(t *testing.T) {
	for _, ep := range FaultEndpoints() {
		if ep == EndpointToken {
			continue
		}
		t.Run("at "+ep+" it is refused", func(t *testing.T) {
			var f Faults
			if err := f.Add(Fault{Endpoint: ep, Kind: FaultSlowDown, Times: 1}); err == nil {
				t.Fatalf("a slow_down fault at %s was accepted", ep)
			}
		})
	}
	t.Run("at token it is accepted", func(t *testing.T) {
		var f Faults
		if err := f.Add(Fault{Endpoint: EndpointToken, Kind: FaultSlowDown}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestDefaultScopeIsEchoedAndResolvedToTheAppsConsent(t *testing.T) {
	graph := consentedGraph(t)
	withPrefix := func(prefix string) []string {
		var out []string
		for _, p := range graph {
			out = append(out, prefix+p)
		}
		return out
	}
	cases := []struct {
		name, scope string
		graph       bool     // the token is Graph's (OIDC scopes echoed and in scp)
		echoes      []string // in the answer's scope, besides the scopes asked for
		scp         []string
		aud         []string // any of these
	}{
		{
			name: "Graph's URL .default gives every consented Graph permission", graph: true,
			scope:  "https://graph.microsoft.com/.default " + msalScopes,
			echoes: withPrefix("https://graph.microsoft.com/"),
			scp:    sorted(append(slices.Clone(graph), "openid", "profile")...),
			aud:    []string{graphResourceURI, graphAppID},
		},
		{
			name: "Graph's app id .default gives them in that form", graph: true,
			scope:  graphAppID + "/.default " + msalScopes,
			echoes: withPrefix(graphAppID + "/"),
			scp:    sorted(append(slices.Clone(graph), "openid", "profile")...),
			aud:    []string{graphResourceURI, graphAppID},
		},
		{
			name:   "the restore app's .default gives user_impersonation",
			scope:  RestoreAppID + "/.default " + msalScopes,
			echoes: []string{RestoreAppID + "/user_impersonation"},
			scp:    []string{"user_impersonation"},
			aud:    []string{RestoreAppID},
		},
		{
			name: "a bare User.Read is echoed bare", graph: true,
			scope: "User.Read " + msalScopes,
			scp:   []string{"User.Read", "openid", "profile"},
			aud:   []string{graphResourceURI, graphAppID},
		},
		{
			name: "Graph's URL User.Read is echoed with the URL", graph: true,
			scope: "https://graph.microsoft.com/User.Read " + msalScopes,
			scp:   []string{"User.Read", "openid", "profile"},
			aud:   []string{graphResourceURI, graphAppID},
		},
		{
			name: "a permission asked for in other case is granted in Entra's spelling", graph: true,
			scope: "https://graph.microsoft.com/user.read https://graph.microsoft.com/DEVICE.READ.ALL",
			scp:   []string{"Device.Read.All", "User.Read"},
			aud:   []string{graphResourceURI, graphAppID},
		},
		{
			name: "a request mixing bare and URL forms gets each echoed in its own form", graph: true,
			scope: "https://graph.microsoft.com/User.Read Device.Read.All openid",
			scp:   []string{"Device.Read.All", "User.Read", "openid"},
			aud:   []string{graphResourceURI, graphAppID},
		},
		{
			name: "several Graph app id permissions are echoed in that form", graph: true,
			scope: graphAppID + "/User.Read " + graphAppID + "/UserWindowsSettings.Read openid",
			scp:   []string{"User.Read", "UserWindowsSettings.Read", "openid"},
			aud:   []string{graphResourceURI, graphAppID},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			tok := wantTokens(t)(h.deviceGrant(contosoClient, adeleUPN, adelePassword, c.scope, nil))
			wantRequestedScopesEchoed(t, c.scope, tok.Scope, c.graph)
			for _, s := range c.echoes {
				if !hasScope(tok.Scope, s) {
					t.Errorf("answer's scope %q lacks %q", tok.Scope, s)
				}
			}
			if got := scpOf(t, tok.AccessToken); !slices.Equal(got, sorted(c.scp...)) {
				t.Errorf("access token scp = %v, want %v", got, sorted(c.scp...))
			}
			if aud, _ := jwtPart(t, tok.AccessToken, 1)["aud"].(string); !slices.Contains(c.aud, aud) {
				t.Errorf("access token aud = %q, want one of %v", aud, c.aud)
			}
		})
	}
}

func TestAPermissionTheAppWasNotConsentedIsAADSTS65001(t *testing.T) {
	scopes := []string{
		"Mail.Read",
		msalScopes + " Mail.Read",
		"https://graph.microsoft.com/Mail.Read " + msalScopes,
		graphAppID + "/Mail.Read",
		"User.Read Mail.Read " + msalScopes,
		"Directory.ReadWrite.All",
	}
	for _, scope := range scopes {
		t.Run("device code for "+scope, func(t *testing.T) {
			h := newHarness(t)
			wantConsentRequired(t)(h.deviceGrant(contosoClient, adeleUPN, adelePassword, scope, nil))
		})
		t.Run("auth code for "+scope+", at redemption", func(t *testing.T) {
			h := newHarness(t)
			wantConsentRequired(t)(h.authCodeGrant(contosoClient, scope, nil))
		})
	}
}

func TestAnAppWithoutPermissionsIsConsentedUserReadOnly(t *testing.T) {
	cases := []struct {
		name, scope string
		scp         []string // nil: refused with AADSTS65001
	}{
		{"Graph's .default gives User.Read", "https://graph.microsoft.com/.default " + msalScopes, []string{"User.Read", "openid", "profile"}},
		{"User.Read is granted", "User.Read openid", []string{"User.Read", "openid"}},
		{"the OIDC scopes alone give User.Read", msalScopes, []string{"User.Read", "openid", "profile"}},
		{"UserWindowsSettings.Read is AADSTS65001", "UserWindowsSettings.Read " + msalScopes, nil},
		{"Device.Read.All with User.Read is AADSTS65001", "User.Read Device.Read.All", nil},
		{"the restore app's .default is AADSTS65001", RestoreAppID + "/.default " + msalScopes, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, withBareApp)
			resp, body := h.deviceGrant(bareClient, adeleUPN, adelePassword, c.scope, nil)
			if c.scp == nil {
				checkConsentRequired(t, resp, body)
				return
			}
			tok := checkTokens(t, resp, body)
			if got := scpOf(t, tok.AccessToken); !slices.Equal(got, sorted(c.scp...)) {
				t.Errorf("scp = %v, want %v", got, sorted(c.scp...))
			}
			if strings.Contains(c.scope, ".default") && !hasScope(tok.Scope, "https://graph.microsoft.com/.default") {
				t.Errorf("answer's scope %q does not echo the .default asked for", tok.Scope)
			}
		})
	}
	t.Run("auth code for UserWindowsSettings.Read is AADSTS65001 at redemption", func(t *testing.T) {
		h := newHarness(t, withBareApp)
		wantConsentRequired(t)(h.authCodeGrant(bareClient, "openid UserWindowsSettings.Read", nil))
	})
}

// permsFixture is a small tenant file; PERMISSIONS is replaced with an app's permissions: block,
// which starts on line 10.
const permsFixture = `tenant:
  id: 61111111-2222-4333-8444-555555555555
  name: Northwind
  domains: [northwind.com]
apps:
  - name: oobe
    clientId: 71111111-2222-4333-8444-555555555555
    public: true
    permissions:
PERMISSIONS
users:
  - upn: kim@northwind.com
    displayName: Kim Akers
    password: x
    objectId: 81111111-2222-4333-8444-555555555555
`

func TestFixturePermissionsThatAreNotPermissionsAreRefusedWithTheirLine(t *testing.T) {
	cases := []struct {
		name, block string
		line        int
		says        string
	}{
		{"an unknown resource key", "      exchange: [Mail.Read]", 10, `"exchange"`},
		{"another Microsoft resource's URL", "      https://outlook.office.com: [Mail.Read]", 10, "outlook.office.com"},
		{"an unknown resource after graph", "      graph: [User.Read]\n      sharepoint: [Sites.Read.All]", 11, `"sharepoint"`},
		{"a name with a space", "      graph:\n        - User.Read\n        - User Read", 12, `"User Read"`},
		{".default as a permission", "      graph: [.default]", 10, ".default"},
		{"a name starting with a digit", "      graph: [9Lives.Read]", 10, "9Lives.Read"},
		{"a Graph permission for the restore app", "      " + RestoreAppID + ": [User.Read]", 10, "user_impersonation"},
	}
	for _, c := range cases {
		t.Run(c.name+" is refused by ParseTenant", func(t *testing.T) {
			data := strings.Replace(permsFixture, "PERMISSIONS", c.block, 1)
			_, err := ParseTenant("northwind.yaml", []byte(data), nil)
			var fe *FixtureError
			if !errors.As(err, &fe) {
				t.Fatalf("ParseTenant = %v, want a FixtureError", err)
			}
			if fe.File != "northwind.yaml" || fe.Line != c.line || !strings.Contains(fe.Msg, c.says) {
				t.Fatalf("error %q, want northwind.yaml:%d naming %s", err, c.line, c.says)
			}
		})
		t.Run(c.name+" is refused by LoadFixtures with file:line", func(t *testing.T) {
			fsys := fstest.MapFS{"northwind.yaml": {Data: []byte(strings.Replace(permsFixture, "PERMISSIONS", c.block, 1))}}
			_, err := LoadFixtures(fsys)
			if err == nil || !strings.HasPrefix(err.Error(), "northwind.yaml:"+itoa(c.line)+": ") {
				t.Fatalf("LoadFixtures = %v, want an error at northwind.yaml:%d", err, c.line)
			}
		})
	}
	t.Run("the good forms of a resource key are accepted", func(t *testing.T) {
		block := "      https://graph.microsoft.com/: [User.Read]\n      " + RestoreBackupsAppID + ": [user_impersonation]"
		if _, err := ParseTenant("northwind.yaml", []byte(strings.Replace(permsFixture, "PERMISSIONS", block, 1)), nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a Tenant built in Go with an unknown resource is refused by New", func(t *testing.T) {
		tenants := demoTenants(t)
		tenants[0].Apps[0].Permissions = map[string][]string{"exchange": {"Mail.Read"}}
		if _, err := New(Config{Tenants: tenants}); err == nil {
			t.Fatal("New accepted an app with permissions for an unknown resource")
		}
	})
}

func TestARefreshNeverWidensWhatWasConsented(t *testing.T) {
	cases := []struct {
		name, scope string
		scp         []string // nil: AADSTS65001
		graph       bool     // the token is Graph's
	}{
		{"an unconsented permission is AADSTS65001", "Mail.Read", nil, true},
		{"an unconsented permission beside consented ones is AADSTS65001", "User.Read Mail.Read " + msalScopes, nil, true},
		{"an unconsented permission by Graph's URL is AADSTS65001", "https://graph.microsoft.com/Mail.ReadWrite offline_access", nil, true},
		{"a narrower consented scope gets just that", "User.Read", []string{"User.Read"}, true},
		{"a narrower scope with openid gets just those", "https://graph.microsoft.com/Device.Read.All openid", []string{"Device.Read.All", "openid"}, true},
		{"a consented permission not asked for at sign-in is granted", "UserWindowsSettings.Read.All", []string{"UserWindowsSettings.Read.All"}, true},
		{"another consented resource's .default is granted", RestoreAppID + "/.default " + msalScopes, []string{"user_impersonation"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			first := wantTokens(t)(h.deviceGrant(contosoClient, adeleUPN, adelePassword, msalScopes+" User.Read Device.Read.All", nil))
			resp, body := h.refreshGrant(contosoClient, first.RefreshToken, url.Values{"scope": {c.scope}})
			if c.scp == nil {
				checkConsentRequired(t, resp, body)
				// The refusal leaves the refresh token usable.
				again := wantTokens(t)(h.refreshGrant(contosoClient, first.RefreshToken, nil))
				if got := scpOf(t, again.AccessToken); !slices.Equal(got, sorted("User.Read", "Device.Read.All", "openid", "profile")) {
					t.Errorf("after the refusal the refresh gives scp %v, want the sign-in's", got)
				}
				return
			}
			tok := checkTokens(t, resp, body)
			if got := scpOf(t, tok.AccessToken); !slices.Equal(got, sorted(c.scp...)) {
				t.Errorf("scp = %v, want %v", got, sorted(c.scp...))
			}
			wantRequestedScopesEchoed(t, c.scope, tok.Scope, c.graph)
			if tok.RefreshToken == "" {
				t.Error("the refresh returned no new refresh token")
			}
		})
	}
}

func TestARefreshTokenCanBeRedeemedRepeatedlyAndEachGivesANewOne(t *testing.T) {
	h := newHarness(t)
	first := wantTokens(t)(h.deviceGrant(contosoClient, adeleUPN, adelePassword, msalScopes+" User.Read", nil))
	seen := map[string]bool{first.RefreshToken: true}
	for i := range 3 {
		tok := wantTokens(t)(h.refreshGrant(contosoClient, first.RefreshToken, nil))
		if tok.RefreshToken == "" || seen[tok.RefreshToken] {
			t.Fatalf("redemption %d of the same refresh token returned refresh token %q, not a new one", i+1, clip(tok.RefreshToken, 12))
		}
		seen[tok.RefreshToken] = true
		if tok.Scope != first.Scope {
			t.Errorf("redemption %d: scope %q, want the sign-in's %q", i+1, tok.Scope, first.Scope)
		}
	}
	// The new ones work too.
	for rt := range seen {
		wantTokens(t)(h.refreshGrant(contosoClient, rt, nil))
	}
}

func TestRevokingSignInSessionsEndsEveryEarlierRefreshToken(t *testing.T) {
	h := newHarness(t)
	scope := msalScopes + " User.Read User.RevokeSessions.All"
	first := wantTokens(t)(h.deviceGrant(contosoClient, adeleUPN, adelePassword, scope, nil))
	second := wantTokens(t)(h.refreshGrant(contosoClient, first.RefreshToken, nil))
	third := wantTokens(t)(h.refreshGrant(contosoClient, second.RefreshToken, nil))
	other := wantTokens(t)(h.authCodeGrant(contosoClient, scope, nil)) // another sign-in of Adele
	megan := wantTokens(t)(h.deviceGrant(contosoClient, meganUPN, meganPassword, scope, nil))

	resp, body := h.send(http.MethodPost, "/v1.0/me/revokeSignInSessions", "", "Authorization", "Bearer "+third.AccessToken)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revokeSignInSessions: %d %s", resp.StatusCode, body)
	}
	if v := decodeJSON[map[string]any](t, body); v["value"] != true {
		t.Fatalf("revokeSignInSessions answered %s, want value true", body)
	}
	for _, c := range []struct{ name, rt string }{
		{"the sign-in's", first.RefreshToken}, {"the first refresh's", second.RefreshToken},
		{"the second refresh's", third.RefreshToken}, {"another sign-in's", other.RefreshToken},
	} {
		t.Run(c.name+" refresh token is AADSTS50173", func(t *testing.T) {
			resp, body := h.refreshGrant(contosoClient, c.rt, nil)
			wantEntraError(t, resp, body, http.StatusBadRequest, "invalid_grant", 50173)
		})
	}
	t.Run("another user's refresh token still works", func(t *testing.T) {
		wantTokens(t)(h.refreshGrant(contosoClient, megan.RefreshToken, nil))
	})
	// A new sign-in's refresh token works.
	fresh := wantTokens(t)(h.deviceGrant(contosoClient, adeleUPN, adelePassword, scope, nil))
	wantTokens(t)(h.refreshGrant(contosoClient, fresh.RefreshToken, nil))
}

func TestRevokingAnotherUsersSessionsNeedsAGlobalAdministrator(t *testing.T) {
	scope := msalScopes + " User.Read User.RevokeSessions.All"
	cases := []struct {
		name     string
		tweak    []func(*Config)
		upn, pw  string
		target   string
		revoked  bool
		refusal  string // the 403's message names this
		notFound bool
	}{
		{"the demo admin (Intune and Backup Administrator) is refused", nil, adminUPN, adminPassword, adeleOID, false, "Global Administrator", false},
		{"a user with no role is refused", nil, meganUPN, meganPassword, adeleOID, false, "Global Administrator", false},
		{"an Intune Administrator naming the user by UPN is refused", []func(*Config){withRoles(adminUPN, "Intune Administrator")}, adminUPN, adminPassword, adeleUPN, false, "Global Administrator", false},
		{"a Global Administrator revokes by object id", []func(*Config){withRoles(adminUPN, "Global Administrator")}, adminUPN, adminPassword, adeleOID, true, "", false},
		{"a Global Administrator revokes by UPN", []func(*Config){withRoles(adminUPN, "Global Administrator")}, adminUPN, adminPassword, adeleUPN, true, "", false},
		{"a Global Administrator naming nobody gets 404", []func(*Config){withRoles(adminUPN, "Global Administrator")}, adminUPN, adminPassword, "nobody@contoso.com", false, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, c.tweak...)
			adele := wantTokens(t)(h.deviceGrant(contosoClient, adeleUPN, adelePassword, scope, nil))
			admin := wantTokens(t)(h.deviceGrant(contosoClient, c.upn, c.pw, scope, nil))
			resp, body := h.send(http.MethodPost, "/v1.0/users/"+url.PathEscape(c.target)+"/revokeSignInSessions", "",
				"Authorization", "Bearer "+admin.AccessToken)
			switch {
			case c.revoked:
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("revoking: %d %s", resp.StatusCode, body)
				}
				resp, body := h.refreshGrant(contosoClient, adele.RefreshToken, nil)
				wantEntraError(t, resp, body, http.StatusBadRequest, "invalid_grant", 50173)
				wantTokens(t)(h.refreshGrant(contosoClient, admin.RefreshToken, nil)) // the admin's own are not
				return
			case c.notFound:
				wantGraphError(t, resp, body, http.StatusNotFound, "Request_ResourceNotFound")
			default:
				e := wantGraphError(t, resp, body, http.StatusForbidden, "Authorization_RequestDenied")
				if !strings.Contains(e.Error.Message, c.refusal) {
					t.Errorf("403 message %q does not name %s", e.Error.Message, c.refusal)
				}
			}
			wantTokens(t)(h.refreshGrant(contosoClient, adele.RefreshToken, nil))
		})
	}
}

func TestClientInfoIsAnsweredWhenAskedFor(t *testing.T) {
	scope := msalScopes + " User.Read"
	grants := []struct {
		name  string
		grant func(h *harness, extra url.Values) (*http.Response, []byte)
	}{
		{"device code", func(h *harness, extra url.Values) (*http.Response, []byte) {
			return h.deviceGrant(contosoClient, adeleUPN, adelePassword, scope, extra)
		}},
		{"auth code", func(h *harness, extra url.Values) (*http.Response, []byte) {
			return h.authCodeGrant(contosoClient, scope, extra)
		}},
		{"refresh token", func(h *harness, extra url.Values) (*http.Response, []byte) {
			first := wantTokens(h.t)(h.deviceGrant(contosoClient, adeleUPN, adelePassword, scope, nil))
			return h.refreshGrant(contosoClient, first.RefreshToken, extra)
		}},
	}
	for _, g := range grants {
		t.Run(g.name+" with client_info=1 answers Adele's uid and utid", func(t *testing.T) {
			h := newHarness(t)
			tok := wantTokens(t)(g.grant(h, url.Values{"client_info": {"1"}}))
			raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(tok.ClientInfo, "="))
			if err != nil {
				t.Fatalf("client_info %q is not base64url: %v", tok.ClientInfo, err)
			}
			var ci map[string]any
			if err := json.Unmarshal(raw, &ci); err != nil {
				t.Fatalf("client_info %s is not JSON: %v", raw, err)
			}
			if want := map[string]any{"uid": adeleOID, "utid": contosoID}; len(ci) != 2 || ci["uid"] != want["uid"] || ci["utid"] != want["utid"] {
				t.Fatalf("client_info = %s, want %v", raw, want)
			}
		})
		t.Run(g.name+" without client_info answers none", func(t *testing.T) {
			h := newHarness(t)
			resp, body := g.grant(h, nil)
			checkTokens(t, resp, body)
			if m := decodeJSON[map[string]any](t, body); m["client_info"] != nil {
				t.Fatalf("client_info %v sent unasked", m["client_info"])
			}
		})
	}
}

// verifyAsAClient verifies a token with the tenant's published JWKS the ordinary way: go-jose
// with the key the header's kid names.
func verifyAsAClient(h *harness, tenantID, token string) ([]byte, error) {
	h.t.Helper()
	resp, body := h.get("/" + tenantID + "/discovery/v2.0/keys")
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("keys: %d %s", resp.StatusCode, body)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		h.t.Fatalf("the published JWKS does not parse as go-jose's: %v", err)
	}
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, err
	}
	keys := set.Key(jws.Signatures[0].Header.KeyID)
	if len(keys) != 1 {
		h.t.Fatalf("kid %q is published %d times", jws.Signatures[0].Header.KeyID, len(keys))
	}
	return jws.Verify(keys[0].Key)
}

// oidcVerifier is go-oidc's verifier over the tenant's JWKS, on the virtual clock.
func oidcVerifier(h *harness, issuer string, cfg oidc.Config) *oidc.IDTokenVerifier {
	ctx := oidc.ClientContext(context.Background(), h.client)
	cfg.Now = h.clock.Now
	return oidc.NewVerifier(issuer, oidc.NewRemoteKeySet(ctx, h.url("/"+contosoID+"/discovery/v2.0/keys")), &cfg)
}

func TestGraphAccessTokensAreV1AndFailAClientsVerificationButGraphTakesThem(t *testing.T) {
	h := newHarness(t)
	tok := wantTokens(t)(h.deviceGrant(contosoClient, adeleUPN, adelePassword, msalScopes+" User.Read", nil))
	header, claims := jwtPart(t, tok.AccessToken, 0), jwtPart(t, tok.AccessToken, 1)

	t.Run("its header has a nonce", func(t *testing.T) {
		if n, _ := header["nonce"].(string); n == "" || header["alg"] != "RS256" || header["kid"] == nil {
			t.Fatalf("header %v", header)
		}
	})
	t.Run("it is a v1.0 token of Entra's STS for Graph", func(t *testing.T) {
		if claims["iss"] != "https://sts.windows.net/"+contosoID+"/" || claims["ver"] != "1.0" {
			t.Fatalf("iss %v ver %v", claims["iss"], claims["ver"])
		}
		if aud := claims["aud"]; aud != graphResourceURI && aud != graphAppID {
			t.Fatalf("aud %v is not Graph", aud)
		}
	})
	t.Run("its wids has the default user role", func(t *testing.T) {
		wids, _ := claims["wids"].([]any)
		if !slices.Contains(wids, any(roleDefaultUser)) {
			t.Fatalf("wids %v lacks %s", wids, roleDefaultUser)
		}
	})
	t.Run("go-jose with the published key fails on the signature", func(t *testing.T) {
		_, err := verifyAsAClient(h, contosoID, tok.AccessToken)
		if !errors.Is(err, jose.ErrCryptoFailure) {
			t.Fatalf("verifying = %v, want go-jose's signature failure", err)
		}
	})
	t.Run("go-oidc's verifier fails on the signature", func(t *testing.T) {
		v := oidcVerifier(h, graphTokenIssuer(contosoID), oidc.Config{SkipClientIDCheck: true})
		_, err := v.Verify(context.Background(), tok.AccessToken)
		if err == nil || !strings.Contains(err.Error(), "failed to verify signature") {
			t.Fatalf("go-oidc = %v, want a signature failure", err)
		}
	})
	t.Run("Graph's /me takes it", func(t *testing.T) {
		if resp, body := h.bearer("/v1.0/me", tok.AccessToken); resp.StatusCode != http.StatusOK {
			t.Fatalf("/v1.0/me: %d %s", resp.StatusCode, body)
		}
	})
	t.Run("the ID token verifies with go-jose and the published key", func(t *testing.T) {
		payload, err := verifyAsAClient(h, contosoID, tok.IDToken)
		if err != nil {
			t.Fatalf("ID token does not verify: %v", err)
		}
		c := decodeJSON[map[string]any](t, payload)
		if c["ver"] != "2.0" || c["iss"] != h.url("/"+contosoID+"/v2.0") || c["aud"] != contosoClient {
			t.Fatalf("ID token claims %v", c)
		}
	})
	t.Run("the ID token verifies with go-oidc", func(t *testing.T) {
		v := oidcVerifier(h, h.url("/"+contosoID+"/v2.0"), oidc.Config{ClientID: contosoClient})
		id, err := v.Verify(context.Background(), tok.IDToken)
		if err != nil {
			t.Fatalf("go-oidc: %v", err)
		}
		var c struct {
			Oid string `json:"oid"`
			Tid string `json:"tid"`
		}
		if err := id.Claims(&c); err != nil || c.Oid != adeleOID || c.Tid != contosoID {
			t.Fatalf("claims %+v, %v", c, err)
		}
	})
}

func TestInstanceDiscoveryNamesTheTenantsMetadataAndThisHost(t *testing.T) {
	h := newHarness(t)
	host := strings.TrimPrefix(h.http.URL, "http://")
	for _, seg := range []string{contosoID, "contoso.onmicrosoft.com", "common", "organizations"} {
		t.Run("for "+seg, func(t *testing.T) {
			q := url.Values{"api-version": {"1.1"}, "authorization_endpoint": {h.url("/" + seg + "/oauth2/v2.0/authorize")}}
			resp, body := h.get("/common/discovery/instance?" + q.Encode())
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("instance discovery: %d %s", resp.StatusCode, body)
			}
			var d struct {
				TenantDiscoveryEndpoint string `json:"tenant_discovery_endpoint"`
				APIVersion              string `json:"api-version"`
				Metadata                []struct {
					PreferredNetwork string   `json:"preferred_network"`
					PreferredCache   string   `json:"preferred_cache"`
					Aliases          []string `json:"aliases"`
				} `json:"metadata"`
			}
			if err := json.Unmarshal(body, &d); err != nil {
				t.Fatal(err)
			}
			if d.TenantDiscoveryEndpoint != h.url("/"+seg+"/v2.0/.well-known/openid-configuration") || d.APIVersion != "1.1" {
				t.Fatalf("answer %s", body)
			}
			if len(d.Metadata) != 1 || d.Metadata[0].PreferredNetwork != host || d.Metadata[0].PreferredCache != host ||
				!slices.Contains(d.Metadata[0].Aliases, host) {
				t.Fatalf("metadata %+v, want this host %s", d.Metadata, host)
			}
			if resp, body := h.get(strings.TrimPrefix(d.TenantDiscoveryEndpoint, h.http.URL)); resp.StatusCode != http.StatusOK {
				t.Fatalf("the tenant discovery endpoint it names: %d %s", resp.StatusCode, body)
			}
		})
	}
	t.Run("another host is invalid_instance", func(t *testing.T) {
		q := url.Values{"api-version": {"1.1"}, "authorization_endpoint": {"https://login.microsoftonline.com/" + contosoID + "/oauth2/v2.0/authorize"}}
		resp, body := h.get("/common/discovery/instance?" + q.Encode())
		wantEntraError(t, resp, body, http.StatusBadRequest, "invalid_instance", 50049)
	})
}
