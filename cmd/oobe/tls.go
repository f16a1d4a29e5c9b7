package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"time"

	"github.com/oobe-dev/oobe/internal/inputfile"
	"github.com/oobe-dev/oobe/localca"
)

// localCADir is where the local CA lives: beside the tenant's state when there is a data
// directory, else in the user's config directory, so every run trusts the same CA.
func localCADir(s streams, dataDir string) (string, error) {
	if dataDir != "" {
		return filepath.Join(dataDir, "tls"), nil
	}
	dir, err := s.userConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding a place for the local CA (%v); give --data DIR to keep it in DIR/tls", err)
	}
	return filepath.Join(dir, "oobe", "tls"), nil
}

// openLocalCA opens (or creates) the local CA for flag; a broken CA is bad input naming its file.
func openLocalCA(s streams, flag, dataDir string) (*localca.CA, error) {
	dir, err := localCADir(s, dataDir)
	if err != nil {
		return nil, badInput("%s: %v", flag, err)
	}
	ca, err := localca.Open(dir)
	if err != nil {
		return nil, badInput("%s: %v", flag, err)
	}
	return ca, nil
}

// caClient is an HTTP client that trusts ca alone: the in-process tenant's, never anything
// else, so a sign-in over it cannot reach a real service by mistake.
func caClient(ca *localca.CA) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: ca.ClientTLS(), ForceAttemptHTTP2: true}}
}

// maxCertFileBytes bounds what --tls-cert and --tls-key read; a chain is a few kilobytes.
const maxCertFileBytes = 1 << 20

// loadKeyPair reads a certificate the user brings (PEM, leaf first, then any intermediates)
// and its key, naming the file that is wrong.
func loadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	read := func(flag, path string) ([]byte, error) {
		data, err := inputfile.Read(path, maxCertFileBytes)
		var tl *inputfile.TooLargeError
		switch {
		case errors.As(err, &tl):
			return nil, badInput("%s %s: larger than %d bytes, not a PEM file", flag, path, maxCertFileBytes)
		case err != nil:
			return nil, badInput("%s: %v", flag, err)
		}
		return data, nil
	}
	certPEM, err := read("--tls-cert", certFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := read("--tls-key", keyFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return tls.Certificate{}, badInput("--tls-cert %s: no PEM CERTIFICATE block; give the server certificate in PEM (leaf first)", certFile)
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return tls.Certificate{}, badInput("--tls-cert %s: not a readable certificate: %v", certFile, err)
	}
	if kb, _ := pem.Decode(keyPEM); kb == nil {
		return tls.Certificate{}, badInput("--tls-key %s: no PEM private key", keyFile)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, badInput("--tls-key %s: not the private key of --tls-cert %s, or not a key Go can use: %v", keyFile, certFile, err)
	}
	if now := time.Now(); now.After(leaf.NotAfter) || now.Before(leaf.NotBefore) {
		return tls.Certificate{}, badInput("--tls-cert %s: valid from %s to %s, not now", certFile,
			leaf.NotBefore.UTC().Format(time.DateOnly), leaf.NotAfter.UTC().Format(time.DateOnly))
	}
	pair.Leaf = leaf
	return pair, nil
}

// printTrustHelp tells a person how to make their tools trust the local CA.
func printTrustHelp(w io.Writer, path string) {
	fmt.Fprintf(w, `
Served over https with a certificate from the local CA %s.
Trust it (once; it signs for this simulator only, never for Microsoft's domains):
  Go, curl, Python:   SSL_CERT_FILE=%[1]s
  Node (msal-node):   NODE_EXTRA_CA_CERTS=%[1]s
  Debian/Ubuntu:      sudo cp %[1]s /usr/local/share/ca-certificates/oobe.crt && sudo update-ca-certificates
  macOS:              sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain %[1]s
  Windows:            certutil -addstore Root %[1]s
`, path)
}
