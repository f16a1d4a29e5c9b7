package tenant

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestDiscoveryServesEntraShapeForATenant(t *testing.T) {
	h := newHarness(t)
	resp, body := h.get("/" + contosoID + "/v2.0/.well-known/openid-configuration")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	raw := decodeJSON[map[string]any](t, body)
	if _, ok := raw["code_challenge_methods_supported"]; ok {
		t.Error("discovery has code_challenge_methods_supported; Entra omits it")
	}
	for _, field := range []string{"token_endpoint", "token_endpoint_auth_methods_supported", "jwks_uri",
		"response_modes_supported", "subject_types_supported", "id_token_signing_alg_values_supported",
		"response_types_supported", "scopes_supported", "issuer", "request_uri_parameter_supported",
		"userinfo_endpoint", "authorization_endpoint", "device_authorization_endpoint", "http_logout_supported",
		"frontchannel_logout_supported", "end_session_endpoint", "claims_supported", "kerberos_endpoint",
		"tenant_region_scope", "cloud_instance_name", "cloud_graph_host_name", "msgraph_host", "rbac_url"} {
		if _, ok := raw[field]; !ok {
			t.Errorf("discovery lacks %s", field)
		}
	}
	doc := decodeJSON[discoveryDoc](t, body)
	authority := h.url("/" + contosoID)
	want := map[string]string{
		"issuer":                        authority + "/v2.0",
		"authorization_endpoint":        authority + "/oauth2/v2.0/authorize",
		"token_endpoint":                authority + "/oauth2/v2.0/token",
		"device_authorization_endpoint": authority + "/oauth2/v2.0/devicecode",
		"end_session_endpoint":          authority + "/oauth2/v2.0/logout",
		"jwks_uri":                      authority + "/discovery/v2.0/keys",
	}
	got := map[string]string{
		"issuer": doc.Issuer, "authorization_endpoint": doc.AuthorizationEndpoint, "token_endpoint": doc.TokenEndpoint,
		"device_authorization_endpoint": doc.DeviceAuthorizationEndpoint, "end_session_endpoint": doc.EndSessionEndpoint,
		"jwks_uri": doc.JWKSURI,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if !slices.Equal(doc.IDTokenSigningAlgValuesSupported, []string{"RS256"}) {
		t.Errorf("id_token_signing_alg_values_supported = %v, want RS256 only", doc.IDTokenSigningAlgValuesSupported)
	}
	if !slices.Equal(doc.ResponseModesSupported, []string{"query", "fragment", "form_post"}) {
		t.Errorf("response_modes_supported = %v", doc.ResponseModesSupported)
	}
	if !slices.Equal(doc.SubjectTypesSupported, []string{"pairwise"}) || doc.RequestURIParameterSupported {
		t.Errorf("subject types %v, request_uri_parameter_supported %v", doc.SubjectTypesSupported, doc.RequestURIParameterSupported)
	}
	if want := []string{"client_secret_post", "private_key_jwt", "client_secret_basic"}; !slices.Equal(doc.TokenEndpointAuthMethodsSupported, want) {
		t.Errorf("token_endpoint_auth_methods_supported = %v, want Entra's %v", doc.TokenEndpointAuthMethodsSupported, want)
	}
	if want := []string{"code", "id_token", "code id_token", "id_token token"}; !slices.Equal(doc.ResponseTypesSupported, want) {
		t.Errorf("response_types_supported = %v, want Entra's %v", doc.ResponseTypesSupported, want)
	}
	if doc.CloudGraphHostName != "graph.windows.net" {
		t.Errorf("cloud_graph_host_name = %q, want Entra's graph.windows.net", doc.CloudGraphHostName)
	}
	if u, _ := url.Parse(h.http.URL); doc.MSGraphHost != u.Host {
		t.Errorf("msgraph_host = %q, want the simulator's host %q", doc.MSGraphHost, u.Host)
	}
	if doc.TenantRegionScope == nil || *doc.TenantRegionScope != "WW" || doc.CloudInstanceName != "microsoftonline.com" {
		t.Errorf("region %v, cloud %q", doc.TenantRegionScope, doc.CloudInstanceName)
	}
}

func TestDiscoveryUnderCommonAndOrganizationsUsesTheIssuerTemplate(t *testing.T) {
	h := newHarness(t)
	for _, seg := range []string{"common", "organizations"} {
		t.Run(seg, func(t *testing.T) {
			resp, body := h.get("/" + seg + "/v2.0/.well-known/openid-configuration")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			doc := decodeJSON[discoveryDoc](t, body)
			if doc.Issuer != h.url("/{tenantid}/v2.0") {
				t.Errorf("issuer = %q, want the literal {tenantid} template", doc.Issuer)
			}
			if doc.TokenEndpoint != h.url("/"+seg+"/oauth2/v2.0/token") || doc.JWKSURI != h.url("/"+seg+"/discovery/v2.0/keys") {
				t.Errorf("endpoints not under /%s: %q %q", seg, doc.TokenEndpoint, doc.JWKSURI)
			}
			if doc.TenantRegionScope != nil {
				t.Errorf("tenant_region_scope = %q, want null as Entra's common endpoint", *doc.TenantRegionScope)
			}
			_, keys := h.get("/" + seg + "/discovery/v2.0/keys")
			set := decodeJSON[jwks](t, keys)
			if n := len(set.Keys); n != 4 {
				t.Errorf("common keys has %d keys, want both tenants' four", n)
			}
			for _, k := range set.Keys {
				if k.Issuer != h.url("/{tenantid}/v2.0") {
					t.Errorf("key %s issuer = %q, want the literal {tenantid} template", k.Kid, k.Issuer)
				}
			}
		})
	}
}

func TestDiscoveryByDomainNameNamesTheTenantGUID(t *testing.T) {
	h := newHarness(t)
	_, body := h.get("/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration")
	doc := decodeJSON[discoveryDoc](t, body)
	if doc.Issuer != h.url("/"+contosoID+"/v2.0") || doc.TokenEndpoint != h.url("/"+contosoID+"/oauth2/v2.0/token") {
		t.Errorf("issuer %q, token endpoint %q: want the tenant GUID", doc.Issuer, doc.TokenEndpoint)
	}
}

func TestUnknownTenantGetsAADSTS90002(t *testing.T) {
	h := newHarness(t)
	const unknown = "00000000-1111-2222-3333-444444444444"
	cases := []struct {
		name string
		do   func() (*http.Response, []byte)
	}{
		{"discovery", func() (*http.Response, []byte) {
			return h.get("/" + unknown + "/v2.0/.well-known/openid-configuration")
		}},
		{"keys", func() (*http.Response, []byte) { return h.get("/" + unknown + "/discovery/v2.0/keys") }},
		{"token", func() (*http.Response, []byte) {
			return h.post("/"+unknown+"/oauth2/v2.0/token", url.Values{"client_id": {contosoClient}, "grant_type": {"refresh_token"}})
		}},
		{"devicecode", func() (*http.Response, []byte) {
			return h.post("/"+unknown+"/oauth2/v2.0/devicecode", url.Values{"client_id": {contosoClient}, "scope": {"openid"}})
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := c.do()
			wantEntraError(t, resp, body, http.StatusBadRequest, "invalid_tenant", 90002)
		})
	}
	t.Run("authorize page", func(t *testing.T) {
		resp, body := h.get("/" + unknown + "/oauth2/v2.0/authorize?" + authorizeQuery("http://127.0.0.1/", "", "").Encode())
		if resp.StatusCode != http.StatusBadRequest || !contains(body, "AADSTS90002") {
			t.Fatalf("status %d, body %s", resp.StatusCode, body)
		}
	})
}

func TestInstanceDiscoveryAnswersForThisHostOnly(t *testing.T) {
	h := newHarness(t)
	host := strings.TrimPrefix(h.http.URL, "http://")
	ask := func(authz string) (*http.Response, []byte) {
		return h.get("/common/discovery/instance?" + url.Values{"api-version": {"1.1"}, "authorization_endpoint": {authz}}.Encode())
	}
	for _, seg := range []string{contosoID, "contoso.com", "organizations"} {
		resp, body := ask(h.url("/" + seg + "/oauth2/v2.0/authorize"))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", seg, resp.StatusCode, body)
		}
		got := decodeJSON[instanceDiscovery](t, body)
		if got.TenantDiscoveryEndpoint != h.url("/"+seg+"/v2.0/.well-known/openid-configuration") || got.APIVersion != "1.1" ||
			len(got.Metadata) != 1 || got.Metadata[0].PreferredNetwork != host || !slices.Equal(got.Metadata[0].Aliases, []string{host}) {
			t.Fatalf("%s: %+v", seg, got)
		}
		// The endpoint it names serves the tenant's configuration.
		if resp, _ := h.get(strings.TrimPrefix(got.TenantDiscoveryEndpoint, h.http.URL)); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: the tenant discovery endpoint answers %d", seg, resp.StatusCode)
		}
	}
	for _, bad := range []string{
		"https://login.microsoftonline.com/" + contosoID + "/oauth2/v2.0/authorize",
		h.url("/00000000-0000-0000-0000-000000000000/oauth2/v2.0/authorize"),
		h.url("/" + contosoID + "/oauth2/v2.0/token"),
		"::not a url",
	} {
		resp, body := ask(bad)
		wantEntraError(t, resp, body, http.StatusBadRequest, "invalid_instance", 50049)
	}
	resp, body := h.get("/common/discovery/instance?api-version=1.1")
	wantEntraError(t, resp, body, http.StatusBadRequest, "invalid_request", 900144)
}
