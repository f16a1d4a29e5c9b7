package tenant

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestNewRefusesTenantsItCannotServe(t *testing.T) {
	cases := []struct {
		name   string
		tweak  func([]*Tenant) []*Tenant
		wanted string
	}{
		{"no tenants", func([]*Tenant) []*Tenant { return nil }, "no tenants"},
		{"a nil tenant", func(ts []*Tenant) []*Tenant { return append(ts, nil) }, "nil"},
		{"a tenant id that is not a GUID", func(ts []*Tenant) []*Tenant { ts[1].ID = "fabrikam"; return ts }, "not a GUID"},
		{"the same tenant twice", func(ts []*Tenant) []*Tenant { ts[1].ID = strings.ToUpper(ts[0].ID); return ts }, "served twice"},
		{"the same client id in two tenants", func(ts []*Tenant) []*Tenant { ts[1].Apps[0].ClientID = ts[0].Apps[0].ClientID; return ts }, "already registered"},
		{"an unknown cloud", func(ts []*Tenant) []*Tenant { ts[0].Cloud = "moon"; return ts }, "cloud"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(Config{Tenants: c.tweak(demoTenants(t))})
			if err == nil || !strings.Contains(err.Error(), c.wanted) {
				t.Fatalf("New error = %v, want one mentioning %q", err, c.wanted)
			}
		})
	}
}

func TestStartServesOnLoopbackUntilShutdown(t *testing.T) {
	srv, err := New(Config{Tenants: demoTenants(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown before Start: %v", err)
	}
	base, err := srv.Start("")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") || srv.URL() != base {
		t.Fatalf("base URL %q, URL() %q", base, srv.URL())
	}
	if srv.Authority(contosoID) != base+"/"+contosoID {
		t.Fatalf("Authority = %q", srv.Authority(contosoID))
	}
	if _, err := srv.Start(""); err == nil {
		t.Fatal("a second Start succeeded")
	}
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(base + "/" + contosoID + "/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang bound, not a speed
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	c.CloseIdleConnections()
	if _, err := c.Get(base + "/devicelogin"); err == nil {
		t.Fatal("the server still answers after Shutdown")
	}
}

func TestTenantsAndSummariesHideNothingTheyShouldShowAndShowNoSecrets(t *testing.T) {
	h := newHarness(t)
	tenants := h.srv.Tenants()
	if len(tenants) != 2 || tenants[0].ID != contosoID || len(tenants[0].Keys) != 2 {
		t.Fatalf("Tenants() = %+v", tenants)
	}
	tenants[0].Name = "changed"
	if h.srv.Tenants()[0].Name != "Contoso" {
		t.Fatal("Tenants() hands out the server's own tenant")
	}
	resp, body := h.get("/_oobe/tenants")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	list := decodeJSON[struct {
		URL     string          `json:"url"`
		Tenants []TenantSummary `json:"tenants"`
	}](t, body)
	if list.URL != h.http.URL || len(list.Tenants) != 2 || list.Tenants[0].ClientID != contosoClient ||
		list.Tenants[0].Authority != h.url("/"+contosoID) {
		t.Fatalf("/_oobe/tenants = %s", body)
	}
	if contains(body, adelePassword) || contains(body, "password") {
		t.Fatal("/_oobe/tenants shows passwords")
	}
}

func TestSetBaseURLDropsTheTrailingSlash(t *testing.T) {
	srv, err := New(Config{Tenants: demoTenants(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv.SetBaseURL("http://127.0.0.1:8080/")
	if srv.URL() != "http://127.0.0.1:8080" {
		t.Fatalf("URL() = %q", srv.URL())
	}
}

func TestErrorPageExplainsACode(t *testing.T) {
	h := newHarness(t)
	resp, body := h.get("/error?code=70016")
	if resp.StatusCode != http.StatusOK || !contains(body, "AADSTS70016") {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if resp, _ := h.get("/error?code=123"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("an unknown code: %d", resp.StatusCode)
	}
}

func TestRequestsForAnotherHostNameAreRefused(t *testing.T) {
	h := newHarness(t)
	u, _ := url.Parse(h.http.URL)
	port := u.Port()
	discovery := "/" + contosoID + "/v2.0/.well-known/openid-configuration"
	cases := []struct {
		host   string
		status int
	}{
		{"127.0.0.1:" + port, http.StatusOK},
		{"localhost:" + port, http.StatusOK},
		{"LOCALHOST:" + port, http.StatusOK},
		{"[::1]:" + port, http.StatusOK},
		{"127.0.0.2:" + port, http.StatusOK}, // loopback too
		{"evil.example:" + port, http.StatusForbidden},
		{"localhost.evil.example:" + port, http.StatusForbidden},
		{"evil.example", http.StatusForbidden},
		{"127.0.0.1", http.StatusForbidden}, // port 80 is not where the simulator is
		{"localhost:1", http.StatusForbidden},
		{"192.0.2.10:" + port, http.StatusForbidden}, // an address the server is not bound to
	}
	for _, c := range cases {
		t.Run("Host "+c.host, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, h.url(discovery), nil)
			req.Host = c.host
			resp, body := h.do(req)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, body)
			}
			if c.status == http.StatusForbidden && !contains(body, "not an address this simulator is reached at") {
				t.Fatalf("refusal body %s", body)
			}
		})
	}
}

func TestHostsAllowedFollowTheBaseURLAndTheBoundAddress(t *testing.T) {
	srv, err := New(Config{Tenants: demoTenants(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !srv.hostAllowed("127.0.0.1:5555") || !srv.hostAllowed("localhost:1") || srv.hostAllowed("example.com:5555") || srv.hostAllowed("") {
		t.Fatal("before a base URL is known only loopback hosts are allowed")
	}
	srv.SetBaseURL("http://sim.test:8400")
	for host, want := range map[string]bool{
		"sim.test:8400": true, "SIM.TEST:8400": true, "127.0.0.1:8400": true, "localhost:8400": true, "[::1]:8400": true,
		"sim.test:8401": false, "other.test:8400": false, "10.1.2.3:8400": false, "": false,
	} {
		if got := srv.hostAllowed(host); got != want {
			t.Errorf("base sim.test:8400: hostAllowed(%q) = %v, want %v", host, got, want)
		}
	}
	srv.SetBaseURL("http://127.0.0.1:8400")
	srv.bound = net.IPv4zero // serving on 0.0.0.0: every address of the machine is bound
	if !srv.hostAllowed("10.1.2.3:8400") || srv.hostAllowed("box.lan:8400") {
		t.Fatal("a wildcard bind allows any IP address on its port and still no DNS name")
	}
	srv.bound = net.ParseIP("10.1.2.3")
	if !srv.hostAllowed("10.1.2.3:8400") || srv.hostAllowed("10.1.2.4:8400") {
		t.Fatal("a bind to one address allows that address only")
	}
}

func TestEveryIssuerPathAnswersWithEntrasErrorJSON(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name, method, path string
		status             int
		errName            string
		code               int
	}{
		{"an unknown endpoint of a tenant", "GET", "/" + contosoID + "/oauth2/v2.0/nothing", 404, "invalid_request", 9002313},
		{"an unknown endpoint under common", "GET", "/common/v2.0/nothing", 404, "invalid_request", 9002313},
		{"the tenant's root", "GET", "/" + contosoID + "/", 404, "invalid_request", 9002313},
		{"an unknown tenant's unknown endpoint", "GET", "/nope.example/oauth2/v2.0/nothing", 400, "invalid_tenant", 90002},
		{"the root", "GET", "/", 404, "invalid_request", 9002313},
		{"a path with ..", "GET", "/" + contosoID + "/v2.0/../discovery/v2.0/keys", 404, "invalid_request", 9002313},
		{"a path with //", "GET", "/" + contosoID + "//discovery/v2.0/keys", 404, "invalid_request", 9002313},
		{"a trailing slash", "GET", "/" + contosoID + "/discovery/v2.0/keys/", 404, "invalid_request", 9002313},
		{"POST to discovery", "POST", "/" + contosoID + "/v2.0/.well-known/openid-configuration", 405, "invalid_request", 900561},
		{"DELETE on the keys", "DELETE", "/" + contosoID + "/discovery/v2.0/keys", 405, "invalid_request", 900561},
		{"PUT on the authorize page", "PUT", "/" + contosoID + "/oauth2/v2.0/authorize", 405, "invalid_request", 900561},
		{"PUT on the logout endpoint", "PUT", "/common/oauth2/v2.0/logout", 405, "invalid_request", 900561},
		{"PUT on the device login page", "PUT", "/devicelogin", 405, "invalid_request", 900561},
		{"GET on the token endpoint", "GET", "/" + contosoID + "/oauth2/v2.0/token", 400, "invalid_request", 900561},
		{"GET on the devicecode endpoint", "GET", "/" + contosoID + "/oauth2/v2.0/devicecode", 400, "invalid_request", 900561},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, h.url("/"), nil)
			req.URL.Path = c.path // as sent, not cleaned by the client
			resp, body := h.do(req)
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("Content-Type %q: %s", resp.Header.Get("Content-Type"), body)
			}
			wantEntraError(t, resp, body, c.status, c.errName, c.code)
			if c.status == http.StatusMethodNotAllowed && resp.Header.Get("Allow") == "" {
				t.Fatal("a 405 without Allow")
			}
		})
	}
	t.Run("the simulator's controls answer in their own JSON", func(t *testing.T) {
		for _, c := range []struct {
			method, path string
			status       int
		}{{"GET", "/_oobe/nothing", 404}, {"DELETE", "/_oobe/tenants", 405}, {"GET", "/_oobe/faults", 405}} {
			resp, body := h.send(c.method, c.path, "")
			if resp.StatusCode != c.status || decodeJSON[adminError](t, body).Error == "" {
				t.Fatalf("%s %s: %d %s", c.method, c.path, resp.StatusCode, body)
			}
		}
	})
}

func TestFormatGUIDMakesVersion4GUIDs(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		want string
	}{
		{"counting bytes", []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, "00010203-0405-4607-8809-0a0b0c0d0e0f"},
		{"all ones: the version and variant bits are set", bytes.Repeat([]byte{0xff}, 16), "ffffffff-ffff-4fff-bfff-ffffffffffff"},
		{"all zeros", make([]byte, 16), "00000000-0000-4000-8000-000000000000"},
		{"longer input: the first 16 bytes", append(bytes.Repeat([]byte{0xab}, 16), 1, 2), "abababab-abab-4bab-abab-abababababab"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := formatGUID(c.in); got != c.want || !IsGUID(got) {
				t.Fatalf("formatGUID = %s, want %s", got, c.want)
			}
		})
	}
}

func TestMoreJSONAnswersAsTheDecodersMore(t *testing.T) {
	for _, trailer := range []string{"", " ", "\n\t\r ", "]", " }", "x", `"s"`, "{}", "\u00a0", "0", ",", "\n\n["} {
		t.Run(strconv.Quote(trailer), func(t *testing.T) {
			body := []byte(`{"a":1}` + trailer)
			dec := json.NewDecoder(bytes.NewReader(body))
			var v map[string]int
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			offset := dec.InputOffset()
			if got, want := moreJSON(body[offset:]), dec.More(); got != want {
				t.Fatalf("moreJSON = %v, the decoder's More = %v", got, want)
			}
		})
	}
}

func TestEncodeJSONWritesWhatMarshalWrites(t *testing.T) {
	cases := []struct {
		name string
		v    any
	}{
		{"a Graph page", graphPage[graphWindowsSetting]{Context: "http://127.0.0.1:1/v1.0/$metadata#x", Value: []graphWindowsSetting{{Type: odataWindowsSetting, ID: "{a}$b"}}}},
		{"characters JSON escapes for HTML", map[string]string{"a": `<script>&"x"</script>`, "b": "\u2028\u2029"}},
		{"an empty list", []int{}},
		{"null", nil},
		{"a large value", strings.Repeat("x", maxPooledJSON+1)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for range 2 { // the second time from a pooled buffer
				want, err := json.Marshal(c.v)
				if err != nil {
					t.Fatal(err)
				}
				buf, err := encodeJSON(c.v)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(buf.Bytes(), want) {
					t.Fatalf("encodeJSON wrote\n%s\njson.Marshal writes\n%s", buf.Bytes(), want)
				}
				releaseJSON(buf)
			}
		})
	}
	t.Run("a value JSON cannot encode", func(t *testing.T) {
		if _, err := encodeJSON(func() {}); err == nil {
			t.Fatal("no error for a func")
		}
	})
}

func TestAPageFromTheCacheIsThePageTheTemplateRenders(t *testing.T) {
	cases := []struct {
		name, page string
		pd         pageData
		static     bool
	}{
		{"the signed-in page", "done", pageData{Title: "Signed in", Tenant: "Contoso", Heading: "You are signed in", Message: "Return to your device."}, true},
		{"the same page of another tenant", "done", pageData{Title: "Signed in", Tenant: "Fabrikam <&>", Heading: "You are signed in", Message: "Return to your device."}, true},
		{"the code page", "enter_code", pageData{Title: "Enter code"}, true},
		{"a page with an error", "enter_code", pageData{Title: "Enter the code again", Error: &pageError{Code: 50126, Message: "wrong", TraceID: "t"}}, false},
		{"a page with a code", "device_signin", pageData{Title: "Sign in", UserCode: "ABCDEFGHJ", AppName: "oobe"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var want bytes.Buffer
			if err := pages[c.page].ExecuteTemplate(&want, "layout", &c.pd); err != nil {
				t.Fatal(err)
			}
			for range 2 { // the second time from the cache when the page is static
				got, err := renderedPage(c.page, &c.pd)
				if err != nil || !bytes.Equal(got, want.Bytes()) {
					t.Fatalf("rendered (%v)\n%s\nthe template renders\n%s", err, got, want.Bytes())
				}
			}
			renderedPages.mu.Lock()
			_, cached := renderedPages.pages[staticPage{c.page, c.pd.Title, c.pd.Tenant, c.pd.AppName, c.pd.Username, c.pd.Heading, c.pd.Message, c.pd.RedirectURI}]
			renderedPages.mu.Unlock()
			if cached != c.static {
				t.Fatalf("cached: %v, want %v", cached, c.static)
			}
		})
	}
}
