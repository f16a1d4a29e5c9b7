package tenant

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/backup"
)

const meganDevice = "c0ffee00-1234-4abc-8def-0123456789ab"

func TestAnAdminDeletesAUsersWindowsSettings(t *testing.T) {
	h := newHarness(t)
	admin := h.tokenFor(adminUPN, adminPassword)
	adele := h.tokenFor(adeleUPN, adelePassword)
	megan := h.tokenFor(meganUPN, meganPassword)
	alex := h.tokenFor(alexUPN, alexPassword)
	adeleCount := func() int {
		all, _ := h.listAll("/v1.0/me/settings/windows", adele, 0)
		return len(all)
	}
	refusals := []struct {
		name, path, token string
		status            int
		code              string
	}{
		{"a user who is not an admin", "/beta/users/" + adeleOID + "@" + contosoID + "/settings/windows", megan, 403, "Authorization_RequestDenied"},
		{"the user themself, not an admin", "/beta/users/" + adeleOID + "@" + contosoID + "/settings/windows", adele, 403, "Authorization_RequestDenied"},
		{"an admin naming another tenant", "/beta/users/" + adeleOID + "@" + fabrikamID + "/settings/windows", admin, 403, "Authorization_RequestDenied"},
		{"a user of another tenant", "/beta/users/" + adeleOID + "@" + contosoID + "/settings/windows", alex, 403, "Authorization_RequestDenied"},
		{"a user without the tenant", "/beta/users/" + adeleOID + "/settings/windows", admin, 400, "BadRequest"},
		{"a user that is not a GUID", "/beta/users/adele@" + contosoID + "/settings/windows", admin, 400, "BadRequest"},
		{"a user the tenant does not have", "/beta/users/" + alexOID + "@" + contosoID + "/settings/windows", admin, 404, "Request_ResourceNotFound"},
		{"no token", "/beta/users/" + adeleOID + "@" + contosoID + "/settings/windows", "", 401, "InvalidAuthenticationToken"},
	}
	for _, c := range refusals {
		t.Run(c.name+" is refused", func(t *testing.T) {
			resp, body := h.graphCall(http.MethodDelete, c.path, c.token, "")
			wantGraphError(t, resp, body, c.status, c.code)
			if n := adeleCount(); n != 7 {
				t.Fatalf("a refused delete left Adele %d settings, want 7", n)
			}
		})
	}
	t.Run("POST is neither the listing nor the delete", func(t *testing.T) {
		resp, body := h.graphCall(http.MethodPost, "/beta/users/"+adeleOID+"@"+contosoID+"/settings/windows", admin, "")
		wantGraphError(t, resp, body, http.StatusMethodNotAllowed, "Request_BadRequest")
	})
	resp, body := h.graphCall(http.MethodDelete, "/beta/users/"+strings.ToUpper(adeleOID)+"@"+contosoID+"/settings/windows", admin, "")
	if resp.StatusCode != http.StatusNoContent || len(body) != 0 {
		t.Fatalf("admin delete: %d %s", resp.StatusCode, body)
	}
	if n := adeleCount(); n != 0 {
		t.Fatalf("after the delete Adele has %d settings", n)
	}
	resp, _ = h.graphCall(http.MethodDelete, "/beta/users/"+adeleOID+"@"+contosoID+"/settings/windows", admin, "")
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("deleting again: %d, want 204", resp.StatusCode)
	}
	if all, _ := h.listAll("/v1.0/me/settings/windows", alex, 0); len(all) != 3 {
		t.Fatalf("another tenant's user lost settings: %d left", len(all))
	}
}

func TestAnUploadedBackupRoundTrips(t *testing.T) {
	h := newHarness(t)
	megan := h.tokenFor(meganUPN, meganPassword)
	at := h.clock.Now()
	body := uploadBody(t, meganDevice, "MEGAN-PC", contosoID, meganOID, at, "dark")
	resp, answer := h.graphCall(http.MethodPost, backup.UploadPath, megan, body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %d %s", resp.StatusCode, answer)
	}
	ans := decodeJSON[uploadAnswer](t, answer)
	if ans.WindowsDeviceID != meganDevice || len(ans.Value) != 3 || resp.Header.Get("Location") == "" {
		t.Fatalf("upload answered %s", answer)
	}
	all, _ := h.listAll("/v1.0/me/settings/windows"+backupFilter, megan, 0)
	if got := deviceIDs(all); !mapsEqual(got, map[string]int{meganDevice: 3}) {
		t.Fatalf("Megan's settings by device %v", got)
	}
	var up backup.Upload
	if err := json.Unmarshal([]byte(body), &up); err != nil {
		t.Fatal(err)
	}
	prof := h.profileInstances(meganDevice, megan)
	p, err := backup.DecodeDeviceProfile(prof[0].Payload)
	want := up.Profile // stored as Windows writes it: osVersion build.UBR.branch
	want.OSVersion = backup.PayloadOSVersion(want.OSVersion)
	if err != nil || *p != want || p.OSVersion != "26100.4946.ge_release" && p.OSVersion != backup.PayloadOSVersion(up.Profile.OSVersion) {
		t.Fatalf("stored profile %+v (%v), want %+v", p, err, up.Profile)
	}
	content := h.instances(settingID(meganDevice, backup.PayloadContent), megan)[0]
	if content.Payload != up.Content {
		t.Fatal("the stored content payload differs from the uploaded one")
	}
	created := time.Unix(up.Profile.CreatedTime, 0).UTC()
	backedUp := time.Unix(up.Profile.LastFullBackupCompletedTime, 0).UTC()
	if !content.CreatedDateTime.Equal(created) || !content.LastModifiedDateTime.Equal(backedUp) ||
		!content.ExpirationDateTime.Equal(backedUp.Add(InstanceExpiry)) {
		t.Fatalf("instance times %+v, want the backup's own: created %s, modified %s", content, created, backedUp)
	}

	// A later backup of the same device replaces the earlier one.
	h.clock.Advance(8 * 24 * time.Hour)
	megan = h.tokenFor(meganUPN, meganPassword)
	if resp, b := h.graphCall(http.MethodPost, backup.UploadPath, megan, uploadBody(t, meganDevice, "MEGAN-PC", contosoID, meganOID, h.clock.Now(), "light")); resp.StatusCode != http.StatusCreated {
		t.Fatalf("second upload: %d %s", resp.StatusCode, b)
	}
	all, _ = h.listAll("/v1.0/me/settings/windows", megan, 0)
	if len(all) != 3 {
		t.Fatalf("after a second upload of the same device there are %d settings, want 3", len(all))
	}
	latest := h.instances(settingID(meganDevice, backup.PayloadContent), megan)
	c, err := backup.DecodeContent(latest[0].Payload)
	if len(latest) != 1 || err != nil || string(c.Settings[0].Value) != `"light"` || latest[0].ID == content.ID {
		t.Fatalf("after replacement: %d instances, content %+v, err %v", len(latest), c, err)
	}
	// Adele's backups are untouched by Megan's uploads.
	if all, _ := h.listAll("/v1.0/me/settings/windows", h.tokenFor(adeleUPN, adelePassword), 0); len(all) != 7 {
		t.Fatalf("Adele has %d settings, want 7", len(all))
	}
}

func TestUploadsThatCannotBeStoredAreRefused(t *testing.T) {
	h := newHarness(t)
	megan := h.tokenFor(meganUPN, meganPassword)
	good := uploadBody(t, meganDevice, "MEGAN-PC", contosoID, meganOID, testStart, "dark")
	edit := func(change func(map[string]any)) string {
		var m map[string]any
		_ = json.Unmarshal([]byte(good), &m)
		change(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	var up backup.Upload
	_ = json.Unmarshal([]byte(good), &up)
	raw, _ := base64.StdEncoding.DecodeString(up.Content)
	altered := base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(raw), `"dark"`, `"pink"`, 1)))
	cases := []struct {
		name, body, ctype string
		status            int
		code              string
	}{
		{"a form content type", good, "application/x-www-form-urlencoded", 415, "UnsupportedMediaType"},
		{"an unknown field", edit(func(m map[string]any) { m["extra"] = 1 }), "application/json", 400, "BadRequest"},
		{"trailing data", good + "{}", "application/json", 400, "BadRequest"},
		{"a device id that is not a GUID", edit(func(m map[string]any) { m["windowsDeviceId"] = "MEGAN-PC" }), "application/json", 400, "BadRequest"},
		{"a profile for another device", uploadBodyWithProfileOf(t, good, "11111111-2222-4333-8444-555555555555"), "application/json", 400, "BadRequest"},
		{"a profile Windows would not write", edit(func(m map[string]any) { m["profile"].(map[string]any)["osVersion"] = "11" }), "application/json", 400, "BadRequest"},
		{"content that is not base64", edit(func(m map[string]any) { m["content"] = "%%%" }), "application/json", 400, "BadRequest"},
		{"content that fails its checksum", edit(func(m map[string]any) { m["content"] = altered }), "application/json", 400, "BadRequest"},
		{"another user's content", uploadBody(t, meganDevice, "MEGAN-PC", contosoID, adeleOID, testStart, "dark"), "application/json", 403, "Forbidden"},
		{"another tenant's content", uploadBody(t, meganDevice, "MEGAN-PC", fabrikamID, meganOID, testStart, "dark"), "application/json", 403, "Forbidden"},
		{"a body over the limit", `{"content":"` + strings.Repeat("A", maxUploadBytes) + `"}`, "application/json", 413, "RequestEntityTooLarge"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := h.send(http.MethodPost, backup.UploadPath, c.body, "Authorization", "Bearer "+megan, "Content-Type", c.ctype)
			wantGraphError(t, resp, body, c.status, c.code)
			if all, _ := h.listAll("/v1.0/me/settings/windows", megan, 0); len(all) != 0 {
				t.Fatalf("a refused upload stored %d settings", len(all))
			}
		})
	}
	t.Run("without a token", func(t *testing.T) {
		resp, body := h.send(http.MethodPost, backup.UploadPath, good, "Content-Type", "application/json")
		wantGraphError(t, resp, body, http.StatusUnauthorized, "InvalidAuthenticationToken")
	})
	t.Run("with GET", func(t *testing.T) {
		resp, body := h.graphCall(http.MethodGet, backup.UploadPath, megan, "")
		wantGraphError(t, resp, body, http.StatusMethodNotAllowed, "Request_BadRequest")
	})
}

// uploadBodyWithProfileOf swaps the profile's profileId for another device's.
func uploadBodyWithProfileOf(t *testing.T, body, deviceID string) string {
	t.Helper()
	var up backup.Upload
	if err := json.Unmarshal([]byte(body), &up); err != nil {
		t.Fatal(err)
	}
	up.Profile.ProfileID = backup.ProfileID(deviceID)
	b, _ := json.Marshal(up)
	return string(b)
}

func TestRestoreResultsKeepTheLatestPerDevice(t *testing.T) {
	h := newHarness(t)
	adele := h.tokenFor(adeleUPN, adelePassword)
	admin := h.tokenFor(adminUPN, adminPassword)
	report := func(body string) (*http.Response, []byte) {
		return h.graphCall(http.MethodPost, backup.RestoreResultPath, adele, body)
	}
	newPC := "9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
	at := h.clock.Now()
	resp, body := report(`{"windowsDeviceId":"` + strings.ToUpper(newPC) + `","sourceWindowsDeviceId":"` + adeleSurface + `","status":"Failed","applied":3,"failed":1}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("report: %d %s", resp.StatusCode, body)
	}
	first := decodeJSON[RestoreResultRecord](t, body)
	if first.UserID != adeleOID || first.WindowsDeviceID != newPC || !first.ReportedDateTime.Equal(at) {
		t.Fatalf("stored %+v", first)
	}
	h.clock.Advance(time.Minute)
	if resp, body := report(`{"windowsDeviceId":"` + newPC + `","sourceWindowsDeviceId":"` + adeleSurface + `","status":"Succeeded","applied":40,"alreadySet":2,"keptByPolicy":1,"notSupported":3,"notRestorable":1}`); resp.StatusCode != http.StatusCreated {
		t.Fatalf("second report: %d %s", resp.StatusCode, body)
	}
	if resp, body := report(`{"windowsDeviceId":"` + meganDevice + `","status":"Setup as New PC Selected"}`); resp.StatusCode != http.StatusCreated {
		t.Fatalf("third report: %d %s", resp.StatusCode, body)
	}
	for _, bad := range []struct{ name, body string }{
		{"a status Intune does not have", `{"windowsDeviceId":"` + newPC + `","status":"Done"}`},
		{"a status in another case", `{"windowsDeviceId":"` + newPC + `","status":"succeeded"}`},
		{"a negative count", `{"windowsDeviceId":"` + newPC + `","status":"Failed","failed":-1}`},
		{"a device id that is not a GUID", `{"windowsDeviceId":"NEW-PC","status":"Failed"}`},
		{"a source that is not a GUID", `{"windowsDeviceId":"` + newPC + `","sourceWindowsDeviceId":"x","status":"Failed"}`},
		{"an unknown field", `{"windowsDeviceId":"` + newPC + `","status":"Failed","note":"x"}`},
	} {
		t.Run(bad.name+" is refused", func(t *testing.T) {
			resp, body := report(bad.body)
			wantGraphError(t, resp, body, http.StatusBadRequest, "BadRequest")
		})
	}

	resp, body = h.graphCall(http.MethodGet, "/_oobe/tenants/"+contosoID+"/restore-results", admin, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("listing: %d %s", resp.StatusCode, body)
	}
	list := decodeJSON[restoreResultsAnswer](t, body)
	if list.Tenant != contosoID || len(list.Value) != 2 {
		t.Fatalf("listing %s", body)
	}
	byDevice := map[string]RestoreResultRecord{}
	for _, r := range list.Value {
		byDevice[r.WindowsDeviceID] = r
	}
	if r := byDevice[newPC]; r.Status != "Succeeded" || r.Applied != 40 || r.Failed != 0 || !r.ReportedDateTime.Equal(at.Add(time.Minute)) {
		t.Fatalf("latest result for the new PC %+v", r)
	}
	for _, c := range []struct {
		name, path, token string
		status            int
		code              string
	}{
		{"a user who is not an Intune administrator", "/_oobe/tenants/" + contosoID + "/restore-results", adele, 403, "Authorization_RequestDenied"},
		{"another tenant's user", "/_oobe/tenants/" + contosoID + "/restore-results", h.tokenFor(alexUPN, alexPassword), 403, "Authorization_RequestDenied"},
		{"an admin asking about another tenant", "/_oobe/tenants/" + fabrikamID + "/restore-results", admin, 403, "Forbidden"},
		{"an unknown tenant", "/_oobe/tenants/00000000-0000-0000-0000-000000000000/restore-results", admin, 404, "ResourceNotFound"},
	} {
		t.Run(c.name+" cannot list results", func(t *testing.T) {
			resp, body := h.graphCall(http.MethodGet, c.path, c.token, "")
			wantGraphError(t, resp, body, c.status, c.code)
		})
	}
	t.Run("the tenant may be named by domain", func(t *testing.T) {
		resp, body := h.graphCall(http.MethodGet, "/_oobe/tenants/contoso.com/restore-results", admin, "")
		if resp.StatusCode != http.StatusOK || len(decodeJSON[restoreResultsAnswer](t, body).Value) != 2 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
}
