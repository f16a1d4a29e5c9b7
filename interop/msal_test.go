package interop

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
)

// msalScopes is what an app reading the user's profile asks for; MSAL adds openid, profile and
// offline_access itself.
var msalScopes = []string{"User.Read"}

// msalCache is the cache.ExportReplace an app gives MSAL to keep its token cache between runs
// (a file, usually); here the bytes stay in memory.
type msalCache struct {
	mu   sync.Mutex
	data []byte
}

func (c *msalCache) Replace(_ context.Context, u cache.Unmarshaler, _ cache.ReplaceHints) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.data) == 0 {
		return nil
	}
	return u.Unmarshal(c.data)
}

func (c *msalCache) Export(_ context.Context, m cache.Marshaler, _ cache.ExportHints) error {
	b, err := m.Marshal()
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.data = b
	return nil
}

func (c *msalCache) bytes() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.data)
}

// newMSAL is a public client application for the demo tenant's public client, configured as for
// any private authority: the authority, instance discovery off (else MSAL asks
// login.microsoftonline.com about the host) and an HTTP client trusting the simulator's CA.
func newMSAL(t *testing.T, tr http.RoundTripper, c cache.ExportReplace) public.Client {
	t.Helper()
	tn := contoso(t)
	app, err := public.New(tn.ClientID,
		public.WithAuthority(tn.Authority),
		public.WithInstanceDiscovery(false),
		public.WithHTTPClient(&http.Client{Transport: tr}),
		public.WithCache(c),
	)
	if err != nil {
		t.Fatalf("public.New: %v", err)
	}
	return app
}

// checkMSALResult checks what an app reads from a sign-in: the account is the demo user, keyed
// as Entra keys it (home account id "oid.tid", from client_info), and the ID token's claims.
func checkMSALResult(t *testing.T, res public.AuthResult) {
	t.Helper()
	tn := contoso(t)
	acct := res.Account
	if want := demoOID + "." + tn.ID; acct.HomeAccountID != want {
		t.Errorf("Account.HomeAccountID = %q, want %q (uid.utid of client_info)", acct.HomeAccountID, want)
	}
	if acct.Realm != tn.ID {
		t.Errorf("Account.Realm = %q, want the tenant %q", acct.Realm, tn.ID)
	}
	if acct.LocalAccountID != demoOID {
		t.Errorf("Account.LocalAccountID = %q, want the oid %q", acct.LocalAccountID, demoOID)
	}
	if !strings.EqualFold(acct.PreferredUsername, demoUPN) {
		t.Errorf("Account.PreferredUsername = %q, want %q", acct.PreferredUsername, demoUPN)
	}
	if want := strings.TrimPrefix(srv.URL, "https://"); acct.Environment != want {
		t.Errorf("Account.Environment = %q, want the authority's host %q", acct.Environment, want)
	}
	id := res.IDToken
	if id.Oid != demoOID || id.TenantID != tn.ID || id.Audience != tn.ClientID {
		t.Errorf("ID token oid %q, tid %q, aud %q; want %q, %q, %q", id.Oid, id.TenantID, id.Audience, demoOID, tn.ID, tn.ClientID)
	}
	if want := tn.Authority + "/v2.0"; id.Issuer != want {
		t.Errorf("ID token iss = %q, want %q", id.Issuer, want)
	}
	if res.AccessToken == "" || res.ExpiresOn.IsZero() {
		t.Errorf("no access token or no expiry: %d bytes, expires %v", len(res.AccessToken), res.ExpiresOn)
	}
	if !slices.ContainsFunc(res.GrantedScopes, func(s string) bool { return strings.EqualFold(s, "User.Read") }) {
		t.Errorf("GrantedScopes = %q, want User.Read among them", res.GrantedScopes)
	}
}

// msalFlows are the two ways a person signs in with MSAL Go's public client.
var msalFlows = []struct {
	name    string
	grant   string // the grant_type MSAL redeems the sign-in with
	acquire func(ctx context.Context, t *testing.T, app public.Client) (public.AuthResult, error)
}{
	{
		name:  "device code",
		grant: "device_code",
		acquire: func(ctx context.Context, t *testing.T, app public.Client) (public.AuthResult, error) {
			dc, err := app.AcquireTokenByDeviceCode(ctx, msalScopes)
			if err != nil {
				return public.AuthResult{}, fmt.Errorf("AcquireTokenByDeviceCode: %w", err)
			}
			if want := srv.URL + "/devicelogin"; dc.Result.VerificationURL != want {
				t.Errorf("VerificationURL = %q, want %q", dc.Result.VerificationURL, want)
			}
			if dc.Result.UserCode == "" || !strings.Contains(dc.Result.Message, dc.Result.UserCode) {
				t.Errorf("user code %q, message %q: want the message to name the code", dc.Result.UserCode, dc.Result.Message)
			}
			// MSAL polls while the person approves the code on the device login page.
			type result struct {
				res public.AuthResult
				err error
			}
			polled := make(chan result, 1)
			go func() {
				res, err := dc.AuthenticationResult(ctx)
				polled <- result{res, err}
			}()
			if p, err := person().ApproveDeviceCode(ctx, dc.Result.VerificationURL, dc.Result.UserCode); err != nil {
				t.Errorf("approving the code: %v\n%s", err, p.Body)
			}
			r := <-polled
			if r.err != nil {
				return r.res, fmt.Errorf("DeviceCode.AuthenticationResult: %w", r.err)
			}
			return r.res, nil
		},
	},
	{
		name:  "auth code and PKCE",
		grant: "authorization_code",
		acquire: func(ctx context.Context, t *testing.T, app public.Client) (public.AuthResult, error) {
			opened := 0
			res, err := app.AcquireTokenInteractive(ctx, msalScopes,
				public.WithOpenURL(func(u string) error {
					opened++
					if want := contoso(t).Authority + "/oauth2/v2.0/authorize?"; !strings.HasPrefix(u, want) {
						t.Errorf("MSAL opened %q, want the tenant's authorization endpoint %s…", u, want)
					}
					// The browser: sign in, then the form_post page takes the code to MSAL's
					// loopback listener, which answers with its success page.
					_, err := person().SignIn(ctx, u)
					return err
				}))
			if opened != 1 {
				t.Errorf("MSAL opened the browser %d times, want 1", opened)
			}
			if err != nil {
				return res, fmt.Errorf("AcquireTokenInteractive: %w", err)
			}
			return res, nil
		},
	},
}

// TestMSAL signs in with each flow, calls Graph with the token, gets it again from the cache
// without a request, and then, with the cached access token expired, lets MSAL redeem the
// refresh token for a new one that works on Graph too.
func TestMSAL(t *testing.T) {
	for _, flow := range msalFlows {
		t.Run(flow.name, func(t *testing.T) {
			ctx := testContext(t)
			rec, store := newRecorder(), &msalCache{}
			app := newMSAL(t, rec, store)

			res, err := flow.acquire(ctx, t, app)
			if err != nil {
				t.Fatal(err)
			}
			checkMSALResult(t, res)
			if g := rec.tokenGrants(); len(g) == 0 || g[len(g)-1] != flow.grant {
				t.Errorf("token endpoint grants %q: want the last to be %q", g, flow.grant)
			}
			graphMe(ctx, t, res.AccessToken)

			// Silent: the same token from the cache, with no request at all.
			accounts, err := app.Accounts(ctx)
			if err != nil || len(accounts) != 1 || accounts[0].HomeAccountID != res.Account.HomeAccountID {
				t.Fatalf("Accounts() = %+v, %v; want the one signed-in account", accounts, err)
			}
			before := len(rec.tokenGrants())
			cached, err := app.AcquireTokenSilent(ctx, msalScopes, public.WithSilentAccount(accounts[0]))
			if err != nil {
				t.Fatalf("AcquireTokenSilent from the cache: %v", err)
			}
			if cached.AccessToken != res.AccessToken || cached.Metadata.TokenSource != public.TokenSourceCache {
				t.Errorf("AcquireTokenSilent: source %v, same token %v; want the cached token", cached.Metadata.TokenSource,
					cached.AccessToken == res.AccessToken)
			}
			if n := len(rec.tokenGrants()); n != before {
				t.Errorf("AcquireTokenSilent from the cache sent %d token requests", n-before)
			}

			// Next run: the app loads its saved cache, whose access token has expired since.
			// MSAL has to redeem the refresh token.
			later := &msalCache{data: expireAccessTokens(t, store.bytes())}
			rec2 := newRecorder()
			app2 := newMSAL(t, rec2, later)
			accounts, err = app2.Accounts(ctx)
			if err != nil || len(accounts) != 1 {
				t.Fatalf("Accounts() from the saved cache = %+v, %v; want one", accounts, err)
			}
			refreshed, err := app2.AcquireTokenSilent(ctx, msalScopes, public.WithSilentAccount(accounts[0]))
			if err != nil {
				t.Fatalf("AcquireTokenSilent with an expired access token (refresh token grant): %v", err)
			}
			if g := rec2.tokenGrants(); !slices.Equal(g, []string{"refresh_token"}) {
				t.Errorf("token endpoint grants %q, want one refresh_token", g)
			}
			if refreshed.Metadata.TokenSource != public.TokenSourceIdentityProvider || refreshed.AccessToken == res.AccessToken {
				t.Errorf("refreshed: source %v, same token %v; want a new token from the authority",
					refreshed.Metadata.TokenSource, refreshed.AccessToken == res.AccessToken)
			}
			checkMSALResult(t, refreshed)
			graphMe(ctx, t, refreshed.AccessToken)

			// And the refreshed token is what the cache now holds.
			again, err := app2.AcquireTokenSilent(ctx, msalScopes, public.WithSilentAccount(accounts[0]))
			if err != nil || again.AccessToken != refreshed.AccessToken || again.Metadata.TokenSource != public.TokenSourceCache {
				t.Errorf("AcquireTokenSilent after the refresh: %v; want the refreshed token from the cache", err)
			}
		})
	}
}

// expireAccessTokens is a saved MSAL cache as it reads after its access tokens expired: each
// access token's expires_on (and extended_expires_on) moves back to the moment it was cached.
// The entries are MSAL's shared cache schema (AccessToken entries with unix-second strings);
// accounts, ID and refresh tokens stay as they are.
func expireAccessTokens(t *testing.T, data []byte) []byte {
	t.Helper()
	var c map[string]json.RawMessage
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatalf("MSAL's cache: %v", err)
	}
	var ats map[string]map[string]any
	if err := json.Unmarshal(c["AccessToken"], &ats); err != nil || len(ats) == 0 {
		t.Fatalf("MSAL's cache has no access tokens (%v): %s", err, c["AccessToken"])
	}
	for key, at := range ats {
		cachedAt, ok := at["cached_at"].(string)
		if !ok {
			t.Fatalf("access token %s: no cached_at in %v", key, at)
		}
		at["expires_on"], at["extended_expires_on"] = cachedAt, cachedAt
		delete(at, "refresh_on")
	}
	b, err := json.Marshal(ats)
	if err != nil {
		t.Fatal(err)
	}
	c["AccessToken"] = b
	out, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMSALRefusals: when the person declines, MSAL ends the flow with Entra's error rather than
// waiting on, and nothing is cached.
func TestMSALRefusals(t *testing.T) {
	tests := []struct {
		name    string
		acquire func(ctx context.Context, app public.Client) error
		want    string // in MSAL's error
	}{
		{
			name: "device code declined",
			acquire: func(ctx context.Context, app public.Client) error {
				dc, err := app.AcquireTokenByDeviceCode(ctx, msalScopes)
				if err != nil {
					return err
				}
				if p, err := person().DenyDeviceCode(ctx, dc.Result.VerificationURL, dc.Result.UserCode); err != nil {
					t.Errorf("declining the code: %v\n%s", err, p.Body)
				}
				_, err = dc.AuthenticationResult(ctx)
				return err
			},
			want: "authorization_declined",
		},
		{
			name: "sign-in cancelled",
			acquire: func(ctx context.Context, app public.Client) error {
				_, err := app.AcquireTokenInteractive(ctx, msalScopes, public.WithOpenURL(func(u string) error {
					_, err := person().CancelSignIn(ctx, u)
					return err
				}))
				return err
			},
			want: "AADSTS65004",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			app := newMSAL(t, srv.Transport(), &msalCache{})
			err := tt.acquire(ctx, app)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("MSAL's error = %v, want one naming %s", err, tt.want)
			}
			if accounts, err := app.Accounts(ctx); err != nil || len(accounts) != 0 {
				t.Errorf("Accounts() after a refusal = %+v, %v; want none", accounts, err)
			}
		})
	}
}
