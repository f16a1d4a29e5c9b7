package tenant

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/fixtures"
	"github.com/oobe-dev/oobe/internal/devicelogin"
)

// Demo tenant facts, from fixtures/demo.
const (
	contosoID     = "39150fda-e360-47ce-b98e-d9250ba6f8e8"
	contosoClient = "9c6fb39d-8205-4a69-8a44-e2bae12741d2"
	fabrikamID    = "164b2b49-eae9-4235-a4e0-74a9aef2fa00"
	fabrikamApp   = "6eb51157-314b-4085-9b7e-31b5067e1083"
	adeleUPN      = "adele.vance@contoso.com"
	adelePassword = "Restore-2026!"
	adeleOID      = "6f162abf-414f-4b42-bd2a-7ff532bb3859"
	alexUPN       = "alex.wilber@fabrikam.onmicrosoft.com"
	alexPassword  = "Fabrikam-2026!"
	alexOID       = "42f7c418-95ef-49c2-975a-3e1b7239d49d"
)

var testStart = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

// harness is a simulator served over real HTTP on 127.0.0.1 with a virtual clock.
type harness struct {
	t      testing.TB
	srv    *Server
	http   *httptest.Server
	clock  *clock.Virtual
	client *http.Client
	logs   *syncBuffer
}

// syncBuffer collects log output from handler goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func demoTenants(t testing.TB) []*Tenant {
	t.Helper()
	tenants, err := LoadFixtures(fixtures.Demo())
	if err != nil {
		t.Fatalf("loading the demo tenants: %v", err)
	}
	return tenants
}

func newHarness(t testing.TB, tweak ...func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, clock: clock.NewVirtual(testStart), logs: &syncBuffer{}}
	cfg := Config{
		Tenants: demoTenants(t),
		Clock:   h.clock,
		Logger:  slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, f := range tweak {
		f(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.srv = srv
	t.Cleanup(func() { _ = srv.Close() })
	h.http = httptest.NewServer(srv.Handler())
	t.Cleanup(h.http.Close)
	srv.SetBaseURL(h.http.URL)
	h.client = &http.Client{
		// Only a safety net against a hung server, never a speed limit: a 40 MiB upload under
		// the race detector on a loaded 2-core machine took longer than 10 s.
		Timeout:       2 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return h
}

func (h *harness) url(path string) string { return h.http.URL + path }

func (h *harness) do(req *http.Request) (*http.Response, []byte) {
	h.t.Helper()
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("reading %s: %v", req.URL.Path, err)
	}
	return resp, body
}

func (h *harness) get(path string, header ...string) (*http.Response, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.url(path), nil)
	if err != nil {
		h.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return h.do(req)
}

func (h *harness) post(path string, form url.Values) (*http.Response, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.url(path), strings.NewReader(form.Encode()))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return h.do(req)
}

// getAddressedTo sends a GET to this harness's server with the Host header of another base URL,
// as a client does when the server is told (SetBaseURL) it is reached at that URL.
func (h *harness) getAddressedTo(baseURL, path string, header ...string) (*http.Response, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.url(path), nil)
	if err != nil {
		h.t.Fatal(err)
	}
	u, err := url.Parse(baseURL)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Host = u.Host
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return h.do(req)
}

// send makes a request with a body and header pairs, and returns the answer.
func (h *harness) send(method, path, body string, header ...string) (*http.Response, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.url(path), strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return h.do(req)
}

// postJSON posts a JSON body.
func (h *harness) postJSON(path, body string) (*http.Response, []byte) {
	h.t.Helper()
	return h.send(http.MethodPost, path, body, "Content-Type", "application/json")
}

func decodeJSON[T any](t testing.TB, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decoding %T from %s: %v", v, body, err)
	}
	return v
}

// wantEntraError checks status, the error string, the AADSTS code and the rest of Entra's shape.
func wantEntraError(t *testing.T, resp *http.Response, body []byte, status int, errName string, code int) entraErrorBody {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, status, body)
	}
	e := decodeJSON[entraErrorBody](t, body)
	if e.Error != errName || len(e.ErrorCodes) != 1 || e.ErrorCodes[0] != code {
		t.Fatalf("error = %q %v, want %q [%d]; %s", e.Error, e.ErrorCodes, errName, code, e.ErrorDescription)
	}
	prefix := "AADSTS" + itoa(code) + ": "
	if !strings.HasPrefix(e.ErrorDescription, prefix) || !strings.Contains(e.ErrorDescription, " Trace ID: "+e.TraceID+" Correlation ID: "+e.CorrelationID+" Timestamp: "+e.Timestamp) {
		t.Fatalf("error_description %q lacks Entra's AADSTS prefix and ids", e.ErrorDescription)
	}
	if !IsGUID(e.TraceID) || !IsGUID(e.CorrelationID) {
		t.Fatalf("trace_id %q or correlation_id %q is not a GUID", e.TraceID, e.CorrelationID)
	}
	if _, err := time.Parse(entraTimestamp, e.Timestamp); err != nil {
		t.Fatalf("timestamp %q is not in Entra's layout: %v", e.Timestamp, err)
	}
	if !strings.HasSuffix(e.ErrorURI, "/error?code="+itoa(code)) {
		t.Fatalf("error_uri = %q", e.ErrorURI)
	}
	return e
}

func itoa(n int) string { return strconv.Itoa(n) }

// Device code helpers.

func (h *harness) deviceCode(tenantSeg, clientID, scope string) deviceCodeResponse {
	h.t.Helper()
	resp, body := h.post("/"+tenantSeg+"/oauth2/v2.0/devicecode", url.Values{"client_id": {clientID}, "scope": {scope}})
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("devicecode: %d %s", resp.StatusCode, body)
	}
	return decodeJSON[deviceCodeResponse](h.t, body)
}

// approve signs in on the device login page and approves userCode, through the client
// scripts use, and fails the test if the page refuses.
func (h *harness) approve(userCode, username, password string) {
	h.t.Helper()
	if err := devicelogin.Approve(context.Background(), h.client, h.url(devicelogin.Path), userCode, username, password); err != nil {
		h.t.Fatalf("approving %s: %v", username, err)
	}
}

// deviceLogin posts the device login form and returns the page, for tests that read it.
func (h *harness) deviceLogin(userCode, username, password, action string) (*http.Response, []byte) {
	h.t.Helper()
	return h.post(devicelogin.Path, devicelogin.Form(userCode, username, password, action))
}

func (h *harness) poll(tenantSeg, clientID, deviceCode string) (*http.Response, []byte) {
	h.t.Helper()
	return h.post("/"+tenantSeg+"/oauth2/v2.0/token", url.Values{
		"grant_type": {deviceCodeGrantType}, "client_id": {clientID}, "device_code": {deviceCode}})
}

// harnessScope is what the harness's sign-ins ask for: every Graph permission the demo app
// registration has consented, so that only the user's roles limit what a test's token may do.
const harnessScope = "openid profile offline_access User.Read Device.Read.All UserWindowsSettings.Read " +
	"UserWindowsSettings.ReadWrite.All DeviceManagementServiceConfig.Read.All DeviceManagementServiceConfig.ReadWrite.All"

// signInWithDeviceCode runs a whole device code sign-in and returns the tokens.
func (h *harness) signInWithDeviceCode(tenantID, clientID, upn, password string) tokenResponse {
	h.t.Helper()
	dc := h.deviceCode(tenantID, clientID, harnessScope)
	h.approve(dc.UserCode, upn, password)
	h.clock.Advance(time.Duration(dc.Interval) * time.Second)
	resp, body := h.poll(tenantID, clientID, dc.DeviceCode)
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("polling: %d %s", resp.StatusCode, body)
	}
	return decodeJSON[tokenResponse](h.t, body)
}

// Authorization code helpers.

var flowRE = regexp.MustCompile(`name="flow" value="([^"]+)"`)

// startAuthorize opens the sign-in page and returns the flow id from its hidden field.
func (h *harness) startAuthorize(tenantSeg string, q url.Values) string {
	h.t.Helper()
	resp, body := h.get("/" + tenantSeg + "/oauth2/v2.0/authorize?" + q.Encode())
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("authorize page: %d %s", resp.StatusCode, body)
	}
	m := flowRE.FindSubmatch(body)
	if m == nil {
		h.t.Fatalf("authorize page has no flow field: %s", body)
	}
	return string(m[1])
}

func (h *harness) submitSignIn(tenantSeg, flow, username, password, action string) (*http.Response, []byte) {
	h.t.Helper()
	return h.post("/"+tenantSeg+"/oauth2/v2.0/authorize", url.Values{
		"flow": {flow}, "username": {username}, "password": {password}, "action": {action}})
}

func authorizeQuery(redirect, challenge, method string) url.Values {
	q := url.Values{
		"client_id":     {contosoClient},
		"response_type": {"code"},
		"redirect_uri":  {redirect},
		"scope":         {"openid profile offline_access User.Read"},
		"state":         {"state-123"},
		"nonce":         {"nonce-456"},
	}
	if challenge != "" {
		q.Set("code_challenge", challenge)
	}
	if method != "" {
		q.Set("code_challenge_method", method)
	}
	return q
}

// authCodeFor signs Adele in through the authorize page and returns the code from the redirect.
func (h *harness) authCodeFor(q url.Values) string {
	h.t.Helper()
	flow := h.startAuthorize(contosoID, q)
	resp, body := h.submitSignIn(contosoID, flow, adeleUPN, adelePassword, "signin")
	if resp.StatusCode != http.StatusFound {
		h.t.Fatalf("sign-in: %d %s", resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		h.t.Fatal(err)
	}
	code := loc.Query().Get("code")
	if code == "" {
		h.t.Fatalf("redirect has no code: %s", loc)
	}
	return code
}

func (h *harness) redeem(code, redirect, verifier string) (*http.Response, []byte) {
	h.t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "client_id": {contosoClient}, "code": {code}, "redirect_uri": {redirect}}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	return h.post("/"+contosoID+"/oauth2/v2.0/token", form)
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// JWT helpers.

// verifyWithJWKS checks a token's RS256 signature against the certificate the tenant publishes and
// returns its claims.
func (h *harness) verifyWithJWKS(tenantID, token string) map[string]any {
	h.t.Helper()
	_, body := h.get("/" + tenantID + "/discovery/v2.0/keys")
	set := decodeJSON[jwks](h.t, body)
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		h.t.Fatalf("parsing token: %v", err)
	}
	kid := jws.Signatures[0].Header.KeyID
	for _, k := range set.Keys {
		if k.Kid != kid {
			continue
		}
		der, _ := base64.StdEncoding.DecodeString(k.X5c[0])
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			h.t.Fatal(err)
		}
		payload, err := jws.Verify(cert.PublicKey)
		if err != nil {
			h.t.Fatalf("token does not verify with published key %s: %v", kid, err)
		}
		return decodeJSON[map[string]any](h.t, payload)
	}
	h.t.Fatalf("token kid %q is not published", kid)
	return nil
}

// graphToken checks a Graph access token the way the simulated Graph does (the header's nonce
// hashed, graphtoken.go) against the key the tenant publishes, and returns its claims.
func (h *harness) graphToken(tenantID, token string) map[string]any {
	h.t.Helper()
	pt, msg := parseGraphToken(token)
	if pt == nil {
		h.t.Fatalf("not a Graph access token: %s", msg)
	}
	k := h.srv.tenantByID(tenantID).keys.byKid(pt.header.Kid)
	if k == nil {
		h.t.Fatalf("Graph token kid %q is not published", pt.header.Kid)
	}
	if !pt.verify(&k.priv.PublicKey) {
		h.t.Fatal("Graph token does not verify with its published key")
	}
	return decodeJSON[map[string]any](h.t, pt.payload)
}

// forgeGraph signs claims as a Graph access token with the tenant's current key.
func (h *harness) forgeGraph(tenantID string, c graphTokenClaims) string {
	h.t.Helper()
	tok, err := h.signer(tenantID).signGraph(c, "nonce-"+c.Uti)
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

func b64json(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// forgeRS256 hand-builds a JWT signed with priv and any header, so tests can make tokens that
// go-jose would refuse to make.
func forgeRS256(t *testing.T, priv *rsa.PrivateKey, header, claims map[string]any) string {
	t.Helper()
	signing := b64json(header) + "." + b64json(claims)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(nil, priv, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// graphClaims are valid Graph (v1.0) access token claims for Adele at the virtual clock's time.
func (h *harness) graphClaims() map[string]any {
	now := h.clock.Now().Unix()
	return map[string]any{
		"aud": graphAppID, "iss": graphTokenIssuer(contosoID), "iat": now, "nbf": now, "exp": now + 3600,
		"appid": contosoClient, "name": "Adele Vance", "oid": adeleOID, "scp": "User.Read", "sub": "x",
		"tid": contosoID, "upn": adeleUPN, "ver": "1.0", "wids": []string{roleDefaultUser},
	}
}

// forgeGraphRS256 hand-builds a Graph-shaped token (a nonce in its header, the signature over
// the hashed nonce, as signGraph makes them) with any kid, key and claims.
func forgeGraphRS256(t *testing.T, priv *rsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	hd := graphTokenHeader{Typ: "JWT", Nonce: "forged-nonce", Alg: "RS256", X5t: kid, Kid: kid}
	sent, _ := hd.encode()
	hd.Nonce = hashedNonce(hd.Nonce)
	covered, _ := hd.encode()
	body := b64json(claims)
	sum := sha256.Sum256([]byte(covered + "." + body))
	sig, err := rsa.SignPKCS1v15(nil, priv, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return sent + "." + body + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// signer returns a tenant's current signing key, for forging tokens the tenant would accept.
func (h *harness) signer(tenantID string) *signingKey {
	return h.srv.tenantByID(tenantID).keys.signer()
}

func (h *harness) bearer(path, token string) (*http.Response, []byte) {
	h.t.Helper()
	if token == "" {
		return h.get(path)
	}
	return h.get(path, "Authorization", "Bearer "+token)
}

func contains(body []byte, s string) bool { return bytes.Contains(body, []byte(s)) }

// setBody gives a request built earlier its body, with a known length.
func setBody(req *http.Request, body string) {
	req.Body = io.NopCloser(strings.NewReader(body))
	req.ContentLength = int64(len(body))
}
