// Package interop runs Microsoft's own client libraries, unchanged, against the simulated
// Microsoft cloud (`oobe serve --tls`): MSAL Go and azidentity sign the demo user in with the
// device code flow and with auth code + PKCE in a "browser", and the tokens they get call the
// Graph-shaped API. Each library is told only what any private authority needs: the authority
// (or authority host), instance discovery off, and an HTTP client that trusts the simulator's CA.
package interop

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/interop/internal/browser"
	"github.com/oobe-dev/oobe/interop/internal/sim"
)

// The demo tenant's user the tests sign in as (fixtures/demo/contoso.yaml).
const (
	demoTenant   = "Contoso"
	demoUPN      = "adele.vance@contoso.com"
	demoPassword = "Restore-2026!"
	demoOID      = "6f162abf-414f-4b42-bd2a-7ff532bb3859"
)

// srv is the `oobe serve --tls` that TestMain starts for every test; oobeBin is the binary it
// runs, for tests that start a server of their own.
var (
	srv     *sim.Server
	oobeBin string
)

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "oobe-interop-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if oobeBin, err = sim.Build("..", dir); err == nil {
		srv, err = sim.Serve(oobeBin, dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		return 1
	}
	code := m.Run()
	srv.Stop()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "oobe serve's log:\n%s", srv.Stderr())
	}
	return code
}

// testContext bounds a test: a safety net against a hang, never a measurement.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// contoso is the demo tenant as `oobe serve --json` lists it.
func contoso(t *testing.T) sim.Tenant {
	t.Helper()
	tn, err := srv.Tenant(demoTenant)
	if err != nil {
		t.Fatal(err)
	}
	if tn.ClientID == "" || !strings.HasPrefix(tn.Authority, srv.URL+"/") {
		t.Fatalf("tenant %+v: want a public client ID and an authority under %s", tn, srv.URL)
	}
	return tn
}

// person is the demo user in a browser that trusts the simulator's CA.
func person() *browser.Browser {
	return &browser.Browser{Client: srv.HTTPClient(), Username: demoUPN, Password: demoPassword}
}

// graphUser is the part of Graph's user resource the tests read.
type graphUser struct {
	ID                string `json:"id"`
	UserPrincipalName string `json:"userPrincipalName"`
	DisplayName       string `json:"displayName"`
}

// graphMe calls GET {base}/v1.0/me with the access token and checks it names the demo user.
func graphMe(ctx context.Context, t *testing.T, accessToken string) graphUser {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v1.0/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/json")
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("GET /v1.0/me: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1.0/me with the library's access token: %d %s\nWWW-Authenticate: %s", resp.StatusCode, body,
			resp.Header.Get("WWW-Authenticate"))
	}
	var u graphUser
	if err := json.Unmarshal(body, &u); err != nil {
		t.Fatalf("GET /v1.0/me: %v in %s", err, body)
	}
	if u.ID != demoOID || !strings.EqualFold(u.UserPrincipalName, demoUPN) {
		t.Errorf("GET /v1.0/me = id %q, userPrincipalName %q; want %q, %q", u.ID, u.UserPrincipalName, demoOID, demoUPN)
	}
	return u
}

// recorder is a transport that notes every request a library sends (method, path and, for
// form posts, grant_type) and passes it on unchanged.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct{ method, path, grantType string }

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := recorded{method: req.Method, path: req.URL.Path}
	if req.Method == http.MethodPost && req.GetBody != nil {
		if body, err := req.GetBody(); err == nil {
			b, _ := io.ReadAll(io.LimitReader(body, 1<<20))
			body.Close()
			if v, err := url.ParseQuery(string(b)); err == nil {
				rec.grantType = v.Get("grant_type")
			}
		}
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, rec)
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

// tokenGrants lists the grant_type of every token endpoint request so far.
func (r *recorder) tokenGrants() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var g []string
	for _, q := range r.reqs {
		if strings.HasSuffix(q.path, "/oauth2/v2.0/token") {
			g = append(g, q.grantType)
		}
	}
	return g
}

// newRecorder records over a transport that trusts only the simulator's CA.
func newRecorder() *recorder { return &recorder{next: srv.Transport()} }
