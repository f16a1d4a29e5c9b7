package tenant

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestARefreshTokenStaysUsableAndEachRefreshReturnsANewOne(t *testing.T) {
	h := newHarness(t)
	first := h.signInWithDeviceCode(contosoID, contosoClient, adeleUPN, adelePassword)
	refresh := func(rt string) (*http.Response, []byte) {
		return h.post("/"+contosoID+"/oauth2/v2.0/token", url.Values{
			"grant_type": {"refresh_token"}, "client_id": {contosoClient}, "refresh_token": {rt}})
	}
	seen := map[string]bool{first.RefreshToken: true}
	// Entra does not revoke a refresh token when it is used (domain.md §7.5): processes that
	// share a token cache may redeem the same one.
	for i := range 3 {
		resp, body := refresh(first.RefreshToken)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("refresh %d with the first refresh token: %d %s", i+1, resp.StatusCode, body)
		}
		next := decodeJSON[tokenResponse](t, body)
		if next.RefreshToken == "" || seen[next.RefreshToken] || next.IDToken == "" {
			t.Fatalf("refresh %d did not return a new refresh token and an ID token: %+v", i+1, next)
		}
		seen[next.RefreshToken] = true
		if claims := h.verifyWithJWKS(contosoID, next.IDToken); claims["oid"] != adeleOID || claims["nonce"] != nil {
			t.Fatalf("refreshed ID token claims %v", claims)
		}
		if resp, body := refresh(next.RefreshToken); resp.StatusCode != http.StatusOK {
			t.Fatalf("the new refresh token was refused: %d %s", resp.StatusCode, body)
		}
	}
}

func TestRefreshTokenIsBoundToItsClientAndTenant(t *testing.T) {
	h := newHarness(t)
	tok := h.signInWithDeviceCode(contosoID, contosoClient, adeleUPN, adelePassword)
	resp, body := h.post("/"+fabrikamID+"/oauth2/v2.0/token", url.Values{
		"grant_type": {"refresh_token"}, "client_id": {fabrikamApp}, "refresh_token": {tok.RefreshToken}})
	wantEntraError(t, resp, body, http.StatusBadRequest, "invalid_grant", 70000)
}

func TestPublicClientThatSendsASecretIsRefused(t *testing.T) {
	cases := []struct {
		name  string
		build func(*http.Request, url.Values)
	}{
		{"a client_secret in the body", func(_ *http.Request, f url.Values) { f.Set("client_secret", "s3cret") }},
		{"an empty client_secret in the body", func(_ *http.Request, f url.Values) { f.Set("client_secret", "") }},
		{"a client assertion", func(_ *http.Request, f url.Values) {
			f.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
			f.Set("client_assertion", "x.y.z")
		}},
		{"HTTP Basic credentials", func(r *http.Request, _ url.Values) { r.SetBasicAuth(contosoClient, "s3cret") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			form := url.Values{"grant_type": {deviceCodeGrantType}, "client_id": {contosoClient}, "device_code": {"x"}}
			req, _ := http.NewRequest(http.MethodPost, h.url("/"+contosoID+"/oauth2/v2.0/token"), nil)
			c.build(req, form)
			setBody(req, form.Encode())
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, body := h.do(req)
			wantEntraError(t, resp, body, http.StatusUnauthorized, "invalid_client", 700025)
		})
	}
}

func TestConfidentialClientNeedsItsSecret(t *testing.T) {
	const webClient = "d7a9d5b5-4a5e-4c39-8f0e-7f3bdb5a1c01"
	withWebApp := func(c *Config) {
		c.Tenants[0].Apps = append(c.Tenants[0].Apps, App{Name: "web", ClientID: webClient, Secret: "correct-secret",
			RedirectURIs: []string{"https://app.contoso.com/signin"}})
	}
	cases := []struct {
		name   string
		secret string
		basic  bool
		status int
		code   int
	}{
		{"no secret is refused", "", false, http.StatusUnauthorized, 7000218},
		{"a wrong secret is refused", "wrong", false, http.StatusUnauthorized, 7000215},
		{"the right secret in the body passes", "correct-secret", false, http.StatusOK, 0},
		{"the right secret with HTTP Basic passes", "correct-secret", true, http.StatusOK, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, withWebApp)
			form := url.Values{"client_id": {webClient}, "scope": {"User.Read"}}
			req, _ := http.NewRequest(http.MethodPost, h.url("/"+contosoID+"/oauth2/v2.0/devicecode"), nil)
			if c.basic {
				req.SetBasicAuth(webClient, c.secret)
			} else if c.secret != "" {
				form.Set("client_secret", c.secret)
			}
			setBody(req, form.Encode())
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, body := h.do(req)
			if c.code == 0 {
				if resp.StatusCode != c.status {
					t.Fatalf("status %d: %s", resp.StatusCode, body)
				}
				return
			}
			wantEntraError(t, resp, body, c.status, "invalid_client", c.code)
		})
	}
}

func TestTokenEndpointAnswersBadRequestsWithEntraErrors(t *testing.T) {
	valid := func() url.Values {
		return url.Values{"grant_type": {deviceCodeGrantType}, "client_id": {contosoClient}, "device_code": {"x"}}
	}
	cases := []struct {
		name   string
		method string
		body   string
		ctype  string
		status int
		err    string
		code   int
	}{
		{"a GET", http.MethodGet, "", "", 400, "invalid_request", 900561},
		{"no grant_type", "", "client_id=" + contosoClient, "", 400, "invalid_request", 900144},
		{"no client_id", "", "grant_type=refresh_token", "", 400, "invalid_request", 900144},
		{"an unsupported grant", "", "grant_type=password&client_id=" + contosoClient, "", 400, "unsupported_grant_type", 70003},
		{"an unknown client", "", "grant_type=refresh_token&client_id=11111111-2222-3333-4444-555555555555", "", 400, "unauthorized_client", 700016},
		{"a client id that is not a GUID", "", "grant_type=refresh_token&client_id=oobe", "", 400, "unauthorized_client", 700038},
		{"another tenant's client", "", "grant_type=refresh_token&client_id=" + fabrikamApp, "", 400, "unauthorized_client", 700016},
		{"a repeated parameter", "", valid().Encode() + "&grant_type=refresh_token", "", 400, "invalid_request", 9002313},
		{"a malformed body", "", "grant_type=%zz", "", 400, "invalid_request", 9002313},
		{"a body over 64 KiB", "", valid().Encode() + "&pad=" + strings.Repeat("a", 70<<10), "", 400, "invalid_request", 9002313},
		{"a JSON body, which Entra does not read", "", `{"grant_type":"refresh_token"}`, "application/json", 400, "invalid_request", 900144},
		{"a refresh grant without a refresh token", "", "grant_type=refresh_token&client_id=" + contosoClient, "", 400, "invalid_request", 900144},
		{"a device grant without a device code", "", "grant_type=" + url.QueryEscape(deviceCodeGrantType) + "&client_id=" + contosoClient, "", 400, "invalid_request", 900144},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			method := c.method
			if method == "" {
				method = http.MethodPost
			}
			req, _ := http.NewRequest(method, h.url("/"+contosoID+"/oauth2/v2.0/token"), strings.NewReader(c.body))
			ctype := c.ctype
			if ctype == "" {
				ctype = "application/x-www-form-urlencoded"
			}
			req.Header.Set("Content-Type", ctype)
			resp, body := h.do(req)
			wantEntraError(t, resp, body, c.status, c.err, c.code)
			if resp.Header.Get("x-ms-request-id") == "" {
				t.Error("no x-ms-request-id header")
			}
		})
	}
}

func TestCorrelationIDFollowsTheClientRequestID(t *testing.T) {
	h := newHarness(t)
	const corr = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
	req, _ := http.NewRequest(http.MethodPost, h.url("/"+contosoID+"/oauth2/v2.0/token"), strings.NewReader("client_id="+contosoClient))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("client-request-id", corr)
	resp, body := h.do(req)
	e := wantEntraError(t, resp, body, http.StatusBadRequest, "invalid_request", 900144)
	if e.CorrelationID != corr || resp.Header.Get("client-request-id") != corr {
		t.Fatalf("correlation id %q, header %q, want %q", e.CorrelationID, resp.Header.Get("client-request-id"), corr)
	}
}

func TestCommonAuthorityFindsTheTenantFromTheApp(t *testing.T) {
	h := newHarness(t)
	for _, seg := range []string{"common", "organizations"} {
		t.Run(seg, func(t *testing.T) {
			tok := h.signInWithDeviceCode(seg, fabrikamApp, alexUPN, alexPassword)
			claims := h.verifyWithJWKS(fabrikamID, tok.IDToken)
			if claims["iss"] != h.url("/"+fabrikamID+"/v2.0") || claims["tid"] != fabrikamID {
				t.Fatalf("claims %v", claims)
			}
		})
	}
}

func TestScopeParsing(t *testing.T) {
	cases := []struct {
		name, scope string
		granted     string
		code        int
	}{
		{"bare Graph permissions", "User.Read UserWindowsSettings.Read", "User.Read UserWindowsSettings.Read", 0},
		{"Graph permissions with the resource prefix are echoed so", "https://graph.microsoft.com/User.Read offline_access", "https://graph.microsoft.com/User.Read", 0},
		{".default is echoed with the app's consented permissions", "https://graph.microsoft.com/.default openid",
			"https://graph.microsoft.com/Device.Read.All https://graph.microsoft.com/DeviceManagementServiceConfig.Read.All " +
				"https://graph.microsoft.com/DeviceManagementServiceConfig.ReadWrite.All https://graph.microsoft.com/Directory.AccessAsUser.All " +
				"https://graph.microsoft.com/User.Read https://graph.microsoft.com/User.ReadBasic.All " +
				"https://graph.microsoft.com/User.RevokeSessions.All https://graph.microsoft.com/UserWindowsSettings.Read " +
				"https://graph.microsoft.com/UserWindowsSettings.Read.All https://graph.microsoft.com/UserWindowsSettings.ReadWrite.All " +
				"https://graph.microsoft.com/.default openid", 0},
		{"a permission the app has not been consented is AADSTS65001", "Mail.Read", "", 65001},
		{"OIDC scopes alone still give a Graph token", "openid profile email", "User.Read openid profile email", 0},
		{"duplicates collapse, in the permission's own spelling", "User.Read user.read", "User.Read", 0},
		{"another resource is unknown", "api://other/Read", "", 500011},
		{".default with other permissions is refused", ".default User.Read", "", 70011},
		{"a malformed permission is refused", "User.Read <script>", "", 70011},
		{"an empty scope is missing", "  ", "", 900144},
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
			if e != nil || sc.String() != c.granted {
				t.Fatalf("parseScope(%q) = %q, %+v; want %q", c.scope, sc.String(), e, c.granted)
			}
		})
	}
}
