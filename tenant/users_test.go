package tenant

import (
	"net/http"
	"strings"
	"testing"
)

// GET /users/{id | userPrincipalName}: one user of the caller's tenant, by object id or UPN, for
// a token with a permission that reads other users (user-get).

func TestAUserIsReadByObjectIDOrUPNInAnyCase(t *testing.T) {
	h := newHarness(t)
	tok := h.v1Token(adminOID, shape{scp: "User.ReadBasic.All"})
	for _, c := range []struct{ name, path string }{
		{"by object id", "/v1.0/users/" + adeleOID},
		{"by object id in upper case", "/v1.0/users/" + strings.ToUpper(adeleOID)},
		{"by UPN", "/v1.0/users/" + adeleUPN},
		{"by UPN in mixed case", "/v1.0/users/Adele.Vance@CONTOSO.com"},
		{"by a percent-encoded UPN", "/v1.0/users/adele.vance%40contoso.com"},
		{"on beta", "/beta/users/" + adeleUPN},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, body := h.graphCall(http.MethodGet, c.path, tok, "")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			u := decodeJSON[graphUser](t, body)
			version, _, _ := strings.Cut(strings.TrimPrefix(c.path, "/"), "/")
			if u.ID != adeleOID || u.UserPrincipalName != adeleUPN || u.DisplayName != "Adele Vance" ||
				u.Context != h.http.URL+"/"+version+"/$metadata#users/$entity" {
				t.Fatalf("answered %+v", u)
			}
		})
	}
}

func TestAUserReadAnswersAsMeDoes(t *testing.T) {
	h := newHarness(t)
	tok := h.v1Token(adeleOID, shape{scp: "User.Read.All"})
	_, me := h.graphCall(http.MethodGet, "/v1.0/me", tok, "")
	resp, byID := h.graphCall(http.MethodGet, "/v1.0/users/"+adeleOID, tok, "")
	if resp.StatusCode != http.StatusOK || string(byID) != string(me) {
		t.Fatalf("/users/{id} answered %d %s, /me %s", resp.StatusCode, byID, me)
	}
}

func TestAnUnknownUserIsGraphsResourceNotFound(t *testing.T) {
	h := newHarness(t)
	tok := h.v1Token(adminOID, shape{scp: "User.Read.All"})
	for _, id := range []string{"nobody@contoso.com", "00000000-0000-4000-8000-000000000000"} {
		t.Run(id, func(t *testing.T) {
			resp, body := h.graphCall(http.MethodGet, "/v1.0/users/"+id, tok, "")
			e := wantGraphError(t, resp, body, http.StatusNotFound, "Request_ResourceNotFound")
			if want := "Resource '" + id + "' does not exist or one of its queried reference-property objects are not present."; e.Error.Message != want {
				t.Fatalf("message %q, want %q", e.Error.Message, want)
			}
		})
	}
}

func TestAnotherTenantsUserIsNotFound(t *testing.T) {
	h := newHarness(t)
	tok := h.v1Token(adminOID, shape{scp: "Directory.Read.All"})
	for _, id := range []string{alexOID, alexUPN} {
		t.Run(id, func(t *testing.T) {
			resp, body := h.graphCall(http.MethodGet, "/v1.0/users/"+id, tok, "")
			wantGraphError(t, resp, body, http.StatusNotFound, "Request_ResourceNotFound")
		})
	}
}

func TestReadingAUserNeedsAPermissionThatReadsOtherUsers(t *testing.T) {
	h := newHarness(t)
	for _, c := range []struct {
		name, scp, path string
		status          int
	}{
		{"User.Read reads the signed-in user by object id", "User.Read", "/v1.0/users/" + meganOID, http.StatusOK},
		{"User.Read reads the signed-in user by UPN", "User.Read", "/v1.0/users/" + strings.ToUpper(meganUPN), http.StatusOK},
		{"User.Read does not read another user", "User.Read", "/v1.0/users/" + adeleUPN, http.StatusForbidden},
		{"nor tell whether one exists", "User.Read openid profile", "/v1.0/users/nobody@contoso.com", http.StatusForbidden},
		{"a token without any user permission reads no one", "UserWindowsSettings.Read", "/v1.0/users/" + meganOID, http.StatusForbidden},
		{"User.ReadBasic.All reads another user", "User.ReadBasic.All", "/v1.0/users/" + adeleUPN, http.StatusOK},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, body := h.graphCall(http.MethodGet, c.path, h.v1Token(meganOID, shape{scp: c.scp}), "")
			if c.status == http.StatusForbidden {
				e := wantGraphError(t, resp, body, http.StatusForbidden, "Authorization_RequestDenied")
				if !strings.Contains(e.Error.Message, "User.ReadBasic.All") {
					t.Fatalf("the 403 does not name what would do: %q", e.Error.Message)
				}
				return
			}
			if resp.StatusCode != c.status {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
		})
	}
}

func TestAnAppReadsUsersWithAnApplicationPermissionOnly(t *testing.T) {
	appToken := func(t *testing.T, h *harness) string {
		resp, body := h.appToken("https://graph.microsoft.com/.default")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("client credentials: %d %s", resp.StatusCode, body)
		}
		return decodeJSON[tokenResponse](t, body).AccessToken
	}
	t.Run("without User.Read.All it is refused", func(t *testing.T) {
		h := newHarness(t)
		resp, body := h.graphCall(http.MethodGet, "/v1.0/users/"+adeleOID, appToken(t, h), "")
		wantGraphError(t, resp, body, http.StatusForbidden, "Authorization_RequestDenied")
	})
	t.Run("with User.Read.All it reads", func(t *testing.T) {
		h := newHarness(t, func(c *Config) {
			for i := range c.Tenants[0].Apps {
				if a := &c.Tenants[0].Apps[i]; strings.EqualFold(a.ClientID, toolsClient) {
					a.ApplicationPermissions = map[string][]string{"graph": {"User.Read.All"}}
				}
			}
		})
		resp, body := h.graphCall(http.MethodGet, "/v1.0/users/"+adeleUPN, appToken(t, h), "")
		if resp.StatusCode != http.StatusOK || decodeJSON[graphUser](t, body).ID != adeleOID {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
}

func TestUserReadsDoNotShadowTheRoutesBelowAUser(t *testing.T) {
	h := newHarness(t)
	admin := h.tokenFor(adminUPN, adminPassword)
	resp, body := h.graphCall(http.MethodGet, usersSettings(adeleOID, contosoID), admin, "")
	if resp.StatusCode != http.StatusOK || !contains(body, `"value"`) {
		t.Fatalf("the admin's settings listing: %d %s", resp.StatusCode, body)
	}
	resp, body = h.graphCall(http.MethodDelete, "/v1.0/users/"+adeleOID, admin, "")
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Fatalf("DELETE of a user: %d %s", resp.StatusCode, body)
	}
}
