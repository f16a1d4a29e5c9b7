package tenant

import (
	"crypto/rand"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Every Graph route refuses a token that lacks the route's permission (scp) or directory role
// (wids) with Graph's 403 Authorization_RequestDenied, and serves one with the least privileged
// permission (and role) Microsoft's permission tables name (permissions.go, docs/permissions.md).

// shape is what a token carries: its scp and the directory roles in its wids (beside the
// default user role every member has).
type shape struct {
	scp   string
	roles []string
}

func (s shape) String() string {
	out := "scp " + s.scp
	for _, r := range s.roles {
		for name, id := range directoryRoles {
			if id == r {
				out += " and " + name
			}
		}
	}
	return out
}

// v1Token builds a Contoso user's Graph token of the given shape the way signAccessToken does
// (a v1.0 token of Entra's STS, a nonce in the header) and signs it with the tenant's key.
func (h *harness) v1Token(oid string, s shape) string {
	h.t.Helper()
	ts := h.srv.tenantByID(contosoID)
	u := ts.oids[oid]
	if u == nil {
		h.t.Fatalf("no Contoso user %s", oid)
	}
	now := h.clock.Now()
	uti := rand.Text()
	c := graphTokenClaims{
		Aud: graphAppID, Iss: graphTokenIssuer(contosoID),
		Iat: now.Unix(), Nbf: now.Unix(), Exp: now.Add(time.Hour).Unix(),
		Acct: new(int), Acr: "1", Amr: []string{"pwd"}, AppDisplayName: "oobe", Appid: contosoClient, Appidacr: "0",
		Idtyp: "user", Name: u.DisplayName, Oid: oid, Scp: s.scp,
		Sub: pairwiseSub(contosoID, oid, graphAppID), TenantRegionScope: ts.cloud.regionScope, Tid: contosoID,
		UniqueName: u.UPN, Upn: u.UPN, Uti: uti, Ver: "1.0", Wids: append([]string{roleDefaultUser}, s.roles...),
	}
	tok, err := h.signer(contosoID).signGraph(c, rand.Text())
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

// graphRoute is one route of Graph's permission table, with tokens that may and may not use it.
type graphRoute struct {
	method, path, body string
	lacking            []shape // each refused with 403
	says               string  // the 403's message names this: what would do
	enough             []shape // each served
	status             int     // the answer to enough: not 403
}

// routeTable is every Graph route (and the simulator's role-checked endpoint), with the
// ids of one of Adele's settings and one of its instances.
func routeTable(settingID, instanceID string) []graphRoute {
	settings := func(v string) []graphRoute {
		base := "/" + v + "/me/settings/windows"
		var out []graphRoute
		for _, p := range []string{base, base + "/" + settingID, base + "/" + settingID + "/instances",
			base + "/" + settingID + "/instances/" + instanceID} {
			out = append(out, graphRoute{
				method: http.MethodGet, path: p,
				lacking: []shape{{scp: "User.Read openid profile"}, {scp: "Device.Read.All", roles: []string{roleGlobalAdministrator}}},
				says:    "UserWindowsSettings.Read",
				enough:  []shape{{scp: "UserWindowsSettings.Read"}, {scp: "UserWindowsSettings.Read.All"}, {scp: "UserWindowsSettings.ReadWrite.All"}},
				status:  http.StatusOK,
			})
		}
		return out
	}
	enrollment := "/beta/deviceManagement/deviceEnrollmentConfigurations"
	restoreConfig := enrollment + "/" + contosoID + restoreConfigurationSuffix
	deleteSettings := "/beta/users/" + meganOID + "@" + contosoID + "/settings/windows"
	table := []graphRoute{
		{method: http.MethodGet, path: "/v1.0/me",
			lacking: []shape{{scp: "Device.Read.All"}, {scp: "UserWindowsSettings.Read openid"}},
			says:    "User.Read",
			enough:  []shape{{scp: "User.Read"}, {scp: "User.ReadBasic.All"}, {scp: "Directory.Read.All"}},
			status:  http.StatusOK},
		{method: http.MethodGet, path: "/v1.0/users/" + meganOID,
			lacking: []shape{{scp: "User.Read openid profile"}, {scp: "Device.Read.All"}},
			says:    "User.ReadBasic.All",
			enough:  []shape{{scp: "User.ReadBasic.All"}, {scp: "User.Read.All"}, {scp: "Directory.Read.All"}},
			status:  http.StatusOK},
		{method: http.MethodGet, path: "/v1.0/organization",
			lacking: []shape{{scp: "Device.Read.All"}, {scp: "openid profile"}},
			says:    "Organization.Read.All",
			enough:  []shape{{scp: "User.Read"}, {scp: "Organization.Read.All"}},
			status:  http.StatusOK},
		{method: http.MethodGet, path: "/v1.0/devices",
			lacking: []shape{{scp: "User.Read openid profile"}, {scp: "User.Read", roles: []string{roleGlobalAdministrator}}},
			says:    "Device.Read.All",
			enough:  []shape{{scp: "Device.Read.All"}, {scp: "Directory.Read.All"}},
			status:  http.StatusOK},
		{method: http.MethodGet, path: "/oidc/userinfo",
			lacking: []shape{{scp: "User.Read"}, {scp: "profile email"}},
			says:    "openid",
			enough:  []shape{{scp: "openid"}},
			status:  http.StatusOK},
	}
	table = append(table, settings("v1.0")...)
	table = append(table, settings("beta")...)
	adminRead := []shape{
		{scp: "UserWindowsSettings.ReadWrite.All"},
		{scp: "UserWindowsSettings.Read.All", roles: []string{roleGlobalAdministrator}},
		{scp: "UserWindowsSettings.ReadWrite.All", roles: []string{roleGlobalAdministrator, roleIntuneAdministrator}},
		{scp: "UserWindowsSettings.Read", roles: []string{roleBackupAdministrator}},
	}
	adminEnough := []shape{
		{scp: "UserWindowsSettings.Read.All", roles: []string{roleBackupAdministrator}},
		{scp: "UserWindowsSettings.ReadWrite.All", roles: []string{roleBackupAdministrator}},
	}
	adeleSettings := "/beta/users/" + adeleOID + "@" + contosoID + "/settings/windows"
	for _, p := range []string{adeleSettings, adeleSettings + "/" + settingID} {
		table = append(table, graphRoute{method: http.MethodGet, path: p, lacking: adminRead, says: "", enough: adminEnough, status: http.StatusOK})
	}
	table = append(table,
		graphRoute{method: http.MethodDelete, path: deleteSettings,
			lacking: []shape{
				{scp: "UserWindowsSettings.ReadWrite.All"},
				{scp: "UserWindowsSettings.ReadWrite.All", roles: []string{roleGlobalAdministrator}},
				{scp: "UserWindowsSettings.ReadWrite.All", roles: []string{roleIntuneAdministrator}},
				{scp: "UserWindowsSettings.Read.All", roles: []string{roleBackupAdministrator}},
			},
			says:   "",
			enough: []shape{{scp: "UserWindowsSettings.ReadWrite.All", roles: []string{roleBackupAdministrator}}},
			status: http.StatusNoContent},
		graphRoute{method: http.MethodGet, path: enrollment,
			lacking: []shape{{scp: "User.Read", roles: []string{roleIntuneAdministrator}}},
			says:    "DeviceManagementServiceConfig.Read.All",
			enough:  []shape{{scp: "DeviceManagementServiceConfig.Read.All"}, {scp: "DeviceManagementServiceConfig.ReadWrite.All"}},
			status:  http.StatusOK},
		graphRoute{method: http.MethodGet, path: restoreConfig,
			lacking: []shape{{scp: "User.Read", roles: []string{roleGlobalAdministrator}}},
			says:    "DeviceManagementServiceConfig.Read.All",
			enough:  []shape{{scp: "DeviceManagementServiceConfig.Read.All"}},
			status:  http.StatusOK},
		graphRoute{method: http.MethodPatch, path: restoreConfig, body: `{"state":"enabled"}`,
			lacking: []shape{
				{scp: "DeviceManagementServiceConfig.ReadWrite.All"},
				{scp: "DeviceManagementServiceConfig.ReadWrite.All", roles: []string{roleBackupAdministrator}},
				{scp: "DeviceManagementServiceConfig.Read.All", roles: []string{roleIntuneAdministrator}},
			},
			says: "",
			enough: []shape{
				{scp: "DeviceManagementServiceConfig.ReadWrite.All", roles: []string{roleIntuneAdministrator}},
				{scp: "DeviceManagementServiceConfig.ReadWrite.All", roles: []string{roleGlobalAdministrator}},
			},
			status: http.StatusOK},
	)
	for _, v := range []string{"v1.0", "beta"} {
		table = append(table,
			graphRoute{method: http.MethodPost, path: "/" + v + "/me/revokeSignInSessions",
				lacking: []shape{{scp: "User.Read openid profile"}, {scp: "Directory.AccessAsUser.All"}},
				says:    "User.RevokeSessions.All",
				enough:  []shape{{scp: "User.RevokeSessions.All"}, {scp: "User.ReadWrite.All"}},
				status:  http.StatusOK},
			graphRoute{method: http.MethodPost, path: "/" + v + "/users/" + meganOID + "/revokeSignInSessions",
				lacking: []shape{
					{scp: "User.RevokeSessions.All"},
					{scp: "User.RevokeSessions.All", roles: []string{roleIntuneAdministrator, roleBackupAdministrator}},
					{scp: "User.Read", roles: []string{roleGlobalAdministrator}},
				},
				says:   "",
				enough: []shape{{scp: "User.RevokeSessions.All", roles: []string{roleGlobalAdministrator}}},
				status: http.StatusOK},
			graphRoute{method: http.MethodPost, path: "/" + v + "/me/changePassword",
				body:    `{"currentPassword":"not-the-password","newPassword":"Another-2026!"}`,
				lacking: []shape{{scp: "User.ReadWrite.All"}, {scp: "User.Read", roles: []string{roleGlobalAdministrator}}},
				says:    "Directory.AccessAsUser.All",
				enough:  []shape{{scp: "Directory.AccessAsUser.All"}},
				status:  http.StatusBadRequest}, // the wrong current password: past the permission check
		)
	}
	table = append(table, graphRoute{method: http.MethodGet, path: "/_oobe/tenants/" + contosoID + "/restore-results",
		lacking: []shape{{scp: "User.Read"}, {scp: "DeviceManagementServiceConfig.ReadWrite.All", roles: []string{roleBackupAdministrator}}},
		says:    "Intune Administrator",
		enough:  []shape{{scp: "User.Read", roles: []string{roleIntuneAdministrator}}, {scp: "User.Read", roles: []string{roleGlobalAdministrator}}},
		status:  http.StatusOK})
	return table
}

// adelesFirstSetting returns the id of one of Adele's Windows settings and of one of its instances.
func (h *harness) adelesFirstSetting() (string, string) {
	h.t.Helper()
	tok := h.v1Token(adeleOID, shape{scp: "UserWindowsSettings.Read"})
	list, _ := h.listAll("/v1.0/me/settings/windows", tok, 0)
	if len(list) == 0 {
		h.t.Fatal("Adele has no Windows settings")
	}
	inst := h.instances(list[0].ID, tok)
	if len(inst) == 0 {
		h.t.Fatalf("setting %s has no instances", list[0].ID)
	}
	return url.PathEscape(list[0].ID), url.PathEscape(inst[0].ID)
}

func TestEveryGraphRouteRefusesATokenWithoutItsPermission(t *testing.T) {
	h := newHarness(t)
	settingID, instanceID := h.adelesFirstSetting()
	for _, r := range routeTable(settingID, instanceID) {
		route := r.method + " " + r.path
		for _, s := range r.lacking {
			t.Run(route+" refuses a token with "+s.String(), func(t *testing.T) {
				resp, body := h.graphCall(r.method, r.path, h.v1Token(adeleOID, s), r.body)
				e := wantGraphError(t, resp, body, http.StatusForbidden, "Authorization_RequestDenied")
				if !strings.Contains(e.Error.Message, r.says) {
					t.Errorf("403 message %q does not name %s", e.Error.Message, r.says)
				}
			})
		}
		for _, s := range r.enough {
			t.Run(route+" serves a token with "+s.String(), func(t *testing.T) {
				resp, body := h.graphCall(r.method, r.path, h.v1Token(adeleOID, s), r.body)
				if resp.StatusCode != r.status {
					t.Fatalf("%d %s, want %d", resp.StatusCode, body, r.status)
				}
			})
		}
	}
}

func TestTheRoleRefusalsNameTheRoleThatWouldDo(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name, method, path, body string
		token                    shape
		role                     string
	}{
		{"deleting a user's settings names Microsoft 365 Backup Administrator", http.MethodDelete,
			"/beta/users/" + meganOID + "@" + contosoID + "/settings/windows", "",
			shape{scp: "UserWindowsSettings.ReadWrite.All", roles: []string{roleGlobalAdministrator}}, "Microsoft 365 Backup Administrator"},
		{"changing the restore page names Intune Administrator", http.MethodPatch,
			"/beta/deviceManagement/deviceEnrollmentConfigurations/" + contosoID + restoreConfigurationSuffix, `{"state":"disabled"}`,
			shape{scp: "DeviceManagementServiceConfig.ReadWrite.All"}, "Intune Administrator"},
		{"revoking another user's sessions names Global Administrator", http.MethodPost,
			"/v1.0/users/" + meganOID + "/revokeSignInSessions", "",
			shape{scp: "User.RevokeSessions.All", roles: []string{roleBackupAdministrator}}, "Global Administrator"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := h.graphCall(c.method, c.path, h.v1Token(adeleOID, c.token), c.body)
			e := wantGraphError(t, resp, body, http.StatusForbidden, "Authorization_RequestDenied")
			if !strings.Contains(e.Error.Message, c.role) {
				t.Errorf("403 message %q does not name %s", e.Error.Message, c.role)
			}
		})
	}
}

func TestRealSignInsReachOnlyTheRoutesTheirScopeAndRolesAllow(t *testing.T) {
	h := newHarness(t)
	signIn := func(upn, password, scope string) string {
		return wantTokens(t)(h.deviceGrant(contosoClient, upn, password, scope, nil)).AccessToken
	}
	adeleBasic := signIn(adeleUPN, adelePassword, msalScopes+" User.Read")
	adeleSettings := signIn(adeleUPN, adelePassword, "UserWindowsSettings.Read")
	adeleWrite := signIn(adeleUPN, adelePassword, "DeviceManagementServiceConfig.ReadWrite.All")
	adminWrite := signIn(adminUPN, adminPassword, "DeviceManagementServiceConfig.ReadWrite.All UserWindowsSettings.ReadWrite.All")
	restoreConfig := "/beta/deviceManagement/deviceEnrollmentConfigurations/" + contosoID + restoreConfigurationSuffix
	cases := []struct {
		name, method, path, body, token string
		status                          int
	}{
		{"User.Read reads /me", http.MethodGet, "/v1.0/me", "", adeleBasic, http.StatusOK},
		{"User.Read reads the organization", http.MethodGet, "/v1.0/organization", "", adeleBasic, http.StatusOK},
		{"openid reads userinfo", http.MethodGet, "/oidc/userinfo", "", adeleBasic, http.StatusOK},
		{"User.Read does not list devices", http.MethodGet, "/v1.0/devices", "", adeleBasic, http.StatusForbidden},
		{"User.Read does not list the user's backups", http.MethodGet, "/v1.0/me/settings/windows", "", adeleBasic, http.StatusForbidden},
		{"User.Read does not read the enrollment configurations", http.MethodGet, "/beta/deviceManagement/deviceEnrollmentConfigurations", "", adeleBasic, http.StatusForbidden},
		{"User.Read does not revoke sessions", http.MethodPost, "/v1.0/me/revokeSignInSessions", "", adeleBasic, http.StatusForbidden},
		{"UserWindowsSettings.Read lists the user's backups", http.MethodGet, "/beta/me/settings/windows", "", adeleSettings, http.StatusOK},
		{"UserWindowsSettings.Read alone does not read /me", http.MethodGet, "/v1.0/me", "", adeleSettings, http.StatusForbidden},
		{"UserWindowsSettings.Read alone does not read userinfo", http.MethodGet, "/oidc/userinfo", "", adeleSettings, http.StatusForbidden},
		{"ReadWrite.All without a role does not change the restore page", http.MethodPatch, restoreConfig, `{"state":"enabled"}`, adeleWrite, http.StatusForbidden},
		{"ReadWrite.All reads a configuration", http.MethodGet, restoreConfig, "", adeleWrite, http.StatusOK},
		{"the demo admin (Intune Administrator) changes the restore page", http.MethodPatch, restoreConfig, `{"state":"enabled"}`, adminWrite, http.StatusOK},
		{"the demo admin (Backup Administrator) deletes a user's settings", http.MethodDelete, "/beta/users/" + meganOID + "@" + contosoID + "/settings/windows", "", adminWrite, http.StatusNoContent},
		{"the demo admin (not a Global Administrator) does not revoke another user's sessions", http.MethodPost, "/v1.0/users/" + meganOID + "/revokeSignInSessions", "", adminWrite, http.StatusForbidden},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := h.graphCall(c.method, c.path, c.token, c.body)
			if c.status == http.StatusForbidden {
				wantGraphError(t, resp, body, http.StatusForbidden, "Authorization_RequestDenied")
				return
			}
			if resp.StatusCode != c.status {
				t.Fatalf("%d %s, want %d", resp.StatusCode, body, c.status)
			}
		})
	}
}
