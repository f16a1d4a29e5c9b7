// Package localca is the local certificate authority that lets the simulated tenant serve https,
// which Microsoft's client libraries demand: a CA kept in one directory (or in memory), and the
// server certificates it issues. It must never overwrite a CA it finds, nor vouch for Microsoft's
// own domains: a person trusts this CA in their system store, so it may only ever speak for the
// simulator.
package localca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// File names inside the CA's directory.
const (
	CertFile = "ca.pem"     // the CA certificate, PEM: the file people trust
	KeyFile  = "ca-key.pem" // the CA's private key, PKCS #8 PEM, 0600
)

// CommonName names the CA in every certificate store it is added to.
const CommonName = "oobe local CA (simulator only)"

// Lifetimes. The CA outlives many restarts; leaves are made afresh on each start, so they can be short.
const (
	caLifetime   = 10 * 365 * 24 * time.Hour
	leafLifetime = 90 * 24 * time.Hour
	backdate     = time.Hour // NotBefore this far back: a client whose clock is a little behind still accepts
)

// excludedDomains are Microsoft's sign-in and Graph domains. The CA's name constraints exclude
// them, so that even a stolen CA key cannot mint a certificate for real Entra that a machine
// trusting this CA would accept.
var excludedDomains = []string{
	"microsoftonline.com", "microsoftonline.us", "microsoftonline.cn", "chinacloudapi.cn",
	"microsoft.com", "microsoft.us", "live.com", "windows.net", "azure.com", "office.com",
}

// checkPerms is false on Windows, where the profile's ACLs protect the files, not POSIX bits.
var checkPerms = runtime.GOOS != "windows"

// CA is a local certificate authority: its certificate and key, and where they are kept.
type CA struct {
	dir     string // absolute; "" for a CA kept in memory
	cert    *x509.Certificate
	certPEM []byte
	key     crypto.Signer
}

// Open loads the CA kept in dir, creating dir (0700) and a new CA in it when there is none.
// A damaged, mismatched or expired CA, or a key file others may read, is an error naming the
// file and what to do: Open never replaces a CA, since people may have trusted it.
func Open(dir string) (*CA, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("local CA directory %s: %w", dir, err)
	}
	return open(abs, time.Now())
}

// New makes a CA that lives in memory only, for a run that trusts it itself (replay).
func New() (*CA, error) { return generate(time.Now()) }

// CertPath is the absolute path of the CA certificate's PEM file, or "" for a CA in memory.
func (ca *CA) CertPath() string {
	if ca.dir == "" {
		return ""
	}
	return filepath.Join(ca.dir, CertFile)
}

// Dir is the CA's directory, or "" for a CA in memory.
func (ca *CA) Dir() string { return ca.dir }

// CertPEM is the CA certificate in PEM.
func (ca *CA) CertPEM() []byte { return append([]byte(nil), ca.certPEM...) }

// Certificate is the CA certificate.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// Pool is a certificate pool holding this CA alone: clients given it trust nothing else.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// ClientTLS is a client configuration that trusts this CA and nothing else.
func (ca *CA) ClientTLS() *tls.Config {
	return &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12}
}

// ServerTLS is a server configuration with a fresh leaf certificate from Issue.
func (ca *CA) ServerTLS(hosts ...string) (*tls.Config, error) {
	leaf, err := ca.Issue(hosts...)
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{leaf}, MinVersion: tls.VersionTLS12}, nil
}

// Issue makes a server certificate, with a key that lives in memory only, for 127.0.0.1, ::1,
// localhost and hosts (DNS names or IP addresses, such as a public URL's host).
func (ca *CA) Issue(hosts ...string) (tls.Certificate, error) {
	return ca.issue(time.Now(), hosts)
}

func (ca *CA) issue(now time.Time, hosts []string) (tls.Certificate, error) {
	if !now.Before(ca.cert.NotAfter) {
		return tls.Certificate{}, ca.expiredError()
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{Organization: []string{"oobe"}, CommonName: "oobe simulated tenant"},
		NotBefore:   now.Add(-backdate),
		NotAfter:    now.Add(leafLifetime),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if tmpl.NotAfter.After(ca.cert.NotAfter) {
		tmpl.NotAfter = ca.cert.NotAfter // a leaf may not outlive its CA
	}
	for _, h := range hosts {
		h = strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"), ".")
		if ip := net.ParseIP(h); ip != nil {
			if !containsIP(tmpl.IPAddresses, ip) {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			}
			continue
		}
		name := strings.ToLower(h)
		if err := checkDNSName(name); err != nil {
			return tls.Certificate{}, fmt.Errorf("issuing a certificate for %q: %w", h, err)
		}
		if !containsString(tmpl.DNSNames, name) {
			tmpl.DNSNames = append(tmpl.DNSNames, name)
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("generating a server key: %w", err)
	}
	if tmpl.SerialNumber, err = serial(); err != nil {
		return tls.Certificate{}, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("issuing the server certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// checkDNSName refuses what cannot be a server's name, and Microsoft's domains, which the CA's
// name constraints exclude: a client would refuse such a certificate anyway.
func checkDNSName(name string) error {
	if name == "" || len(name) > 253 {
		return errors.New("not a host name")
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return errors.New("not a host name")
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return errors.New("not a host name (letters, digits, '-' and '.' only)")
			}
		}
	}
	for _, d := range excludedDomains {
		if name == d || strings.HasSuffix(name, "."+d) {
			return fmt.Errorf("%s is one of Microsoft's domains, which the local CA never vouches for; pick a name of your own (for example login.oobe.test)", d)
		}
	}
	return nil
}

func containsIP(ips []net.IP, ip net.IP) bool {
	for _, x := range ips {
		if x.Equal(ip) {
			return true
		}
	}
	return false
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func serial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("making a certificate serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil // never zero
}

// generate makes a new CA in memory.
func generate(now time.Time) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating the local CA key: %w", err)
	}
	sn, err := serial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: sn,
		// The serial in the name tells two machines' CAs apart in a certificate store.
		Subject:               pkix.Name{Organization: []string{"oobe"}, CommonName: CommonName, SerialNumber: fmt.Sprintf("%032x", sn)[:8]},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(caLifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
		ExcludedDNSDomains:    excludedDomains,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("creating the local CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{cert: cert, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), key: key}, nil
}

// open loads the CA in dir, or creates it there when dir holds neither file.
func open(dir string, now time.Time) (*CA, error) {
	ca, err := load(dir, now)
	if !errors.Is(err, errNoCA) {
		return ca, err
	}
	ca, err = generate(now)
	if err != nil {
		return nil, err
	}
	if err := ca.save(dir); err != nil {
		return nil, err
	}
	// Loaded back, so that a CA another process saved first is the one used.
	return load(dir, now)
}

// errNoCA says dir holds no CA yet.
var errNoCA = errors.New("no local CA yet")

// load reads and checks the CA in dir; errNoCA when there is none.
func load(dir string, now time.Time) (*CA, error) {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, errNoCA
	case err != nil:
		return nil, fmt.Errorf("local CA directory %s: %w", dir, err)
	case !fi.IsDir():
		return nil, fmt.Errorf("local CA directory %s is not a directory; move it away or give another directory", dir)
	}
	if checkPerms && fi.Mode().Perm() != 0o700 {
		// As the token cache does: a looser directory is narrowed, not refused.
		if err := os.Chmod(dir, 0o700); err != nil {
			return nil, fmt.Errorf("narrowing the local CA directory %s to 0700: %w", dir, err)
		}
	}
	certPath, keyPath := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	certPEM, certErr := os.ReadFile(certPath)
	keyFI, keyErr := os.Lstat(keyPath)
	switch {
	case errors.Is(certErr, fs.ErrNotExist) && errors.Is(keyErr, fs.ErrNotExist):
		return nil, errNoCA
	case errors.Is(keyErr, fs.ErrNotExist):
		return nil, fmt.Errorf("local CA: %s exists but its key %s is missing; delete %s to make a new CA (and trust the new one)", certPath, keyPath, dir)
	case errors.Is(certErr, fs.ErrNotExist):
		return nil, fmt.Errorf("local CA: %s exists but its certificate %s is missing; delete %s to make a new CA (and trust the new one)", keyPath, certPath, dir)
	case certErr != nil:
		return nil, fmt.Errorf("local CA: reading %s: %w", certPath, certErr)
	case keyErr != nil:
		return nil, fmt.Errorf("local CA: reading %s: %w", keyPath, keyErr)
	case !keyFI.Mode().IsRegular():
		return nil, fmt.Errorf("local CA: %s is not a regular file (a symlink?); replace it with the key itself", keyPath)
	case checkPerms && keyFI.Mode().Perm()&0o077 != 0:
		return nil, fmt.Errorf("local CA: %s has mode %04o, so others on this machine may have read the CA's key; "+
			"if nobody else did, chmod 600 it; otherwise delete %s to make a new CA and remove the old one from your trust stores",
			keyPath, keyFI.Mode().Perm(), dir)
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("local CA: reading %s: %w", keyPath, err)
	}
	damaged := func(path, what string) error {
		return fmt.Errorf("local CA: %s %s; delete %s to make a new CA (and trust the new one)", path, what, dir)
	}
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, damaged(certPath, "holds no PEM CERTIFICATE")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, damaged(certPath, fmt.Sprintf("is not a readable certificate (%v)", err))
	}
	if !cert.IsCA || cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, damaged(certPath, "is not a CA certificate")
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil {
		return nil, damaged(keyPath, "holds no PEM private key")
	}
	key, err := parseKey(kb)
	if err != nil {
		return nil, damaged(keyPath, fmt.Sprintf("is not a readable private key (%v)", err))
	}
	if pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(cert.PublicKey) {
		return nil, damaged(keyPath, "is not the key of "+certPath)
	}
	ca := &CA{dir: dir, cert: cert, certPEM: certPEM, key: key}
	if !now.Before(cert.NotAfter) {
		return nil, ca.expiredError()
	}
	return ca, nil
}

func (ca *CA) expiredError() error {
	where := "the in-memory CA"
	if ca.dir != "" {
		where = ca.CertPath()
		return fmt.Errorf("local CA: %s expired on %s; delete %s to make a new CA, and trust the new one", where, ca.cert.NotAfter.UTC().Format(time.DateOnly), ca.dir)
	}
	return fmt.Errorf("local CA: %s expired on %s", where, ca.cert.NotAfter.UTC().Format(time.DateOnly))
}

func parseKey(b *pem.Block) (crypto.Signer, error) {
	var k any
	var err error
	switch b.Type {
	case "PRIVATE KEY":
		k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(b.Bytes)
	default:
		return nil, fmt.Errorf("PEM block %q is not a private key", b.Type)
	}
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("a %T cannot sign", k)
	}
	return s, nil
}

// save writes a new CA to dir, never over an existing file. When dir does not exist the CA is
// written to a sibling and renamed into place, so that no process ever sees half a CA.
func (ca *CA) save(dir string) error {
	keyDER, err := x509.MarshalPKCS8PrivateKey(ca.key)
	if err != nil {
		return fmt.Errorf("encoding the local CA key: %w", err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return fmt.Errorf("creating %s for the local CA: %w", parent, err)
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+"-new-*") // 0700
		if err != nil {
			return fmt.Errorf("creating the local CA in %s: %w", parent, err)
		}
		defer os.RemoveAll(tmp) // gone after the rename; left over only on failure
		if err := writeNew(filepath.Join(tmp, KeyFile), keyPEM, 0o600); err != nil {
			return err
		}
		if err := writeNew(filepath.Join(tmp, CertFile), ca.certPEM, 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, dir); err == nil {
			return nil
		}
		// Someone else made dir meanwhile; the caller loads what is there.
		if _, err := os.Stat(dir); err == nil {
			return nil
		}
		return fmt.Errorf("creating the local CA directory %s: %w", dir, err)
	}
	// dir exists and holds neither file: the key first, so a certificate never stands without its key.
	if err := writeNew(filepath.Join(dir, KeyFile), keyPEM, 0o600); err != nil {
		return err
	}
	return writeNew(filepath.Join(dir, CertFile), ca.certPEM, 0o644)
}

// writeNew writes data to path through a synced temporary file, failing rather than replacing
// a file that is already there.
func writeNew(path string, data []byte, perm fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(perm); err != nil && checkPerms {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	// A hard link fails when path exists, where a rename would replace it.
	if err := os.Link(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
