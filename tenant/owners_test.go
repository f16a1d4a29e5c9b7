package tenant

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/backup"
)

// TestRestoreResultsHaveOwners holds a restore result to the user the device is registered to,
// a source device the tenant has and is the user's, counts an apply can make, and a date not in
// the future; the listing keeps the newest by date. Before owners, every case here was
// accepted and "latest" meant last received.
func TestRestoreResultsHaveOwners(t *testing.T) {
	h := newHarness(t)
	adele := h.tokenFor(adeleUPN, adelePassword)
	megan := h.tokenFor(meganUPN, meganPassword)
	admin := h.tokenFor(adminUPN, adminPassword)
	if resp, body := h.graphCall(http.MethodPost, backup.UploadPath, megan, uploadBody(t, meganDevice, "MEGAN-PC", contosoID, meganOID, h.clock.Now(), "dark")); resp.StatusCode != 201 {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	newPC := "9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
	now := h.clock.Now()
	report := func(token, device, source, status, extra string, at time.Time) (*http.Response, []byte) {
		body := fmt.Sprintf(`{"windowsDeviceId":%q,"status":%q,"reportedDateTime":%q%s`, device, status, at.Format(time.RFC3339Nano), extra)
		if source != "" {
			body += fmt.Sprintf(`,"sourceWindowsDeviceId":%q`, source)
		}
		return h.graphCall(http.MethodPost, backup.RestoreResultPath, token, body+"}")
	}
	// Adele's new PC joins with her first report; her Surface has her fixture backup.
	if resp, body := report(adele, newPC, adeleSurface, backup.StatusSucceeded, `,"applied":5`, now); resp.StatusCode != 201 {
		t.Fatalf("Adele's report for her new PC: %d %s", resp.StatusCode, body)
	}
	for _, c := range []struct {
		name                    string
		token, device, source   string
		status, extra           string
		at                      time.Time
		wantStatus              int
		wantCode, wantInMessage string
	}{
		{"another user's device (the new PC Adele enrolled)", megan, newPC, "", backup.StatusSetupAsNew, "", now, 403, "Authorization_RequestDenied", "registered to another user"},
		{"another user's device (Megan's, from her backup)", adele, meganDevice, "", backup.StatusSetupAsNew, "", now, 403, "Authorization_RequestDenied", "registered to another user"},
		{"a source device the tenant does not have", adele, newPC, "0d0d0d0d-0000-4000-8000-000000000001", backup.StatusSucceeded, "", now, 404, "Request_ResourceNotFound", "does not exist"},
		{"another user's source device", adele, newPC, meganDevice, backup.StatusSucceeded, "", now, 403, "Authorization_RequestDenied", "another user's"},
		{"a negative count", adele, newPC, "", backup.StatusFailed, `,"failed":-1`, now, 400, "BadRequest", "negative"},
		{"a count beyond any backup", adele, newPC, "", backup.StatusSucceeded, `,"applied":999999,"failed":2`, now, 400, "BadRequest", "more than"},
		{"items for a status that restores nothing", adele, newPC, "", backup.StatusNoBackups, `,"applied":3`, now, 400, "BadRequest", "must be 0"},
		{"a date beyond the allowed skew", adele, newPC, "", backup.StatusSetupAsNew, "", now.Add(maxReportSkew + time.Second), 400, "BadRequest", "in the future"},
		{"a date in 2999", adele, newPC, "", backup.StatusSetupAsNew, "", time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC), 400, "BadRequest", "in the future"},
	} {
		t.Run(c.name+" is refused", func(t *testing.T) {
			resp, body := report(c.token, c.device, c.source, c.status, c.extra, c.at)
			e := wantGraphError(t, resp, body, c.wantStatus, c.wantCode)
			if !strings.Contains(e.Error.Message, c.wantInMessage) {
				t.Errorf("message %q lacks %q", e.Error.Message, c.wantInMessage)
			}
		})
	}
	// Within the skew is accepted; an older report is stored nowhere: the newest by date stays.
	if resp, body := report(adele, newPC, "", backup.StatusSetupAsNew, "", now.Add(maxReportSkew)); resp.StatusCode != 201 {
		t.Fatalf("a report within the skew: %d %s", resp.StatusCode, body)
	}
	if resp, body := report(adele, newPC, adeleSurface, backup.StatusFailed, `,"failed":1`, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)); resp.StatusCode != 201 {
		t.Fatalf("an old report: %d %s", resp.StatusCode, body)
	}
	_, body := h.graphCall(http.MethodGet, "/_oobe/tenants/"+contosoID+"/restore-results", admin, "")
	list := decodeJSON[restoreResultsAnswer](t, body)
	if len(list.Value) != 1 || list.Value[0].Status != backup.StatusSetupAsNew || !list.Value[0].ReportedDateTime.Equal(now.Add(maxReportSkew)) {
		t.Fatalf("the kept results are %s, want the one dated %s", body, now.Add(maxReportSkew).Format(time.RFC3339))
	}
}

// TestUploadsRefuseControlCharactersInNames holds the tenant to storing no name a terminal
// would obey: ESC, other C0 controls, DEL and C1 are refused with a 400 naming the field.
func TestUploadsRefuseControlCharactersInNames(t *testing.T) {
	h := newHarness(t)
	megan := h.tokenFor(meganUPN, meganPassword)
	base := uploadBody(t, meganDevice, "MEGAN-PC", contosoID, meganOID, h.clock.Now(), "dark")
	for _, c := range []struct{ name, body, field string }{
		{"an ESC title sequence in deviceDisplayName", uploadWith(t, base, func(up *backup.Upload, _ *backup.Content) {
			up.Profile.DeviceDisplayName = "PC\x1b]0;owned\x07"
		}), "profile.deviceDisplayName"},
		{"a clear-screen sequence in a setting name", uploadWith(t, base, func(_ *backup.Upload, c *backup.Content) {
			c.Settings[0].Name = "theme\x1b[2J"
		}), "content.settings[0].name"},
		{"a C1 CSI in an SSID", uploadWith(t, base, func(_ *backup.Upload, c *backup.Content) { c.WiFi[0].SSID = "Guest\u009b2J" }), "content.wifi[0].ssid"},
		{"DEL in an app name", uploadWith(t, base, func(_ *backup.Upload, c *backup.Content) {
			c.StoreApps = []backup.StoreApp{{ProductID: "9WZDNCRFJ3PZ", Name: "App\x7f"}}
		}), "content.storeApps[0].name"},
		{"a newline in the content's device name", uploadWith(t, base, func(_ *backup.Upload, c *backup.Content) { c.DeviceName = "MEGAN\nPC" }), "content.deviceName"},
	} {
		t.Run(c.name+" is refused", func(t *testing.T) {
			resp, body := h.graphCall(http.MethodPost, backup.UploadPath, megan, c.body)
			e := wantGraphError(t, resp, body, http.StatusBadRequest, "BadRequest")
			if !strings.Contains(e.Error.Message, c.field) {
				t.Errorf("message %q does not name %s", e.Error.Message, c.field)
			}
		})
	}
}

// TestUploadsStopAtTheUsersQuota answers Graph's 507 quotaLimitReached once a user's stored
// payloads would pass the quota, and keeps what was stored.
func TestUploadsStopAtTheUsersQuota(t *testing.T) {
	h := newHarness(t)
	if h.srv.BackupQuota() != DefaultBackupQuota {
		t.Fatalf("default quota %d, want %d", h.srv.BackupQuota(), DefaultBackupQuota)
	}
	megan := h.tokenFor(meganUPN, meganPassword)
	first := uploadBody(t, meganDevice, "MEGAN-PC", contosoID, meganOID, h.clock.Now(), "dark")
	if resp, body := h.graphCall(http.MethodPost, backup.UploadPath, megan, first); resp.StatusCode != 201 {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	all, _ := h.listAll("/v1.0/me/settings/windows", megan, 0)
	h.srv.SetBackupQuota(2 * int64(len(first))) // room for one device's backup (stored, ~1.3 × the body), not two
	// Replacing the same device's backup stays within the quota.
	if resp, body := h.graphCall(http.MethodPost, backup.UploadPath, megan, first); resp.StatusCode != 201 {
		t.Fatalf("re-upload of the same device: %d %s", resp.StatusCode, body)
	}
	second := uploadBody(t, "c0ffee00-1234-4abc-8def-0123456789ac", "MEGAN-2", contosoID, meganOID, h.clock.Now(), "light")
	resp, body := h.graphCall(http.MethodPost, backup.UploadPath, megan, second)
	e := wantGraphError(t, resp, body, http.StatusInsufficientStorage, "quotaLimitReached")
	if !strings.Contains(e.Error.Message, "quota") {
		t.Errorf("message %q", e.Error.Message)
	}
	if after, _ := h.listAll("/v1.0/me/settings/windows", megan, 0); len(after) != len(all) {
		t.Errorf("a refused upload changed the user's settings: %d, then %d", len(all), len(after))
	}
}

// uploadWith is an upload body changed by edit, its content resealed.
func uploadWith(t *testing.T, body string, edit func(*backup.Upload, *backup.Content)) string {
	t.Helper()
	var up backup.Upload
	if err := json.Unmarshal([]byte(body), &up); err != nil {
		t.Fatal(err)
	}
	c, err := backup.DecodeContent(up.Content)
	if err != nil {
		t.Fatal(err)
	}
	edit(&up, c)
	if err := c.Seal(); err != nil {
		t.Fatal(err)
	}
	if up.Content, err = backup.EncodePayload(c); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(up)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
