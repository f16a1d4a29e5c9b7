package tenant

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// grantSizes counts the entries of the server's grant stores, for tests that check what is freed.
type grantSizes struct{ flows, codes, devices, userCodes, refresh, deviceMFA int }

func (s *Server) grantSizes() grantSizes {
	s.mu.Lock()
	defer s.mu.Unlock()
	return grantSizes{len(s.flows), len(s.codes), len(s.devices), len(s.userCodes), len(s.refresh), len(s.deviceMFA)}
}

func TestAuthorizeRefusesOverLongParameters(t *testing.T) {
	const redirect = "http://127.0.0.1:49152/"
	cases := []struct {
		name, param string
		n           int
	}{
		{"a login_hint longer than 256 characters is refused", "login_hint", 257},
		{"a state longer than 2048 characters is refused", "state", 2049},
		{"a nonce longer than 512 characters is refused", "nonce", 513},
		{"a claims longer than 8192 characters is refused", "claims", 8193},
		{"a query longer than 16 KiB is refused", "x-padding", 17 << 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			q := authorizeQuery(redirect, "", "")
			q.Set(c.param, strings.Repeat("a", c.n))
			resp, body := h.get("/" + contosoID + "/oauth2/v2.0/authorize?" + q.Encode())
			if resp.StatusCode != http.StatusBadRequest || !contains(body, "AADSTS90015") {
				t.Fatalf("status %d, want 400 with AADSTS90015: %.300s", resp.StatusCode, body)
			}
			if c.param != "x-padding" && !contains(body, "&#39;"+c.param+"&#39;") && !contains(body, "'"+c.param+"'") {
				t.Errorf("the page does not name %s: %.600s", c.param, body)
			}
			if n := h.srv.grantSizes().flows; n != 0 {
				t.Errorf("%d flows kept, want none", n)
			}
		})
	}
	t.Run("parameters at their limits are accepted", func(t *testing.T) {
		h := newHarness(t)
		q := authorizeQuery(redirect, "", "")
		q.Set("login_hint", strings.Repeat("a", 256))
		q.Set("state", strings.Repeat("s", 2048))
		q.Set("nonce", strings.Repeat("n", 512))
		h.startAuthorize(contosoID, q)
	})
}

func TestPendingAuthorizeFlowsAreCappedOldestFirst(t *testing.T) {
	const redirect = "http://127.0.0.1:49152/"
	h := newHarness(t, func(c *Config) { c.PendingPerTenant, c.PendingTotal = 3, 4 })
	var flows []string
	for range 4 {
		flows = append(flows, h.startAuthorize(contosoID, authorizeQuery(redirect, "", "")))
	}
	if n := h.srv.grantSizes().flows; n != 3 {
		t.Fatalf("%d pending flows, want the per-tenant cap 3", n)
	}
	// The oldest was evicted: its form post is told the flow token expired, as Entra's page is.
	resp, body := h.submitSignIn(contosoID, flows[0], adeleUPN, adelePassword, "signin")
	if resp.StatusCode != http.StatusBadRequest || !contains(body, "AADSTS50089") {
		t.Fatalf("evicted flow: %d, want 400 with AADSTS50089: %.300s", resp.StatusCode, body)
	}
	if !strings.Contains(h.logs.String(), "pending sign-ins at their cap") {
		t.Errorf("no log line for the eviction:\n%s", h.logs.String())
	}
	// The newest still signs in.
	resp, body = h.submitSignIn(contosoID, flows[3], adeleUPN, adelePassword, "signin")
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("newest flow: %d %.300s", resp.StatusCode, body)
	}
	// Over all tenants: Fabrikam's flows push Contoso's oldest out once 4 are pending.
	fq := authorizeQuery(redirect, "", "")
	fq.Set("client_id", fabrikamApp)
	fq.Set("redirect_uri", "http://localhost/")
	for range 3 {
		resp, body := h.get("/" + fabrikamID + "/oauth2/v2.0/authorize?" + fq.Encode())
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("fabrikam authorize: %d %.300s", resp.StatusCode, body)
		}
	}
	if n := h.srv.grantSizes().flows; n != 4 {
		t.Fatalf("%d pending flows, want the total cap 4", n)
	}
	resp, body = h.submitSignIn(contosoID, flows[1], adeleUPN, adelePassword, "signin")
	if resp.StatusCode != http.StatusBadRequest || !contains(body, "AADSTS50089") {
		t.Fatalf("flow evicted by the total cap: %d %.300s", resp.StatusCode, body)
	}
}

func TestPendingDeviceCodesAreCappedAndAnEvictedOneExpires(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.PendingPerTenant, c.PendingTotal = 2, 10 })
	var codes []deviceCodeResponse
	for range 3 {
		codes = append(codes, h.deviceCode(contosoID, contosoClient, "openid User.Read"))
	}
	resp, body := h.poll(contosoID, contosoClient, codes[0].DeviceCode)
	wantEntraError(t, resp, body, http.StatusBadRequest, "expired_token", 70019)
	resp, body = h.deviceLogin(codes[0].UserCode, adeleUPN, adelePassword, "approve")
	if resp.StatusCode != http.StatusBadRequest || !contains(body, "AADSTS70019") {
		t.Fatalf("evicted user code: %d %.300s", resp.StatusCode, body)
	}
	resp, body = h.poll(contosoID, contosoClient, codes[2].DeviceCode)
	wantEntraError(t, resp, body, http.StatusBadRequest, "authorization_pending", 70016)
	// Retired records are capped too: after many more codes the first is not known at all.
	for range 6 {
		h.deviceCode(contosoID, contosoClient, "openid User.Read")
	}
	if n := h.srv.grantSizes().devices; n > 4 {
		t.Fatalf("%d device codes kept, want at most 2 live and 2 retired", n)
	}
	resp, body = h.poll(contosoID, contosoClient, codes[0].DeviceCode)
	wantEntraError(t, resp, body, http.StatusBadRequest, "bad_verification_code", 70018)
}

func TestSweepFreesWhatCanNoLongerBeRedeemed(t *testing.T) {
	const redirect = "http://127.0.0.1:49152/"
	h := newHarness(t)
	h.startAuthorize(contosoID, authorizeQuery(redirect, "", ""))
	dc := h.deviceCode(contosoID, contosoClient, "openid User.Read")
	code := h.authCodeFor(authorizeQuery(redirect, "", ""))
	if resp, body := h.redeem(code, redirect, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("redeem: %d %s", resp.StatusCode, body)
	}
	before := h.srv.grantSizes()
	if before.flows != 1 || before.codes != 1 || before.devices != 1 || before.refresh != 1 {
		t.Fatalf("before: %+v", before)
	}
	// The device code expires at 15 min: retired, it still answers expired_token.
	h.clock.Advance(16 * time.Minute)
	h.srv.sweep()
	resp, body := h.poll(contosoID, contosoClient, dc.DeviceCode)
	wantEntraError(t, resp, body, http.StatusBadRequest, "expired_token", 70019)
	// Codes go 10 min after they expire, flows after their hour, retired device codes an hour
	// after expiry; nothing new arrives, the sweep alone frees them.
	h.clock.Advance(90 * time.Minute)
	h.srv.sweep()
	after := h.srv.grantSizes()
	if after.flows != 0 || after.codes != 0 || after.devices != 0 || after.userCodes != 0 {
		t.Fatalf("after the sweep: %+v, want no flows, codes or device codes", after)
	}
	if after.refresh != 1 {
		t.Fatalf("the live refresh token was swept: %+v", after)
	}
	h.clock.Advance(refreshTokenLifetime)
	h.srv.sweep()
	if n := h.srv.grantSizes().refresh; n != 0 {
		t.Fatalf("%d expired refresh tokens kept", n)
	}
}

func TestSweepKeepsTheNewestRefreshTokensPerClient(t *testing.T) {
	h := newHarness(t)
	tok := h.signInWithDeviceCode(contosoID, contosoClient, adeleUPN, adelePassword)
	rt := tok.RefreshToken
	for range maxRefreshPerClient + 10 {
		h.clock.Advance(time.Second)
		resp, body := h.post("/"+contosoID+"/oauth2/v2.0/token", url.Values{
			"grant_type": {"refresh_token"}, "client_id": {contosoClient}, "refresh_token": {rt}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("refresh: %d %s", resp.StatusCode, body)
		}
		rt = decodeJSON[tokenResponse](t, body).RefreshToken
	}
	h.srv.sweep()
	if n := h.srv.grantSizes().refresh; n != maxRefreshPerClient {
		t.Fatalf("%d refresh tokens kept, want the newest %d", n, maxRefreshPerClient)
	}
	resp, body := h.post("/"+contosoID+"/oauth2/v2.0/token", url.Values{
		"grant_type": {"refresh_token"}, "client_id": {contosoClient}, "refresh_token": {rt}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the newest refresh token was dropped: %d %s", resp.StatusCode, body)
	}
}

func TestStartCapsConnections(t *testing.T) {
	logs := &syncBuffer{}
	srv, err := New(Config{Tenants: demoTenants(t), MaxConnections: 2,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	addr := strings.TrimPrefix(base, "http://")
	// Two connections that send nothing hold both slots.
	var idle []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	third, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	if _, err := io.WriteString(third, "GET /"+contosoID+"/v2.0/.well-known/openid-configuration HTTP/1.1\r\nHost: "+addr+"\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(logs.String(), "connection cap reached") {
		time.Sleep(5 * time.Millisecond) // waits for the log line; the test's deadline bounds it
	}
	if p := srv.listener.peak.Load(); p > 2 {
		t.Fatalf("%d connections served at once, want at most 2", p)
	}
	idle[0].Close()
	resp, err := http.ReadResponse(bufio.NewReader(third), nil)
	if err != nil {
		t.Fatalf("the third connection was not served once a slot freed: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if p := srv.listener.peak.Load(); p > 2 {
		t.Fatalf("%d connections served at once, want at most 2", p)
	}
	idle[1].Close()
}

func TestNewRefusesNegativeCaps(t *testing.T) {
	for _, f := range []func(*Config){
		func(c *Config) { c.MaxConnections = -1 },
		func(c *Config) { c.PendingPerTenant = -1 },
		func(c *Config) { c.PendingTotal = -1 },
	} {
		cfg := Config{Tenants: demoTenants(t)}
		f(&cfg)
		if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "negative") {
			t.Errorf("New = %v, want a negative-cap error", err)
		}
	}
}
