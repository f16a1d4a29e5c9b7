package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	neturl "net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/oobe-dev/oobe/fixtures"
	"github.com/oobe-dev/oobe/localca"
	"github.com/oobe-dev/oobe/replay"
	"github.com/oobe-dev/oobe/sim"
	"github.com/oobe-dev/oobe/tenant"
)

// serveInfo is what `oobe serve --json` prints: enough for a script to sign in.
type serveInfo struct {
	URL string `json:"url"`
	// Listen is where it listens, when --public-url makes URL another address.
	Listen  string       `json:"listen,omitempty"`
	Tenants []tenantInfo `json:"tenants"`
	// CACert is the local CA's certificate (--tls), for clients to trust.
	CACert string `json:"caCert,omitempty"`
	// AdminSecret is this run's secret for the /_oobe/ controls that change the cloud (key
	// rotation, faults): send it as "Authorization: Bearer <secret>".
	AdminSecret string `json:"adminSecret"`
}

type tenantInfo struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Authority string `json:"authority"`
	ClientID  string `json:"clientId"`
}

func newServeCmd(s streams) *cobra.Command {
	var (
		addr     string
		fixtDir  string
		asJSON   bool
		interval time.Duration
		verbose  bool
		dataDir  string
		useTLS   bool
		tlsCert  string
		tlsKey   string
		pubURL   string
		maxConns int
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the simulated Microsoft tenant (Entra-shaped issuer, Graph-shaped API) on 127.0.0.1",
		Long: `Serve the simulated Microsoft cloud: an Entra ID-shaped OIDC issuer per tenant
under the same paths as login.microsoftonline.com, and a Graph-shaped API, on
one base URL. Tenants come from the embedded demo fixtures, or from --fixtures.
It runs until interrupted (Ctrl+C, SIGTERM).

State that changes while it runs (the restore page setting, backups, restore
results) lives in memory unless --data names a directory: then it is kept in
DIR/oobe.db across restarts. Delete that file to start again from the fixtures.

Microsoft's libraries (MSAL, azidentity, msal-node) refuse an http authority:
--tls serves https with a certificate from a local CA that oobe creates on first
use, in DIR/tls with --data, else in the user's config directory
(~/.config/oobe/tls on Linux); trust its ca.pem once (the output says how).
--tls-cert and --tls-key serve a certificate of your own instead.

Behind a reverse proxy, --public-url gives the URL clients use: issuers,
discovery and every link are built from it, and requests naming its host are
accepted. X-Forwarded-* headers are ignored.`,
		Example: `# Serve the demo tenants on a free port:
oobe serve

# A fixed port, your own tenants, machine-readable start line:
oobe serve --addr 127.0.0.1:8400 --fixtures ./my-tenants --json

# Keep uploaded backups and admin changes across restarts:
oobe serve --data ./oobe-state

# https for MSAL and azidentity, from the local CA:
oobe serve --tls --addr 127.0.0.1:8443

# Behind nginx at https://login.oobe.test:
oobe serve --tls --addr 127.0.0.1:8443 --public-url https://login.oobe.test`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if interval < time.Second || interval%time.Second != 0 {
				return badInput("--device-code-interval %s: want whole seconds, at least 1s (Entra's interval is in seconds)", interval)
			}
			if err := checkListenAddr(addr); err != nil {
				return err
			}
			tenants, err := loadTenants(fixtDir)
			if err != nil {
				return err
			}
			if fixtDir == "" {
				// The demo's backups keep their distance from today, as in every live run;
				// your own fixtures keep their dates.
				now := time.Now()
				if s.clock != nil {
					now = s.clock.Now()
				}
				tenants = sim.Rebase(tenants, replay.DefaultStart, now)
			}
			level := slog.LevelWarn
			if verbose {
				level = slog.LevelDebug
			}
			logger := slog.New(slog.NewTextHandler(s.errOut, &slog.HandlerOptions{Level: level}))
			if dataDir != "" {
				if st, err := os.Stat(dataDir); err == nil && !st.IsDir() {
					return badInput("--data %s: not a directory", dataDir)
				}
			}
			tc, err := serveTLS(s, useTLS, tlsCert, tlsKey, pubURL, dataDir, addr)
			if err != nil {
				return err
			}
			if tc.warning != "" {
				fmt.Fprintln(s.errOut, tc.warning)
			}
			srv, err := tenant.New(tenant.Config{Tenants: tenants, DeviceCodeInterval: interval, Logger: logger, DataDir: dataDir,
				TLS: tc.config, PublicURL: pubURL, MaxConnections: maxConns})
			if errors.Is(err, tenant.ErrUnreadableData) {
				return badInput("--data %s: %v; move the file aside or give another --data directory", dataDir, err)
			}
			if err != nil {
				return err
			}
			defer srv.Close()
			url, err := srv.Start(addr)
			if err != nil {
				return fmt.Errorf("serve: cannot listen on %s: %w", addr, err)
			}
			warnIfExposed(s, addr)
			info := describe(srv, url)
			if tc.ca != nil {
				info.CACert = tc.ca.CertPath()
			}
			if asJSON {
				if err := json.NewEncoder(s.out).Encode(info); err != nil {
					return err
				}
			} else {
				printServeInfo(s, info)
			}
			<-cmd.Context().Done()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil {
				return fmt.Errorf("serve: stopping: %w", err)
			}
			if !asJSON {
				fmt.Fprintln(s.errOut, "Stopped.")
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:0", "address to listen on (port 0 picks a free port)")
	f.StringVar(&fixtDir, "fixtures", "", "directory of tenant fixture files (default: the embedded demo tenants)")
	f.BoolVar(&asJSON, "json", false, "print the base URL and tenants as one JSON object on one line")
	f.DurationVar(&interval, "device-code-interval", 5*time.Second, "polling interval the device code flow asks clients to keep")
	f.BoolVarP(&verbose, "verbose", "v", false, "log every request to stderr (never tokens, codes or passwords)")
	f.StringVar(&dataDir, "data", "", "keep the tenants' state (restore page setting, backups, restore results) in `DIR`/oobe.db across restarts; created if missing")
	f.BoolVar(&useTLS, "tls", false, "serve https with a certificate from the local CA (kept in --data DIR/tls, or the user's config directory)")
	f.StringVar(&tlsCert, "tls-cert", "", "serve https with this PEM certificate (leaf first), with --tls-key")
	f.StringVar(&tlsKey, "tls-key", "", "the PEM private key of --tls-cert")
	f.StringVar(&pubURL, "public-url", "", "the URL clients reach the simulator at behind a reverse proxy, like https://login.oobe.test; issuers and links use it")
	f.IntVar(&maxConns, "max-connections", 1024, "serve at most `N` connections at once; more wait until one closes (logged)")
	_ = cmd.MarkFlagDirname("fixtures")
	_ = cmd.MarkFlagDirname("data")
	_ = cmd.MarkFlagFilename("tls-cert", "pem", "crt")
	_ = cmd.MarkFlagFilename("tls-key", "pem", "key")
	return cmd
}

// servedTLS is how oobe serve serves https: the configuration, and the local CA when it made it.
type servedTLS struct {
	config *tls.Config
	ca     *localca.CA
	// warning says a certificate the user brought names none of the hosts clients use.
	warning string
}

// serveTLS checks the TLS flags and --public-url and makes the server's TLS configuration;
// a zero servedTLS serves plain http.
func serveTLS(s streams, useTLS bool, certFile, keyFile, publicURL, dataDir, addr string) (servedTLS, error) {
	var extra []string // the public URL's host, and an address bound beyond loopback: a certificate must name them too
	if host, _, _ := net.SplitHostPort(addr); net.ParseIP(host) != nil && !net.ParseIP(host).IsUnspecified() && !isLoopbackHost(host) {
		extra = append(extra, host)
	}
	if publicURL != "" {
		pub, err := tenant.CheckPublicURL(publicURL)
		if err != nil {
			return servedTLS{}, badInput("--public-url: %v", err)
		}
		u, _ := neturl.Parse(pub)
		extra = append(extra, u.Hostname())
	}
	switch {
	case (certFile == "") != (keyFile == ""):
		return servedTLS{}, badInput("--tls-cert and --tls-key go together: the certificate and its private key")
	case useTLS && certFile != "":
		return servedTLS{}, badInput("--tls makes a certificate from the local CA and --tls-cert brings your own: give one or the other")
	case certFile != "":
		pair, err := loadKeyPair(certFile, keyFile)
		if err != nil {
			return servedTLS{}, err
		}
		st := servedTLS{config: &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}}
		hosts := append(extra, "127.0.0.1", "localhost")
		if !slices.ContainsFunc(hosts, func(h string) bool { return pair.Leaf.VerifyHostname(h) == nil }) {
			st.warning = fmt.Sprintf("warning: --tls-cert %s names none of %s; clients will refuse it unless they connect by a name it has", certFile, strings.Join(hosts, ", "))
		}
		return st, nil
	case useTLS:
		ca, err := openLocalCA(s, "--tls", dataDir)
		if err != nil {
			return servedTLS{}, err
		}
		cfg, err := ca.ServerTLS(extra...)
		if err != nil {
			return servedTLS{}, badInput("--public-url %s: %v", publicURL, err)
		}
		return servedTLS{config: cfg, ca: ca}, nil
	}
	return servedTLS{}, nil
}

// loadTenants reads the fixture directory, or the embedded demo tenants when dir is empty.
func loadTenants(dir string) ([]*tenant.Tenant, error) {
	var fsys fs.FS = fixtures.Demo()
	if dir != "" {
		st, err := os.Stat(dir)
		if err != nil {
			return nil, badInput("--fixtures %s: %v", dir, errors.Unwrap(err))
		}
		if !st.IsDir() {
			return nil, badInput("--fixtures %s: not a directory", dir)
		}
		fsys = os.DirFS(dir)
	}
	tenants, err := tenant.LoadFixtures(fsys)
	if err != nil {
		var fe *tenant.FixtureError
		if dir != "" && errors.As(err, &fe) {
			fe.File = filepath.Join(dir, fe.File)
		}
		if dir == "" {
			return nil, fmt.Errorf("embedded demo fixtures: %w", err)
		}
		return nil, badInput("%w", err)
	}
	return tenants, nil
}

func describe(srv *tenant.Server, url string) serveInfo {
	info := serveInfo{URL: url, Tenants: []tenantInfo{}, AdminSecret: srv.AdminSecret()}
	if l := srv.ListenURL(); l != url {
		info.Listen = l
	}
	for _, t := range srv.Tenants() {
		info.Tenants = append(info.Tenants, tenantInfo{ID: t.ID, Name: t.Name, Authority: srv.Authority(t.ID), ClientID: publicClientID(t)})
	}
	return info
}

func printServeInfo(s streams, info serveInfo) {
	fmt.Fprintf(s.out, "Simulated Microsoft cloud at %s\n", info.URL)
	if info.Listen != "" {
		fmt.Fprintf(s.out, "Listening on %s; point the reverse proxy there\n", info.Listen)
	}
	fmt.Fprintln(s.out)
	tw := tabwriter.NewWriter(s.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tID\tAUTHORITY\tPUBLIC CLIENT ID")
	for _, t := range info.Tenants {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Name, t.ID, t.Authority, t.ClientID)
	}
	tw.Flush()
	if info.CACert != "" {
		printTrustHelp(s.out, info.CACert)
	}
	fmt.Fprintf(s.out, "\nDevice sign-in page: %s/devicelogin\n", info.URL)
	fmt.Fprintf(s.out, "Admin secret for key rotation and faults (this run only): %s\n", info.AdminSecret)
	fmt.Fprintln(s.out, "Press Ctrl+C to stop.")
}

func checkListenAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return badInput("--addr %q: want host:port, like 127.0.0.1:8400 (%v)", addr, err)
	}
	if host == "" {
		return badInput("--addr %q: give the host too; 127.0.0.1 keeps the simulator on this machine", addr)
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return badInput("--addr %q: bad port: %v", addr, err)
	}
	return nil
}

// warnIfExposed warns when the simulator listens beyond this machine.
func warnIfExposed(s streams, addr string) {
	if host, _, _ := net.SplitHostPort(addr); !isLoopbackHost(host) {
		fmt.Fprintf(s.errOut, "warning: serving on %s, which is reachable from other machines; the simulator's passwords and keys are not secrets\n", addr)
	}
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
