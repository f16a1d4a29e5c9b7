package auth_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/fixtures"
	"github.com/oobe-dev/oobe/restore/graph"
	"github.com/oobe-dev/oobe/tenant"
)

// The restore service's apps, as a device's setup asks for them.
var (
	restoreScopes = []string{tenant.RestoreAppID + "/.default"}
	backupsScopes = []string{tenant.RestoreBackupsAppID + "/.default"}
)

// newSimWith is newSim with the simulator's configuration adjusted first.
func newSimWith(tb testing.TB, tweak func(*tenant.Config)) *sim {
	tb.Helper()
	tenants, err := tenant.LoadFixtures(fixtures.Demo())
	if err != nil {
		tb.Fatal(err)
	}
	vc := clock.NewVirtual(simStart)
	cfg := tenant.Config{Tenants: tenants, Clock: vc}
	tweak(&cfg)
	srv, err := tenant.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	tb.Cleanup(func() { ts.Close(); _ = srv.Close() })
	srv.SetBaseURL(ts.URL)
	return &sim{srv: srv, url: ts.URL, clock: vc}
}

// withAccess sets Contoso's Conditional Access.
func withAccess(ca tenant.ConditionalAccess) func(*tenant.Config) {
	return func(c *tenant.Config) { c.Tenants[0].ConditionalAccess = ca }
}

// refreshCounter counts refresh_token grants sent to the token endpoint.
type refreshCounter struct{ n atomic.Int32 }

func (rc *refreshCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") && r.Body != nil {
		body, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		if form, err := url.ParseQuery(string(body)); err == nil && form.Get("grant_type") == "refresh_token" {
			rc.n.Add(1)
		}
		r = r.Clone(r.Context())
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	return http.DefaultTransport.RoundTrip(r)
}

// signInAdele runs a device code sign-in for Adele and returns the client and the result.
func signInAdele(tb testing.TB, s *sim, hc *http.Client) (*auth.Client, *auth.Result) {
	tb.Helper()
	c := s.client(tb, hc)
	res, err := c.DeviceCode(context.Background(), func(p auth.DeviceCodePrompt) {
		if code := s.devicePage(tb, p.UserCode, adeleUPN, adelePassword, "approve"); code != http.StatusOK {
			tb.Errorf("approving: %d", code)
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c, res
}

func TestTokenForTheRestoreApps(t *testing.T) {
	cases := []struct {
		name          string
		ca            tenant.ConditionalAccess
		scopes        []string
		blocked, mfa  bool
		aadsts        int
		reason        string
		suberror      string
		wantsChalenge bool
	}{
		{"the restore app is issued when no policy blocks it", tenant.ConditionalAccess{}, restoreScopes, false, false, 0, "", "", false},
		{"the restore experience app is issued when no MFA is demanded", tenant.ConditionalAccess{}, backupsScopes, false, false, 0, "", "", false},
		{"a blocked restore app is refused with what to do", tenant.ConditionalAccess{BlockRestoreApp: true}, restoreScopes,
			true, false, 53003, "You don't have access to this", "message_only", false},
		{"a phishing-resistant MFA demand is refused with what to do", tenant.ConditionalAccess{RequirePhishingResistantMFA: true}, backupsScopes,
			false, true, 50076, "needs phishing-resistant multifactor authentication", "basic_action", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSimWith(t, withAccess(c.ca))
			client, signedIn := signInAdele(t, s, nil)
			res, err := client.TokenFor(context.Background(), signedIn.RefreshToken, c.scopes)
			if c.aadsts == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if res.AccessToken == "" || res.RefreshToken == "" || res.RefreshToken == signedIn.RefreshToken ||
					!res.Expiry.Equal(s.clock.Now().Add(time.Hour)) || res.Flow != auth.FlowRefresh || res.Identity.ObjectID != "" {
					t.Fatalf("result %v (identity %+v)", res, res.Identity)
				}
				return
			}
			var se *auth.SignInError
			if !errors.As(err, &se) || se.Code != auth.CodeInvalidGrant || se.AADSTS != c.aadsts || se.Suberror != c.suberror ||
				(se.Claims != "") != c.wantsChalenge || !strings.Contains(se.Reason, c.reason) {
				t.Fatalf("error %v (%+v)", err, se)
			}
			if errors.Is(err, auth.ErrAccessBlocked) != c.blocked || errors.Is(err, auth.ErrMFARequired) != c.mfa {
				t.Fatalf("errors.Is: blocked %v, MFA %v", errors.Is(err, auth.ErrAccessBlocked), errors.Is(err, auth.ErrMFARequired))
			}
			if strings.Contains(err.Error(), signedIn.RefreshToken) {
				t.Fatal("the error quotes the refresh token")
			}
			// The refused request did not spend the refresh token: Graph access goes on.
			if _, err := client.Refresh(context.Background(), signedIn.RefreshToken); err != nil {
				t.Fatalf("refresh after the refusal: %v", err)
			}
		})
	}
}

func TestTokenForVerifiesAnIDTokenWhenOneComes(t *testing.T) {
	s := newSim(t)
	client, signedIn := signInAdele(t, s, nil)
	res, err := client.TokenFor(context.Background(), signedIn.RefreshToken, append([]string{"openid", "profile"}, restoreScopes...))
	if err != nil {
		t.Fatal(err)
	}
	if res.Identity.UPN != adeleUPN || res.Identity.ObjectID != adeleOID || res.Claims == nil || res.IDToken == "" {
		t.Fatalf("identity %+v", res.Identity)
	}
}

func TestTokenForRefusesCallerMistakes(t *testing.T) {
	s := newSim(t)
	client, signedIn := signInAdele(t, s, nil)
	cases := []struct {
		name   string
		rt     string
		scopes []string
		code   string
	}{
		{"no refresh token", "", restoreScopes, auth.CodeInvalidGrant},
		{"no scopes", "rt", nil, auth.CodeInvalidScope},
		{"two scopes in one element", "rt", []string{"openid " + restoreScopes[0]}, auth.CodeInvalidScope},
		{"an unknown refresh token is Entra's invalid_grant", "not-a-token", restoreScopes, auth.CodeInvalidGrant},
		{"two resources in one request are Entra's invalid_scope", signedIn.RefreshToken, []string{restoreScopes[0], "User.Read"}, auth.CodeInvalidScope},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := client.TokenFor(context.Background(), c.rt, c.scopes)
			var se *auth.SignInError
			if !errors.As(err, &se) || se.Code != c.code {
				t.Fatalf("error %v, want code %s", err, c.code)
			}
		})
	}
}

func TestTokensRefreshAheadOfExpiryOnTheInjectedClock(t *testing.T) {
	cases := []struct {
		name     string
		lifetime time.Duration
		// still is a moment the first token is handed out again; after one it is refreshed.
		still, after time.Duration
	}{
		{"an hour's token is refreshed two minutes before expiry", 0, 57*time.Minute + 59*time.Second, 58 * time.Minute},
		{"a ten-minute token is refreshed two minutes before expiry", 10 * time.Minute, 7*time.Minute + 59*time.Second, 8 * time.Minute},
		{"a one-minute token is refreshed half-way, not on every call", time.Minute, 29 * time.Second, 30 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSimWith(t, func(cfg *tenant.Config) { cfg.AccessTokenLifetime = c.lifetime })
			counter := &refreshCounter{}
			client, signedIn := signInAdele(t, s, &http.Client{Transport: counter})
			start := s.clock.Now()
			tokens := client.Tokens(signedIn)
			ctx := context.Background()

			s.clock.Set(start.Add(c.still))
			if tok, err := tokens.Token(ctx); err != nil || tok != signedIn.AccessToken || counter.n.Load() != 0 {
				t.Fatalf("before the margin: changed %v, %d refreshes, %v", tok != signedIn.AccessToken, counter.n.Load(), err)
			}
			s.clock.Set(start.Add(c.after))
			tok, err := tokens.Token(ctx)
			if err != nil || tok == signedIn.AccessToken || counter.n.Load() != 1 {
				t.Fatalf("at the margin: changed %v, %d refreshes, %v", tok != signedIn.AccessToken, counter.n.Load(), err)
			}
			if again, err := tokens.Token(ctx); err != nil || again != tok || counter.n.Load() != 1 {
				t.Fatalf("right after a refresh: %d refreshes, %v", counter.n.Load(), err)
			}
			if code, _ := graphMe(t, s, tok); code != http.StatusOK {
				t.Fatalf("Graph with the refreshed token: %d", code)
			}
			held, err := tokens.Result(ctx)
			if err != nil || held.RefreshToken == signedIn.RefreshToken || held.AccessToken != tok || held.Identity.ObjectID != adeleOID {
				t.Fatalf("held result %v: the rotated refresh token is not kept (%v)", held, err)
			}
		})
	}
}

func TestConcurrentCallersShareOneRefresh(t *testing.T) {
	s := newSimWith(t, func(cfg *tenant.Config) { cfg.AccessTokenLifetime = 5 * time.Minute })
	counter := &refreshCounter{}
	client, signedIn := signInAdele(t, s, &http.Client{Transport: counter})
	source := client.TokenSource(signedIn)
	s.clock.Advance(10 * time.Minute) // long expired
	var wg sync.WaitGroup
	got := make([]string, 16)
	errs := make([]error, len(got))
	for i := range got {
		wg.Go(func() { got[i], errs[i] = source(context.Background()) })
	}
	wg.Wait()
	for i := range got {
		// The simulator accepts each refresh token once: a second refresh would have failed.
		if errs[i] != nil || got[i] != got[0] || got[i] == signedIn.AccessToken {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
	}
	if n := counter.n.Load(); n != 1 {
		t.Fatalf("%d refreshes, want 1", n)
	}
}

func TestAnExpiredTokenWithoutRefreshTokenIsAnError(t *testing.T) {
	s := newSim(t)
	client, signedIn := signInAdele(t, s, nil)
	signedIn.RefreshToken = ""
	tokens := client.Tokens(signedIn)
	s.clock.Advance(59 * time.Minute) // inside the margin, not yet expired: still handed out
	if tok, err := tokens.Token(context.Background()); err != nil || tok != signedIn.AccessToken {
		t.Fatalf("a valid token without refresh token: %v", err)
	}
	s.clock.Advance(time.Minute)
	_, err := tokens.Token(context.Background())
	var se *auth.SignInError
	if !errors.As(err, &se) || se.Code != auth.CodeInvalidGrant {
		t.Fatalf("error %v", err)
	}
}

func TestAFailedRefreshFallsBackToTheStillValidToken(t *testing.T) {
	s := newSim(t)
	client, signedIn := signInAdele(t, s, nil)
	tokens := client.Tokens(signedIn)
	s.srv.Faults().Add(tenant.Fault{Endpoint: tenant.EndpointToken, Kind: tenant.FaultServerError, Times: 1})
	s.clock.Advance(59 * time.Minute)
	if tok, err := tokens.Token(context.Background()); err != nil || tok != signedIn.AccessToken {
		t.Fatalf("during an outage, inside the margin: %v", err)
	}
	tok, err := tokens.Token(context.Background())
	if err != nil || tok == signedIn.AccessToken {
		t.Fatalf("after the outage: %v", err)
	}
}

func TestTokensKeepTheRefreshTokenThatTokenForRotates(t *testing.T) {
	s := newSimWith(t, withAccess(tenant.ConditionalAccess{BlockRestoreApp: true}))
	client, signedIn := signInAdele(t, s, nil)
	tokens := client.Tokens(signedIn)
	ctx := context.Background()

	if _, err := tokens.TokenFor(ctx, restoreScopes); !errors.Is(err, auth.ErrAccessBlocked) {
		t.Fatalf("blocked restore app: %v", err)
	}
	restore, err := tokens.TokenFor(ctx, backupsScopes)
	if err != nil {
		t.Fatal(err)
	}
	held, _ := tokens.Result(ctx)
	if held.RefreshToken != restore.RefreshToken || held.AccessToken != signedIn.AccessToken {
		t.Fatal("the holder did not keep the rotated refresh token, or changed the Graph token")
	}
	// The Graph token's refresh uses the newest refresh token; the first one is spent.
	s.clock.Advance(time.Hour)
	tok, err := tokens.Token(ctx)
	if err != nil {
		t.Fatalf("refreshing Graph after TokenFor: %v", err)
	}
	if code, _ := graphMe(t, s, tok); code != http.StatusOK {
		t.Fatalf("Graph: %d", code)
	}
}

// A Graph call that waits out throttling long enough for the access token to expire gets a
// refreshed token for its retry: graph.Client asks its TokenSource before every attempt.
func TestGraphRetriesPastTokenExpiryWithARefreshedToken(t *testing.T) {
	s := newSimWith(t, func(cfg *tenant.Config) { cfg.AccessTokenLifetime = 3 * time.Minute })
	counter := &refreshCounter{}
	client, signedIn := signInAdele(t, s, &http.Client{Transport: counter})
	s.srv.Faults().Add(tenant.Fault{Endpoint: tenant.EndpointGraphWindowsSettings, Kind: tenant.FaultThrottle, Times: 2, RetryAfter: 100 * time.Second})
	gc, err := graph.New(graph.Config{BaseURL: s.url, Token: client.TokenSource(signedIn), Clock: s.clock})
	if err != nil {
		t.Fatal(err)
	}
	start := s.clock.Now()
	profiles, err := gc.BackupProfiles(context.Background())
	if err != nil {
		t.Fatalf("listing backups across token expiry: %v", err)
	}
	if len(profiles) != 3 {
		t.Fatalf("%d backup profiles, want Adele's 3", len(profiles))
	}
	if waited := s.clock.Now().Sub(start); waited < 200*time.Second || waited > 3*time.Minute+time.Minute {
		t.Fatalf("waited %v on the virtual clock", waited)
	}
	if n := counter.n.Load(); n < 1 {
		t.Fatal("the token expired during the retries but was never refreshed")
	}
}
