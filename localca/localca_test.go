package localca

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestOpenCreatesACAWithPrivateKeyInAPrivateDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "oobe", "tls")
	ca, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := ca.CertPath(); got != filepath.Join(dir, CertFile) || !filepath.IsAbs(got) {
		t.Errorf("CertPath = %q, want the absolute %s", got, filepath.Join(dir, CertFile))
	}
	if checkPerms {
		for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, KeyFile): 0o600, filepath.Join(dir, CertFile): 0o644} {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != want {
				t.Errorf("%s has mode %04o, want %04o", path, fi.Mode().Perm(), want)
			}
		}
	}
	c := ca.Certificate()
	if c.Subject.CommonName != CommonName || !c.IsCA || c.MaxPathLen != 0 || !c.MaxPathLenZero || c.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Errorf("CA certificate: CN %q, IsCA %v, MaxPathLen %d (zero %v), KeyUsage %v", c.Subject.CommonName, c.IsCA, c.MaxPathLen, c.MaxPathLenZero, c.KeyUsage)
	}
	if c.NotAfter.Sub(c.NotBefore) < 5*365*24*time.Hour {
		t.Errorf("CA lives from %s to %s; want years", c.NotBefore, c.NotAfter)
	}
}

func TestOpenLoadsTheSameCAAgain(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	first, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.CertPEM(), again.CertPEM()) {
		t.Fatal("a second Open made a new CA")
	}
}

func TestOpenCreatesTheCAInAnEmptyExistingDirectory(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, KeyFile)); err != nil {
		t.Fatal(err)
	}
}

func TestOpenNarrowsALooseDirectory(t *testing.T) {
	if !checkPerms {
		t.Skip("POSIX modes are not checked on Windows")
	}
	dir := filepath.Join(t.TempDir(), "tls")
	if _, err := Open(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Fatalf("directory left at %04o", fi.Mode().Perm())
	}
}

// refusals are the CAs Open must refuse without touching: each names a file and what to do.
func TestOpenRefusesABrokenCAWithoutReplacingIt(t *testing.T) {
	other, err := New()
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := x509.MarshalPKCS8PrivateKey(other.key)
	if err != nil {
		t.Fatal(err)
	}
	expired, err := generate(time.Now().Add(-11 * 365 * 24 * time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		spoil func(t *testing.T, dir string)
		want  []string
	}{
		{"a certificate that is not PEM is refused", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, CertFile), []byte("garbage"), 0o644)
		}, []string{CertFile, "no PEM CERTIFICATE", "delete"}},
		{"a key that is not PEM is refused", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, KeyFile), []byte("garbage"), 0o600)
		}, []string{KeyFile, "no PEM private key", "delete"}},
		{"another CA's key is refused", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, KeyFile), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: otherKey}), 0o600)
		}, []string{KeyFile, "is not the key of", CertFile}},
		{"a missing key is refused", func(t *testing.T, dir string) {
			_ = os.Remove(filepath.Join(dir, KeyFile))
		}, []string{KeyFile, "missing"}},
		{"a missing certificate is refused", func(t *testing.T, dir string) {
			_ = os.Remove(filepath.Join(dir, CertFile))
		}, []string{CertFile, "missing"}},
		{"an expired CA is refused", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, KeyFile)); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(filepath.Join(dir, CertFile)); err != nil {
				t.Fatal(err)
			}
			if err := expired.save(dir); err != nil {
				t.Fatal(err)
			}
		}, []string{CertFile, "expired", "delete"}},
		{"a key others may read is refused", func(t *testing.T, dir string) {
			if !checkPerms {
				t.Skip("POSIX modes are not checked on Windows")
			}
			if err := os.Chmod(filepath.Join(dir, KeyFile), 0o644); err != nil {
				t.Fatal(err)
			}
		}, []string{KeyFile, "0644", "chmod 600"}},
		{"a symlinked key is refused", func(t *testing.T, dir string) {
			key := filepath.Join(dir, KeyFile)
			moved := filepath.Join(t.TempDir(), "key.pem")
			if err := os.Rename(key, moved); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(moved, key); err != nil {
				t.Skip("no symlinks here:", err)
			}
		}, []string{KeyFile, "not a regular file"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "tls")
			if _, err := Open(dir); err != nil {
				t.Fatal(err)
			}
			tc.spoil(t, dir)
			before := snapshot(t, dir)
			_, err := Open(dir)
			if err == nil {
				t.Fatal("Open accepted it")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if after := snapshot(t, dir); after != before {
				t.Errorf("Open changed the directory:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

func TestIssuedCertificateServesLoopbackAndExtraNames(t *testing.T) {
	ca, err := New()
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue("login.oobe.test", "192.0.2.7", "[2001:db8::1]")
	if err != nil {
		t.Fatal(err)
	}
	l := leaf.Leaf
	if len(l.ExtKeyUsage) != 1 || l.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth {
		t.Errorf("ExtKeyUsage = %v, want serverAuth", l.ExtKeyUsage)
	}
	if !l.NotBefore.Before(time.Now()) {
		t.Errorf("NotBefore %s is not in the past", l.NotBefore)
	}
	for _, name := range []string{"127.0.0.1", "::1", "localhost", "login.oobe.test", "192.0.2.7", "2001:db8::1"} {
		if _, err := l.Verify(x509.VerifyOptions{DNSName: name, Roots: ca.Pool()}); err != nil {
			t.Errorf("the leaf does not verify for %s: %v", name, err)
		}
	}
	if _, err := l.Verify(x509.VerifyOptions{DNSName: "login.oobe.test"}); err == nil {
		t.Error("the leaf verifies without the CA in the pool")
	}
}

func TestIssueRefusesMicrosoftDomainsAndNonNames(t *testing.T) {
	ca, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"login.microsoftonline.com", "graph.microsoft.com", "bad_name.test", "a..b", ""} {
		if _, err := ca.Issue(h); err == nil {
			t.Errorf("Issue(%q) succeeded", h)
		}
	}
}

// The name constraints hold even for a certificate the CA's key signs outside Issue.
func TestTheCAKeyCannotVouchForMicrosoft(t *testing.T) {
	ca, err := New()
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sn, _ := serial()
	tmpl := &x509.Certificate{SerialNumber: sn, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"login.microsoftonline.com"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := x509.ParseCertificate(der)
	if _, err := forged.Verify(x509.VerifyOptions{DNSName: "login.microsoftonline.com", Roots: ca.Pool()}); err == nil {
		t.Fatal("a certificate for login.microsoftonline.com verifies under the local CA")
	}
}

func TestAClientTrustingTheCAReachesAServerWithItsLeaf(t *testing.T) {
	ca, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if ca.CertPath() != "" {
		t.Errorf("an in-memory CA has path %q", ca.CertPath())
	}
	cfg, err := ca.ServerTLS()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }))
	srv.TLS = cfg
	srv.StartTLS()
	defer srv.Close()
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: ca.ClientTLS()}}
	defer hc.CloseIdleConnections()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	for _, host := range []string{"127.0.0.1", "localhost"} {
		resp, err := hc.Get("https://" + net.JoinHostPort(host, port) + "/")
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		resp.Body.Close()
	}
	plain := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{}}}
	defer plain.CloseIdleConnections()
	if _, err := plain.Get(srv.URL); err == nil {
		t.Error("a client without the CA trusted the server")
	}
}

func write(t *testing.T, path string, data []byte, perm os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
}

// snapshot describes every file in dir: name, mode and content.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		fi, _ := os.Lstat(filepath.Join(dir, e.Name()))
		data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		b.WriteString(e.Name() + " " + fi.Mode().String() + " " + string(data) + "\n")
	}
	return b.String()
}
