package tenant

import (
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/internal/devicelogin"
)

func TestDeviceCodeResponseHasEntrasShape(t *testing.T) {
	h := newHarness(t)
	resp, body := h.post("/"+contosoID+"/oauth2/v2.0/devicecode", url.Values{"client_id": {contosoClient}, "scope": {"openid User.Read"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	raw := decodeJSON[map[string]any](t, body)
	if _, ok := raw["verification_uri_complete"]; ok {
		t.Error("verification_uri_complete is present; Entra sends none")
	}
	dc := decodeJSON[deviceCodeResponse](t, body)
	if len(dc.UserCode) != 9 || strings.Trim(dc.UserCode, userCodeAlphabet) != "" {
		t.Errorf("user_code %q is not 9 unambiguous upper-case characters", dc.UserCode)
	}
	if dc.VerificationURI != h.url("/devicelogin") || dc.ExpiresIn != 900 || dc.Interval != 5 || dc.DeviceCode == "" {
		t.Errorf("response %+v", dc)
	}
	want := "To sign in, use a web browser to open the page " + h.url("/devicelogin") + " and enter the code " + dc.UserCode + " to authenticate."
	if dc.Message != want {
		t.Errorf("message = %q, want %q", dc.Message, want)
	}
}

func TestDeviceCodeRequestFailures(t *testing.T) {
	cases := []struct {
		name string
		form url.Values
		err  string
		code int
	}{
		{"no scope", url.Values{"client_id": {contosoClient}}, "invalid_request", 900144},
		{"no client", url.Values{"scope": {"openid"}}, "invalid_request", 900144},
		{"an unknown client", url.Values{"client_id": {"11111111-2222-3333-4444-555555555555"}, "scope": {"openid"}}, "unauthorized_client", 700016},
		{"a secret from a public client", url.Values{"client_id": {contosoClient}, "scope": {"openid"}, "client_secret": {"x"}}, "invalid_client", 700025},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			resp, body := h.post("/"+contosoID+"/oauth2/v2.0/devicecode", c.form)
			status := http.StatusBadRequest
			if c.err == "invalid_client" {
				status = http.StatusUnauthorized
			}
			wantEntraError(t, resp, body, status, c.err, c.code)
		})
	}
}

func TestDeviceCodePollingIsPendingUntilApprovedThenIssuedOnce(t *testing.T) {
	h := newHarness(t)
	dc := h.deviceCode(contosoID, contosoClient, "openid offline_access User.Read")
	poll := func() (*http.Response, []byte) { return h.poll(contosoID, contosoClient, dc.DeviceCode) }

	// Entra sends no slow_down: polls sooner than the interval, as MSAL Go's backoff makes
	// them, are pending like any other (domain.md §7.5).
	steps := []struct {
		name    string
		advance time.Duration
		approve bool
		err     string
		code    int
	}{
		{"the first poll is pending", 0, false, "authorization_pending", 70016},
		{"a poll 50 ms later is pending, not slowed down", 50 * time.Millisecond, false, "authorization_pending", 70016},
		{"a poll 150 ms later is pending", 150 * time.Millisecond, false, "authorization_pending", 70016},
		{"a poll 450 ms later is pending", 450 * time.Millisecond, false, "authorization_pending", 70016},
		{"a poll at the interval is pending", 5 * time.Second, false, "authorization_pending", 70016},
		{"after approval, a poll a second later gets the tokens", time.Second, true, "", 0},
		{"a poll after the tokens were issued is refused", 30 * time.Second, false, "invalid_grant", 54005},
	}
	for _, st := range steps {
		h.clock.Advance(st.advance)
		if st.approve {
			if resp, body := h.deviceLogin(dc.UserCode, adeleUPN, adelePassword, "approve"); resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: approving: %d %s", st.name, resp.StatusCode, body)
			}
		}
		resp, body := poll()
		if st.code == 0 {
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d %s", st.name, resp.StatusCode, body)
			}
			tok := decodeJSON[tokenResponse](t, body)
			if tok.AccessToken == "" || tok.IDToken == "" || tok.RefreshToken == "" {
				t.Fatalf("%s: token response %+v", st.name, tok)
			}
			continue
		}
		wantEntraError(t, resp, body, http.StatusBadRequest, st.err, st.code)
	}
}

func TestASlowDownFaultAnswersOnePollThenPollingGoesOn(t *testing.T) {
	h := newHarness(t)
	dc := h.deviceCode(contosoID, contosoClient, "openid offline_access User.Read")
	if err := h.srv.Faults().Add(Fault{Endpoint: EndpointToken, Kind: FaultSlowDown, Times: 1}); err != nil {
		t.Fatal(err)
	}
	resp, body := h.poll(contosoID, contosoClient, dc.DeviceCode)
	e := wantEntraError(t, resp, body, http.StatusBadRequest, "slow_down", 70016)
	if !strings.Contains(e.ErrorDescription, "10 seconds") {
		t.Errorf("slow_down does not say the new interval: %s", e.ErrorDescription)
	}
	resp, body = h.poll(contosoID, contosoClient, dc.DeviceCode)
	wantEntraError(t, resp, body, http.StatusBadRequest, "authorization_pending", 70016)
	if err := h.srv.Faults().Add(Fault{Endpoint: EndpointGraphMe, Kind: FaultSlowDown}); err == nil {
		t.Error("a slow_down fault at Graph was accepted; it is a token endpoint answer")
	}
}

func TestDeviceCodeApprovedThroughThePageInSteps(t *testing.T) {
	h := newHarness(t)
	dc := h.deviceCode(contosoID, contosoClient, "openid User.Read")

	resp, body := h.get("/devicelogin")
	if resp.StatusCode != http.StatusOK || !contains(body, "Enter code") || !contains(body, `name="user_code"`) {
		t.Fatalf("device login page: %d %s", resp.StatusCode, body)
	}
	// People type codes in lower case with dashes; the page accepts them.
	typed := strings.ToLower(dc.UserCode[:4] + "-" + dc.UserCode[4:])
	resp, body = h.post(devicelogin.Path, url.Values{devicelogin.FieldUserCode: {typed}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("entering the code: %d %s", resp.StatusCode, body)
	}
	for _, want := range []string{"Sign in", "Contoso", "oobe", "Enter password", `name="` + devicelogin.FieldUserCode + `" value="` + dc.UserCode + `"`,
		`name="` + devicelogin.FieldUsername + `"`, `name="` + devicelogin.FieldPassword + `"`,
		`name="` + devicelogin.FieldAction + `" value="` + devicelogin.ActionApprove + `"`, `name="` + devicelogin.FieldAction + `" value="` + devicelogin.ActionDeny + `"`} {
		if !contains(body, want) {
			t.Errorf("sign-in step lacks %q", want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'none'") {
		t.Errorf("CSP %q lets scripts run", csp)
	}
	resp, body = h.deviceLogin(dc.UserCode, adeleUPN, adelePassword, "approve")
	if resp.StatusCode != http.StatusOK || !contains(body, "You have signed in to the oobe application on your device") {
		t.Fatalf("approving: %d %s", resp.StatusCode, body)
	}
	h.clock.Advance(5 * time.Second)
	if resp, body := h.poll(contosoID, contosoClient, dc.DeviceCode); resp.StatusCode != http.StatusOK {
		t.Fatalf("polling: %d %s", resp.StatusCode, body)
	}
	if logs := h.logs.String(); strings.Contains(logs, dc.UserCode) || strings.Contains(logs, dc.DeviceCode) || strings.Contains(logs, adelePassword) {
		t.Errorf("the log contains a code or password:\n%s", logs)
	}
}

func TestDeviceCodeDeniedIsDeclined(t *testing.T) {
	h := newHarness(t)
	dc := h.deviceCode(contosoID, contosoClient, "openid")
	resp, body := h.deviceLogin(dc.UserCode, adeleUPN, adelePassword, "deny")
	if resp.StatusCode != http.StatusOK || !contains(body, "declined") {
		t.Fatalf("denying: %d %s", resp.StatusCode, body)
	}
	h.clock.Advance(5 * time.Second)
	resp, body = h.poll(contosoID, contosoClient, dc.DeviceCode)
	wantEntraError(t, resp, body, http.StatusBadRequest, "authorization_declined", 65004)
	// A settled code cannot be approved afterwards.
	resp, body = h.deviceLogin(dc.UserCode, adeleUPN, adelePassword, "approve")
	if resp.StatusCode != http.StatusBadRequest || !contains(body, "AADSTS70018") {
		t.Fatalf("approving a denied code: %d %s", resp.StatusCode, body)
	}
}

func TestDenyingADeviceCodeNeedsTheUsersCredentials(t *testing.T) {
	cases := []struct {
		name, username, password, want string
	}{
		{"no credentials at all", "", "", "Enter your username and your password."},
		{"a username without a password", adeleUPN, "", "Enter your username and your password."},
		{"a wrong password", adeleUPN, "wrong", "AADSTS50126"},
		{"a user of another tenant", alexUPN, alexPassword, "AADSTS50034"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			dc := h.deviceCode(contosoID, contosoClient, "openid")
			resp, body := h.deviceLogin(dc.UserCode, c.username, c.password, "deny")
			if resp.StatusCode != http.StatusBadRequest || !contains(body, c.want) {
				t.Fatalf("deny: %d, want 400 with %q: %s", resp.StatusCode, c.want, body)
			}
			// The code is still pending: the real user can still approve it.
			h.clock.Advance(5 * time.Second)
			resp, body = h.poll(contosoID, contosoClient, dc.DeviceCode)
			wantEntraError(t, resp, body, http.StatusBadRequest, "authorization_pending", 70016)
			h.approve(dc.UserCode, adeleUPN, adelePassword)
		})
	}
}

func TestDeviceCodeExpires(t *testing.T) {
	h := newHarness(t)
	dc := h.deviceCode(contosoID, contosoClient, "openid")
	h.clock.Advance(900 * time.Second)
	resp, body := h.poll(contosoID, contosoClient, dc.DeviceCode)
	wantEntraError(t, resp, body, http.StatusBadRequest, "expired_token", 70019)
	resp, body = h.deviceLogin(dc.UserCode, adeleUPN, adelePassword, "approve")
	if resp.StatusCode != http.StatusBadRequest || !contains(body, "AADSTS70019") {
		t.Fatalf("approving an expired code: %d %s", resp.StatusCode, body)
	}
}

func TestDeviceCodeIntervalAndExpiryAreConfigurable(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.DeviceCodeInterval = 2 * time.Second; c.DeviceCodeExpiry = time.Minute })
	dc := h.deviceCode(contosoID, contosoClient, "openid")
	if dc.Interval != 2 || dc.ExpiresIn != 60 {
		t.Fatalf("interval %d, expires_in %d", dc.Interval, dc.ExpiresIn)
	}
	h.clock.Advance(time.Minute)
	resp, body := h.poll(contosoID, contosoClient, dc.DeviceCode)
	wantEntraError(t, resp, body, http.StatusBadRequest, "expired_token", 70019)
}

func TestDeviceCodeBadCodes(t *testing.T) {
	h := newHarness(t)
	dc := h.deviceCode(contosoID, contosoClient, "openid")
	cases := []struct {
		name   string
		tenant string
		client string
		code   string
	}{
		{"an unknown device code", contosoID, contosoClient, "not-a-device-code"},
		{"another client's device code", fabrikamID, fabrikamApp, dc.DeviceCode},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := h.poll(c.tenant, c.client, c.code)
			wantEntraError(t, resp, body, http.StatusBadRequest, "bad_verification_code", 70018)
		})
	}
}

func TestDeviceLoginPageShowsTheMatchingEntraError(t *testing.T) {
	cases := []struct {
		name               string
		userCode           func(real string) string
		username, password string
		action             string
		want               string
	}{
		{"a wrong user code", func(string) string { return "ZZZZZZZZZ" }, adeleUPN, adelePassword, "approve", "AADSTS70018"},
		{"an empty user code", func(string) string { return "" }, adeleUPN, adelePassword, "approve", "Enter the code displayed on your app or device."},
		{"a wrong password", func(c string) string { return c }, adeleUPN, "nope", "approve", "AADSTS50126"},
		{"an unknown user", func(c string) string { return c }, "ghost@contoso.com", "x", "approve", "AADSTS50034"},
		{"a user of another tenant", func(c string) string { return c }, alexUPN, alexPassword, "approve", "AADSTS50034"},
		{"a missing password", func(c string) string { return c }, adeleUPN, "", "approve", "Enter your username and your password."},
		{"an unknown action", func(c string) string { return c }, adeleUPN, adelePassword, "maybe", "The action must be approve or deny."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			dc := h.deviceCode(contosoID, contosoClient, "openid")
			resp, body := h.deviceLogin(c.userCode(dc.UserCode), c.username, c.password, c.action)
			if resp.StatusCode != http.StatusBadRequest || !contains(body, c.want) {
				t.Fatalf("status %d, want 400 with %q: %s", resp.StatusCode, c.want, body)
			}
			// The device code is still pending: the person can try again.
			h.clock.Advance(5 * time.Second)
			resp, body = h.poll(contosoID, contosoClient, dc.DeviceCode)
			wantEntraError(t, resp, body, http.StatusBadRequest, "authorization_pending", 70016)
		})
	}
}

func TestSeededRandMakesCodesRepeatable(t *testing.T) {
	codes := func() deviceCodeResponse {
		h := newHarness(t, func(c *Config) { c.Rand = rand.NewChaCha8([32]byte{1, 2, 3}) })
		return h.deviceCode(contosoID, contosoClient, "openid")
	}
	a, b := codes(), codes()
	if a.UserCode != b.UserCode || a.DeviceCode != b.DeviceCode {
		t.Fatalf("codes differ with the same seed: %s/%s vs %s/%s", a.UserCode, a.DeviceCode, b.UserCode, b.DeviceCode)
	}
}
