package tenant

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/oobe-dev/oobe/backup"
)

// usersSettings is the admin's path to a user's Windows settings (beta).
func usersSettings(oid, tid string) string {
	return "/beta/users/" + oid + "@" + tid + "/settings/windows"
}

func settingIDs(list []backup.WindowsSetting) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		out = append(out, s.ID)
	}
	return out
}

func TestABackupAdministratorListsAndReadsAUsersSettingsAsTheUserSeesThem(t *testing.T) {
	h := newHarness(t)
	admin := h.tokenFor(adminUPN, adminPassword) // admin: true, so Microsoft 365 Backup Administrator
	adele := h.tokenFor(adeleUPN, adelePassword)
	own, _ := h.listAll("/v1.0/me/settings/windows", adele, 0)
	if len(own) != 7 {
		t.Fatalf("Adele lists %d settings of her own, want 7", len(own))
	}
	t.Run("the listing is the user's own, instances inline", func(t *testing.T) {
		got, pages := h.listAll(usersSettings(adeleOID, contosoID), admin, 0)
		if !slices.Equal(settingIDs(got), settingIDs(own)) || pages != 1 {
			t.Fatalf("admin lists %v in %d pages, Adele %v", settingIDs(got), pages, settingIDs(own))
		}
		for i := range got {
			if len(got[i].Instances) == 0 || len(got[i].Instances) != len(own[i].Instances) {
				t.Fatalf("%s: %d instances inline, Adele sees %d", got[i].ID, len(got[i].Instances), len(own[i].Instances))
			}
		}
	})
	t.Run("it pages as /me does", func(t *testing.T) {
		got, pages := h.listAll(usersSettings(adeleOID, contosoID), admin, 2)
		if !slices.Equal(settingIDs(got), settingIDs(own)) || pages != 4 {
			t.Fatalf("pages of 2: %v in %d pages", settingIDs(got), pages)
		}
	})
	t.Run("it filters as /me does", func(t *testing.T) {
		filter := "?$filter=" + url.QueryEscape("settingType eq 'backup'")
		got, _ := h.listAll(usersSettings(adeleOID, contosoID)+filter, admin, 0)
		want, _ := h.listAll("/v1.0/me/settings/windows"+filter, adele, 0)
		if len(want) == 0 || !slices.Equal(settingIDs(got), settingIDs(want)) {
			t.Fatalf("filtered: admin %v, Adele %v", settingIDs(got), settingIDs(want))
		}
		resp, body := h.graphCall(http.MethodGet, usersSettings(adeleOID, contosoID)+"?$filter="+url.QueryEscape("payloadType eq 'x'"), admin, "")
		wantGraphError(t, resp, body, http.StatusBadRequest, "BadRequest")
	})
	t.Run("a page's token does not list another user", func(t *testing.T) {
		resp, body := h.graphCall(http.MethodGet, usersSettings(adeleOID, contosoID), admin, "", "Prefer", "odata.maxpagesize=2")
		page := decodeJSON[settingsPage](t, body)
		if resp.StatusCode != http.StatusOK || page.NextLink == "" {
			t.Fatalf("first page: %d %s", resp.StatusCode, body)
		}
		_, query, _ := strings.Cut(page.NextLink, "?")
		resp, body = h.graphCall(http.MethodGet, usersSettings(meganOID, contosoID)+"?"+query, admin, "")
		wantGraphError(t, resp, body, http.StatusBadRequest, "BadRequest")
	})
	t.Run("one setting reads as /me/settings/windows/{id} does", func(t *testing.T) {
		id := url.PathEscape(own[0].ID)
		resp, body := h.graphCall(http.MethodGet, usersSettings(adeleOID, contosoID)+"/"+id, admin, "")
		got := decodeJSON[backup.WindowsSetting](t, body)
		if resp.StatusCode != http.StatusOK || got.ID != own[0].ID || got.PayloadType != own[0].PayloadType {
			t.Fatalf("%d %s, want %s", resp.StatusCode, body, own[0].ID)
		}
		resp, body = h.graphCall(http.MethodGet, usersSettings(meganOID, contosoID)+"/"+id, admin, "")
		wantGraphError(t, resp, body, http.StatusNotFound, "ResourceNotFound")
	})
	t.Run("Read.All with the role is enough to read, not to delete", func(t *testing.T) {
		tok := h.v1Token(adminOID, shape{scp: "UserWindowsSettings.Read.All", roles: []string{roleBackupAdministrator}})
		if got, _ := h.listAll(usersSettings(adeleOID, contosoID), tok, 0); len(got) != 7 {
			t.Fatalf("Read.All lists %d", len(got))
		}
		resp, body := h.graphCall(http.MethodDelete, usersSettings(adeleOID, contosoID), tok, "")
		wantGraphError(t, resp, body, http.StatusForbidden, "Authorization_RequestDenied")
	})
}

func TestOnlyABackupAdministratorOfTheUsersTenantReachesTheirSettings(t *testing.T) {
	// Alex is given the role too, so Fabrikam's refusal is the tenant check's, not the role's.
	h := newHarness(t, func(c *Config) {
		for _, tn := range c.Tenants {
			for i := range tn.Users {
				if tn.Users[i].UPN == alexUPN {
					tn.Users[i].Roles = []string{"Microsoft 365 Backup Administrator"}
				}
			}
		}
	})
	admin := h.tokenFor(adminUPN, adminPassword)
	alex := h.tokenFor(alexUPN, alexPassword)
	adele := h.tokenFor(adeleUPN, adelePassword)
	globalAdmin := h.v1Token(adminOID, shape{scp: "UserWindowsSettings.ReadWrite.All", roles: []string{roleGlobalAdministrator}})
	noPermission := h.v1Token(adminOID, shape{scp: "User.Read UserWindowsSettings.Read", roles: []string{roleBackupAdministrator}})
	settingID := ""
	if own, _ := h.listAll("/v1.0/me/settings/windows", adele, 0); len(own) == 7 {
		settingID = url.PathEscape(own[0].ID)
	} else {
		t.Fatalf("Adele has %d settings, want 7", len(own))
	}
	adeles := usersSettings(adeleOID, contosoID)
	cases := []struct {
		name, token, path, says string
		status                  int
		code                    string
	}{
		{"a Global Administrator alone", globalAdmin, adeles, "Microsoft 365 Backup Administrator", 403, "Authorization_RequestDenied"},
		{"a token without UserWindowsSettings.Read.All", noPermission, adeles, "UserWindowsSettings.Read.All", 403, "Authorization_RequestDenied"},
		{"the user themself", adele, adeles, "Microsoft 365 Backup Administrator", 403, "Authorization_RequestDenied"},
		{"another tenant's Backup Administrator naming Contoso", alex, adeles, "tenant id", 403, "Authorization_RequestDenied"},
		{"another tenant's Backup Administrator naming their own tenant", alex, usersSettings(adeleOID, fabrikamID), "does not exist", 404, "Request_ResourceNotFound"},
		{"an admin naming another tenant", admin, usersSettings(alexOID, fabrikamID), "tenant id", 403, "Authorization_RequestDenied"},
		{"an admin naming a user the tenant does not have", admin, usersSettings(alexOID, contosoID), "does not exist", 404, "Request_ResourceNotFound"},
		{"an admin naming the user by UPN", admin, usersSettings(adeleUPN, contosoID), "object id", 400, "BadRequest"},
	}
	for _, c := range cases {
		for _, m := range []struct{ method, suffix string }{{http.MethodGet, ""}, {http.MethodGet, "/" + settingID}, {http.MethodDelete, ""}} {
			if m.method == http.MethodDelete && c.token == noPermission {
				continue // the same check, for ReadWrite.All: TestEveryGraphRouteRefusesATokenWithoutItsPermission
			}
			t.Run(c.name+" is refused "+m.method+" "+strings.TrimPrefix(m.suffix, "/"), func(t *testing.T) {
				resp, body := h.graphCall(m.method, c.path+m.suffix, c.token, "")
				e := wantGraphError(t, resp, body, c.status, c.code)
				if !strings.Contains(e.Error.Message, c.says) {
					t.Errorf("message %q does not say %q", e.Error.Message, c.says)
				}
				if all, _ := h.listAll("/v1.0/me/settings/windows", adele, 0); len(all) != 7 {
					t.Fatalf("after a refusal Adele has %d settings, want 7", len(all))
				}
			})
		}
	}
	t.Run("the Backup Administrator deletes them all, and nothing is left to list", func(t *testing.T) {
		resp, body := h.graphCall(http.MethodDelete, adeles, admin, "")
		if resp.StatusCode != http.StatusNoContent || len(body) != 0 {
			t.Fatalf("delete: %d %s", resp.StatusCode, body)
		}
		if own, _ := h.listAll("/v1.0/me/settings/windows", adele, 0); len(own) != 0 {
			t.Fatalf("Adele still lists %d settings", len(own))
		}
		if got, _ := h.listAll(adeles, admin, 0); len(got) != 0 {
			t.Fatalf("the admin still lists %d of Adele's settings", len(got))
		}
		resp, body = h.graphCall(http.MethodGet, adeles+"/"+settingID, admin, "")
		wantGraphError(t, resp, body, http.StatusNotFound, "ResourceNotFound")
		if got, _ := h.listAll("/v1.0/me/settings/windows", alex, 0); len(got) != 3 {
			t.Fatalf("Alex, in another tenant, lists %d settings, want 3", len(got))
		}
	})
}
