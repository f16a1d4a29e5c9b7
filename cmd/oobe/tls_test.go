package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/oobe-dev/oobe/localca"
)

// trusting is an HTTP client that trusts the CA in the PEM file at path, and nothing else.
func trusting(t *testing.T, path string) *http.Client {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the CA certificate the output names: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		t.Fatalf("%s holds no certificate", path)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// issuerAt fetches Contoso's discovery document at authority with hc (Host header host when
// given) and returns its issuer, or the HTTP status when it is not 200.
func issuerAt(t *testing.T, hc *http.Client, authority, host string) (string, int) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, authority+"/v2.0/.well-known/openid-configuration", nil)
	if host != "" {
		req.Host = host
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var disc struct {
		Issuer string `json:"issuer"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&disc)
	return disc.Issuer, resp.StatusCode
}

func TestServeTLSKeepsTheCAInTheConfigDirAndNamesItInJSON(t *testing.T) {
	t.Parallel()
	config := t.TempDir()
	_, info := serveOnceIn(t, cli{env: map[string]string{"XDG_CONFIG_HOME": config}}, "--tls")
	if want := filepath.Join(config, "oobe", "tls", "ca.pem"); info.CACert != want {
		t.Fatalf("caCert %q, want %s", info.CACert, want)
	}
	if !strings.HasPrefix(info.URL, "https://127.0.0.1:") || info.Listen != "" {
		t.Fatalf("url %q listen %q: want https://127.0.0.1:PORT and no listen", info.URL, info.Listen)
	}
	ten := info.Tenants[0]
	if iss, status := issuerAt(t, trusting(t, info.CACert), ten.Authority, ""); iss != ten.Authority+"/v2.0" {
		t.Fatalf("discovery over https: issuer %q (HTTP %d), want %s/v2.0", iss, status, ten.Authority)
	}
	if fi, err := os.Stat(filepath.Join(config, "oobe", "tls", "ca-key.pem")); err != nil || checkModes && fi.Mode().Perm() != 0o600 {
		t.Fatalf("the CA key: %v %v", fi, err)
	}
}

// checkModes is false on Windows, where POSIX modes say nothing.
var checkModes = os.PathSeparator == '/'

func TestServeTLSWithDataKeepsTheCABesideTheState(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	r, info := serveOnce(t, "--tls", "--data", data)
	if want := filepath.Join(data, "tls", "ca.pem"); info.CACert != want {
		t.Fatalf("caCert %q, want %s", info.CACert, want)
	}
	r.cancel()
	r.wait(t)
	// A second start trusts the same CA: clients configured once keep working.
	before, _ := os.ReadFile(info.CACert)
	_, again := serveOnce(t, "--tls", "--data", data)
	after, _ := os.ReadFile(again.CACert)
	if string(before) != string(after) {
		t.Fatal("a restart made a new CA")
	}
}

func TestServeTLSTellsHowToTrustTheCA(t *testing.T) {
	t.Parallel()
	r := start(t, "serve", "--tls")
	r.out.waitFor(t, regexp.MustCompile(`Press Ctrl\+C`))
	out := r.out.String()
	path := regexp.MustCompile(`SSL_CERT_FILE=(\S+)`).FindStringSubmatch(out)
	if path == nil || !filepath.IsAbs(path[1]) {
		t.Fatalf("no SSL_CERT_FILE=<absolute path> in:\n%s", out)
	}
	for _, want := range []string{"NODE_EXTRA_CA_CERTS=" + path[1], "update-ca-certificates", "security add-trusted-cert", "certutil -addstore Root", "https://127.0.0.1:"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output does not say %q:\n%s", want, out)
		}
	}
}

func TestServeBehindAPublicURL(t *testing.T) {
	t.Parallel()
	const public = "https://login.oobe.test"
	_, info := serveOnce(t, "--tls", "--public-url", public+"/")
	if info.URL != public || !strings.HasPrefix(info.Listen, "https://127.0.0.1:") {
		t.Fatalf("url %q listen %q: want the public URL and the listening address", info.URL, info.Listen)
	}
	ten := info.Tenants[0]
	if ten.Authority != public+"/"+ten.ID {
		t.Fatalf("authority %q is not under the public URL", ten.Authority)
	}
	// The proxy's side: connect to the listener, name the public host (its certificate must too).
	hc := trusting(t, info.CACert)
	tr := hc.Transport.(*http.Transport)
	tr.TLSClientConfig.ServerName = "login.oobe.test"
	listenAuthority := info.Listen + "/" + ten.ID
	for host, want := range map[string]int{"login.oobe.test": http.StatusOK, strings.TrimPrefix(info.Listen, "https://"): http.StatusOK, "evil.example": http.StatusForbidden} {
		iss, status := issuerAt(t, hc, listenAuthority, host)
		if status != want || want == http.StatusOK && iss != ten.Authority+"/v2.0" {
			t.Errorf("Host %s: HTTP %d issuer %q, want %d and %s/v2.0", host, status, iss, want, ten.Authority)
		}
	}
}

func TestServeWithABroughtCertificate(t *testing.T) {
	t.Parallel()
	ca, err := localca.New()
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile, caFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "ca.pem")
	keyDER, err := x509.MarshalPKCS8PrivateKey(leaf.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	for path, data := range map[string][]byte{
		certFile: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Certificate[0]}),
		keyFile:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		caFile:   ca.CertPEM(),
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	_, info := serveOnce(t, "--tls-cert", certFile, "--tls-key", keyFile)
	if info.CACert != "" || !strings.HasPrefix(info.URL, "https://") {
		t.Fatalf("url %q caCert %q: want https and no local CA", info.URL, info.CACert)
	}
	ten := info.Tenants[0]
	if iss, status := issuerAt(t, trusting(t, caFile), ten.Authority, ""); iss != ten.Authority+"/v2.0" {
		t.Fatalf("discovery: issuer %q (HTTP %d)", iss, status)
	}
}

func TestServeTLSBadInputExitsTwoNamingTheFlagOrFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	corrupt := t.TempDir()
	if err := os.MkdirAll(filepath.Join(corrupt, "tls"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(corrupt, "tls", "ca.pem"), []byte("damaged"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(corrupt, "tls", "ca-key.pem"), []byte("damaged"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"a missing certificate file is named", []string{"--tls-cert", filepath.Join(dir, "nope.pem"), "--tls-key", garbage}, []string{"--tls-cert", "nope.pem"}},
		{"a certificate file that is not PEM is named", []string{"--tls-cert", garbage, "--tls-key", garbage}, []string{"--tls-cert", "garbage.pem", "no PEM CERTIFICATE"}},
		{"a certificate without its key is refused", []string{"--tls-cert", garbage}, []string{"--tls-cert and --tls-key go together"}},
		{"--tls with a brought certificate is refused", []string{"--tls", "--tls-cert", garbage, "--tls-key", garbage}, []string{"one or the other"}},
		{"a public URL with a path is refused", []string{"--public-url", "https://login.oobe.test/sim"}, []string{"--public-url", "path /sim"}},
		{"a public URL that is not absolute is refused", []string{"--public-url", "login.oobe.test"}, []string{"--public-url", "absolute"}},
		{"a public URL on Microsoft's domains gets no certificate", []string{"--tls", "--public-url", "https://login.microsoftonline.com"}, []string{"--public-url", "Microsoft's domains"}},
		{"a damaged CA is named and left alone", []string{"--tls", "--data", corrupt}, []string{"--tls", filepath.Join(corrupt, "tls", "ca.pem"), "delete"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, append([]string{"serve"}, tc.args...)...)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr: %s", code, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q does not say %q", errOut, w)
				}
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
		})
	}
	if data, _ := os.ReadFile(filepath.Join(corrupt, "tls", "ca.pem")); string(data) != "damaged" {
		t.Fatal("the damaged CA was replaced")
	}
}

func TestSigninSimTLSSignsInOverHTTPS(t *testing.T) {
	t.Parallel()
	config := t.TempDir()
	code, out, errOut := cli{env: map[string]string{"XDG_CONFIG_HOME": config}}.run(t, "signin", "--json", "--sim-tls", "--sim-interval", "1s", "--sim-approve", "--user", "adele.vance@contoso.com")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	var who whoami
	if err := json.Unmarshal([]byte(out), &who); err != nil || who.UPN != "adele.vance@contoso.com" {
		t.Fatalf("result %q (%v)", out, err)
	}
	if !strings.HasPrefix(who.Authority, "https://127.0.0.1:") {
		t.Fatalf("authority %q: want the https simulator", who.Authority)
	}
	if !strings.Contains(errOut, filepath.Join(config, "oobe", "tls", "ca.pem")) {
		t.Fatalf("stderr does not name the CA it trusts:\n%s", errOut)
	}
	if code, _, errOut := runCLI(t, "signin", "--sim-tls", "--authority", "https://login.microsoftonline.com/common", "--client-id", "9c6fb39d-8205-4a69-8a44-e2bae12741d2"); code != 2 || !strings.Contains(errOut, "--sim-tls") {
		t.Fatalf("--sim-tls with --authority: exit %d, stderr %q", code, errOut)
	}
}

func TestSimTLSWithSimDataKeepsTheCABesideTheState(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	code, _, errOut := runCLI(t, "backups", "--sim-tls", "--sim-data", data, "--sim-interval", "1s", "--sim-approve", "--user", "adele.vance@contoso.com")
	if code != 0 {
		t.Fatalf("backups over https: exit %d; stderr:\n%s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(data, "tls", "ca.pem")); err != nil {
		t.Fatal(err)
	}
}

func TestReplayTLSPassesAScenarioOverHTTPS(t *testing.T) {
	t.Parallel()
	config := t.TempDir()
	code, out, errOut := cli{env: map[string]string{"XDG_CONFIG_HOME": config}}.run(t, "replay", "--tls", "--parallel", "2", "../../fixtures/scenarios/autopilot-name-template-names-the-device.yaml")
	if code != 0 || !strings.Contains(out, "1 passed, 0 failed") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if entries, _ := os.ReadDir(config); len(entries) != 0 {
		t.Fatal("replay --tls wrote a CA to disk")
	}
}
