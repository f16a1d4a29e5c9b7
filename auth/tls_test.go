package auth_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/fixtures"
	"github.com/oobe-dev/oobe/localca"
	"github.com/oobe-dev/oobe/tenant"
)

// tlsSim is the simulated tenant served over https on 127.0.0.1 by tenant.Server.Start, with a
// leaf from an in-memory CA, and that CA.
type tlsSim struct {
	srv   *tenant.Server
	ca    *localca.CA
	clock *clock.Virtual
}

// newTLSSim starts the demo tenants over https, or plain http when plain is set.
func newTLSSim(tb testing.TB, plain bool) *tlsSim {
	tb.Helper()
	tenants, err := tenant.LoadFixtures(fixtures.Demo())
	if err != nil {
		tb.Fatal(err)
	}
	ca, err := localca.New()
	if err != nil {
		tb.Fatal(err)
	}
	vc := clock.NewVirtual(simStart)
	cfg := tenant.Config{Tenants: tenants, Clock: vc}
	if !plain {
		if cfg.TLS, err = ca.ServerTLS(); err != nil {
			tb.Fatal(err)
		}
	}
	srv, err := tenant.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := srv.Start("127.0.0.1:0"); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang bound, not a speed
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = srv.Close()
	})
	return &tlsSim{srv: srv, ca: ca, clock: vc}
}

// httpClient trusts the simulator's CA and nothing else; keepAlive false closes every
// connection after its request.
func (s *tlsSim) httpClient(keepAlive bool) *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: s.ca.ClientTLS(), DisableKeepAlives: !keepAlive}}
}

// signIn runs one device-code sign-in as Adele with hc, approving on the device page.
func (s *tlsSim) signIn(ctx context.Context, hc *http.Client) (*auth.Result, error) {
	c, err := auth.New(ctx, auth.Config{Authority: s.srv.Authority(contosoID), ClientID: contosoClient, Clock: s.clock, HTTPClient: hc,
		Scopes: append(auth.DefaultScopes(), "UserWindowsSettings.Read")})
	if err != nil {
		return nil, err
	}
	var approveErr error
	res, err := c.DeviceCode(ctx, func(p auth.DeviceCodePrompt) {
		resp, err := hc.PostForm(p.VerificationURI, url.Values{"user_code": {p.UserCode}, "username": {adeleUPN},
			"password": {adelePassword}, "action": {"approve"}})
		if err != nil {
			approveErr = err
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			approveErr = errors.New("approve: " + resp.Status)
		}
	})
	if approveErr != nil {
		return nil, approveErr
	}
	return res, err
}

func TestDeviceCodeSignInOverTLSEndToEnd(t *testing.T) {
	s := newTLSSim(t, false)
	hc := s.httpClient(true)
	defer hc.CloseIdleConnections()
	res, err := s.signIn(context.Background(), hc)
	if err != nil {
		t.Fatal(err)
	}
	authority := s.srv.Authority(contosoID)
	if !strings.HasPrefix(authority, "https://127.0.0.1:") || res.Claims.Issuer != authority+"/v2.0" {
		t.Fatalf("issuer %q under authority %q: want the https simulator's", res.Claims.Issuer, authority)
	}
	req, _ := http.NewRequest(http.MethodGet, s.srv.URL()+"/v1.0/me", nil)
	req.Header.Set("Authorization", "Bearer "+res.AccessToken)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.TLS == nil {
		t.Fatalf("GET /v1.0/me over https: %d (TLS %v)", resp.StatusCode, resp.TLS != nil)
	}
}

func TestAClientThatDoesNotTrustTheSimulatorsCAStopsAtDiscovery(t *testing.T) {
	s := newTLSSim(t, false)
	other, err := localca.New()
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: other.Pool()}}}
	defer hc.CloseIdleConnections()
	_, err = auth.New(context.Background(), auth.Config{Authority: s.srv.Authority(contosoID), ClientID: contosoClient, HTTPClient: hc})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("New = %v, want a certificate error at discovery", err)
	}
}
