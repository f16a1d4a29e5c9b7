package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/fixtures"
	"github.com/oobe-dev/oobe/internal/devicelogin"
	"github.com/oobe-dev/oobe/tenant"
)

// These tests sign in over real HTTP on 127.0.0.1 against the simulated tenant, with the
// client and the tenant sharing one virtual clock, as a replay does.

const (
	contosoID     = "39150fda-e360-47ce-b98e-d9250ba6f8e8"
	contosoClient = "9c6fb39d-8205-4a69-8a44-e2bae12741d2"
	adeleUPN      = "adele.vance@contoso.com"
	adelePassword = "Restore-2026!"
	adeleOID      = "6f162abf-414f-4b42-bd2a-7ff532bb3859"
)

var simStart = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

type sim struct {
	srv   *tenant.Server
	url   string
	clock *clock.Virtual
}

func newSim(tb testing.TB) *sim {
	tb.Helper()
	tenants, err := tenant.LoadFixtures(fixtures.Demo())
	if err != nil {
		tb.Fatal(err)
	}
	vc := clock.NewVirtual(simStart)
	srv, err := tenant.New(tenant.Config{Tenants: tenants, Clock: vc})
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	tb.Cleanup(ts.Close)
	srv.SetBaseURL(ts.URL)
	return &sim{srv: srv, url: ts.URL, clock: vc}
}

func (s *sim) client(tb testing.TB, hc *http.Client) *auth.Client {
	tb.Helper()
	c, err := auth.New(context.Background(), auth.Config{
		Authority: s.srv.Authority(contosoID), ClientID: contosoClient, Clock: s.clock, HTTPClient: hc,
		// Setup's Graph permissions, as the demo app registration has them consented.
		Scopes: append(auth.DefaultScopes(), "UserWindowsSettings.Read"),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// devicePage plays the person on the device sign-in page, as a script would, and returns the
// page's HTTP status.
func (s *sim) devicePage(tb testing.TB, userCode, user, password, action string) int {
	tb.Helper()
	err := devicelogin.Post(context.Background(), http.DefaultClient, s.url+devicelogin.Path, devicelogin.Form(userCode, user, password, action))
	var refused *devicelogin.RefusedError
	switch {
	case err == nil:
		return http.StatusOK
	case errors.As(err, &refused):
		return refused.Status
	}
	tb.Fatal(err)
	return 0
}

// pollHook runs fn after the n-th device-code poll of the token endpoint has been answered.
type pollHook struct {
	mu    sync.Mutex
	polls int
	after map[int]func()
}

func (h *pollHook) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") {
		h.mu.Lock()
		h.polls++
		fn := h.after[h.polls]
		h.mu.Unlock()
		if fn != nil {
			fn()
		}
	}
	return resp, err
}

func graphMe(tb testing.TB, s *sim, accessToken string) (int, map[string]any) {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.url+"/v1.0/me", nil)
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func checkAdele(t *testing.T, s *sim, res *auth.Result) {
	t.Helper()
	c := res.Claims
	if c == nil {
		t.Fatal("no verified claims on the result")
	}
	if res.Identity.UPN != adeleUPN || res.Identity.TenantID != contosoID || res.Identity.ObjectID != adeleOID || res.Identity.Name != "Adele Vance" {
		t.Fatalf("identity = %+v", res.Identity)
	}
	if c.Issuer != s.srv.Authority(contosoID)+"/v2.0" || len(c.Audience) != 1 || c.Audience[0] != contosoClient || c.Version != "2.0" || c.Subject == "" || c.Subject == adeleOID {
		t.Fatalf("claims = %+v: want Entra's iss, aud, ver 2.0 and a pairwise sub", c)
	}
	code, me := graphMe(t, s, res.AccessToken)
	if code != http.StatusOK || me["id"] != adeleOID || me["userPrincipalName"] != adeleUPN {
		t.Fatalf("GET /v1.0/me with the access token: %d %v", code, me)
	}
}

func TestDeviceCodeSignInEndToEnd(t *testing.T) {
	s := newSim(t)
	var userCode string
	hook := &pollHook{}
	hook.after = map[int]func(){1: func() {
		if code := s.devicePage(t, userCode, adeleUPN, adelePassword, "approve"); code != http.StatusOK {
			t.Errorf("approve: HTTP %d", code)
		}
	}}
	c := s.client(t, &http.Client{Transport: hook})
	var prompt auth.DeviceCodePrompt
	res, err := c.DeviceCode(context.Background(), func(p auth.DeviceCodePrompt) { prompt, userCode = p, p.UserCode })
	if err != nil {
		t.Fatal(err)
	}
	checkAdele(t, s, res)
	if len(prompt.UserCode) != 9 || prompt.VerificationURI != s.url+"/devicelogin" || prompt.Interval != 5*time.Second ||
		!strings.Contains(prompt.Message, prompt.UserCode) || !prompt.ExpiresAt.Equal(simStart.Add(900*time.Second)) {
		t.Fatalf("prompt = %+v", prompt)
	}
	// One pending poll at 5 s, approved before the poll at 10 s: ten virtual seconds, none real.
	if got := s.clock.Now().Sub(simStart); got != 10*time.Second {
		t.Fatalf("sign-in took %s of virtual time, want 10s (two polls)", got)
	}
}

func TestDeviceCodeFailuresEndToEnd(t *testing.T) {
	tests := []struct {
		name     string
		act      func(s *sim, code string) // after the first pending poll
		wantCode string
	}{
		{"a person who cancels on the page declines the sign-in", func(s *sim, code string) {
			s.devicePage(t, code, adeleUPN, adelePassword, "deny")
		}, "authorization_declined"},
		{"a code nobody enters expires after 15 minutes", func(*sim, string) {}, "expired_token"},
		{"a wrong password leaves the code unapproved until it expires", func(s *sim, code string) {
			if st := s.devicePage(t, code, adeleUPN, "wrong", "approve"); st != http.StatusBadRequest {
				t.Errorf("wrong password: HTTP %d, want 400", st)
			}
		}, "expired_token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t)
			var userCode string
			hook := &pollHook{}
			hook.after = map[int]func(){1: func() { tc.act(s, userCode) }}
			c := s.client(t, &http.Client{Transport: hook})
			_, err := c.DeviceCode(context.Background(), func(p auth.DeviceCodePrompt) { userCode = p.UserCode })
			var se *auth.SignInError
			if !errors.As(err, &se) || se.Code != tc.wantCode {
				t.Fatalf("err = %v, want a SignInError %s", err, tc.wantCode)
			}
			if se.Reason == "" {
				t.Fatal("no reason for a person")
			}
		})
	}
}

var (
	flowRE   = regexp.MustCompile(`name="flow" value="([^"]+)"`)
	actionRE = regexp.MustCompile(`<form method="post" action="([^"]+)">`)
	hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// browser plays the person in a browser: it opens the sign-in page, signs in, and lets the
// redirect (or the form_post page's form) reach the loopback listener.
func browser(t *testing.T, user, password string) func(string) error {
	return func(authorizeURL string) error {
		hc := &http.Client{}
		resp, err := hc.Get(authorizeURL)
		if err != nil {
			return err
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := flowRE.FindSubmatch(page)
		a := actionRE.FindSubmatch(page)
		if m == nil || a == nil {
			t.Errorf("sign-in page has no form: %s", page)
			return errors.New("no sign-in form")
		}
		target, _ := url.Parse(authorizeURL)
		action, _ := target.Parse(html.UnescapeString(string(a[1])))
		resp, err = hc.PostForm(action.String(), url.Values{
			"flow": {html.UnescapeString(string(m[1]))}, "username": {user}, "password": {password}, "action": {"signin"},
		})
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.Request.URL.Host == target.Host && resp.StatusCode == http.StatusOK {
			// form_post: the page's auto-submitting form carries the code to the app.
			fa := actionRE.FindSubmatch(body)
			if fa == nil {
				return errors.New("form_post page without a form")
			}
			form := url.Values{}
			for _, h := range hiddenRE.FindAllSubmatch(body, -1) {
				form.Set(string(h[1]), html.UnescapeString(string(h[2])))
			}
			resp, err = hc.PostForm(html.UnescapeString(string(fa[1])), form)
			if err != nil {
				return err
			}
			resp.Body.Close()
		}
		return nil
	}
}

func TestBrowserSignInEndToEnd(t *testing.T) {
	for _, mode := range []string{auth.ResponseModeQuery, auth.ResponseModeFormPost} {
		t.Run("response_mode "+mode, func(t *testing.T) {
			s := newSim(t)
			c := s.client(t, nil)
			res, err := c.Browser(context.Background(), auth.BrowserOptions{
				Open: browser(t, adeleUPN, adelePassword), Out: io.Discard, ResponseMode: mode, LoginHint: adeleUPN,
			})
			if err != nil {
				t.Fatal(err)
			}
			checkAdele(t, s, res)
			if res.Claims.Nonce == "" {
				t.Fatal("the ID token carries no nonce although the flow sent one")
			}
		})
	}
}

func TestBrowserSignInWithAWrongPasswordDoesNotComplete(t *testing.T) {
	s := newSim(t)
	c := s.client(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := c.Browser(ctx, auth.BrowserOptions{Out: io.Discard, Open: func(u string) error {
		defer cancel() // the person gives up after the error page
		return browser(t, adeleUPN, "not-the-password")(u)
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want the sign-in still waiting until cancelled", err)
	}
}

func TestCachedSignInRefreshesAfterExpiryWithANewRefreshToken(t *testing.T) {
	s := newSim(t)
	c := s.client(t, nil)
	cache := &auth.Cache{Dir: t.TempDir()}
	interactive := func(ctx context.Context) (*auth.Result, error) {
		return c.Browser(ctx, auth.BrowserOptions{Open: browser(t, adeleUPN, adelePassword), Out: io.Discard})
	}
	first, err := c.SignIn(context.Background(), cache, adeleUPN, interactive)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.SignIn(context.Background(), cache, adeleUPN, nil)
	if err != nil || again.Flow != auth.FlowCache {
		t.Fatalf("second sign-in: flow %v, err %v; want the cached token", again, err)
	}
	s.clock.Advance(2 * time.Hour)
	refreshed, err := c.SignIn(context.Background(), cache, adeleUPN, nil)
	if err != nil || refreshed.Flow != auth.FlowRefresh {
		t.Fatalf("after expiry: %v, err %v; want a refresh", refreshed, err)
	}
	if refreshed.RefreshToken == first.RefreshToken || !refreshed.Expiry.After(first.Expiry) {
		t.Fatal("refresh did not return a new refresh token or extend the expiry")
	}
	checkAdele(t, s, refreshed)
	// Entra does not revoke a refresh token when it is used: another process sharing the cache
	// may still hold the first one.
	if again, err := c.Refresh(context.Background(), first.RefreshToken); err != nil {
		t.Fatalf("the first refresh token, used once already, was refused: %v", err)
	} else {
		checkAdele(t, s, again)
	}
}

func TestSignInVerifiesAfterKeyRotation(t *testing.T) {
	s := newSim(t)
	c := s.client(t, nil)
	open := browser(t, adeleUPN, adelePassword)
	if _, err := c.Browser(context.Background(), auth.BrowserOptions{Open: open, Out: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if err := s.srv.RotateKeys(contosoID); err != nil {
		t.Fatal(err)
	}
	res, err := c.Browser(context.Background(), auth.BrowserOptions{Open: open, Out: io.Discard})
	if err != nil {
		t.Fatalf("sign-in after rotation: %v", err)
	}
	checkAdele(t, s, res)
}

func TestAnIDTokenFromOneSimulatorIsRefusedByAnother(t *testing.T) {
	// Same fixtures, same tenant id, but each run of `oobe serve` at its own URL is its own
	// issuer: an ID token is only good where it was issued.
	a, b := newSim(t), newSim(t)
	res, err := a.client(t, nil).Browser(context.Background(), auth.BrowserOptions{Open: browser(t, adeleUPN, adelePassword), Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.client(t, nil).VerifyIDToken(context.Background(), res.IDToken, res.Claims.Nonce); err == nil {
		t.Fatal("an ID token from another issuer verified")
	}
	// A Graph token is Entra's v1.0 token (issuer sts.windows.net/{tid}/), good wherever its
	// tenant's keys are published, as on Microsoft Graph; once b no longer publishes the key
	// that signed it, b refuses it.
	if code, body := graphMe(t, b, res.AccessToken); code != http.StatusOK {
		t.Fatalf("GET /v1.0/me on a simulator of the same tenant and keys: %d %v, want 200", code, body)
	}
	for range 2 {
		if err := b.srv.RotateKeys(contosoID); err != nil {
			t.Fatal(err)
		}
	}
	if code, body := graphMe(t, b, res.AccessToken); code != http.StatusUnauthorized {
		t.Fatalf("GET /v1.0/me after its signing key was rotated out: %d %v, want 401", code, body)
	}
}

func TestTheSimulatorsDiscoveryNamesItsOwnGraph(t *testing.T) {
	s := newSim(t)
	if got := s.client(t, nil).GraphURL(); got != s.url {
		t.Fatalf("GraphURL = %q, want the simulator's own %q (msgraph_host)", got, s.url)
	}
}
