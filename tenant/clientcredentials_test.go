package tenant

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
)

const (
	toolsClient = "2f1a6b8e-6c1d-4f0e-9a57-3c2b1d4e5f60"
	toolsSecret = "Contoso-Tools-Secret-2026"
)

func (h *harness) appToken(scope string) (*http.Response, []byte) {
	h.t.Helper()
	return h.post("/"+contosoID+"/oauth2/v2.0/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {toolsClient}, "client_secret": {toolsSecret}, "scope": {scope}})
}

func TestAConfidentialClientGetsAnAppTokenWithItsApplicationPermissions(t *testing.T) {
	h := newHarness(t)
	// MSAL sends the OIDC scopes with a confidential client's .default too.
	resp, body := h.appToken("https://graph.microsoft.com/.default openid offline_access profile")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("client credentials: %d %s", resp.StatusCode, body)
	}
	tok := decodeJSON[tokenResponse](t, body)
	if tok.RefreshToken != "" || tok.IDToken != "" || tok.Scope != "" || tok.ExpiresIn != 3600 {
		t.Fatalf("answer %+v: want an access token only, as Entra answers client credentials", tok)
	}
	c := h.graphToken(contosoID, tok.AccessToken)
	roles, _ := c["roles"].([]any)
	want := []any{"Device.Read.All", "DeviceManagementServiceConfig.Read.All", "Organization.Read.All"}
	if c["idtyp"] != "app" || !slices.Equal(roles, want) || c["scp"] != nil || c["upn"] != nil ||
		c["oid"] != servicePrincipalID(contosoID, toolsClient) || c["sub"] != c["oid"] || c["iss"] != graphTokenIssuer(contosoID) {
		t.Fatalf("app token claims %v", c)
	}
	cases := []struct {
		name, method, path string
		status             int
		code               string
	}{
		{"the restore flag, with DeviceManagementServiceConfig.Read.All", http.MethodGet, "/beta/deviceManagement/deviceEnrollmentConfigurations", 200, ""},
		{"devices, with Device.Read.All", http.MethodGet, "/v1.0/devices", 200, ""},
		{"the organization, with Organization.Read.All", http.MethodGet, "/v1.0/organization", 200, ""},
		{"changing the flag needs ReadWrite.All", http.MethodPatch, "/beta/deviceManagement/deviceEnrollmentConfigurations/" + contosoID + "_WindowsRestore", 403, "Authorization_RequestDenied"},
		{"/me is for a user's token", http.MethodGet, "/v1.0/me", 400, "BadRequest"},
		{"a user's backups have no application permission", http.MethodGet, "/v1.0/me/settings/windows", 400, "BadRequest"},
		{"an admin's delete of backups has no application permission", http.MethodDelete, "/beta/users/" + adeleOID + "@" + contosoID + "/settings/windows", 403, "Authorization_RequestDenied"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := h.send(c.method, c.path, `{"state":"enabled"}`, "Authorization", "Bearer "+tok.AccessToken, "Content-Type", "application/json")
			if c.code == "" {
				if resp.StatusCode != c.status {
					t.Fatalf("%d %s", resp.StatusCode, body)
				}
				return
			}
			wantGraphError(t, resp, body, c.status, c.code)
		})
	}
}

func TestClientCredentialsRefusals(t *testing.T) {
	h := newHarness(t)
	for _, c := range []struct {
		name, scope, err string
		code             int
	}{
		{"a scope that is not .default", "https://graph.microsoft.com/Device.Read.All", "invalid_scope", 1002012},
		{"a bare .default names no resource", ".default", "invalid_scope", 1002012},
		{"a .default with a permission beside it", "https://graph.microsoft.com/.default https://graph.microsoft.com/User.Read", "invalid_scope", 70011},
		{"the OIDC scopes alone", "openid profile offline_access", "invalid_scope", 1002012},
		{"an unknown resource", "api://other/.default", "invalid_resource", 500011},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, body := h.appToken(c.scope)
			wantEntraError(t, resp, body, http.StatusBadRequest, c.err, c.code)
		})
	}
	t.Run("a wrong secret", func(t *testing.T) {
		resp, body := h.post("/"+contosoID+"/oauth2/v2.0/token", url.Values{"grant_type": {"client_credentials"},
			"client_id": {toolsClient}, "client_secret": {"nope"}, "scope": {"https://graph.microsoft.com/.default"}})
		wantEntraError(t, resp, body, http.StatusUnauthorized, "invalid_client", 7000215)
	})
	t.Run("a public client has no credential", func(t *testing.T) {
		resp, body := h.post("/"+contosoID+"/oauth2/v2.0/token", url.Values{"grant_type": {"client_credentials"},
			"client_id": {contosoClient}, "scope": {"https://graph.microsoft.com/.default"}})
		wantEntraError(t, resp, body, http.StatusUnauthorized, "invalid_client", 7000218)
	})
}

func TestApplicationPermissionsAreForConfidentialClientsOnly(t *testing.T) {
	doc := "tenant: {id: 0ced6d3b-e5cd-43b2-8a37-71a59b7d6cb1, name: T, domains: [t.example]}\n" +
		"apps:\n  - name: app\n    clientId: 1ced6d3b-e5cd-43b2-8a37-71a59b7d6cb1\n    public: true\n" +
		"    applicationPermissions: {graph: [Device.Read.All]}\n"
	_, err := ParseTenant("t.yaml", []byte(doc), nil)
	if err == nil || err.Error() != "t.yaml:6: apps[0] is a public client: only a confidential client (with a secret) can have applicationPermissions" {
		t.Fatalf("err = %v", err)
	}
}
