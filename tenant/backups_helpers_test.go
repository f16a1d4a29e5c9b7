package tenant

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/backup"
)

// More demo tenant facts, from fixtures/demo.
const (
	meganUPN      = "megan.bowen@contoso.com"
	meganPassword = "Backup-2026!"
	meganOID      = "f283827e-4138-4cc2-bcac-107ab083d078"
	adminUPN      = "admin@contoso.com"
	adminPassword = "Admin-2026!"
	adminOID      = "40a2e42e-10b0-4577-8b7e-4cd6017fc9e4"

	adeleLaptop  = "b7f0eefc-2074-41ba-903f-6ae4cc097083" // Windows 10 22H2
	adeleDesktop = "70e96ac3-82bc-4671-9519-894e7d8ed3c5" // Windows 11 23H2
	adeleSurface = "b3fbb320-31b5-4e16-b686-9cc25877dbb3" // Windows 11 24H2
	alexPC       = "eda83b98-ec33-42ab-b19d-3fe43ea7e14f"

	pagingUPN      = "paging.user@contoso.com"
	pagingPassword = "Paging-2026!"
	pagingOID      = "0d6a3a51-8e36-4f0b-9d7e-5b0c2f1e4a77"
)

// withGeneratedUser adds a Contoso user with n generated previous PCs.
func withGeneratedUser(n int) func(*Config) {
	return func(c *Config) {
		c.Tenants[0].Users = append(c.Tenants[0].Users, User{UPN: pagingUPN, DisplayName: "Paging User",
			Password: pagingPassword, ObjectID: pagingOID, GenerateBackups: n})
	}
}

// tokenFor signs a user in with the device code flow and returns their Graph access token.
func (h *harness) tokenFor(upn, password string) string {
	h.t.Helper()
	tid, client := contosoID, contosoClient
	if strings.HasSuffix(upn, "@fabrikam.onmicrosoft.com") {
		tid, client = fabrikamID, fabrikamApp
	}
	return h.signInWithDeviceCode(tid, client, upn, password).AccessToken
}

// graphCall sends a Graph request with a bearer token and header pairs.
func (h *harness) graphCall(method, path, token, body string, header ...string) (*http.Response, []byte) {
	h.t.Helper()
	if token != "" {
		header = append(header, "Authorization", "Bearer "+token)
	}
	if body != "" {
		header = append(header, "Content-Type", "application/json")
	}
	return h.send(method, path, body, header...)
}

// settingsPage is a page of /me/settings/windows as a client reads it.
type settingsPage struct {
	Context  string                  `json:"@odata.context"`
	Value    []backup.WindowsSetting `json:"value"`
	NextLink string                  `json:"@odata.nextLink"`
}

type instancesPage struct {
	Context string                          `json:"@odata.context"`
	Value   []backup.WindowsSettingInstance `json:"value"`
}

// listAll follows @odata.nextLink from path to the end and returns every setting and the number
// of pages. Each page must be a 200 with at most pageSize entries.
func (h *harness) listAll(path, token string, pageSize int) ([]backup.WindowsSetting, int) {
	h.t.Helper()
	var header []string
	if pageSize > 0 {
		header = []string{"Prefer", "odata.maxpagesize=" + itoa(pageSize)}
	}
	var all []backup.WindowsSetting
	pages := 0
	for next := h.url(path); next != ""; pages++ {
		if pages > 10000 {
			h.t.Fatal("more than 10,000 pages")
		}
		if !strings.HasPrefix(next, h.http.URL+"/") {
			h.t.Fatalf("nextLink %q is not an absolute URL on the simulator", next)
		}
		resp, body := h.graphCall(http.MethodGet, strings.TrimPrefix(next, h.http.URL), token, "", header...)
		if resp.StatusCode != http.StatusOK {
			h.t.Fatalf("page %d: status %d: %s", pages+1, resp.StatusCode, body)
		}
		page := decodeJSON[settingsPage](h.t, body)
		limit := pageSize
		if limit == 0 {
			limit = defaultPageSize
		}
		if len(page.Value) > limit {
			h.t.Fatalf("page %d has %d settings, more than the page size %d", pages+1, len(page.Value), limit)
		}
		if page.NextLink != "" && len(page.Value) == 0 {
			h.t.Fatalf("page %d is empty but has a nextLink", pages+1)
		}
		all = append(all, page.Value...)
		next = page.NextLink
	}
	return all, pages
}

// instances reads a setting's instances as the signed-in user.
func (h *harness) instances(settingID, token string) []backup.WindowsSettingInstance {
	h.t.Helper()
	resp, body := h.graphCall(http.MethodGet, "/v1.0/me/settings/windows/"+url.PathEscape(settingID)+"/instances", token, "")
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("instances of %s: %d %s", settingID, resp.StatusCode, body)
	}
	return decodeJSON[instancesPage](h.t, body).Value
}

// profileInstances reads the device's instances of the device profiles setting, the one
// setting that holds every device's profile (domain.md §7.4 [G]).
func (h *harness) profileInstances(deviceID, token string) []backup.WindowsSettingInstance {
	h.t.Helper()
	var out []backup.WindowsSettingInstance
	for _, in := range h.instances(backup.DeviceProfilesSettingID, token) {
		if dp, err := backup.DecodeDeviceProfile(in.Payload); err == nil && backup.DeviceIDOf(dp.ProfileID) == deviceID {
			out = append(out, in)
		}
	}
	return out
}

// uploadBody builds a backup.Upload body for a device, with content owned by (tid, oid).
func uploadBody(t *testing.T, deviceID, name, tid, oid string, at time.Time, theme string) string {
	t.Helper()
	c := &backup.Content{
		Owner:           backup.Owner{TenantID: tid, ObjectID: oid},
		SourceOSVersion: "10.0.26100.4946",
		DeviceName:      name,
		Settings:        []backup.Setting{{Category: backup.CategoryPersonalization, Name: "theme", Value: json.RawMessage(`"` + theme + `"`)}},
		WiFi:            []backup.WiFiNetwork{{SSID: "Contoso-Guest", Security: backup.WiFiWPA2Personal}},
		StoreApps:       []backup.StoreApp{},
		StartPins:       []backup.Pin{{AppID: "MSEdge", Name: "Microsoft Edge"}},
		TaskbarPins:     []backup.Pin{},
	}
	if err := c.Seal(); err != nil {
		t.Fatal(err)
	}
	payload, err := backup.EncodePayload(c)
	if err != nil {
		t.Fatal(err)
	}
	up := backup.Upload{
		WindowsDeviceID: deviceID,
		Profile: backup.DeviceProfilePayload{ProfileID: backup.ProfileID(deviceID), DeviceDisplayName: name, CreatedBy: "windows",
			CreatedTime: at.Add(-time.Hour).Unix(), ModifiedTime: at.Unix(), IsActive: true, LastFullBackupCompletedTime: at.Unix(),
			OSVersion: "10.0.26100.4946"},
		Content: payload,
	}
	body, err := json.Marshal(up)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// deviceIDs counts a listing's settings by source device: a device's own settings by their
// windowsDeviceId, and its instance of the device profiles setting (which has none) by the
// instance's profileId, so a device with a full backup counts 3.
func deviceIDs(list []backup.WindowsSetting) map[string]int {
	out := map[string]int{}
	for _, s := range list {
		if s.ID != backup.DeviceProfilesSettingID {
			out[s.WindowsDeviceID]++
			continue
		}
		for _, in := range s.Instances {
			dp, err := backup.DecodeDeviceProfile(in.Payload)
			if err != nil {
				out["undecodable deviceprofile "+in.ID]++
				continue
			}
			out[backup.DeviceIDOf(dp.ProfileID)]++
		}
	}
	return out
}

// wantGraphError checks a Graph error answer: status, code, and the innerError ids.
func wantGraphError(t *testing.T, resp *http.Response, body []byte, status int, code string) graphErrorBody {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, body)
	}
	e := decodeJSON[graphErrorBody](t, body)
	if e.Error.Code != code || e.Error.Message == "" {
		t.Fatalf("error %+v, want code %s", e.Error, code)
	}
	if !IsGUID(e.Error.InnerError.RequestID) || e.Error.InnerError.Date == "" || !IsGUID(e.Error.InnerError.ClientRequestID) {
		t.Fatalf("innerError %+v lacks Graph's date, request-id or client-request-id", e.Error.InnerError)
	}
	return e
}
