package tenant

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

const verifier = "dBjftJeZ4CVP-mJ92K27uhbUJU1p1r_wW1gFWFOEjXk-correct-horse"

func TestAuthCodeFlowIssuesVerifiableTokens(t *testing.T) {
	cases := []struct {
		name, challenge, method string
	}{
		{"with an S256 challenge", s256(verifier), "S256"},
		{"with a plain challenge", verifier, "plain"},
		{"with a challenge and no method, which means plain", verifier, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			redirect := "http://127.0.0.1:49152/"
			q := authorizeQuery(redirect, c.challenge, c.method)
			q.Set("login_hint", adeleUPN)

			resp, page := h.get("/" + contosoID + "/oauth2/v2.0/authorize?" + q.Encode())
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("authorize page: %d %s", resp.StatusCode, page)
			}
			for _, want := range []string{"Contoso", "Sign in", "Enter password", `value="` + adeleUPN + `"`, `name="password"`, `value="signin"`, `value="cancel"`} {
				if !contains(page, want) {
					t.Errorf("sign-in page lacks %q", want)
				}
			}
			flow := string(flowRE.FindSubmatch(page)[1])
			resp, body := h.submitSignIn(contosoID, flow, adeleUPN, adelePassword, "signin")
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("sign-in: %d %s", resp.StatusCode, body)
			}
			loc, _ := url.Parse(resp.Header.Get("Location"))
			if loc.Host != "127.0.0.1:49152" || loc.Query().Get("state") != "state-123" || loc.Query().Get("code") == "" {
				t.Fatalf("redirect = %s", loc)
			}

			resp, body = h.redeem(loc.Query().Get("code"), redirect, verifier)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("token: %d %s", resp.StatusCode, body)
			}
			tok := decodeJSON[tokenResponse](t, body)
			if tok.TokenType != "Bearer" || tok.ExpiresIn != 3600 || tok.ExtExpiresIn != 3600 || tok.RefreshToken == "" || tok.IDToken == "" {
				t.Fatalf("token response %+v", tok)
			}
			if tok.Scope != "User.Read openid profile" {
				t.Errorf("scope = %q", tok.Scope)
			}
			id := h.verifyWithJWKS(contosoID, tok.IDToken)
			want := map[string]any{
				"aud": contosoClient, "iss": h.url("/" + contosoID + "/v2.0"), "nonce": "nonce-456", "tid": contosoID,
				"oid": adeleOID, "preferred_username": adeleUPN, "name": "Adele Vance", "ver": "2.0",
				"iat": float64(testStart.Unix()), "nbf": float64(testStart.Unix()), "exp": float64(testStart.Add(time.Hour).Unix()),
				"sub": pairwiseSub(contosoID, adeleOID, contosoClient),
			}
			for k, v := range want {
				if id[k] != v {
					t.Errorf("id token %s = %v, want %v", k, id[k], v)
				}
			}
			at := h.graphToken(contosoID, tok.AccessToken)
			if at["aud"] != graphAppID || at["scp"] != "User.Read openid profile" || at["appid"] != contosoClient || at["upn"] != adeleUPN {
				t.Errorf("access token claims %v", at)
			}
			if at["sub"] == id["sub"] {
				t.Error("sub is the same for Graph and the app; Entra's sub is pairwise per app")
			}
		})
	}
}

func TestTokenRefusesAWrongOrMissingVerifier(t *testing.T) {
	cases := []struct {
		name              string
		challenge, method string
		verifier          string
		code              int
	}{
		{"a wrong S256 verifier", s256(verifier), "S256", verifier + "x", 50148},
		{"a wrong plain verifier", verifier, "plain", strings.Repeat("a", 43), 50148},
		{"the challenge sent as the S256 verifier", s256(verifier), "S256", s256(verifier), 50148},
		{"a missing verifier", s256(verifier), "S256", "", 501481},
		{"a verifier without a challenge", "", "", verifier, 50148},
		{"a verifier that is too short", "short-but-plain-and-43-chars-long-enough-no", "plain", "short", 50148},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			redirect := "http://127.0.0.1:50000/"
			code := h.authCodeFor(authorizeQuery(redirect, c.challenge, c.method))
			resp, body := h.redeem(code, redirect, c.verifier)
			wantEntraError(t, resp, body, http.StatusBadRequest, "invalid_grant", c.code)
		})
	}
}

func TestAuthCodeIsSingleUseAndAReuseIsLogged(t *testing.T) {
	h := newHarness(t)
	redirect := "http://127.0.0.1:50000/"
	code := h.authCodeFor(authorizeQuery(redirect, s256(verifier), "S256"))
	if resp, body := h.redeem(code, redirect, verifier); resp.StatusCode != http.StatusOK {
		t.Fatalf("first redemption: %d %s", resp.StatusCode, body)
	}
	resp, body := h.redeem(code, redirect, verifier)
	wantEntraError(t, resp, body, http.StatusBadRequest, "invalid_grant", 54005)
	logs := h.logs.String()
	if !strings.Contains(logs, "authorization code redeemed a second time") {
		t.Errorf("second redemption was not logged:\n%s", logs)
	}
	if strings.Contains(logs, code) {
		t.Error("the log contains the authorization code")
	}
}

func TestAuthCodeRedemptionFailures(t *testing.T) {
	redirect := "http://127.0.0.1:50000/"
	cases := []struct {
		name   string
		mutate func(h *harness, form url.Values)
		err    string
		code   int
	}{
		{"an unknown code", func(_ *harness, f url.Values) { f.Set("code", "not-a-code") }, "invalid_grant", 70000},
		{"a code older than ten minutes", func(h *harness, _ url.Values) { h.clock.Advance(10 * time.Minute) }, "invalid_grant", 70008},
		{"another redirect URI", func(_ *harness, f url.Values) { f.Set("redirect_uri", "http://127.0.0.1:50001/") }, "invalid_request", 50011},
		{"no redirect URI", func(_ *harness, f url.Values) { f.Del("redirect_uri") }, "invalid_request", 900144},
		{"no code", func(_ *harness, f url.Values) { f.Del("code") }, "invalid_request", 900144},
		{"another tenant's token endpoint", func(_ *harness, f url.Values) { f.Set("client_id", fabrikamApp) }, "invalid_grant", 700005},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			code := h.authCodeFor(authorizeQuery(redirect, s256(verifier), "S256"))
			form := url.Values{"grant_type": {"authorization_code"}, "client_id": {contosoClient}, "code": {code},
				"redirect_uri": {redirect}, "code_verifier": {verifier}}
			c.mutate(h, form)
			path := "/" + contosoID + "/oauth2/v2.0/token"
			if form.Get("client_id") == fabrikamApp {
				path = "/" + fabrikamID + "/oauth2/v2.0/token"
			}
			resp, body := h.post(path, form)
			wantEntraError(t, resp, body, http.StatusBadRequest, c.err, c.code)
		})
	}
	t.Run("a code just under ten minutes old still works", func(t *testing.T) {
		h := newHarness(t)
		code := h.authCodeFor(authorizeQuery(redirect, s256(verifier), "S256"))
		h.clock.Advance(10*time.Minute - time.Second)
		if resp, body := h.redeem(code, redirect, verifier); resp.StatusCode != http.StatusOK {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
}

func TestAuthorizeChecksClientAndRedirectURIBeforeRedirecting(t *testing.T) {
	cases := []struct {
		name     string
		redirect string
		client   string
		status   int
		want     string
	}{
		{"a loopback URI on any port matches", "http://127.0.0.1:61234", contosoClient, http.StatusOK, ""},
		{"localhost on any port matches", "http://localhost:8400/", contosoClient, http.StatusOK, ""},
		{"an unregistered host is refused", "http://evil.example/", contosoClient, http.StatusBadRequest, "AADSTS50011"},
		{"another path is refused", "http://127.0.0.1:61234/callback", contosoClient, http.StatusBadRequest, "AADSTS50011"},
		{"https to a loopback host is refused", "https://127.0.0.1:61234/", contosoClient, http.StatusBadRequest, "AADSTS50011"},
		{"a redirect with a fragment is refused", "http://127.0.0.1:61234/#x", contosoClient, http.StatusBadRequest, "AADSTS50011"},
		{"a missing redirect URI is refused", "", contosoClient, http.StatusBadRequest, "AADSTS900144"},
		{"an unknown client is refused", "http://127.0.0.1/", "11111111-2222-3333-4444-555555555555", http.StatusBadRequest, "AADSTS700016"},
		{"another tenant's client is refused", "http://127.0.0.1/", fabrikamApp, http.StatusBadRequest, "AADSTS700016"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			q := authorizeQuery(c.redirect, s256(verifier), "S256")
			q.Set("client_id", c.client)
			if c.redirect == "" {
				q.Del("redirect_uri")
			}
			resp, body := h.get("/" + contosoID + "/oauth2/v2.0/authorize?" + q.Encode())
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, body)
			}
			if resp.Header.Get("Location") != "" {
				t.Fatalf("redirected to %q for an untrusted request", resp.Header.Get("Location"))
			}
			if c.want != "" && !contains(body, c.want) {
				t.Fatalf("page lacks %s: %s", c.want, body)
			}
		})
	}
}

func TestAuthorizeErrorsGoBackToTheApp(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(url.Values)
		err    string
		code   string
	}{
		{"an unsupported response type", func(q url.Values) { q.Set("response_type", "token") }, "unsupported_response_type", "AADSTS700054"},
		{"an advertised implicit type (id_token)", func(q url.Values) { q.Set("response_type", "id_token") }, "unsupported_response_type", "AADSTS700054"},
		{"an advertised hybrid type (code id_token)", func(q url.Values) { q.Set("response_type", "code id_token") }, "unsupported_response_type", "AADSTS700054"},
		{"an advertised implicit type (id_token token)", func(q url.Values) { q.Set("response_type", "id_token token") }, "unsupported_response_type", "AADSTS700054"},
		{"a missing response type", func(q url.Values) { q.Del("response_type") }, "invalid_request", "AADSTS900144"},
		{"a missing scope", func(q url.Values) { q.Del("scope") }, "invalid_request", "AADSTS900144"},
		{"a scope for another resource", func(q url.Values) { q.Set("scope", "https://management.azure.com/.default") }, "invalid_resource", "AADSTS500011"},
		{"an unknown challenge method", func(q url.Values) { q.Set("code_challenge_method", "S512") }, "invalid_request", "AADSTS9002313"},
		{"a short S256 challenge", func(q url.Values) { q.Set("code_challenge", "abc") }, "invalid_request", "AADSTS501491"},
		{"prompt=none without a session", func(q url.Values) { q.Set("prompt", "none") }, "login_required", "AADSTS50058"},
		{"an unknown response mode", func(q url.Values) { q.Set("response_mode", "web_message") }, "invalid_request", "AADSTS9002313"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			q := authorizeQuery("http://127.0.0.1:50000/", s256(verifier), "S256")
			c.mutate(q)
			resp, body := h.get("/" + contosoID + "/oauth2/v2.0/authorize?" + q.Encode())
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			loc, _ := url.Parse(resp.Header.Get("Location"))
			got := loc.Query()
			if got.Get("error") != c.err || !strings.HasPrefix(got.Get("error_description"), c.code+":") || got.Get("state") != "state-123" {
				t.Fatalf("redirect = %s", loc)
			}
		})
	}
}

func TestCancelRedirectsWithAccessDenied(t *testing.T) {
	h := newHarness(t)
	flow := h.startAuthorize(contosoID, authorizeQuery("http://127.0.0.1:50000/", s256(verifier), "S256"))
	resp, body := h.submitSignIn(contosoID, flow, "", "", "cancel")
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("cancel: %d %s", resp.StatusCode, body)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	q := loc.Query()
	if q.Get("error") != "access_denied" || !strings.HasPrefix(q.Get("error_description"), "AADSTS65004:") || q.Get("state") != "state-123" || q.Get("code") != "" {
		t.Fatalf("cancel redirect = %s", loc)
	}
	// The flow is finished: signing in with it now fails.
	resp, body = h.submitSignIn(contosoID, flow, adeleUPN, adelePassword, "signin")
	if resp.StatusCode != http.StatusBadRequest || !contains(body, "AADSTS50089") {
		t.Fatalf("reusing a cancelled flow: %d %s", resp.StatusCode, body)
	}
}

func TestFormPostPageCarriesCodeAndStateToTheApp(t *testing.T) {
	h := newHarness(t)
	q := authorizeQuery("http://localhost:50000/", s256(verifier), "S256")
	q.Set("response_mode", "form_post")
	flow := h.startAuthorize(contosoID, q)
	resp, body := h.submitSignIn(contosoID, flow, adeleUPN, adelePassword, "signin")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("form_post: %d %s", resp.StatusCode, body)
	}
	for _, want := range []string{
		`<form method="post" action="http://localhost:50000/">`,
		`<input type="hidden" name="state" value="state-123">`,
		`<noscript>`, `<button type="submit" class="primary">Continue</button>`,
		"<script>" + autoSubmit + "</script>",
	} {
		if !contains(body, want) {
			t.Errorf("form_post page lacks %q:\n%s", want, body)
		}
	}
	code := regexp.MustCompile(`name="code" value="([^"]+)"`).FindSubmatch(body)
	if code == nil {
		t.Fatalf("form_post page has no code field")
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src "+autoSubmitHash) || !strings.Contains(csp, "form-action 'self' http://localhost:50000") {
		t.Errorf("CSP = %q", csp)
	}
	if resp, body := h.redeem(string(code[1]), "http://localhost:50000/", verifier); resp.StatusCode != http.StatusOK {
		t.Fatalf("redeeming the posted code: %d %s", resp.StatusCode, body)
	}
}

func TestFragmentModePutsTheCodeInTheFragment(t *testing.T) {
	h := newHarness(t)
	q := authorizeQuery("http://127.0.0.1:50000/", s256(verifier), "S256")
	q.Set("response_mode", "fragment")
	flow := h.startAuthorize(contosoID, q)
	resp, _ := h.submitSignIn(contosoID, flow, adeleUPN, adelePassword, "signin")
	loc, _ := url.Parse(resp.Header.Get("Location"))
	frag, _ := url.ParseQuery(loc.Fragment)
	if loc.RawQuery != "" || frag.Get("code") == "" || frag.Get("state") != "state-123" {
		t.Fatalf("fragment redirect = %s", resp.Header.Get("Location"))
	}
}

func TestSignInPageShowsTheMatchingEntraError(t *testing.T) {
	cases := []struct {
		name               string
		username, password string
		action             string
		want               string
	}{
		{"a wrong password", adeleUPN, "wrong", "signin", "AADSTS50126"},
		{"an unknown user", "nobody@contoso.com", adelePassword, "signin", "AADSTS50034"},
		{"a user of another tenant", alexUPN, alexPassword, "signin", "AADSTS50034"},
		{"a missing password", adeleUPN, "", "signin", "Enter your username and your password."},
		{"an unknown action", adeleUPN, adelePassword, "approve", "The action must be signin or cancel."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			flow := h.startAuthorize(contosoID, authorizeQuery("http://127.0.0.1:50000/", s256(verifier), "S256"))
			resp, body := h.submitSignIn(contosoID, flow, c.username, c.password, c.action)
			if resp.StatusCode != http.StatusBadRequest || !contains(body, c.want) {
				t.Fatalf("status %d, want 400 with %q: %s", resp.StatusCode, c.want, body)
			}
			if !contains(body, `name="flow" value="`+flow+`"`) {
				t.Fatal("the error page does not let the person try again in the same flow")
			}
			// The person can correct the mistake in the same flow.
			if resp, body := h.submitSignIn(contosoID, flow, adeleUPN, adelePassword, "signin"); resp.StatusCode != http.StatusFound {
				t.Fatalf("retry after the error: %d %s", resp.StatusCode, body)
			}
		})
	}
}

func TestSignInPageEscapesWhatItEchoes(t *testing.T) {
	h := newHarness(t)
	q := authorizeQuery("http://127.0.0.1:50000/", s256(verifier), "S256")
	q.Set("login_hint", `"><script>alert(1)</script>`)
	_, body := h.get("/" + contosoID + "/oauth2/v2.0/authorize?" + q.Encode())
	if contains(body, "<script>alert(1)") {
		t.Fatalf("login_hint reached the page unescaped: %s", body)
	}
}

func TestAnExpiredFlowCannotSignIn(t *testing.T) {
	h := newHarness(t)
	flow := h.startAuthorize(contosoID, authorizeQuery("http://127.0.0.1:50000/", s256(verifier), "S256"))
	h.clock.Advance(flowLifetime)
	resp, body := h.submitSignIn(contosoID, flow, adeleUPN, adelePassword, "signin")
	if resp.StatusCode != http.StatusBadRequest || !contains(body, "AADSTS50089") {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
}

func TestLogout(t *testing.T) {
	cases := []struct {
		name     string
		method   string
		query    url.Values
		location string
	}{
		{"GET with a registered post-logout URI redirects there with state", http.MethodGet,
			url.Values{"post_logout_redirect_uri": {"http://127.0.0.1:5000/"}, "state": {"s1"}}, "http://127.0.0.1:5000/?state=s1"},
		{"POST with a registered post-logout URI redirects there", http.MethodPost,
			url.Values{"post_logout_redirect_uri": {"http://localhost:7000"}}, "http://localhost:7000"},
		{"an unregistered post-logout URI shows the signed-out page", http.MethodGet,
			url.Values{"post_logout_redirect_uri": {"http://evil.example/"}}, ""},
		{"no post-logout URI shows the signed-out page", http.MethodGet, url.Values{}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			var (
				resp *http.Response
				body []byte
			)
			if c.method == http.MethodPost {
				resp, body = h.post("/"+contosoID+"/oauth2/v2.0/logout", c.query)
			} else {
				resp, body = h.get("/" + contosoID + "/oauth2/v2.0/logout?" + c.query.Encode())
			}
			if c.location != "" {
				if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != c.location {
					t.Fatalf("status %d location %q, want %q", resp.StatusCode, resp.Header.Get("Location"), c.location)
				}
				return
			}
			if resp.StatusCode != http.StatusOK || !contains(body, "You signed out of your account") {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
		})
	}
}

func TestConcurrentRedemptionsIssueTokensOnce(t *testing.T) {
	h := newHarness(t)
	redirect := "http://127.0.0.1:50000/"
	code := h.authCodeFor(authorizeQuery(redirect, s256(verifier), "S256"))
	form := url.Values{"grant_type": {"authorization_code"}, "client_id": {contosoClient}, "code": {code},
		"redirect_uri": {redirect}, "code_verifier": {verifier}}.Encode()
	const n = 8
	statuses := make(chan int, n)
	for range n {
		go func() {
			resp, err := h.client.Post(h.url("/"+contosoID+"/oauth2/v2.0/token"), "application/x-www-form-urlencoded", strings.NewReader(form))
			if err != nil {
				statuses <- 0
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	ok := 0
	for range n {
		switch st := <-statuses; st {
		case http.StatusOK:
			ok++
		case http.StatusBadRequest:
		default:
			t.Errorf("a redemption answered %d", st)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d concurrent redemptions got tokens, want exactly 1", ok, n)
	}
}
