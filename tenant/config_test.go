package tenant

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"io/fs"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/fixtures"
)

// demoKeys reads the demo fixture's PEM keys, to share between servers as Config.Keys.
func demoKeys(t testing.TB, names ...string) []*rsa.PrivateKey {
	t.Helper()
	var keys []*rsa.PrivateKey
	for _, n := range names {
		data, err := fs.ReadFile(fixtures.Demo(), "keys/"+n)
		if err != nil {
			t.Fatal(err)
		}
		k, err := ParseRSAKey(data)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	return keys
}

// codeTenant is a tenant built in Go, as a scenario's inline tenant is: no keys, no fixture
// file. n tells tenants apart (ids, client id, domain).
// demoPermissions is the demo app registration's consent, for tenants built in Go.
var demoPermissions = func() map[string][]string {
	ts, err := LoadFixtures(fixtures.Demo())
	if err != nil {
		panic(err)
	}
	return ts[0].Apps[0].Permissions
}()

func codeTenant(n int) *Tenant {
	domain := fmt.Sprintf("inline%d.example", n)
	return &Tenant{
		ID: fmt.Sprintf("%08x-2222-4333-8444-555555555555", n), Name: "Inline " + domain, Domains: []string{domain}, RestorePage: RestoreEnabled,
		Apps: []App{{Name: "oobe", ClientID: fmt.Sprintf("%08x-2222-4333-8444-666666666666", n), Public: true, RedirectURIs: []string{"http://127.0.0.1"},
			Permissions: demoPermissions}},
		Users: []User{{UPN: "pat@" + domain, DisplayName: "Pat", Password: "Inline-2026!", ObjectID: fmt.Sprintf("%08x-2222-4333-8444-777777777777", n),
			ConditionalAccess: &UserConditionalAccess{BlockRestoreApp: boolp(true)}}},
	}
}

func TestAccessTokensLiveAsLongAsConfigured(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.AccessTokenLifetime = 5 * time.Minute })
	tok := h.signInWithDeviceCode(contosoID, contosoClient, adeleUPN, adelePassword)
	issued := h.clock.Now()
	if tok.ExpiresIn != 300 || tok.ExtExpiresIn != 300 {
		t.Fatalf("expires_in %d, ext_expires_in %d, want 300", tok.ExpiresIn, tok.ExtExpiresIn)
	}
	at := h.graphToken(contosoID, tok.AccessToken)
	if at["exp"].(float64)-at["iat"].(float64) != 300 {
		t.Fatalf("access token lives %v s", at["exp"].(float64)-at["iat"].(float64))
	}
	id := h.verifyWithJWKS(contosoID, tok.IDToken)
	if id["exp"].(float64)-id["iat"].(float64) != 3600 {
		t.Fatalf("the ID token's lifetime changed too: %v s", id["exp"].(float64)-id["iat"].(float64))
	}
	h.clock.Set(issued.Add(299 * time.Second))
	if resp, body := h.bearer("/v1.0/me", tok.AccessToken); resp.StatusCode != 200 {
		t.Fatalf("a second before expiry: %d %s", resp.StatusCode, body)
	}
	h.clock.Set(issued.Add(300 * time.Second))
	resp, body := h.bearer("/v1.0/me", tok.AccessToken)
	if resp.StatusCode != 401 || !contains(body, "the token is expired") {
		t.Fatalf("at expiry: %d %s", resp.StatusCode, body)
	}
	resp, body = h.refreshFor(tok.RefreshToken, "User.Read")
	if resp.StatusCode != 200 {
		t.Fatalf("refresh: %d %s", resp.StatusCode, body)
	}
	next := decodeJSON[tokenResponse](t, body)
	if resp, body := h.bearer("/v1.0/me", next.AccessToken); resp.StatusCode != 200 || next.ExpiresIn != 300 {
		t.Fatalf("the refreshed token: %d %s (expires_in %d)", resp.StatusCode, body, next.ExpiresIn)
	}
}

func TestAccessTokenLifetimeMustBeWholeSecondsOrZero(t *testing.T) {
	cases := []struct {
		name     string
		lifetime time.Duration
		wantErr  bool
		expires  int
	}{
		{"zero means Entra's hour", 0, false, 3600},
		{"a fraction of a second is refused", 500 * time.Millisecond, true, 0},
		{"a negative lifetime is refused", -time.Minute, true, 0},
		{"a fraction beyond whole seconds is dropped", 1500 * time.Millisecond, false, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, err := New(Config{Tenants: demoTenants(t), AccessTokenLifetime: c.lifetime})
			if c.wantErr {
				if err == nil || !strings.Contains(err.Error(), "AccessTokenLifetime") {
					t.Fatalf("New = %v, want an error naming AccessTokenLifetime", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			if got := int(srv.accessTokenLifetime / time.Second); got != c.expires {
				t.Fatalf("lifetime %d s, want %d", got, c.expires)
			}
		})
	}
}

func TestATenantBuiltInCodeSignsWithTheSharedKeys(t *testing.T) {
	shared := demoKeys(t, "contoso-1.pem", "contoso-2.pem")
	vc := clock.NewVirtual(testStart)
	ten := codeTenant(1)
	srv, err := New(Config{Tenants: []*Tenant{ten}, Clock: vc, Keys: shared})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	published := srv.Tenants()[0].Keys
	if len(published) != 2 || !published[0].Equal(shared[0]) || !published[1].Equal(shared[1]) {
		t.Fatal("the tenant does not publish the shared keys in their order")
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	srv.SetBaseURL(hs.URL)
	h := &harness{t: t, srv: srv, http: hs, clock: vc, client: hs.Client(), logs: &syncBuffer{}}
	tok := h.signInWithDeviceCode(ten.ID, ten.Apps[0].ClientID, ten.Users[0].UPN, ten.Users[0].Password)
	if resp, body := h.bearer("/v1.0/me", tok.AccessToken); resp.StatusCode != 200 || !contains(body, ten.Users[0].UPN) {
		t.Fatalf("Graph for the inline user: %d %s", resp.StatusCode, body)
	}
	// The inline user's own Conditional Access applies.
	resp, body := h.post("/"+ten.ID+"/oauth2/v2.0/token", url.Values{"grant_type": {"refresh_token"},
		"client_id": {ten.Apps[0].ClientID}, "refresh_token": {tok.RefreshToken}, "scope": {restoreScope}})
	wantEntraError(t, resp, body, 400, "invalid_grant", 53003)
}

func TestServersSharingKeysPublishTheSameKeys(t *testing.T) {
	shared := demoKeys(t, "fabrikam-1.pem", "fabrikam-2.pem")
	kids := func(tenants ...*Tenant) ([]string, []string) {
		srv, err := New(Config{Tenants: tenants, Keys: shared})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		hs := httptest.NewServer(srv.Handler())
		defer hs.Close()
		srv.SetBaseURL(hs.URL)
		h := &harness{t: t, srv: srv, http: hs, client: hs.Client()}
		var one, common []string
		for _, k := range decodeJSON[jwks](t, bodyOf(h.get("/"+tenants[0].ID+"/discovery/v2.0/keys"))).Keys {
			one = append(one, k.Kid)
		}
		for _, k := range decodeJSON[jwks](t, bodyOf(h.get("/common/discovery/v2.0/keys"))).Keys {
			common = append(common, k.Kid)
		}
		return one, common
	}
	a, _ := kids(codeTenant(2))
	b, common := kids(codeTenant(3), codeTenant(4))
	if len(a) != 2 || strings.Join(a, ",") != strings.Join(b, ",") {
		t.Fatalf("kids %v and %v differ", a, b)
	}
	// Two tenants of one server share the keys; /common lists each key once, as Entra does.
	if strings.Join(common, ",") != strings.Join(a, ",") {
		t.Fatalf("/common lists %v, want %v", common, a)
	}
}

func TestATenantWithItsOwnKeysIgnoresTheSharedOnes(t *testing.T) {
	tenants := demoTenants(t)
	srv, err := New(Config{Tenants: tenants, Keys: demoKeys(t, "fabrikam-1.pem", "fabrikam-2.pem")})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !srv.Tenants()[0].Keys[0].Equal(tenants[0].Keys[0]) {
		t.Fatal("Contoso lost its own keys to the shared ones")
	}
}

func TestSharedKeysAreChecked(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	good := demoKeys(t, "contoso-1.pem")[0]
	cases := []struct {
		name string
		keys []*rsa.PrivateKey
		want string
	}{
		{"one key is too few", []*rsa.PrivateKey{good}, "Config.Keys has one key"},
		{"a nil key is refused", []*rsa.PrivateKey{good, nil}, "Config.Keys[1] is nil"},
		{"a short key is refused", []*rsa.PrivateKey{good, small}, "Config.Keys[1] has 1024 bits"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(Config{Tenants: demoTenants(t), Keys: c.keys})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("New = %v, want %q", err, c.want)
			}
		})
	}
}

func TestAKeysCertificateIsMadeOnceAndIsTheSameAsAFreshOne(t *testing.T) {
	key := demoKeys(t, "contoso-2.pem")[0]
	again := demoKeys(t, "contoso-2.pem")[0] // another *rsa.PrivateKey with the same key
	a, err := cachedSigningKey(key)
	if err != nil {
		t.Fatal(err)
	}
	b, err := cachedSigningKey(again)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Fatal("the same key made its certificate twice")
	}
	fresh, err := newSigningKey(again)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.kid != a.kid || string(fresh.certDER) != string(a.certDER) {
		t.Fatal("the cached certificate differs from a fresh one")
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	c, err := cachedSigningKey(other)
	if err != nil || c == a || c.kid == a.kid {
		t.Fatalf("another key got the cached certificate: %v", err)
	}
}
