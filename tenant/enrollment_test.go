package tenant

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

const enrollmentPath = "/beta/deviceManagement/deviceEnrollmentConfigurations"

// restoreConfigOf finds the restore flag object in a listing.
func restoreConfigOf(t testing.TB, body []byte) graphEnrollmentConfiguration {
	t.Helper()
	page := decodeJSON[graphPage[graphEnrollmentConfiguration]](t, body)
	for _, c := range page.Value {
		if c.Type == "#microsoft.graph.windowsRestoreDeviceEnrollmentConfiguration" {
			return c
		}
	}
	t.Fatalf("no windowsRestoreDeviceEnrollmentConfiguration in %s", body)
	return graphEnrollmentConfiguration{}
}

func TestTheRestorePageFlagIsAnEnrollmentConfiguration(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name, upn, password, tenant, state string
	}{
		{"Contoso's fixture turns it on", adeleUPN, adelePassword, contosoID, "enabled"},
		{"Fabrikam's fixture leaves the default", alexUPN, alexPassword, fabrikamID, "notConfigured"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := h.graphCall(http.MethodGet, enrollmentPath, h.tokenFor(c.upn, c.password), "")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			var raw struct {
				Context string           `json:"@odata.context"`
				Value   []map[string]any `json:"value"`
			}
			if err := json.Unmarshal(body, &raw); err != nil || raw.Context != h.url("/beta/$metadata#deviceManagement/deviceEnrollmentConfigurations") {
				t.Fatalf("listing %s", body)
			}
			rc := restoreConfigOf(t, body)
			if rc.ID != c.tenant+"_WindowsRestore" || rc.State != c.state || rc.DeviceEnrollmentConfigurationType != "windowsRestore" ||
				rc.DisplayName == "" || rc.Version != 1 || rc.CreatedDateTime.IsZero() || rc.LastModifiedDateTime.IsZero() {
				t.Fatalf("restore configuration %+v", rc)
			}
			for _, v := range raw.Value {
				for _, f := range []string{"@odata.type", "id", "displayName", "description", "priority", "createdDateTime", "lastModifiedDateTime", "version", "deviceEnrollmentConfigurationType"} {
					if _, ok := v[f]; !ok {
						t.Errorf("configuration %v lacks %s", v["id"], f)
					}
				}
			}
		})
	}
}

func TestOnlyAnAdminChangesTheRestorePageFlag(t *testing.T) {
	h := newHarness(t)
	h.clock.Advance(time.Hour) // so that a change shows in lastModifiedDateTime
	admin := h.tokenFor(adminUPN, adminPassword)
	adele := h.tokenFor(adeleUPN, adelePassword)
	id := enrollmentPath + "/" + contosoID + "_WindowsRestore"
	state := func() graphEnrollmentConfiguration {
		_, body := h.graphCall(http.MethodGet, id, adele, "")
		return decodeJSON[graphEnrollmentConfiguration](t, body)
	}

	resp, body := h.graphCall(http.MethodPatch, id, admin, `{"@odata.type":"#microsoft.graph.windowsRestoreDeviceEnrollmentConfiguration","state":"disabled"}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("admin PATCH: %d %s", resp.StatusCode, body)
	}
	got := decodeJSON[graphEnrollmentConfiguration](t, body)
	if got.State != "disabled" || got.Version != 2 || !got.LastModifiedDateTime.Equal(h.clock.Now()) ||
		!got.CreatedDateTime.Equal(testStart) || got.Context == "" {
		t.Fatalf("PATCH answered %+v", got)
	}
	if now := state(); now.State != "disabled" || now.Version != 2 {
		t.Fatalf("after PATCH the configuration is %+v", now)
	}

	refusals := []struct {
		name, token, path, body, ctype string
		status                         int
		code                           string
	}{
		{"a user who is not an Intune administrator", adele, id, `{"state":"enabled"}`, "application/json", 403, "Authorization_RequestDenied"},
		{"a state that is not in the enum", admin, id, `{"state":"on"}`, "application/json", 400, "BadRequest"},
		{"a state that is not a string", admin, id, `{"state":true}`, "application/json", 400, "BadRequest"},
		{"a property the type does not have", admin, id, `{"state":"enabled","showRestorePage":true}`, "application/json", 400, "BadRequest"},
		{"another @odata.type", admin, id, `{"@odata.type":"#microsoft.graph.deviceEnrollmentLimitConfiguration","state":"enabled"}`, "application/json", 400, "BadRequest"},
		{"a body that is not JSON", admin, id, `state=enabled`, "application/json", 400, "BadRequest"},
		{"a form content type", admin, id, `{"state":"enabled"}`, "application/x-www-form-urlencoded", 415, "UnsupportedMediaType"},
		{"the device limit configuration", admin, enrollmentPath + "/" + contosoID + "_DefaultLimit", `{"state":"enabled"}`, "application/json", 400, "BadRequest"},
		{"an unknown configuration", admin, enrollmentPath + "/nope", `{"state":"enabled"}`, "application/json", 404, "ResourceNotFound"},
		{"another tenant's configuration", admin, enrollmentPath + "/" + fabrikamID + "_WindowsRestore", `{"state":"enabled"}`, "application/json", 404, "ResourceNotFound"},
	}
	for _, c := range refusals {
		t.Run(c.name+" is refused", func(t *testing.T) {
			resp, body := h.send(http.MethodPatch, c.path, c.body, "Authorization", "Bearer "+c.token, "Content-Type", c.ctype)
			wantGraphError(t, resp, body, c.status, c.code)
			if now := state(); now.State != "disabled" || now.Version != 2 {
				t.Fatalf("a refused PATCH changed the configuration to %+v", now)
			}
		})
	}
	t.Run("a PATCH without state changes nothing", func(t *testing.T) {
		resp, body := h.graphCall(http.MethodPatch, id, admin, `{"displayName":"ignored"}`)
		if got := decodeJSON[graphEnrollmentConfiguration](t, body); resp.StatusCode != 200 || got.State != "disabled" || got.Version != 2 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("Fabrikam's flag is untouched", func(t *testing.T) {
		_, body := h.graphCall(http.MethodGet, enrollmentPath, h.tokenFor(alexUPN, alexPassword), "")
		if rc := restoreConfigOf(t, body); rc.State != "notConfigured" {
			t.Fatalf("Fabrikam's flag is %s", rc.State)
		}
	})
}
