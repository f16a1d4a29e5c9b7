package devicelogin_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/fixtures"
	"github.com/oobe-dev/oobe/internal/devicelogin"
	"github.com/oobe-dev/oobe/tenant"
)

// The demo tenant's Adele, and the app she signs in to.
const (
	tenantID = "39150fda-e360-47ce-b98e-d9250ba6f8e8"
	clientID = "9c6fb39d-8205-4a69-8a44-e2bae12741d2"
	upn      = "adele.vance@contoso.com"
	password = "Restore-2026!"
)

// newTenant serves the demo tenant on loopback, on a virtual clock.
func newTenant(t *testing.T) (*tenant.Server, string, clock.Clock) {
	t.Helper()
	tenants, err := tenant.LoadFixtures(fixtures.Demo())
	if err != nil {
		t.Fatal(err)
	}
	vc := clock.NewVirtual(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC))
	srv, err := tenant.New(tenant.Config{Tenants: tenants, Clock: vc})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); _ = srv.Close() })
	srv.SetBaseURL(ts.URL)
	return srv, ts.URL, vc
}

// signIn runs the real device code flow against the tenant, with person acting on the page.
func signIn(t *testing.T, base string, c clock.Clock, person func(p auth.DeviceCodePrompt) error) (*auth.Result, error, error) {
	t.Helper()
	ac, err := auth.New(context.Background(), auth.Config{Authority: base + "/" + tenantID, ClientID: clientID, Clock: c, Scopes: auth.DefaultScopes()})
	if err != nil {
		t.Fatal(err)
	}
	var pageErr error
	res, err := ac.DeviceCode(context.Background(), func(p auth.DeviceCodePrompt) {
		if p.VerificationURI != base+devicelogin.Path {
			t.Errorf("verification_uri %q, want the page at %q", p.VerificationURI, base+devicelogin.Path)
		}
		pageErr = person(p)
	})
	return res, err, pageErr
}

func TestApproveSignsTheDeviceIn(t *testing.T) {
	_, base, c := newTenant(t)
	res, err, pageErr := signIn(t, base, c, func(p auth.DeviceCodePrompt) error {
		return devicelogin.Approve(context.Background(), nil, p.VerificationURI, p.UserCode, upn, password)
	})
	if pageErr != nil || err != nil {
		t.Fatalf("approving: %v; signing in: %v", pageErr, err)
	}
	if res.AccessToken == "" || !strings.EqualFold(res.Identity.UPN, upn) {
		t.Fatalf("signed in as %q with token %q", res.Identity.UPN, res.AccessToken)
	}
}

func TestDenyEndsTheDevicesSignIn(t *testing.T) {
	_, base, c := newTenant(t)
	_, err, pageErr := signIn(t, base, c, func(p auth.DeviceCodePrompt) error {
		return devicelogin.Deny(context.Background(), nil, p.VerificationURI, p.UserCode, upn, password)
	})
	if pageErr != nil {
		t.Fatalf("declining: %v", pageErr)
	}
	if err == nil || !strings.Contains(err.Error(), "declined") {
		t.Fatalf("after a decline the device signed in or failed otherwise: %v", err)
	}
}

func TestTheRefusalsCarryThePagesEntraError(t *testing.T) {
	_, base, _ := newTenant(t)
	cases := []struct {
		name                   string
		code, user, pw, action string
		status, aadsts         int
	}{
		{name: "a wrong password", user: upn, pw: "not-" + password, action: devicelogin.ActionApprove, status: 400, aadsts: 50126},
		{name: "a wrong password when declining", user: upn, pw: "not-" + password, action: devicelogin.ActionDeny, status: 400, aadsts: 50126},
		{name: "a code nobody was given", code: "AAAAAAAAA", user: upn, pw: password, action: devicelogin.ActionApprove, status: 400, aadsts: 70018},
		{name: "no username", pw: password, action: devicelogin.ActionApprove, status: 400, aadsts: 900144},
		{name: "an action the page does not know", user: upn, pw: password, action: "maybe", status: 400, aadsts: 900144},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code := c.code
			if code == "" {
				code = deviceCode(t, base)
			}
			err := devicelogin.Post(context.Background(), nil, base+devicelogin.Path, devicelogin.Form(code, c.user, c.pw, c.action))
			var re *devicelogin.RefusedError
			if !errors.As(err, &re) {
				t.Fatalf("got %v, want a *RefusedError", err)
			}
			if re.Status != c.status || re.Code != c.aadsts || !strings.HasPrefix(re.Message, "AADSTS") || !strings.Contains(err.Error(), re.Message) {
				t.Fatalf("HTTP %d AADSTS%d %q (%v), want HTTP %d AADSTS%d", re.Status, re.Code, re.Message, err, c.status, c.aadsts)
			}
			if !devicelogin.IsRefused(err, c.aadsts) || !devicelogin.IsRefused(err, 0) || devicelogin.IsRefused(err, 1) {
				t.Fatalf("IsRefused does not match %v", err)
			}
		})
	}
}

// deviceCode asks the tenant for a device code, as a device would, and returns its user code.
func deviceCode(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.PostForm(base+"/"+tenantID+"/oauth2/v2.0/devicecode", url.Values{"client_id": {clientID}, "scope": {"openid profile"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var dc struct {
		UserCode string `json:"user_code"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&dc); err != nil || resp.StatusCode != 200 || dc.UserCode == "" {
		t.Fatalf("devicecode: HTTP %d, %v, %+v", resp.StatusCode, err, dc)
	}
	return dc.UserCode
}

func TestPostReadsWhatThePageAnswers(t *testing.T) {
	cases := []struct {
		name        string
		status      int
		contentType string
		body        string
		wantErr     bool
		code        int
		message     string
	}{
		{name: "a signed-in page", status: 200, contentType: "text/html", body: "<h1>Signed in</h1>"},
		{name: "an error page", status: 400, contentType: "text/html",
			body:    "<main><div class=\"error\" role=\"alert\">\n<p>AADSTS50126: Error validating credentials &amp; more.</p>\n<p class=\"meta\">Trace ID: x</p></div></main>",
			wantErr: true, code: 50126, message: "AADSTS50126: Error validating credentials & more."},
		{name: "an Entra JSON error", status: 405, contentType: "application/json",
			body:    `{"error":"invalid_request","error_description":"AADSTS900561: The endpoint only accepts POST requests.","error_codes":[900561]}`,
			wantErr: true, code: 900561, message: "AADSTS900561: The endpoint only accepts POST requests."},
		{name: "a JSON error whose description lacks its code", status: 503, contentType: "application/json",
			body:    `{"error":"temporarily_unavailable","error_description":"Try again.","error_codes":[90033]}`,
			wantErr: true, code: 90033, message: "AADSTS90033: Try again."},
		{name: "an error without an Entra error", status: 502, contentType: "text/plain", body: "bad gateway", wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got url.Values
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if err := r.ParseForm(); err != nil || r.Method != http.MethodPost || r.URL.Path != devicelogin.Path {
					t.Errorf("%s %s: %v", r.Method, r.URL.Path, err)
				}
				got = r.PostForm
				w.Header().Set("Content-Type", c.contentType)
				w.WriteHeader(c.status)
				_, _ = w.Write([]byte(c.body))
			}))
			defer ts.Close()
			err := devicelogin.Approve(context.Background(), ts.Client(), ts.URL+devicelogin.Path, "BQXK7MNP4", upn, password)
			want := devicelogin.Form("BQXK7MNP4", upn, password, devicelogin.ActionApprove)
			if got.Encode() != want.Encode() {
				t.Errorf("posted %v, want %v", got, want)
			}
			if !c.wantErr {
				if err != nil {
					t.Fatalf("HTTP %d: %v", c.status, err)
				}
				return
			}
			var re *devicelogin.RefusedError
			if !errors.As(err, &re) || re.Status != c.status || re.Code != c.code || re.Message != c.message {
				t.Fatalf("got %#v (%v), want HTTP %d AADSTS%d %q", re, err, c.status, c.code, c.message)
			}
		})
	}
}

func TestPostWithoutAnAnswerIsNotARefusal(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	page := ts.URL + devicelogin.Path
	ts.Close()
	err := devicelogin.Approve(context.Background(), nil, page, "BQXK7MNP4", upn, password)
	if err == nil || devicelogin.IsRefused(err, 0) || !strings.Contains(err.Error(), "posting to the device login page") {
		t.Fatalf("a closed server: %v", err)
	}
}
