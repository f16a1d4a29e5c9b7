package auth

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParseAuthority(t *testing.T) {
	cases := []struct {
		name, raw, want string // want "" means refused
	}{
		{"a real tenant GUID authority is accepted", "https://login.microsoftonline.com/" + testTenant, "https://login.microsoftonline.com/" + testTenant},
		{"a trailing slash and upper case are normalised", "https://Login.MicrosoftOnline.com/" + strings.ToUpper(testTenant) + "/", "https://login.microsoftonline.com/" + testTenant},
		{"organizations is accepted", "https://login.microsoftonline.com/organizations", "https://login.microsoftonline.com/organizations"},
		{"common is accepted", "https://login.microsoftonline.com/common", "https://login.microsoftonline.com/common"},
		{"the simulator on 127.0.0.1 over http is accepted", "http://127.0.0.1:8080/" + testTenant, "http://127.0.0.1:8080/" + testTenant},
		{"the simulator on localhost over http is accepted", "http://localhost:8080/" + testTenant, "http://localhost:8080/" + testTenant},
		{"plain http to a real host is refused", "http://login.microsoftonline.com/" + testTenant, ""},
		{"the simulator on 127.0.0.1 over https is accepted", "https://127.0.0.1:8443/" + testTenant, "https://127.0.0.1:8443/" + testTenant},
		{"the simulator on localhost over https is accepted", "https://localhost:8443/" + testTenant, "https://localhost:8443/" + testTenant},
		{"https on a loopback spelling no resolver agrees on is refused", "https://127.1:8443/" + testTenant, ""},
		{"https on an IP address is refused", "https://20.190.128.1/" + testTenant, ""},
		{"https on a numeric loopback spelling is refused", "https://2130706433/" + testTenant, ""},
		{"a domain-name tenant is refused", "https://login.microsoftonline.com/contoso.onmicrosoft.com", ""},
		{"consumers is refused", "https://login.microsoftonline.com/consumers", ""},
		{"no tenant is refused", "https://login.microsoftonline.com/", ""},
		{"a query is refused", "https://login.microsoftonline.com/" + testTenant + "?x=1", ""},
		{"user information is refused", "https://me@login.microsoftonline.com/" + testTenant, ""},
		{"another scheme is refused", "ftp://login.microsoftonline.com/" + testTenant, ""},
		{"an empty authority is refused", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := parseAuthority(tc.raw)
			if tc.want == "" {
				if !errors.Is(err, ErrBadAuthority) {
					t.Fatalf("parseAuthority(%q) = %v, %v; want ErrBadAuthority", tc.raw, a, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseAuthority(%q): %v", tc.raw, err)
			}
			if a.String() != tc.want {
				t.Fatalf("parseAuthority(%q) = %q, want %q", tc.raw, a, tc.want)
			}
		})
	}
}

// tlsIssuer serves an Entra-shaped discovery document over TLS for https://login.example.com,
// reached through a dialer that sends every connection to the local test server.
func tlsIssuer(t *testing.T, edit func(doc map[string]any)) (authorityURL string, hc *http.Client) {
	t.Helper()
	const origin = "https://login.example.com"
	base := origin + "/" + testTenant
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/"+testTenant+"/v2.0/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		doc := discoveryDocFor(base)
		edit(doc)
		writeJSON(w, http.StatusOK, doc)
	}))
	t.Cleanup(srv.Close)
	hc = srv.Client()
	tr := hc.Transport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
	}
	hc.Transport = tr
	return base, hc
}

func TestNewWithHTTPSAuthorityRefusesLoopbackOrPlainHTTPEndpoints(t *testing.T) {
	cases := []struct {
		name  string
		field string
		value func(loop string) string
		want  error // nil means accepted
	}{
		{"an all-https document on the authority's host is accepted", "", nil, nil},
		{"a loopback issuer is refused", "issuer", func(loop string) string { return "http://" + loop + "/" + testTenant + "/v2.0" }, ErrInsecureEndpoint},
		{"an https loopback issuer is refused", "issuer", func(loop string) string { return "https://" + loop + "/" + testTenant + "/v2.0" }, ErrInsecureEndpoint},
		{"loopback keys are refused", "jwks_uri", func(loop string) string { return "https://" + loop + "/" + testTenant + "/discovery/v2.0/keys" }, ErrInsecureEndpoint},
		{"localhost keys are refused", "jwks_uri", func(string) string { return "https://localhost/" + testTenant + "/discovery/v2.0/keys" }, ErrInsecureEndpoint},
		{"plain-http keys on the right host are refused", "jwks_uri", func(string) string { return "http://login.example.com/" + testTenant + "/discovery/v2.0/keys" }, ErrInsecureEndpoint},
		{"a loopback token endpoint is refused", "token_endpoint", func(loop string) string { return "http://" + loop + "/" + testTenant + "/oauth2/v2.0/token" }, ErrInsecureEndpoint},
		{"a loopback device endpoint is refused", "device_authorization_endpoint", func(loop string) string { return "http://" + loop + "/devicecode" }, ErrInsecureEndpoint},
		{"keys on another host are refused", "jwks_uri", func(string) string { return "https://keys.example.com/" + testTenant + "/discovery/v2.0/keys" }, ErrForeignEndpoint},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			authority, hc := tlsIssuer(t, func(doc map[string]any) {
				if tc.field != "" {
					doc[tc.field] = tc.value("127.0.0.1:8080")
				}
			})
			c, err := New(context.Background(), Config{Authority: authority, ClientID: testClient, HTTPClient: hc})
			if tc.want == nil {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if c.Issuer() != authority+"/v2.0" {
					t.Fatalf("issuer = %q", c.Issuer())
				}
				return
			}
			var de *DiscoveryError
			if !errors.As(err, &de) || de.Field != tc.field || !errors.Is(err, tc.want) {
				t.Fatalf("New = %v, want a DiscoveryError on %s wrapping %v", err, tc.field, tc.want)
			}
		})
	}
}

func TestNewWithSimulatorAuthorityChecksTheDocument(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(ti *testIssuer, doc map[string]any)
		field string // "" means accepted
	}{
		{"the simulator's own document is accepted", func(*testIssuer, map[string]any) {}, ""},
		{"an issuer for another tenant is refused", func(ti *testIssuer, doc map[string]any) {
			doc["issuer"] = ti.srv.URL + "/" + otherTenant + "/v2.0"
		}, "issuer"},
		{"keys on a real host are refused", func(ti *testIssuer, doc map[string]any) {
			doc["jwks_uri"] = "https://login.microsoftonline.com/" + testTenant + "/discovery/v2.0/keys"
		}, "jwks_uri"},
		{"a token endpoint on another port is refused", func(ti *testIssuer, doc map[string]any) {
			doc["token_endpoint"] = "http://127.0.0.1:1/" + testTenant + "/oauth2/v2.0/token"
		}, "token_endpoint"},
		{"a missing token endpoint is refused", func(ti *testIssuer, doc map[string]any) {
			delete(doc, "token_endpoint")
		}, "token_endpoint"},
		{"a document without RS256 is refused", func(ti *testIssuer, doc map[string]any) {
			doc["id_token_signing_alg_values_supported"] = []string{"HS256"}
		}, "id_token_signing_alg_values_supported"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ti := newTestIssuer(t)
			ti.editDiscovery = func(doc map[string]any) { tc.edit(ti, doc) }
			_, err := New(context.Background(), Config{Authority: ti.authority(testTenant), ClientID: testClient, HTTPClient: ti.srv.Client()})
			if tc.field == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			var de *DiscoveryError
			if !errors.As(err, &de) || de.Field != tc.field {
				t.Fatalf("New = %v, want a DiscoveryError on %s", err, tc.field)
			}
		})
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	ti := newTestIssuer(t)
	cases := []struct {
		name string
		cfg  Config
	}{
		{"a client ID that is not a GUID", Config{Authority: ti.authority(testTenant), ClientID: "oobe"}},
		{"scopes without openid", Config{Authority: ti.authority(testTenant), ClientID: testClient, Scopes: []string{"User.Read"}}},
		{"an unknown tenant", Config{Authority: ti.authority("00000000-0000-0000-0000-000000000001"), ClientID: testClient}},
	}
	for _, tc := range cases {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			tc.cfg.HTTPClient = ti.srv.Client()
			_, err := New(context.Background(), tc.cfg)
			if err == nil {
				t.Fatal("New accepted the config")
			}
			t.Logf("refused: %v", err)
		})
	}
}

func TestNewWhenDiscoveryIsUnreachableExplains(t *testing.T) {
	ti := newTestIssuer(t)
	authority := ti.authority(testTenant)
	ti.srv.Close()
	_, err := New(context.Background(), Config{Authority: authority, ClientID: testClient})
	if err == nil || !strings.Contains(err.Error(), "discovery document") {
		t.Fatalf("New = %v, want an error about the discovery document", err)
	}
}

func TestNewWithAnHTTPSSimulatorAuthorityWantsItsOwnOrigin(t *testing.T) {
	var edit func(base string, doc map[string]any)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		base := "https://" + r.Host + "/" + testTenant
		doc := discoveryDocFor(base)
		edit(base, doc)
		writeJSON(w, http.StatusOK, doc)
	}))
	defer srv.Close()
	cases := []struct {
		name  string
		edit  func(base string, doc map[string]any)
		field string // "" means accepted
	}{
		{"its own https origin is accepted", func(string, map[string]any) {}, ""},
		{"plain-http keys beside it are refused", func(base string, doc map[string]any) {
			doc["jwks_uri"] = strings.Replace(base, "https://", "http://", 1) + "/discovery/v2.0/keys"
		}, "jwks_uri"},
		{"a token endpoint on another loopback port is refused", func(_ string, doc map[string]any) {
			doc["token_endpoint"] = "https://127.0.0.1:1/" + testTenant + "/oauth2/v2.0/token"
		}, "token_endpoint"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			edit = tc.edit
			c, err := New(context.Background(), Config{Authority: srv.URL + "/" + testTenant, ClientID: testClient, HTTPClient: srv.Client()})
			if tc.field == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if c.Issuer() != srv.URL+"/"+testTenant+"/v2.0" {
					t.Fatalf("issuer = %q", c.Issuer())
				}
				return
			}
			var de *DiscoveryError
			if !errors.As(err, &de) || de.Field != tc.field || !errors.Is(err, ErrForeignEndpoint) {
				t.Fatalf("New = %v, want a DiscoveryError on %s wrapping ErrForeignEndpoint", err, tc.field)
			}
		})
	}
}

// discoveryDocFor is the part of an Entra discovery document the client reads, for an authority.
func discoveryDocFor(base string) map[string]any {
	return map[string]any{
		"issuer":                        base + "/v2.0",
		"authorization_endpoint":        base + "/oauth2/v2.0/authorize",
		"token_endpoint":                base + "/oauth2/v2.0/token",
		"device_authorization_endpoint": base + "/oauth2/v2.0/devicecode",
		"jwks_uri":                      base + "/discovery/v2.0/keys",
	}
}
