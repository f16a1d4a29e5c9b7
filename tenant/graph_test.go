package tenant

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestGraphMeReturnsTheSignedInUser(t *testing.T) {
	h := newHarness(t)
	tok := h.signInWithDeviceCode(contosoID, contosoClient, adeleUPN, adelePassword)
	resp, body := h.bearer("/v1.0/me", tok.AccessToken)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	me := decodeJSON[graphUser](t, body)
	if me.ID != adeleOID || me.UserPrincipalName != adeleUPN || me.DisplayName != "Adele Vance" ||
		me.Context != h.url("/v1.0/$metadata#users/$entity") || *me.GivenName != "Adele" || *me.Surname != "Vance" {
		t.Fatalf("me = %+v", me)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || resp.Header.Get("request-id") == "" {
		t.Errorf("headers %v", resp.Header)
	}
}

func TestGraphOrganizationDescribesTheTokensTenant(t *testing.T) {
	h := newHarness(t)
	tok := h.signInWithDeviceCode(contosoID, contosoClient, adeleUPN, adelePassword)
	_, body := h.bearer("/v1.0/organization", tok.AccessToken)
	org := decodeJSON[graphCollection[graphOrganization]](t, body)
	if len(org.Value) != 1 {
		t.Fatalf("organization = %s", body)
	}
	o := org.Value[0]
	want := []verifiedDomain{
		{Capabilities: "Email, OfficeCommunicationsOnline", IsInitial: true, Name: "contoso.onmicrosoft.com", Type: "Managed"},
		{Capabilities: "Email, OfficeCommunicationsOnline", IsDefault: true, Name: "contoso.com", Type: "Managed"},
	}
	if o.ID != contosoID || o.DisplayName != "Contoso" || o.TenantType != "AAD" || len(o.VerifiedDomains) != 2 ||
		o.VerifiedDomains[0] != want[0] || o.VerifiedDomains[1] != want[1] {
		t.Fatalf("organization = %+v", o)
	}
	if org.Context != h.url("/v1.0/$metadata#organization") {
		t.Errorf("@odata.context = %q", org.Context)
	}
}

func TestGraphDevicesFilter(t *testing.T) {
	const deviceID = "f7773c63-33ce-49d7-bc1e-8d340efdb52c"
	cases := []struct {
		name   string
		filter string
		status int
		count  int
	}{
		{"a known device id", "deviceId eq '" + deviceID + "'", http.StatusOK, 1},
		{"an unknown device id", "deviceId eq '00000000-0000-0000-0000-000000000000'", http.StatusOK, 0},
		{"no filter lists every device", "", http.StatusOK, 1},
		{"another property is an invalid clause", "displayName eq 'x'", http.StatusBadRequest, 0},
		{"an unquoted value is an invalid clause", "deviceId eq " + deviceID, http.StatusBadRequest, 0},
		{"a second clause is an invalid clause", "deviceId eq 'a' or deviceId eq 'b'", http.StatusBadRequest, 0},
	}
	h := newHarness(t)
	tok := h.signInWithDeviceCode(contosoID, contosoClient, adeleUPN, adelePassword)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := "/v1.0/devices"
			if c.filter != "" {
				path += "?$filter=" + url.QueryEscape(c.filter)
			}
			resp, body := h.bearer(path, tok.AccessToken)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, body)
			}
			if c.status != http.StatusOK {
				e := decodeJSON[graphErrorBody](t, body)
				if e.Error.Code != "BadRequest" || !strings.HasPrefix(e.Error.Message, "Invalid filter clause") {
					t.Fatalf("error = %+v", e)
				}
				return
			}
			list := decodeJSON[graphCollection[graphDevice]](t, body)
			if len(list.Value) != c.count {
				t.Fatalf("%d devices, want %d: %s", len(list.Value), c.count, body)
			}
			if c.count == 1 {
				d := list.Value[0]
				if d.DeviceID != deviceID || d.TrustType != "AzureAd" || d.OperatingSystemVersion != "10.0.22631.4317" ||
					d.DisplayName != "CONTOSO-8F2K1Q" || !IsGUID(d.ID) || d.ID == deviceID {
					t.Fatalf("device = %+v", d)
				}
			}
		})
	}
}

func TestUserInfoAnswersWithTheAppsSubject(t *testing.T) {
	h := newHarness(t)
	tok := h.signInWithDeviceCode(contosoID, contosoClient, adeleUPN, adelePassword)
	_, body := h.bearer("/oidc/userinfo", tok.AccessToken)
	ui := decodeJSON[userInfo](t, body)
	id := h.verifyWithJWKS(contosoID, tok.IDToken)
	if ui.Sub != id["sub"] || ui.Email != adeleUPN || ui.Name != "Adele Vance" {
		t.Fatalf("userinfo = %+v, id token sub %v", ui, id["sub"])
	}
}

func TestGraphRefusesTokensItMustNotTrust(t *testing.T) {
	h := newHarness(t)
	real := h.signInWithDeviceCode(contosoID, contosoClient, adeleUPN, adelePassword)
	fabrikam := h.signInWithDeviceCode(fabrikamID, fabrikamApp, alexUPN, alexPassword)
	contosoKey := h.signer(contosoID)
	fabrikamKey := h.signer(fabrikamID)
	now := h.clock.Now().Unix()
	withClaims := func(change func(map[string]any)) string {
		c := h.graphClaims()
		change(c)
		return forgeGraphRS256(t, contosoKey.priv, contosoKey.kid, c)
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(&contosoKey.priv.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	hs256 := func(key []byte) string {
		signing := b64json(map[string]any{"alg": "HS256", "kid": contosoKey.kid, "typ": "JWT"}) + "." + b64json(h.graphClaims())
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(signing))
		return signing + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	}
	tamper := func(tok string) string {
		parts := strings.Split(tok, ".")
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var c map[string]any
		_ = json.Unmarshal(payload, &c)
		c["oid"] = "f283827e-4138-4cc2-bcac-107ab083d078" // Megan
		parts[1] = b64json(c)
		return strings.Join(parts, ".")
	}

	cases := []struct {
		name   string
		header string // the whole Authorization header; "" sends none
		want   string
	}{
		{"a missing token", "", "Access token is empty."},
		{"another scheme", "Basic " + base64.StdEncoding.EncodeToString([]byte("a:b")), "Access token is empty"},
		{"garbage", "Bearer not.a.jwt", "not a well-formed RS256"},
		{"alg none", "Bearer " + b64json(map[string]any{"alg": "none", "typ": "JWT"}) + "." + b64json(h.graphClaims()) + ".", "not a well-formed RS256"},
		{"HS256 keyed with the public key's PEM", "Bearer " + hs256(pubPEM), "not a well-formed RS256"},
		{"HS256 keyed with the public key's DER", "Bearer " + hs256(pubDER), "not a well-formed RS256"},
		{"no kid", "Bearer " + forgeGraphRS256(t, contosoKey.priv, "", h.graphClaims()), "names no signing key"},
		{"an unknown kid", "Bearer " + forgeGraphRS256(t, contosoKey.priv, "unknown-kid", h.graphClaims()), "signing key not found"},
		{"another tenant's key claiming this tenant", "Bearer " + forgeGraphRS256(t, fabrikamKey.priv, fabrikamKey.kid, h.graphClaims()), "signing key not found"},
		{"this tenant's kid over another key's signature", "Bearer " + forgeGraphRS256(t, fabrikamKey.priv, contosoKey.kid, h.graphClaims()), "invalid signature"},
		{"a token signed over the nonce as sent, as an ordinary JWT library signs", "Bearer " + forgeRS256(t, contosoKey.priv,
			map[string]any{"typ": "JWT", "nonce": "n", "alg": "RS256", "x5t": contosoKey.kid, "kid": contosoKey.kid}, h.graphClaims()), "invalid signature"},
		{"a token with no nonce in its header", "Bearer " + forgeRS256(t, contosoKey.priv, map[string]any{"alg": "RS256", "kid": contosoKey.kid, "typ": "JWT"}, h.graphClaims()), "not a Microsoft Graph access token"},
		{"a tampered payload", "Bearer " + tamper(real.AccessToken), "invalid signature"},
		{"an expired token, exp equal to now", "Bearer " + withClaims(func(c map[string]any) { c["exp"] = now }), "token is expired"},
		{"a token without exp", "Bearer " + withClaims(func(c map[string]any) { delete(c, "exp") }), "no expiry"},
		{"a token not valid yet", "Bearer " + withClaims(func(c map[string]any) { c["nbf"] = now + 1 }), "not yet valid"},
		{"the wrong audience", "Bearer " + withClaims(func(c map[string]any) { c["aud"] = contosoClient }), "Invalid audience."},
		{"two audiences", "Bearer " + withClaims(func(c map[string]any) { c["aud"] = []string{graphAppID, contosoClient} }), "Invalid audience."},
		{"the ID token instead of the access token", "Bearer " + real.IDToken, "not a Microsoft Graph access token"},
		{"the tenant's v2.0 issuer", "Bearer " + withClaims(func(c map[string]any) { c["iss"] = h.url("/" + contosoID + "/v2.0") }), "Invalid issuer."},
		{"the real Entra v2.0 issuer", "Bearer " + withClaims(func(c map[string]any) { c["iss"] = "https://login.microsoftonline.com/" + contosoID + "/v2.0" }), "Invalid issuer."},
		{"another tenant's issuer", "Bearer " + withClaims(func(c map[string]any) { c["iss"] = graphTokenIssuer(fabrikamID) }), "Invalid issuer."},
		{"a v2.0 token", "Bearer " + withClaims(func(c map[string]any) { c["ver"] = "2.0" }), "not a v1.0 token"},
		{"a tenant not served here", "Bearer " + withClaims(func(c map[string]any) { c["tid"] = "00000000-0000-0000-0000-000000000000" }), "not served here"},
		{"no delegated scopes", "Bearer " + withClaims(func(c map[string]any) { delete(c, "scp") }), "no delegated permissions"},
		{"a user not in the tenant", "Bearer " + withClaims(func(c map[string]any) { c["oid"] = alexOID }), "does not exist in the tenant"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var resp *http.Response
			var body []byte
			if c.header == "" {
				resp, body = h.get("/v1.0/me")
			} else {
				resp, body = h.get("/v1.0/me", "Authorization", c.header)
			}
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401: %s", resp.StatusCode, body)
			}
			e := decodeJSON[graphErrorBody](t, body)
			if e.Error.Code != "InvalidAuthenticationToken" || !strings.Contains(e.Error.Message, c.want) {
				t.Fatalf("error = %+v, want a message with %q", e.Error, c.want)
			}
			if !IsGUID(e.Error.InnerError.RequestID) || e.Error.InnerError.Date == "" {
				t.Errorf("innerError = %+v", e.Error.InnerError)
			}
			if wa := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(wa, "Bearer ") || !strings.Contains(wa, graphAppID) {
				t.Errorf("WWW-Authenticate = %q", wa)
			}
		})
	}

	t.Run("a token one second before exp is accepted", func(t *testing.T) {
		tok := withClaims(func(c map[string]any) { c["exp"] = now + 1 })
		if resp, body := h.bearer("/v1.0/me", tok); resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
	})
	t.Run("a token from another served tenant speaks for that tenant only", func(t *testing.T) {
		_, body := h.bearer("/v1.0/organization", fabrikam.AccessToken)
		if org := decodeJSON[graphCollection[graphOrganization]](t, body); len(org.Value) != 1 || org.Value[0].ID != fabrikamID {
			t.Fatalf("organization for a Fabrikam token = %s", body)
		}
	})
}

func TestGraphOfAnotherTenantRefusesTheToken(t *testing.T) {
	fabrikamSide := newHarness(t)
	tok := fabrikamSide.signInWithDeviceCode(fabrikamID, fabrikamApp, alexUPN, alexPassword)
	contosoOnly := newHarness(t, func(c *Config) { c.Tenants = c.Tenants[:1] })
	contosoOnly.srv.SetBaseURL(fabrikamSide.http.URL) // same issuer host: only the tenant differs
	resp, body := contosoOnly.getAddressedTo(fabrikamSide.http.URL, "/v1.0/me", "Authorization", "Bearer "+tok.AccessToken)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("Contoso's Graph accepted a Fabrikam token: %d %s", resp.StatusCode, body)
	}
}

func TestGraphAnswersOtherMethodsAndPathsWithGraphErrors(t *testing.T) {
	h := newHarness(t)
	tok := h.signInWithDeviceCode(contosoID, contosoClient, adeleUPN, adelePassword)
	resp, body := h.post("/v1.0/me", url.Values{})
	if resp.StatusCode != http.StatusMethodNotAllowed || decodeJSON[graphErrorBody](t, body).Error.Code == "" {
		t.Fatalf("POST /v1.0/me: %d %s", resp.StatusCode, body)
	}
	resp, body = h.bearer("/v1.0/nothing", tok.AccessToken)
	if resp.StatusCode != http.StatusBadRequest || decodeJSON[graphErrorBody](t, body).Error.Code != "BadRequest" {
		t.Fatalf("GET /v1.0/nothing: %d %s", resp.StatusCode, body)
	}
}
