package tenant

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/localca"
)

// startTLS starts a simulator over https on 127.0.0.1 with a leaf of a fresh in-memory CA for
// hosts, and returns it with a client that trusts that CA alone and dials the listener whatever
// host a URL names (as a reverse proxy in front of it would be reached).
func startTLS(t *testing.T, publicURL string, hosts ...string) (*Server, *http.Client) {
	t.Helper()
	ca, err := localca.New()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ca.ServerTLS(hosts...)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Tenants: demoTenants(t), TLS: cfg, PublicURL: publicURL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	listen := strings.TrimPrefix(srv.ListenURL(), "https://")
	tr := &http.Transport{TLSClientConfig: ca.ClientTLS(), ForceAttemptHTTP2: true,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, listen)
		}}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang bound, not a speed
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = srv.Close()
	})
	return srv, &http.Client{Transport: tr}
}

// discover fetches Contoso's discovery document from base, with the Host header host when given.
func discover(t *testing.T, hc *http.Client, base, host string, header http.Header) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/"+contosoID+"/v2.0/.well-known/openid-configuration", nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var doc map[string]any
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("discovery: %v: %s", err, body)
		}
	}
	return resp.StatusCode, doc
}

func TestStartServesHTTPSAndDiscoveryNamesHTTPSEndpoints(t *testing.T) {
	srv, hc := startTLS(t, "")
	base := srv.URL()
	if !strings.HasPrefix(base, "https://127.0.0.1:") || srv.ListenURL() != base {
		t.Fatalf("URL %q, ListenURL %q: want both https://127.0.0.1:PORT", base, srv.ListenURL())
	}
	status, doc := discover(t, hc, base, "", nil)
	if status != http.StatusOK {
		t.Fatalf("discovery over https: %d", status)
	}
	if want := base + "/" + contosoID + "/v2.0"; doc["issuer"] != want {
		t.Errorf("issuer %v, want %s", doc["issuer"], want)
	}
	for _, field := range []string{"jwks_uri", "authorization_endpoint", "token_endpoint", "device_authorization_endpoint"} {
		if v, _ := doc[field].(string); !strings.HasPrefix(v, base+"/") {
			t.Errorf("%s = %q, not under %s", field, v, base)
		}
	}
}

func TestAnHTTPSServerRefusesPlainHTTP(t *testing.T) {
	srv, _ := startTLS(t, "")
	plain := &http.Client{Transport: &http.Transport{}}
	defer plain.CloseIdleConnections()
	resp, err := plain.Get(strings.Replace(srv.URL(), "https://", "http://", 1) + "/" + contosoID + "/v2.0/.well-known/openid-configuration")
	if err != nil {
		return // refused at the connection: also fine
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Fatal("plain http was served by an https simulator")
	}
}

func TestAClientThatDoesNotTrustTheCAIsRefused(t *testing.T) {
	srv, _ := startTLS(t, "")
	other := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: mustPool(t)}}}
	defer other.CloseIdleConnections()
	if _, err := other.Get(srv.URL() + "/" + contosoID + "/v2.0/.well-known/openid-configuration"); err == nil {
		t.Fatal("a client trusting another CA accepted the simulator's certificate")
	}
}

func mustPool(t *testing.T) *x509.CertPool {
	t.Helper()
	ca, err := localca.New()
	if err != nil {
		t.Fatal(err)
	}
	return ca.Pool()
}

func TestPublicURLIsTheIssuerAndItsHostIsAccepted(t *testing.T) {
	const public = "https://login.oobe.test"
	srv, hc := startTLS(t, public+"/", "login.oobe.test")
	if srv.URL() != public {
		t.Fatalf("URL %q, want the public URL %s", srv.URL(), public)
	}
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.ListenURL(), "https://"))
	status, doc := discover(t, hc, public, "", http.Header{"X-Forwarded-Host": {"evil.example"}, "X-Forwarded-Proto": {"http"}})
	if status != http.StatusOK {
		t.Fatalf("discovery at the public URL: %d", status)
	}
	if want := public + "/" + contosoID + "/v2.0"; doc["issuer"] != want {
		t.Errorf("issuer %v, want %s (X-Forwarded-* must be ignored)", doc["issuer"], want)
	}
	if v, _ := doc["token_endpoint"].(string); !strings.HasPrefix(v, public+"/") {
		t.Errorf("token_endpoint %q is not under the public URL", v)
	}
	cases := []struct {
		name, host string
		status     int
	}{
		{"the public host is accepted", "login.oobe.test", http.StatusOK},
		{"the public host with its default port spelt out is accepted", "login.oobe.test:443", http.StatusOK},
		{"the public host in upper case is accepted", "LOGIN.OOBE.TEST", http.StatusOK},
		{"a proxy's rewrite to the listening address is accepted", "127.0.0.1:" + port, http.StatusOK},
		{"localhost on the listening port is accepted", "localhost:" + port, http.StatusOK},
		{"the public host on another port is refused", "login.oobe.test:8443", http.StatusForbidden},
		{"another name is refused", "evil.example", http.StatusForbidden},
		{"a name under the public host is refused", "x.login.oobe.test", http.StatusForbidden},
		{"loopback on the public URL's port is refused when nothing listens there", "127.0.0.1:443", http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got, _ := discover(t, hc, public, tc.host, nil); got != tc.status {
				t.Fatalf("Host %s: status %d, want %d", tc.host, got, tc.status)
			}
		})
	}
}

func TestPublicURLMustBeAnOrigin(t *testing.T) {
	cases := []struct{ name, url, want string }{
		{"a relative URL is refused", "login.oobe.test", "absolute http or https"},
		{"another scheme is refused", "ftp://login.oobe.test", "absolute http or https"},
		{"a path is refused", "https://login.oobe.test/sim", "path /sim"},
		{"a query is refused", "https://login.oobe.test/?a=1", "query or fragment"},
		{"an empty query is refused", "https://login.oobe.test/?", "query or fragment"},
		{"a fragment is refused", "https://login.oobe.test/#x", "query or fragment"},
		{"user information is refused", "https://me@login.oobe.test", "user information"},
		{"no host is refused", "https://:8443", "no host"},
		{"a bad port is refused", "https://login.oobe.test:99999", "not a port"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Config{Tenants: demoTenants(t), PublicURL: tc.url})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "public URL") {
				t.Fatalf("New with PublicURL %q: %v, want an error saying %q", tc.url, err, tc.want)
			}
		})
	}
	for _, ok := range []string{"https://login.oobe.test", "https://login.oobe.test/", "http://sim.lan:8400", "https://[2001:db8::1]:8443"} {
		if got, err := CheckPublicURL(ok); err != nil || strings.HasSuffix(got, "/") {
			t.Errorf("CheckPublicURL(%q) = %q, %v", ok, got, err)
		}
	}
}

func TestATLSConfigWithoutACertificateIsRefused(t *testing.T) {
	if _, err := New(Config{Tenants: demoTenants(t), TLS: &tls.Config{}}); err == nil || !strings.Contains(err.Error(), "no certificate") {
		t.Fatalf("New: %v", err)
	}
}

func TestHostsAllowedIncludeTheListeningPortBehindAPublicURL(t *testing.T) {
	srv, err := New(Config{Tenants: demoTenants(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.SetBaseURL("https://login.oobe.test:8443")
	srv.listenPort, srv.bound = "49152", net.IPv4(127, 0, 0, 1)
	for host, want := range map[string]bool{
		"login.oobe.test:8443": true, "127.0.0.1:49152": true, "localhost:49152": true, "127.0.0.1:8443": true,
		"login.oobe.test": false, "login.oobe.test:49152": false, "127.0.0.1:1": false, "10.1.2.3:49152": false,
	} {
		if got := srv.hostAllowed(host); got != want {
			t.Errorf("hostAllowed(%q) = %v, want %v", host, got, want)
		}
	}
}
