package tenant

import (
	"net/http"
	"net/url"
	"testing"
)

func TestAPasswordChangeRevokesRefreshTokensAndTheNewPasswordSignsIn(t *testing.T) {
	h := newHarness(t)
	dc := h.deviceCode(contosoID, contosoClient, "openid offline_access Directory.AccessAsUser.All")
	h.approve(dc.UserCode, adeleUPN, adelePassword)
	resp, body := h.poll(contosoID, contosoClient, dc.DeviceCode)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("polling: %d %s", resp.StatusCode, body)
	}
	tok := decodeJSON[tokenResponse](t, body)
	change := func(current, next string) (*http.Response, []byte) {
		return h.send(http.MethodPost, "/v1.0/me/changePassword", `{"currentPassword":"`+current+`","newPassword":"`+next+`"}`,
			"Authorization", "Bearer "+tok.AccessToken, "Content-Type", "application/json")
	}
	for _, c := range []struct{ name, current, next string }{
		{"a wrong current password", "not-it", "Another-2026!"},
		{"a new password that is too short", adelePassword, "short"},
		{"the same password again", adelePassword, adelePassword},
	} {
		if resp, body := change(c.current, c.next); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("%s: %d %s, want 400", c.name, resp.StatusCode, body)
		}
	}
	if resp, body := change(adelePassword, "Another-2026!"); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("changing the password: %d %s", resp.StatusCode, body)
	}
	resp, body = h.post("/"+contosoID+"/oauth2/v2.0/token", url.Values{
		"grant_type": {"refresh_token"}, "client_id": {contosoClient}, "refresh_token": {tok.RefreshToken}})
	wantEntraError(t, resp, body, http.StatusBadRequest, "invalid_grant", 50173)

	next := h.deviceCode(contosoID, contosoClient, "openid User.Read")
	if resp, body := h.deviceLogin(next.UserCode, adeleUPN, adelePassword, "approve"); resp.StatusCode != http.StatusBadRequest || !contains(body, "50126") {
		t.Fatalf("the old password still signs in: %d", resp.StatusCode)
	}
	h.approve(next.UserCode, adeleUPN, "Another-2026!")
	// A token without Directory.AccessAsUser.All cannot change it.
	plain := h.signInWithDeviceCode(contosoID, contosoClient, meganUPN, meganPassword)
	resp, body = h.send(http.MethodPost, "/v1.0/me/changePassword", `{"currentPassword":"x","newPassword":"Another-2026!"}`,
		"Authorization", "Bearer "+plain.AccessToken, "Content-Type", "application/json")
	wantGraphError(t, resp, body, http.StatusForbidden, "Authorization_RequestDenied")
}
