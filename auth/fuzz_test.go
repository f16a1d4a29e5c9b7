package auth

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const entraErrorBody = `{"error":"authorization_pending","error_description":"AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. Continue polling. Trace ID: 0b4d5e2c-1111-4c4c-9c9c-5e5e5e5e5e5e Correlation ID: 7e0c3b61-2222-4d4d-8d8d-6f6f6f6f6f6f Timestamp: 2026-11-21 09:00:00Z","error_codes":[70016],"timestamp":"2026-11-21 09:00:00Z","trace_id":"0b4d5e2c-1111-4c4c-9c9c-5e5e5e5e5e5e","correlation_id":"7e0c3b61-2222-4d4d-8d8d-6f6f6f6f6f6f","error_uri":"https://login.microsoftonline.com/error?code=70016"}`

const tokenBody = `{"token_type":"Bearer","scope":"openid profile offline_access User.Read","expires_in":3599,"ext_expires_in":3599,"access_token":"eyJ0eXAi.x.y","refresh_token":"0.AAAA","id_token":"eyJhbGci.x.y"}`

func hasControl(s string) bool { return strings.ContainsFunc(s, isControl) }

func FuzzParseTokenResponse(f *testing.F) {
	f.Add(200, "", []byte(tokenBody))
	f.Add(200, "", []byte(`{"token_type":"bearer","access_token":"a","expires_in":"3599"}`))
	f.Add(400, "", []byte(entraErrorBody))
	f.Add(401, "", []byte(`{"error":"invalid_client","error_codes":[700025]}`))
	f.Add(429, "30", []byte(`{}`))
	f.Add(503, "abc", []byte(`<html>`))
	f.Add(400, "", []byte(`{"error":"x\u001b[31m","error_description":"AADSTS1\r\nforged line"}`))
	f.Fuzz(func(t *testing.T, status int, retry string, body []byte) {
		h := http.Header{}
		h.Set("Retry-After", retry)
		tok, err := parseTokenResponse(status, h, body)
		if err == nil {
			if status != http.StatusOK || tok.AccessToken == "" || tok.ExpiresIn < 0 || tok.ExpiresIn > maxLifetime {
				t.Fatalf("accepted status %d with %+v", status, tok)
			}
			return
		}
		var se *SignInError
		if !errors.As(err, &se) || se.Code == "" || se.Reason == "" {
			t.Fatalf("error %v is not a complete *SignInError", err)
		}
		if se.retryAfter < 0 || se.retryAfter > maxLifetime {
			t.Fatalf("retry after %v", se.retryAfter)
		}
		if hasControl(se.Error()) {
			t.Fatalf("control characters reach the message: %q", se.Error())
		}
	})
}

func FuzzParseDeviceAuthorization(f *testing.F) {
	f.Add(200, []byte(`{"device_code":"DAQABAAEAAAD","user_code":"KQ7XDRT4M","verification_uri":"https://microsoft.com/devicelogin","expires_in":900,"interval":5,"message":"To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code KQ7XDRT4M to authenticate."}`), true)
	f.Add(200, []byte(`{"device_code":"d","user_code":"u","verification_url":"http://127.0.0.1:1/devicelogin","expires_in":"900","interval":"5"}`), false)
	f.Add(400, []byte(entraErrorBody), true)
	f.Add(200, []byte(`{"device_code":"d","user_code":"u","verification_uri":"javascript:alert(1)","expires_in":1}`), false)
	f.Fuzz(func(t *testing.T, status int, body []byte, httpsOnly bool) {
		d, err := parseDeviceAuthorization(status, body, httpsOnly)
		if err != nil {
			var se *SignInError
			if !errors.As(err, &se) || se.Code == "" {
				t.Fatalf("error %v is not a *SignInError", err)
			}
			return
		}
		u, perr := url.Parse(d.VerificationURI)
		switch {
		case d.DeviceCode == "" || d.UserCode == "" || d.Message == "":
			t.Fatalf("accepted without codes or message: %+v", d)
		case d.ExpiresIn <= 0 || d.Interval <= 0 || d.ExpiresIn > maxLifetime || d.Interval > maxLifetime:
			t.Fatalf("accepted times %v %v", d.ExpiresIn, d.Interval)
		case perr != nil || (u.Scheme != "https" && (httpsOnly || u.Scheme != "http")):
			t.Fatalf("accepted verification URI %q", d.VerificationURI)
		}
	})
}

func FuzzParseCallbackQuery(f *testing.F) {
	f.Add("code=0.AAAA&state=abc&session_state=x")
	f.Add("error=access_denied&error_description=AADSTS65004%3A+User+declined&state=abc")
	f.Add("code=a&code=b&state=s")
	f.Add("state=s")
	f.Add("code=%zz")
	f.Fuzz(func(t *testing.T, raw string) {
		cb, err := parseCallbackQuery(raw)
		if err != nil {
			return
		}
		if cb.State == "" || (cb.Code == "") == (cb.Error == "") {
			t.Fatalf("accepted %q as %+v", raw, cb)
		}
		if len(cb.Code) > maxCallbackValue || len(cb.State) > maxCallbackValue {
			t.Fatalf("accepted an oversized value")
		}
	})
}

func FuzzParseDiscovery(f *testing.F) {
	base := "https://login.microsoftonline.com/" + testTenant
	f.Add([]byte(`{"issuer":"`+base+`/v2.0","authorization_endpoint":"`+base+`/oauth2/v2.0/authorize","token_endpoint":"`+base+`/oauth2/v2.0/token","jwks_uri":"`+base+`/discovery/v2.0/keys","id_token_signing_alg_values_supported":["RS256"]}`), "https://login.microsoftonline.com/"+testTenant)
	f.Add([]byte(`{"issuer":"https://login.microsoftonline.com/{tenantid}/v2.0","authorization_endpoint":"https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize","token_endpoint":"https://login.microsoftonline.com/organizations/oauth2/v2.0/token","jwks_uri":"https://login.microsoftonline.com/organizations/discovery/v2.0/keys"}`), "https://login.microsoftonline.com/organizations")
	f.Add([]byte(`{"issuer":"http://127.0.0.1:1/`+testTenant+`/v2.0","authorization_endpoint":"http://127.0.0.1:1/a","token_endpoint":"http://127.0.0.1:1/t","jwks_uri":"http://127.0.0.1:1/k"}`), "http://127.0.0.1:1/"+testTenant)
	f.Fuzz(func(t *testing.T, body []byte, rawAuthority string) {
		a, err := parseAuthority(rawAuthority)
		if err != nil {
			return
		}
		d, err := parseDiscovery(body, a)
		if err != nil {
			return
		}
		for _, u := range []string{d.Issuer, d.JWKSURI, d.TokenEndpoint, d.AuthorizationEndpoint} {
			pu, perr := url.Parse(u)
			if perr != nil || strings.ToLower(pu.Scheme+"://"+pu.Host) != a.origin {
				t.Fatalf("accepted %q for authority %s", u, a)
			}
			if a.https && (isLoopbackHost(pu.Hostname()) || pu.Scheme != "https") {
				t.Fatalf("accepted insecure %q for %s", u, a)
			}
		}
	})
}

func FuzzParseIDTokenParts(f *testing.F) {
	enc := base64.RawURLEncoding.EncodeToString
	f.Add(enc([]byte(`{"alg":"RS256","kid":"k","typ":"JWT"}`)) + "." + enc([]byte(`{"iss":"i","aud":["a","b"],"iat":1.5,"exp":2e9}`)) + ".sig")
	f.Add(enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(`{"aud":"a","nbf":null}`)) + ".")
	f.Add("a.b.c.d")
	f.Fuzz(func(t *testing.T, raw string) {
		if _, err := parseJWTHeader(raw); err != nil {
			return
		}
		payload, err := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[1])
		if err != nil {
			return
		}
		c, err := parseClaims(payload)
		if err != nil {
			return
		}
		for _, d := range []time.Time{c.IssuedAt, c.NotBefore, c.Expiry} {
			if !d.IsZero() && (d.Year() < 1970 || d.Year() > 9999) {
				t.Fatalf("date %v out of range", d)
			}
		}
	})
}

func FuzzParseAuthority(f *testing.F) {
	f.Add("https://login.microsoftonline.com/" + testTenant)
	f.Add("http://127.0.0.1:8080/organizations")
	f.Add("https://[::1]/common")
	f.Add("https://0x7f.1/common")
	f.Fuzz(func(t *testing.T, raw string) {
		a, err := parseAuthority(raw)
		if err != nil {
			return
		}
		u, err := url.Parse(a.String())
		if err != nil {
			t.Fatalf("canonical authority %q does not parse", a)
		}
		if a.loopback != isLoopbackHost(u.Hostname()) {
			t.Fatalf("authority %q: loopback %v", a, a.loopback)
		}
		if a.https && !a.loopback && numericHost(u.Hostname()) {
			t.Fatalf("https authority %q on an IP address", a)
		}
		if !a.https && !a.loopback {
			t.Fatalf("http authority %q off loopback", a)
		}
		if !a.multiTenant() && !isGUID(a.tenant) {
			t.Fatalf("tenant %q", a.tenant)
		}
	})
}
