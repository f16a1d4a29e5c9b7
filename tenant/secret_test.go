package tenant

import (
	"net/http"
	"testing"
)

// adminPost posts JSON to a /_oobe/ control with the run's admin secret.
func (h *harness) adminPost(path, body string) (*http.Response, []byte) {
	h.t.Helper()
	return h.send(http.MethodPost, path, body, "Content-Type", "application/json", "Authorization", "Bearer "+h.srv.AdminSecret())
}

// TestTheControlsThatChangeTheCloudTakeTheAdminSecret holds key rotation and faults to the
// run's admin secret; before it, any local process could rotate keys or inject faults.
func TestTheControlsThatChangeTheCloudTakeTheAdminSecret(t *testing.T) {
	h := newHarness(t)
	secret := h.srv.AdminSecret()
	if len(secret) < 40 {
		t.Fatalf("admin secret %q is too short to be 32 random bytes", secret)
	}
	if other := newHarness(t).srv.AdminSecret(); other == secret {
		t.Fatal("two servers share an admin secret")
	}
	rotate := "/_oobe/tenants/" + contosoID + "/keys/rotate"
	for _, c := range []struct {
		name         string
		method, path string
		header       []string
		want         int
	}{
		{"rotation without the secret", http.MethodPost, rotate, nil, 401},
		{"rotation with a wrong secret", http.MethodPost, rotate, []string{"Authorization", "Bearer " + secret + "x"}, 401},
		{"rotation with a user's kind of token", http.MethodPost, rotate, []string{"Authorization", "Bearer eyJ0eXAiOiJKV1QifQ.e30.x"}, 401},
		{"adding a fault without the secret", http.MethodPost, "/_oobe/faults", nil, 401},
		{"clearing faults without the secret", http.MethodDelete, "/_oobe/faults", nil, 401},
		{"rotation with the secret as a bearer token", http.MethodPost, rotate, []string{"Authorization", "Bearer " + secret}, 200},
		{"rotation with the secret in its header", http.MethodPost, rotate, []string{AdminSecretHeader, secret}, 200},
		{"clearing faults with the secret", http.MethodDelete, "/_oobe/faults", []string{AdminSecretHeader, secret}, 204},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, body := h.send(c.method, c.path, "", append([]string{"Content-Type", "application/json"}, c.header...)...)
			if resp.StatusCode != c.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.want, body)
			}
		})
	}
	// Reading the tenants needs no secret: it changes nothing and holds none.
	if resp, body := h.get("/_oobe/tenants"); resp.StatusCode != 200 {
		t.Fatalf("GET /_oobe/tenants: %d %s", resp.StatusCode, body)
	}
}
