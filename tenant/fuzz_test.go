package tenant

import (
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/fixtures"
)

// FuzzParseTenant feeds arbitrary bytes to the fixture parser: it must never panic, and every
// refusal must be a *FixtureError naming the file.
func FuzzParseTenant(f *testing.F) {
	demo := fixtures.Demo()
	for _, name := range []string{"contoso.yaml", "fabrikam.yaml"} {
		data, err := fs.ReadFile(demo, name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, seed := range []string{
		"",
		"tenant:\n",
		"tenant: {id: 39150fda-e360-47ce-b98e-d9250ba6f8e8, name: X, domains: [x.com]}\napps: [{clientId: 9c6fb39d-8205-4a69-8a44-e2bae12741d2, public: true}]\n",
		"tenant: [1, 2]\n",
		"keys: [../../etc/passwd]\n",
		"keys: [keys/contoso-1.pem]\n",
		"users:\n  - upn: \"a@b\"\n    objectId: 1\n",
		"devices: [{deviceId: x, trustType: Nope}]\n",
		"\t- bad indentation\n",
		"a: &a [*a]\n",
		"tenant: {id: !!binary AAAA}\n",
		goodFixture,
		strings.Replace(goodFixture, "created: 2026-01-01", "created: 2026-13-45", 1),
		strings.Replace(goodFixture, "accessibility: {textScale: 125}", "accessibility: {textScale: .inf}", 1),
		strings.Replace(goodFixture, "accessibility: {textScale: 125}", "accessibility: {1: 2}", 1),
		strings.Replace(goodFixture, "    password: x\n", "    password: x\n    generateBackups: 3\n", 1),
		"users: [{upn: a@b.com, backups: [{device: X, content: {settings: {other: {x: [[[{}]]]}}}}]}]\n",
	} {
		f.Add([]byte(seed))
	}
	readKey := func(p string) ([]byte, error) { return fs.ReadFile(demo, p) }
	f.Fuzz(func(t *testing.T, data []byte) {
		ten, err := ParseTenant("fuzz.yaml", data, readKey)
		if err != nil {
			var fe *FixtureError
			if !errors.As(err, &fe) {
				t.Fatalf("ParseTenant error %T %v is not a *FixtureError", err, err)
			}
			if fe.File != "fuzz.yaml" || fe.Msg == "" {
				t.Fatalf("FixtureError %+v does not name the file and the problem", fe)
			}
			return
		}
		if !IsGUID(ten.ID) || len(ten.Apps) == 0 || len(ten.Keys) == 1 {
			t.Fatalf("ParseTenant accepted an invalid tenant: %+v", ten)
		}
		// Every backup a fixture accepts must become Graph objects the server can serve.
		for i := range ten.Users {
			if _, err := fixtureBackups(ten.ID, &ten.Users[i]); err != nil {
				t.Fatalf("ParseTenant accepted backups the server cannot store: %v", err)
			}
		}
	})
}

// FuzzTokenRequest posts arbitrary bodies to the token endpoint: the answer is never a 5xx, and is
// always either Entra's error JSON or a token response.
func FuzzTokenRequest(f *testing.F) {
	handler := fuzzHandler(f)

	form := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	for _, seed := range []struct {
		body   string
		tenant string
		ctype  bool
	}{
		{form("grant_type", deviceCodeGrantType, "client_id", contosoClient, "device_code", "x"), contosoID, true},
		{form("grant_type", "authorization_code", "client_id", contosoClient, "code", "x", "redirect_uri", "http://127.0.0.1/", "code_verifier", verifier), contosoID, true},
		{form("grant_type", "refresh_token", "client_id", contosoClient, "refresh_token", "x", "scope", "openid .default"), "common", true},
		{form("grant_type", "refresh_token", "client_id", contosoClient, "client_secret", "x"), "organizations", true},
		{form("grant_type", "refresh_token", "client_id", contosoClient, "refresh_token", "x", "scope", RestoreAppID+"/.default"), contosoID, true},
		{form("grant_type", "refresh_token", "client_id", contosoClient, "refresh_token", "x", "scope", RestoreBackupsAppID+"/user_impersonation User.Read"), contosoID, true},
		{form("grant_type", "password", "client_id", "not-a-guid"), contosoID, true},
		{"grant_type=%zz&client_id=;", contosoID, true},
		{form("client_id", contosoClient) + "&client_id=" + fabrikamApp, "contoso.com", true},
		{`{"grant_type":"refresh_token"}`, contosoID, false},
		{"", "nope", true},
	} {
		f.Add(seed.body, seed.tenant, seed.ctype)
	}
	f.Fuzz(func(t *testing.T, body, tenantSeg string, formType bool) {
		if strings.ContainsAny(tenantSeg, "/?#%") || tenantSeg == "" || tenantSeg == "." || tenantSeg == ".." {
			tenantSeg = contosoID
		}
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:1/"+url.PathEscape(tenantSeg)+"/oauth2/v2.0/token", strings.NewReader(body))
		if formType {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for body %q", rec.Code, body)
		}
		if rec.Code == http.StatusNotFound {
			return // the tenant segment made a path the token endpoint does not serve
		}
		if rec.Code == http.StatusOK {
			var tok tokenResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || tok.AccessToken == "" {
				t.Fatalf("200 without a token: %s", rec.Body)
			}
			return
		}
		var e entraErrorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
			t.Fatalf("status %d with a body that is not JSON: %q", rec.Code, rec.Body)
		}
		if e.Error == "" || len(e.ErrorCodes) != 1 || !strings.HasPrefix(e.ErrorDescription, "AADSTS") || !IsGUID(e.TraceID) {
			t.Fatalf("status %d with a body that is not Entra's error: %s", rec.Code, rec.Body)
		}
	})
}

// FuzzSignInForms sends arbitrary input to every other endpoint that parses a person's or a
// client's form: /devicecode, the device sign-in page and the authorize page (query and form).
// None may answer 5xx, whatever arrives.
func FuzzSignInForms(f *testing.F) {
	handler := fuzzHandler(f)
	endpoints := []struct{ method, path string }{
		{http.MethodPost, "/" + contosoID + "/oauth2/v2.0/devicecode"},
		{http.MethodPost, "/devicelogin"},
		{http.MethodGet, "/" + contosoID + "/oauth2/v2.0/authorize?"},
		{http.MethodPost, "/" + contosoID + "/oauth2/v2.0/authorize"},
		{http.MethodGet, "/common/oauth2/v2.0/logout?"},
	}
	for i, body := range []string{
		"client_id=" + contosoClient + "&scope=openid+profile+offline_access",
		"user_code=ABCDEFGHJ&username=adele.vance@contoso.com&password=x&action=approve",
		"client_id=" + contosoClient + "&response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2F&scope=openid&code_challenge=abc&code_challenge_method=S256&response_mode=form_post&login_hint=%3Cscript%3E",
		"flow=nope&username=a&password=b&action=signin",
		"post_logout_redirect_uri=javascript:alert(1)",
	} {
		f.Add(uint8(i), body)
	}
	f.Add(uint8(1), "user_code=%zz&&&=;")
	f.Add(uint8(2), "client_id="+contosoClient+"&response_type=token&redirect_uri=https://evil.example/")
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		ep := endpoints[int(which)%len(endpoints)]
		var req *http.Request
		if ep.method == http.MethodGet {
			req = httptest.NewRequest(ep.method, "http://127.0.0.1:1"+ep.path, nil)
			req.URL.RawQuery = body
		} else {
			req = httptest.NewRequest(ep.method, "http://127.0.0.1:1"+ep.path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s: status %d for %q: %s", ep.method, ep.path, rec.Code, body, rec.Body)
		}
		if loc := rec.Header().Get("Location"); loc != "" {
			u, err := url.Parse(loc)
			if err != nil {
				t.Fatalf("unparseable redirect %q", loc)
			}
			if u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https" {
				t.Fatalf("redirect to a %s: URL for %q", u.Scheme, body)
			}
		}
	})
}

// fuzzHandler is the demo tenants' handler on a virtual clock, called in-process without a listener.
func fuzzHandler(f *testing.F) http.Handler {
	srv, _ := fuzzServer(f)
	return srv.Handler()
}

// FuzzGraphRequest sends arbitrary Authorization headers, $filter values and paths to the
// Graph-shaped API (and whatever else the path reaches): the answer is never a 5xx, every refusal
// is a 400, 401, 403, 404 or 405, and under /v1.0 and /beta it is Graph's error JSON.
func FuzzGraphRequest(f *testing.F) {
	srv, base := fuzzServer(f, withGeneratedUser(3))
	forge := func(tid, oid, upn string) string {
		key := srv.tenantByID(tid).keys.signer()
		now := testStart.Unix()
		tok, err := key.sign(map[string]any{
			"aud": graphAppID, "iss": base + "/" + tid + "/v2.0", "iat": now, "nbf": now, "exp": now + 3600,
			"appid": contosoClient, "oid": oid, "scp": "User.Read", "sub": "x", "tid": tid, "upn": upn, "ver": "2.0",
		})
		if err != nil {
			f.Fatal(err)
		}
		return "Bearer " + tok
	}
	adele := forge(contosoID, adeleOID, adeleUPN)
	admin := forge(contosoID, adminOID, adminUPN)
	alex := forge(fabrikamID, alexOID, alexUPN)
	laptop := url.PathEscape(settingID(adeleLaptop, backup.PayloadContent))
	for _, seed := range []struct{ auth, filter, path string }{
		{adele, "settingType eq 'backup'", "/v1.0/me/settings/windows"},
		{adele, "windowsDeviceId eq '" + adeleLaptop + "' and settingType eq 'backup'", "/beta/me/settings/windows"},
		{adele, "", "/v1.0/me/settings/windows/" + laptop + "/instances"},
		{adele, "", "/v1.0/me/settings/windows/" + laptop + "/instances/x"},
		{alex, "", "/v1.0/me/settings/windows/" + laptop},
		{admin, "", "/beta/deviceManagement/deviceEnrollmentConfigurations/" + contosoID + "_WindowsRestore"},
		{admin, "", "/_oobe/tenants/" + contosoID + "/restore-results"},
		{adele, "", "/beta/users/" + adeleOID + "@" + contosoID + "/settings/windows"},
		{"Bearer not.a.jwt", "settingType eq 'backup'", "/v1.0/me/settings/windows"},
		{"Basic YTpi", "", "/v1.0/me"},
		{"", "deviceId eq 'x'", "/v1.0/devices"},
		{adele, "settingType eq 'backup' and and", "/v1.0/me/settings/windows"},
		{adele, "'''", "/v1.0/me/settings/windows"},
		{adele, "", "/v1.0/me/settings/windows/%7B%7D$x/instances"},
		{adele, "", "/v1.0/../_oobe/faults"},
		{adele, "", "//v1.0/me"},
	} {
		f.Add(seed.auth, seed.filter, seed.path)
	}
	handler := srv.Handler()
	f.Fuzz(func(t *testing.T, auth, filter, path string) {
		req := httptest.NewRequest(http.MethodGet, base+"/", nil)
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req.URL.Path, req.URL.RawPath = path, ""
		if filter != "" {
			req.URL.RawQuery = "$filter=" + url.QueryEscape(filter)
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 400, 401, 403, 404, 405:
		default:
			t.Fatalf("GET %q with $filter %q: status %d: %s", path, filter, rec.Code, rec.Body)
		}
		if rec.Code == 200 {
			return
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("GET %q: status %d with a body that is not JSON: %q", path, rec.Code, rec.Body)
		}
		if strings.HasPrefix(path, "/v1.0/") || strings.HasPrefix(path, "/beta/") {
			var e graphErrorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Fatalf("GET %q: status %d without Graph's error: %s", path, rec.Code, rec.Body)
			}
		}
	})
}

// fuzzServer is the demo tenants' server on a virtual clock with base URL http://127.0.0.1:1.
func fuzzServer(f *testing.F, tweak ...func(*Config)) (*Server, string) {
	const base = "http://127.0.0.1:1"
	tenants, err := LoadFixtures(fixtures.Demo())
	if err != nil {
		f.Fatal(err)
	}
	cfg := Config{Tenants: tenants, Clock: clock.NewVirtual(testStart)}
	for _, t := range tweak {
		t(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = srv.Close() })
	srv.SetBaseURL(base)
	return srv, base
}
