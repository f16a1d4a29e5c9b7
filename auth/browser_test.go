package auth

import (
	"context"
	"errors"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// browser plays the person's browser: it follows redirects like a real one.
type browser struct {
	t      *testing.T
	client *http.Client
}

func newBrowser(t *testing.T) *browser {
	return &browser{t: t, client: &http.Client{Timeout: 10 * time.Second}}
}

// browserSetup returns an issuer, a client for its demo tenant and a browser.
func browserSetup(t *testing.T) (*testIssuer, *Client, *browser) {
	ti := newTestIssuer(t)
	return ti, ti.client(t), newBrowser(t)
}

// get fetches u and returns the status and page text.
func (b *browser) get(u string) (int, string) {
	resp, err := b.client.Get(u)
	if err != nil {
		b.t.Errorf("browser GET: %v", err)
		return 0, ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func (b *browser) post(u string, form url.Values) (int, string) {
	resp, err := b.client.PostForm(u, form)
	if err != nil {
		b.t.Errorf("browser POST: %v", err)
		return 0, ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

var (
	formAction = regexp.MustCompile(`action="([^"]+)"`)
	formInput  = regexp.MustCompile(`name="([^"]+)" value="([^"]*)"`)
)

// submitFormPost does what the auto-submitting form_post page does in a real browser.
func (b *browser) submitFormPost(page string) (int, string) {
	m := formAction.FindStringSubmatch(page)
	if m == nil {
		b.t.Errorf("no form in the form_post page: %s", page)
		return 0, ""
	}
	form := url.Values{}
	for _, in := range formInput.FindAllStringSubmatch(page, -1) {
		form.Set(in[1], html.UnescapeString(in[2]))
	}
	return b.post(html.UnescapeString(m[1]), form)
}

// authParams returns the query of the authorization URL.
func authParams(t *testing.T, authURL string) url.Values {
	u, err := url.Parse(authURL)
	if err != nil {
		t.Errorf("authorization URL: %v", err)
		return url.Values{}
	}
	return u.Query()
}

func TestBrowserSignInWithPKCE(t *testing.T) {
	ti, c, b := browserSetup(t)
	var params url.Values
	var page string
	res, err := c.Browser(context.Background(), BrowserOptions{
		Out:       io.Discard,
		LoginHint: testUPN,
		Open: func(authURL string) error {
			params = authParams(t, authURL)
			_, page = b.get(authURL)
			return nil
		},
	})
	if err != nil {
		t.Fatalf("Browser: %v", err)
	}
	if res.Identity.UPN != testUPN || res.Flow != FlowBrowser || res.Claims.Nonce != params.Get("nonce") {
		t.Fatalf("result = %v, claims %+v", res, res.Claims)
	}
	if !strings.Contains(page, "You are signed in") {
		t.Fatalf("the browser page says: %s", page)
	}
	checks := []struct{ name, got, want string }{
		{"code_challenge_method", params.Get("code_challenge_method"), "S256"},
		{"response_type", params.Get("response_type"), "code"},
		{"response_mode", params.Get("response_mode"), "query"},
		{"login_hint", params.Get("login_hint"), testUPN},
		{"client_id", params.Get("client_id"), testClient},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %q, want %q", ck.name, ck.got, ck.want)
		}
	}
	redirect, err := url.Parse(params.Get("redirect_uri"))
	if err != nil || redirect.Scheme != "http" || redirect.Hostname() != "127.0.0.1" || redirect.Path != "/" {
		t.Errorf("redirect_uri = %q, want http://127.0.0.1:PORT/", params.Get("redirect_uri"))
	}
	if len(params.Get("state")) < 43 || len(params.Get("nonce")) < 43 || params.Get("state") == params.Get("nonce") {
		t.Errorf("state %q and nonce %q must be distinct 256-bit random values", params.Get("state"), params.Get("nonce"))
	}
	reqs := ti.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d token requests, want 1", len(reqs))
	}
	form := reqs[0].Form
	verifier := form.Get("code_verifier")
	if len(verifier) < 43 || s256(verifier) != params.Get("code_challenge") {
		t.Errorf("code_verifier %d chars does not match the S256 challenge", len(verifier))
	}
	if form.Has("client_secret") || reqs[0].Header.Get("Authorization") != "" {
		t.Errorf("the token request carried a secret")
	}
	if form.Get("redirect_uri") != params.Get("redirect_uri") || form.Get("client_id") != testClient {
		t.Errorf("token request form %v", form)
	}
}

func TestBrowserSignInWithFormPost(t *testing.T) {
	_, c, b := browserSetup(t)
	var status int
	var page string
	res, err := c.Browser(context.Background(), BrowserOptions{
		Out:          io.Discard,
		ResponseMode: ResponseModeFormPost,
		Open: func(authURL string) error {
			if got := authParams(t, authURL).Get("response_mode"); got != "form_post" {
				t.Errorf("response_mode = %q", got)
			}
			_, formPage := b.get(authURL)
			status, page = b.submitFormPost(formPage)
			return nil
		},
	})
	if err != nil {
		t.Fatalf("Browser: %v", err)
	}
	if res.Identity.ObjectID != testOID || status != http.StatusOK || !strings.Contains(page, "You are signed in") {
		t.Fatalf("result %v, page %d %s", res, status, page)
	}
}

func TestBrowserLoopbackAcceptsOnlyTheRightCallbackOnce(t *testing.T) {
	ti, c, b := browserSetup(t)
	type visit struct {
		name       string
		status     int
		pageSays   string
		makeTarget func(redirect, state string) (method, target string)
	}
	wrong := []visit{
		{"a callback with a wrong state is refused", http.StatusBadRequest, "does not belong", func(r, _ string) (string, string) {
			return http.MethodGet, r + "?code=forged-code&state=forged-state"
		}},
		{"a callback without state is refused", http.StatusBadRequest, "no state", func(r, _ string) (string, string) {
			return http.MethodGet, r + "?code=forged-code"
		}},
		{"a callback repeating state is refused", http.StatusBadRequest, "repeated", func(r, s string) (string, string) {
			return http.MethodGet, r + "?code=forged-code&state=" + s + "&state=" + s
		}},
		{"a POST in query mode is refused", http.StatusMethodNotAllowed, "expects a query", func(r, s string) (string, string) {
			return http.MethodPost, r + "?code=forged-code&state=" + s
		}},
		{"another path is not found", http.StatusNotFound, "not found", func(r, s string) (string, string) {
			return http.MethodGet, r + "favicon.ico"
		}},
	}
	var second visit = visit{"a second callback after success is ignored", http.StatusOK, "already completed", func(r, s string) (string, string) {
		return http.MethodGet, r + "?code=second-code&state=" + s
	}}
	res, err := c.Browser(context.Background(), BrowserOptions{
		Out: io.Discard,
		Open: func(authURL string) error {
			p := authParams(t, authURL)
			do := func(v visit) {
				method, target := v.makeTarget(p.Get("redirect_uri"), p.Get("state"))
				req, _ := http.NewRequest(method, target, nil)
				resp, err := b.client.Do(req)
				if err != nil {
					t.Errorf("%s: %v", v.name, err)
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != v.status || !strings.Contains(strings.ToLower(string(body)), v.pageSays) {
					t.Errorf("%s: got %d %q, want %d containing %q", v.name, resp.StatusCode, body, v.status, v.pageSays)
				}
			}
			for _, v := range wrong {
				do(v)
			}
			if _, page := b.get(authURL); !strings.Contains(page, "You are signed in") {
				t.Errorf("the real callback's page says %s", page)
			}
			do(second)
			return nil
		},
	})
	if err != nil {
		t.Fatalf("Browser after refused callbacks: %v", err)
	}
	if res.Identity.UPN != testUPN {
		t.Fatalf("result = %v", res)
	}
	for _, r := range ti.requests() {
		if c := r.Form.Get("code"); c == "forged-code" || c == "second-code" {
			t.Fatalf("a refused or second callback's code %q was redeemed", c)
		}
	}
	if n := len(ti.requests()); n != 1 {
		t.Fatalf("%d code redemptions, want 1", n)
	}
}

func TestBrowserLoopbackRefusesAForeignHostHeader(t *testing.T) {
	_, c, b := browserSetup(t)
	_, err := c.Browser(context.Background(), BrowserOptions{
		Out: io.Discard,
		Open: func(authURL string) error {
			p := authParams(t, authURL)
			req, _ := http.NewRequest(http.MethodGet, p.Get("redirect_uri")+"?code=x&state="+p.Get("state"), nil)
			req.Host = "attacker.example:80" // what a DNS-rebound page would send
			resp, err := b.client.Do(req)
			if err != nil {
				t.Errorf("GET: %v", err)
			} else {
				resp.Body.Close()
				if resp.StatusCode != http.StatusBadRequest {
					t.Errorf("foreign Host got %d, want 400", resp.StatusCode)
				}
			}
			b.get(authURL)
			return nil
		},
	})
	if err != nil {
		t.Fatalf("Browser: %v", err)
	}
}

func TestBrowserErrorCallbackIsMapped(t *testing.T) {
	_, c, b := browserSetup(t)
	var page string
	_, err := c.Browser(context.Background(), BrowserOptions{
		Out:       io.Discard,
		LoginHint: "cancel@contoso.com",
		Open:      func(authURL string) error { _, page = b.get(authURL); return nil },
	})
	wantSignInError(t, err, CodeAccessDenied, 65004)
	if !strings.Contains(page, "Sign-in failed") {
		t.Fatalf("the browser page says %s", page)
	}
}

func TestBrowserUnknownCodeIsRefusedByTheIssuer(t *testing.T) {
	_, c, b := browserSetup(t)
	_, err := c.Browser(context.Background(), BrowserOptions{
		Out: io.Discard,
		Open: func(authURL string) error {
			p := authParams(t, authURL)
			b.get(p.Get("redirect_uri") + "?code=never-issued&state=" + url.QueryEscape(p.Get("state")))
			return nil
		},
	})
	wantSignInError(t, err, CodeInvalidGrant, 70000)
}

func TestBrowserCancelledWhileWaiting(t *testing.T) {
	ti := newTestIssuer(t)
	c := ti.client(t)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := c.Browser(ctx, BrowserOptions{
		Out:  io.Discard,
		Open: func(string) error { cancel(); return nil },
	})
	se := wantSignInError(t, err, CodeCancelled, 0)
	if !errors.Is(se, context.Canceled) {
		t.Fatalf("%v does not wrap context.Canceled", se)
	}
}

func TestBrowserPrintsTheURLWhenNoBrowserOpens(t *testing.T) {
	ti, c, b := browserSetup(t)
	var out syncBuffer
	_, err := c.Browser(context.Background(), BrowserOptions{
		Out: &out,
		Open: func(authURL string) error {
			go b.get(authURL) // the person opens the printed URL by hand
			return ErrNoBrowser
		},
	})
	if err != nil {
		t.Fatalf("Browser: %v", err)
	}
	if !strings.Contains(out.String(), ti.srv.URL+"/"+testTenant+"/oauth2/v2.0/authorize?") || !strings.Contains(out.String(), "No browser was found") {
		t.Fatalf("printed: %s", out.String())
	}
}

func TestBrowserRefusesANonLoopbackListener(t *testing.T) {
	ti := newTestIssuer(t)
	c := ti.client(t)
	for _, addr := range []string{"0.0.0.0:0", ":0", "localhost:0", "[::1]:0", "192.168.1.10:0"} {
		if _, err := c.Browser(context.Background(), BrowserOptions{ListenAddr: addr, Out: io.Discard, Open: func(string) error { return nil }}); err == nil {
			t.Errorf("Browser listened on %s", addr)
		}
	}
}
