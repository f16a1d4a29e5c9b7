// Command xdgopen stands in for xdg-open in the interop tests: azidentity's
// InteractiveBrowserCredential opens the system browser through github.com/pkg/browser, which
// on Linux runs `xdg-open URL` and waits for it. This one signs in on the page at URL as a
// person would (internal/browser) and follows the answer to the app's loopback redirect URI.
//
// It reads OOBE_INTEROP_CA (the simulator's CA, PEM), OOBE_INTEROP_USER and
// OOBE_INTEROP_PASSWORD, and appends the URL it was given to the file OOBE_INTEROP_OPENED.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/oobe-dev/oobe/interop/internal/browser"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "xdg-open (interop):", err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) != 2 {
		return fmt.Errorf("want one URL, got %q", os.Args[1:])
	}
	u := os.Args[1]
	if log := os.Getenv("OOBE_INTEROP_OPENED"); log != "" {
		f, err := os.OpenFile(log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(f, u)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	pem, err := os.ReadFile(os.Getenv("OOBE_INTEROP_CA"))
	if err != nil {
		return fmt.Errorf("the simulator's CA: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return fmt.Errorf("%s holds no certificate", os.Getenv("OOBE_INTEROP_CA"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b := &browser.Browser{
		Client: &http.Client{Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		}},
		Username: os.Getenv("OOBE_INTEROP_USER"),
		Password: os.Getenv("OOBE_INTEROP_PASSWORD"),
	}
	_, err = b.SignIn(ctx, u)
	return err
}
