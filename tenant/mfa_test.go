package tenant

import (
	"context"
	"encoding/base32"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/internal/devicelogin"
)

// adeleSecret is the authenticator secret the tests give Adele (base32 of RFC 6238's SHA-1 key).
var adeleSecret = base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))

const adeleTAP = "Tap-Pass-2026!"

// withMFA gives Adele methods and sets Contoso's Conditional Access.
func withMFA(ca ConditionalAccess, m *MFAMethods) func(*Config) {
	return func(c *Config) {
		c.Tenants[0].ConditionalAccess = ca
		for i := range c.Tenants[0].Users {
			if c.Tenants[0].Users[i].UPN == adeleUPN {
				c.Tenants[0].Users[i].MFA = m
			}
		}
	}
}

func TestTOTPMatchesRFC6238TestVectors(t *testing.T) {
	// RFC 6238 appendix B, SHA-1, eight digits; six digits are the last six of them.
	key := []byte("12345678901234567890")
	vectors := []struct {
		unix int64
		want string
	}{
		{59, "94287082"}, {1111111109, "07081804"}, {1111111111, "14050471"},
		{1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
	}
	for _, v := range vectors {
		at := time.Unix(v.unix, 0)
		if got := totpAt(key, at, 8); got != v.want {
			t.Errorf("TOTP at %d = %s, want %s", v.unix, got, v.want)
		}
		six, err := TOTP(adeleSecret, at)
		if err != nil || six != v.want[2:] {
			t.Errorf("TOTP(secret, %d) = %q, %v, want %s", v.unix, six, err, v.want[2:])
		}
	}
}

func TestTOTPTakesTheNeighbouringStepOnly(t *testing.T) {
	now := time.Unix(1234567890, 0)
	for _, c := range []struct {
		name string
		at   time.Duration
		ok   bool
	}{
		{"the current code", 0, true}, {"the previous step's code", -30 * time.Second, true},
		{"the next step's code", 30 * time.Second, true}, {"a code two steps old", -60 * time.Second, false},
	} {
		code, _ := TOTP(adeleSecret, now.Add(c.at))
		if got := totpMatches(adeleSecret, code, now); got != c.ok {
			t.Errorf("%s: matches = %v, want %v", c.name, got, c.ok)
		}
	}
	if totpMatches(adeleSecret, "12345", now) {
		t.Error("a five-digit code matched")
	}
}

var (
	methodFieldRE = regexp.MustCompile(`name="method" value="([^"]*)"`)
	headingRE     = regexp.MustCompile(`<h1>([^<]*)</h1>`)
)

// mfaPageOf checks body is the MFA step and returns its method and heading.
func mfaPageOf(t *testing.T, body []byte) (method, heading string) {
	t.Helper()
	m, h := methodFieldRE.FindSubmatch(body), headingRE.FindSubmatch(body)
	if m == nil || h == nil {
		t.Fatalf("not the MFA step: %s", body)
	}
	return string(m[1]), string(h[1])
}

// graphAMR is the amr of the Graph access token in a token answer.
func (h *harness) graphAMR(body []byte) []string {
	h.t.Helper()
	tr := decodeJSON[tokenResponse](h.t, body)
	c := h.graphToken(contosoID, tr.AccessToken)
	raw, _ := json.Marshal(c["amr"])
	var amr []string
	_ = json.Unmarshal(raw, &amr)
	return amr
}

// authorizeMFA signs Adele in with her password and answers the MFA step with form; it returns
// the final answer (a redirect on success).
func (h *harness) authorizeMFA(q url.Values, answer url.Values) (*http.Response, []byte) {
	h.t.Helper()
	flow := h.startAuthorize(contosoID, q)
	resp, body := h.submitSignIn(contosoID, flow, adeleUPN, adelePassword, "signin")
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("password step: %d %s", resp.StatusCode, body)
	}
	answer.Set("flow", flow)
	return h.post("/"+contosoID+"/oauth2/v2.0/authorize", answer)
}

func TestRequireMFAAsksForTheAuthenticatorCodeAfterThePassword(t *testing.T) {
	h := newHarness(t, withMFA(ConditionalAccess{RequireMFA: true}, &MFAMethods{Authenticator: adeleSecret}))
	redirect := "http://127.0.0.1:5000/"
	q := authorizeQuery(redirect, "", "")
	flow := h.startAuthorize(contosoID, q)
	resp, body := h.submitSignIn(contosoID, flow, adeleUPN, adelePassword, "signin")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("password step: %d %s", resp.StatusCode, body)
	}
	if m, hd := mfaPageOf(t, body); m != "otp" || hd != "Enter code" {
		t.Fatalf("MFA step shows %q %q, want otp \"Enter code\"", m, hd)
	}
	if contains(body, adeleSecret) || contains(body, adelePassword) {
		t.Fatal("the MFA page shows a secret")
	}
	code, _ := TOTP(adeleSecret, h.clock.Now())
	resp, body = h.post("/"+contosoID+"/oauth2/v2.0/authorize", url.Values{"flow": {flow}, "action": {"verify"}, "method": {"otp"}, "otc": {code}})
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("code step: %d %s", resp.StatusCode, body)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	resp, body = h.redeem(loc.Query().Get("code"), redirect, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("redeem: %d %s", resp.StatusCode, body)
	}
	if got := strings.Join(h.graphAMR(body), " "); got != "pwd otp mfa" {
		t.Errorf("amr = %q, want pwd otp mfa", got)
	}
}

func TestAWrongCodeIsRefusedWithAADSTS500121AndTheStepStaysOpen(t *testing.T) {
	h := newHarness(t, withMFA(ConditionalAccess{RequireMFA: true}, &MFAMethods{Authenticator: adeleSecret}))
	q := authorizeQuery("http://127.0.0.1:5000/", "", "")
	flow := h.startAuthorize(contosoID, q)
	h.submitSignIn(contosoID, flow, adeleUPN, adelePassword, "signin")
	code, _ := TOTP(adeleSecret, h.clock.Now())
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	resp, body := h.post("/"+contosoID+"/oauth2/v2.0/authorize", url.Values{"flow": {flow}, "action": {"verify"}, "otc": {wrong}})
	if resp.StatusCode != http.StatusBadRequest || !contains(body, "AADSTS500121: You didn&#39;t enter the expected verification code") {
		t.Fatalf("wrong code: %d %s", resp.StatusCode, body)
	}
	mfaPageOf(t, body)
	resp, body = h.post("/"+contosoID+"/oauth2/v2.0/authorize", url.Values{"flow": {flow}, "action": {"verify"}, "otc": {code}})
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("the right code after a wrong one: %d %s", resp.StatusCode, body)
	}
}

func TestNoPolicyMeansNoMFAStepAndAPasswordAMR(t *testing.T) {
	h := newHarness(t, withMFA(ConditionalAccess{}, &MFAMethods{Authenticator: adeleSecret, Passkey: true}))
	redirect := "http://127.0.0.1:5000/"
	code := h.authCodeFor(authorizeQuery(redirect, "", ""))
	resp, body := h.redeem(code, redirect, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("redeem: %d %s", resp.StatusCode, body)
	}
	if got := strings.Join(h.graphAMR(body), " "); got != "pwd" {
		t.Errorf("amr = %q, want pwd", got)
	}
}

// backupsChallenge is the claims challenge the tenant sends with a refused restore experience token.
func (h *harness) backupsChallenge(rt string) string {
	h.t.Helper()
	resp, body := h.refreshFor(rt, backupsScope)
	e := wantEntraError(h.t.(*testing.T), resp, body, 400, "invalid_grant", 50076)
	_ = e
	var raw struct {
		Claims string `json:"claims"`
	}
	_ = json.Unmarshal(body, &raw)
	if raw.Claims == "" {
		h.t.Fatalf("no claims challenge: %s", body)
	}
	return raw.Claims
}

func TestPhishingResistantChallengeIsSatisfiedByAPasskeyAndRefreshesKeepIt(t *testing.T) {
	h := newHarness(t, withMFA(ConditionalAccess{RequirePhishingResistantMFA: true}, &MFAMethods{Authenticator: adeleSecret, Passkey: true}))
	redirect := "http://127.0.0.1:5000/"
	// Setup's sign-in: a password alone (no policy asks for more for Graph).
	resp, body := h.redeem(h.authCodeFor(authorizeQuery(redirect, "", "")), redirect, "")
	first := decodeJSON[tokenResponse](t, body)
	claims := h.backupsChallenge(first.RefreshToken)

	// The interactive sign-in with the claims asks for the passkey, not the code.
	q := authorizeQuery(redirect, "", "")
	q.Set("claims", claims)
	flow := h.startAuthorize(contosoID, q)
	resp, body = h.submitSignIn(contosoID, flow, adeleUPN, adelePassword, "signin")
	if m, hd := mfaPageOf(t, body); m != "passkey" || hd != "Sign in with a passkey" {
		t.Fatalf("MFA step shows %q %q, want the passkey", m, hd)
	}
	if contains(body, `value="otp"`) || contains(body, `value="tap"`) {
		t.Fatalf("a phishing-resistant step offers a code or a TAP: %s", body)
	}
	// A browser that cannot reach its passkey posts nothing for it.
	resp, body = h.post("/"+contosoID+"/oauth2/v2.0/authorize", url.Values{"flow": {flow}, "action": {"verify"}, "method": {"passkey"}})
	if resp.StatusCode != http.StatusBadRequest || !contains(body, "AADSTS500121") {
		t.Fatalf("no passkey: %d %s", resp.StatusCode, body)
	}
	// A code is not accepted for the demand.
	code, _ := TOTP(adeleSecret, h.clock.Now())
	resp, body = h.post("/"+contosoID+"/oauth2/v2.0/authorize", url.Values{"flow": {flow}, "action": {"verify"}, "method": {"otp"}, "otc": {code}})
	if resp.StatusCode != http.StatusBadRequest || !contains(body, "AADSTS50079") {
		t.Fatalf("a code for a phishing-resistant demand: %d %s", resp.StatusCode, body)
	}
	resp, body = h.post("/"+contosoID+"/oauth2/v2.0/authorize", url.Values{"flow": {flow}, "action": {"verify"}, "method": {"passkey"}, "passkey": {"used"}})
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("passkey: %d %s", resp.StatusCode, body)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	resp, body = h.redeem(loc.Query().Get("code"), redirect, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("redeem: %d %s", resp.StatusCode, body)
	}
	if got := strings.Join(h.graphAMR(body), " "); got != "pwd fido mfa" {
		t.Errorf("amr = %q, want pwd fido mfa", got)
	}
	second := decodeJSON[tokenResponse](t, body)
	// The new session's refresh token carries its strength: the restore experience app, then a
	// rotated refresh token again, without a new prompt.
	resp, body = h.refreshFor(second.RefreshToken, backupsScope)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh for the restore experience app: %d %s", resp.StatusCode, body)
	}
	rotated := decodeJSON[tokenResponse](t, body).RefreshToken
	if resp, body = h.refreshFor(rotated, backupsScope); resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh with the rotated token: %d %s", resp.StatusCode, body)
	}
	// The first session's refresh token is still refused.
	h.backupsChallenge(first.RefreshToken)
}

func TestAChallengeForAUserWithoutAPasskeyAsksToRegisterOne(t *testing.T) {
	h := newHarness(t, withMFA(ConditionalAccess{RequirePhishingResistantMFA: true}, &MFAMethods{Authenticator: adeleSecret, TemporaryAccessPass: &TemporaryAccessPass{Pass: adeleTAP}}))
	q := authorizeQuery("http://127.0.0.1:5000/", "", "")
	q.Set("claims", `{"access_token":{"capolids":{"essential":true,"values":["`+policyID(contosoID, policyPhishingResistant)+`"]}}}`)
	flow := h.startAuthorize(contosoID, q)
	_, body := h.submitSignIn(contosoID, flow, adeleUPN, adelePassword, "signin")
	if m, _ := mfaPageOf(t, body); m != "" || !contains(body, "AADSTS50079") {
		t.Fatalf("want a registration demand without a method: %s", body)
	}
	resp, _ := h.post("/"+contosoID+"/oauth2/v2.0/authorize", url.Values{"flow": {flow}, "action": {"verify"}, "method": {"tap"}, "tap": {adeleTAP}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a TAP satisfied the phishing-resistant strength: %d", resp.StatusCode)
	}
}

func TestATemporaryAccessPassSatisfiesMFAAndAOneTimePassWorksOnce(t *testing.T) {
	h := newHarness(t, withMFA(ConditionalAccess{RequireMFA: true}, &MFAMethods{TemporaryAccessPass: &TemporaryAccessPass{Pass: adeleTAP, UsableOnce: true}}))
	q := authorizeQuery("http://127.0.0.1:5000/", "", "")
	resp, body := h.authorizeMFA(q, url.Values{"action": {"verify"}, "method": {"tap"}, "tap": {adeleTAP}})
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("TAP: %d %s", resp.StatusCode, body)
	}
	resp, body = h.authorizeMFA(q, url.Values{"action": {"verify"}, "method": {"tap"}, "tap": {adeleTAP}})
	if resp.StatusCode != http.StatusBadRequest || !contains(body, "AADSTS500121") {
		t.Fatalf("a one-time TAP used twice: %d %s", resp.StatusCode, body)
	}
}

func TestTheMFAStepSwitchesToAnotherMethodTheUserHas(t *testing.T) {
	h := newHarness(t, withMFA(ConditionalAccess{RequireMFA: true}, &MFAMethods{Authenticator: adeleSecret, TemporaryAccessPass: &TemporaryAccessPass{Pass: adeleTAP}}))
	q := authorizeQuery("http://127.0.0.1:5000/", "", "")
	resp, body := h.authorizeMFA(q, url.Values{"switch": {"tap"}})
	if m, hd := mfaPageOf(t, body); resp.StatusCode != 200 || m != "tap" || hd != "Enter Temporary Access Pass" {
		t.Fatalf("switch: %d %q %q", resp.StatusCode, m, hd)
	}
	resp, body = h.authorizeMFA(q, url.Values{"switch": {"passkey"}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("switching to a method the user lacks: %d %s", resp.StatusCode, body)
	}
}

func TestARefreshTokenWithoutMFAIsRefusedWhenMFAIsRequired(t *testing.T) {
	// A session from before the policy: its refresh token has a password alone.
	h := newHarness(t, withMFA(ConditionalAccess{}, &MFAMethods{Authenticator: adeleSecret}))
	tok := h.signInWithDeviceCode(contosoID, contosoClient, adeleUPN, adelePassword)
	h.srv.byID[contosoID].t.ConditionalAccess.RequireMFA = true
	resp, body := h.refreshFor(tok.RefreshToken, "User.Read")
	wantEntraError(t, resp, body, 400, "invalid_grant", 50076)
	if !contains(body, policyID(contosoID, policyRequireMFA)) {
		t.Errorf("the challenge does not name the MFA policy: %s", body)
	}
}

func TestDeviceLoginAsksForTheSecondFactor(t *testing.T) {
	h := newHarness(t, withMFA(ConditionalAccess{RequireMFA: true}, &MFAMethods{Authenticator: adeleSecret}))
	dc := h.deviceCode(contosoID, contosoClient, harnessScope)
	page := h.url(devicelogin.Path)
	err := devicelogin.Approve(context.Background(), h.client, page, dc.UserCode, adeleUPN, adelePassword)
	var need *devicelogin.MFARequiredError
	if !asMFA(err, &need) || need.Method != devicelogin.MethodCode || need.Heading != "Enter code" {
		t.Fatalf("Approve without MFA = %v, want the code step", err)
	}
	wrong := devicelogin.MFA{Code: func() (string, error) { return "000000", nil }}
	if c, _ := TOTP(adeleSecret, h.clock.Now()); c == "000000" {
		wrong.Code = func() (string, error) { return "111111", nil }
	}
	if err := devicelogin.ApproveWithMFA(context.Background(), h.client, page, dc.UserCode, adeleUPN, adelePassword, wrong); !devicelogin.IsRefused(err, 500121) {
		t.Fatalf("a wrong code = %v, want AADSTS500121", err)
	}
	right := devicelogin.MFA{Code: func() (string, error) { return TOTP(adeleSecret, h.clock.Now()) }}
	if err := devicelogin.ApproveWithMFA(context.Background(), h.client, page, dc.UserCode, adeleUPN, adelePassword, right); err != nil {
		t.Fatalf("the right code: %v", err)
	}
	h.clock.Advance(time.Duration(dc.Interval) * time.Second)
	resp, body := h.poll(contosoID, contosoClient, dc.DeviceCode)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("poll: %d %s", resp.StatusCode, body)
	}
	if got := strings.Join(h.graphAMR(body), " "); got != "pwd otp mfa" {
		t.Errorf("amr = %q", got)
	}
}

func TestDeviceLoginTakesTheSecondFactorInOnePost(t *testing.T) {
	h := newHarness(t, withMFA(ConditionalAccess{RequireMFA: true}, &MFAMethods{Passkey: true}))
	dc := h.deviceCode(contosoID, contosoClient, harnessScope)
	form := devicelogin.Form(dc.UserCode, adeleUPN, adelePassword, devicelogin.ActionApprove)
	form.Set(devicelogin.FieldMethod, devicelogin.MethodPasskey)
	form.Set(devicelogin.FieldPasskey, devicelogin.PasskeyUsed)
	if err := devicelogin.Post(context.Background(), h.client, h.url(devicelogin.Path), form); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Duration(dc.Interval) * time.Second)
	if resp, body := h.poll(contosoID, contosoClient, dc.DeviceCode); resp.StatusCode != http.StatusOK {
		t.Fatalf("poll: %d %s", resp.StatusCode, body)
	}
}

func asMFA(err error, target **devicelogin.MFARequiredError) bool {
	e, ok := err.(*devicelogin.MFARequiredError)
	*target = e
	return ok
}

func TestFormFieldsMatchTheClients(t *testing.T) {
	pairs := [][2]string{
		{fieldMethod, devicelogin.FieldMethod}, {fieldOTC, devicelogin.FieldOTC}, {fieldTAP, devicelogin.FieldTAP},
		{fieldPasskey, devicelogin.FieldPasskey}, {fieldSwitch, devicelogin.FieldSwitch}, {passkeyUsed, devicelogin.PasskeyUsed},
		{string(methodOTP), devicelogin.MethodCode}, {string(methodPasskey), devicelogin.MethodPasskey}, {string(methodTAP), devicelogin.MethodTAP},
	}
	for _, p := range pairs {
		if p[0] != p[1] {
			t.Errorf("tenant names %q, devicelogin %q", p[0], p[1])
		}
	}
}

func TestMFAFixtureErrorsNameTheFieldAndNotTheSecret(t *testing.T) {
	base := "tenant: {id: 39150fda-e360-47ce-b98e-d9250ba6f8e8, name: C, domains: [c.example]}\n" +
		"apps: [{name: a, clientId: 9c6fb39d-8205-4a69-8a44-e2bae12741d2, public: true}]\n" +
		"users:\n  - {upn: a@c.example, displayName: A, password: p, objectId: 6f162abf-414f-4b42-bd2a-7ff532bb3859,\n     mfa: %s}\n"
	cases := []struct{ name, mfa, want, secret string }{
		{"an empty block", "{}", "users[0].mfa names no method", ""},
		{"a secret that is not base32", "{authenticator: NOTBASE1NOTBASE1NOT!}", "users[0].mfa.authenticator is not base32", "NOTBASE1NOTBASE1"},
		{"a short secret", "{authenticator: JBSWY3DP}", "users[0].mfa.authenticator is not 16 to 128", "JBSWY3DP"},
		{"a short pass", "{temporaryAccessPass: abc}", "users[0].mfa.temporaryAccessPass is 3 characters", "abc"},
		{"an unknown key", "{passkeys: true}", "passkeys", ""},
		{"an unknown pass key", "{temporaryAccessPass: {pass: abcdefgh1, once: true}}", "once", "abcdefgh1"},
	}
	for _, c := range cases {
		_, err := ParseTenant("t.yaml", []byte(strings.Replace(base, "%s", c.mfa, 1)), nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
			continue
		}
		if c.secret != "" && strings.Contains(err.Error(), c.secret) {
			t.Errorf("%s: the error shows the secret: %v", c.name, err)
		}
	}
	good := strings.Replace(base, "%s", "{authenticator: "+adeleSecret+", passkey: true, temporaryAccessPass: {pass: "+adeleTAP+", usableOnce: true}}", 1)
	tn, err := ParseTenant("t.yaml", []byte(good), nil)
	if err != nil {
		t.Fatal(err)
	}
	if m := tn.Users[0].MFA; m == nil || !m.Passkey || m.TemporaryAccessPass == nil || !m.TemporaryAccessPass.UsableOnce {
		t.Fatalf("parsed %+v", tn.Users[0].MFA)
	}
	short := strings.Replace(base, "%s", "{temporaryAccessPass: "+adeleTAP+"}", 1)
	if tn, err := ParseTenant("t.yaml", []byte(short), nil); err != nil || tn.Users[0].MFA.TemporaryAccessPass.Pass != adeleTAP || tn.Users[0].MFA.TemporaryAccessPass.UsableOnce {
		t.Fatalf("a pass alone: %v", err)
	}
}

func TestAnInteractiveRequestForTheRestoreExperienceAppAsksForThePasskeyDirectly(t *testing.T) {
	h := newHarness(t, withMFA(ConditionalAccess{RequirePhishingResistantMFA: true}, &MFAMethods{Authenticator: adeleSecret, Passkey: true}))
	q := authorizeQuery("http://127.0.0.1:5000/", "", "")
	q.Set("scope", "openid offline_access "+backupsScope)
	flow := h.startAuthorize(contosoID, q)
	_, body := h.submitSignIn(contosoID, flow, adeleUPN, adelePassword, "signin")
	if m, _ := mfaPageOf(t, body); m != "passkey" {
		t.Fatalf("the step asks for %q, want the passkey", m)
	}
	// Graph alone, without the claims, asks for nothing more.
	q.Set("scope", "openid offline_access User.Read")
	flow = h.startAuthorize(contosoID, q)
	if resp, body := h.submitSignIn(contosoID, flow, adeleUPN, adelePassword, "signin"); resp.StatusCode != http.StatusFound {
		t.Fatalf("a Graph sign-in under the restore app's policy: %d %s", resp.StatusCode, body)
	}
}

func TestAMalformedClaimsParameterGoesBackToTheApp(t *testing.T) {
	h := newHarness(t)
	q := authorizeQuery("http://127.0.0.1:5000/", "", "")
	q.Set("claims", "{not json")
	resp, body := h.get("/" + contosoID + "/oauth2/v2.0/authorize?" + q.Encode())
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc.Query().Get("error") != "invalid_request" {
		t.Fatalf("malformed claims: %d %s %s", resp.StatusCode, loc, body)
	}
}
