package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/internal/when"
	"github.com/oobe-dev/oobe/localca"
	"github.com/oobe-dev/oobe/replay"
	"github.com/oobe-dev/oobe/restore/graph"
	"github.com/oobe-dev/oobe/sim"
	"github.com/oobe-dev/oobe/tenant"
)

// whoami is what `oobe signin` prints: who signed in, never a token.
type whoami struct {
	UPN       string `json:"upn"`
	Name      string `json:"name"`
	TenantID  string `json:"tenantId"`
	ObjectID  string `json:"objectId"`
	Authority string `json:"authority"`
	Flow      string `json:"flow"`
	Expires   string `json:"accessTokenExpires"`
}

type signinOptions struct {
	authority    string
	clientID     string
	flow         string
	asJSON       bool
	user         string
	fixtures     string
	tenant       string
	simAddr      string
	simInterval  time.Duration
	noCache      bool
	responseMode string
	noBrowser    bool
	simApprove   bool
	simData      string
	simTLS       bool
	scopes       []string
}

func newSigninCmd(s streams) *cobra.Command {
	var o signinOptions
	cmd := &cobra.Command{
		Use:   "signin",
		Short: "Sign in with Microsoft Entra ID (device code or browser) and print who signed in",
		Long: `Sign in over OIDC and print who signed in: UPN, tenant id and object id.

Without --authority, the simulated tenant is started in-process (the embedded
demo tenant, or --fixtures) and you approve the sign-in on its own page.
With --authority https://login.microsoftonline.com/<tenant-guid> and
--client-id, the same code signs in to real Entra ID; the token is cached
(0600 in a 0700 directory) and refreshed on later runs.

Prompts and progress go to stderr; stdout carries only the result.`,
		Example: `# Device code sign-in to the demo tenant:
oobe signin

# Browser sign-in (auth code + PKCE) to the demo tenant, JSON result:
oobe signin --flow browser --json

# Real Entra ID:
oobe signin --client-id <app-id> \
  --authority https://login.microsoftonline.com/<tenant-guid>`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSignin(cmd.Context(), s, o)
		},
	}
	addSigninFlags(cmd, &o)
	return cmd
}

// session is a signed-in user and where to reach Graph for them.
type session struct {
	client    *auth.Client
	mu        sync.Mutex
	result    *auth.Result
	authority string
	graphURL  string
	// simulated is true when the authority is a simulated tenant on loopback (in-process or
	// a running oobe serve), whose Graph-shaped API shares its base URL.
	simulated bool
	// sim is the in-process simulated tenant's world, when no --authority was given.
	sim *sim.World
	// http talks to the tenant and Graph; nil means Go's default client. Under --sim-tls it
	// trusts the local CA alone.
	http *http.Client
	// clock is the sign-in client's: the wall clock unless a test gave the run its own.
	clock clock.Clock
	close func()
}

// openSession signs in as o says: against the in-process simulated tenant, or a real authority.
func openSession(ctx context.Context, s streams, o signinOptions) (*session, error) {
	if o.flow != "device" && o.flow != "browser" {
		return nil, badInput("--flow %q: want device or browser", o.flow)
	}
	if o.responseMode != auth.ResponseModeQuery && o.responseMode != auth.ResponseModeFormPost {
		return nil, badInput("--response-mode %q: want query or form_post", o.responseMode)
	}
	logger := slog.New(slog.DiscardHandler)
	sess := &session{authority: o.authority, graphURL: graph.DefaultBaseURL, clock: s.clock, close: func() {}}
	if sess.clock == nil {
		sess.clock = clock.Real{}
	}
	clientID := o.clientID
	var simUser *tenant.User
	if sess.authority == "" {
		if clientID != "" {
			return nil, badInput("--client-id needs --authority; the simulated tenant's own client is used without it")
		}
		if o.simInterval < time.Second || o.simInterval%time.Second != 0 {
			return nil, badInput("--sim-interval %s: want whole seconds, at least 1s (Entra's interval is in seconds)", o.simInterval)
		}
		if err := checkListenAddr(o.simAddr); err != nil {
			return nil, err
		}
		tenants, err := loadTenants(o.fixtures)
		if err != nil {
			return nil, err
		}
		if o.fixtures == "" {
			// The demo's backups are dated for a replay's start: a live tenant on the wall
			// clock has them at the same distance from today (your own fixtures keep theirs).
			tenants = sim.Rebase(tenants, replay.DefaultStart, sess.clock.Now())
		}
		t, err := pickTenant(tenants, o.tenant)
		if err != nil {
			return nil, err
		}
		if o.simApprove {
			if simUser = findUser(t, o.user); simUser == nil {
				return nil, badInput("--sim-approve needs --user naming one of %s's users", t.Name)
			}
			if o.flow != "device" {
				return nil, badInput("--sim-approve works with --flow device")
			}
		}
		clientID = publicClientID(t)
		if clientID == "" {
			return nil, badInput("simulated tenant %s (%s) has no public client app to sign in with; add one with public: true to its fixture", t.Name, t.Source)
		}
		spec := sim.Spec{Tenants: tenants, Tenant: t.ID, ClientID: clientID, Clock: sim.Clock{Mode: sim.Wall},
			Logger: logger, DeviceCodeInterval: o.simInterval, DataDir: o.simData, Addr: o.simAddr}
		if simUser != nil {
			spec.User = simUser.UPN
		}
		var ca *localca.CA
		if o.simTLS {
			if ca, err = openLocalCA(s, "--sim-tls", o.simData); err != nil {
				return nil, err
			}
			if spec.TLS, err = sim.NewTLS(ca); err != nil {
				return nil, err
			}
		}
		w, err := sim.Start(ctx, spec)
		if err != nil {
			return nil, err
		}
		sess.sim = w
		// The world closes our own HTTP/2 connections first: else the tenant's Shutdown waits
		// out its 1-second GOAWAY grace on each before the command can exit.
		sess.close = func() { _ = w.Close() }
		sess.http = w.HTTP()
		sess.authority = w.Authority()
		sess.graphURL = w.URL()
		sess.simulated = true
		fmt.Fprintf(s.errOut, "Simulated tenant %s (%s) at %s\n", t.Name, t.ID, w.URL())
		if ca != nil {
			fmt.Fprintf(s.errOut, "Served over https by the local CA %s (trust it in a browser to open the sign-in page without a warning)\n", ca.CertPath())
		}
		warnIfExposed(s, o.simAddr)
	} else {
		if o.tenant != "" || o.fixtures != "" || o.simApprove || o.simData != "" || o.simTLS {
			return nil, badInput("--tenant, --fixtures, --sim-approve, --sim-data and --sim-tls are for the simulated tenant; drop them with --authority")
		}
		if clientID == "" {
			return nil, badInput("--authority needs --client-id (the app registration's application ID)")
		}
		u, err := url.Parse(sess.authority)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil, badInput("--authority %q: want a URL like https://login.microsoftonline.com/<tenant-guid>", sess.authority)
		}
		sess.graphURL, sess.simulated = graphFor(u)
	}
	client, res, err := signIn(ctx, s, o, sess, clientID, simUser, logger)
	if err != nil {
		sess.close()
		return nil, err
	}
	// Graph is where the authority's discovery document says (msgraph_host): a simulator behind
	// --public-url on a lab's DNS name serves it there, not at graph.microsoft.com.
	if g := client.GraphURL(); g != "" {
		sess.graphURL = g
	}
	sess.client, sess.result = client, res
	return sess, nil
}

// token is the session's graph.TokenSource: the access token, refreshed when it is about to expire.
func (sess *session) token(ctx context.Context) (string, error) {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	if sess.clock.Now().Add(2*time.Minute).Before(sess.result.Expiry) || sess.result.RefreshToken == "" {
		return sess.result.AccessToken, nil
	}
	res, err := sess.client.Refresh(ctx, sess.result.RefreshToken)
	if err != nil {
		return "", fmt.Errorf("refreshing the access token: %w", err)
	}
	sess.result = res
	return res.AccessToken, nil
}

func signIn(ctx context.Context, s streams, o signinOptions, sess *session, clientID string, simUser *tenant.User, logger *slog.Logger) (*auth.Client, *auth.Result, error) {
	clk := sess.clock
	var approved *approvedClock
	if simUser != nil {
		approved = &approvedClock{Clock: clk}
		clk = approved
	}
	client, err := auth.New(ctx, auth.Config{Authority: sess.authority, ClientID: clientID, Scopes: o.scopes, Logger: logger, HTTPClient: sess.http, Clock: clk})
	if err != nil {
		if errors.Is(err, auth.ErrBadAuthority) {
			return nil, nil, badInput("--authority: %v", err)
		}
		var de *auth.DiscoveryError
		if errors.As(err, &de) {
			return nil, nil, fmt.Errorf("discovery at %s: %w", sess.authority, err)
		}
		return nil, nil, err
	}
	interactive := func(ctx context.Context) (*auth.Result, error) {
		if o.flow == "browser" {
			opts := auth.BrowserOptions{Out: s.errOut, ResponseMode: o.responseMode, LoginHint: o.user}
			if o.noBrowser {
				opts.Open = func(string) error { return nil } // the URL is printed to stderr before Open is called
			}
			return client.Browser(ctx, opts)
		}
		var approveErr error
		res, err := client.DeviceCode(ctx, func(p auth.DeviceCodePrompt) {
			fmt.Fprintln(s.errOut, p.Message)
			if simUser != nil {
				fmt.Fprintf(s.errOut, "Approving as %s on the simulated tenant's page (--sim-approve)…\n", simUser.UPN)
				if approveErr = sess.sim.Approve(ctx, p); approveErr == nil {
					approved.approve()
				}
				return
			}
			fmt.Fprintf(s.errOut, "Waiting for you to sign in (the code expires at %s)…\n", when.TimeOfDay(p.ExpiresAt))
		})
		if approveErr != nil {
			return nil, approveErr
		}
		return res, err
	}
	// The in-process simulator has a new port and fresh codes every run, so its tokens are never cached.
	var cache *auth.Cache
	if sess.sim == nil && !o.noCache {
		dir, err := auth.DefaultCacheDir()
		if err != nil {
			fmt.Fprintf(s.errOut, "warning: no token cache (%v)\n", err)
		} else {
			cache = &auth.Cache{Dir: dir}
		}
	}
	res, err := client.SignIn(ctx, cache, o.user, interactive)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return nil, nil, context.Canceled
		}
		return nil, nil, fmt.Errorf("sign-in: %w", err)
	}
	return client, res, nil
}

func runSignin(ctx context.Context, s streams, o signinOptions) error {
	sess, err := openSession(ctx, s, o)
	if err != nil {
		return err
	}
	defer sess.close()
	res := sess.result
	who := whoami{
		UPN: res.Identity.UPN, Name: res.Identity.Name, TenantID: res.Identity.TenantID,
		ObjectID: res.Identity.ObjectID, Authority: sess.authority, Flow: string(res.Flow),
		Expires: res.Expiry.UTC().Format(time.RFC3339),
	}
	if o.asJSON {
		return json.NewEncoder(s.out).Encode(who)
	}
	_, err = fmt.Fprintf(s.out, "Signed in as %s (%s)\n  tenant id  %s\n  object id  %s\n  authority  %s\n", who.UPN, who.Name, who.TenantID, who.ObjectID, who.Authority)
	return err
}

// graphFor says where Graph is for an authority: a simulated tenant on loopback (over http, or
// https with --tls) serves its Graph-shaped API on the same base URL; each Microsoft cloud has
// its own Graph host.
func graphFor(authority *url.URL) (base string, simulated bool) {
	if (authority.Scheme == "http" || authority.Scheme == "https") && isLoopbackHost(authority.Hostname()) {
		return authority.Scheme + "://" + authority.Host, true
	}
	switch strings.ToLower(authority.Hostname()) {
	case "login.microsoftonline.us":
		return "https://graph.microsoft.us", false
	case "login.chinacloudapi.cn", "login.partner.microsoftonline.cn":
		return "https://microsoftgraph.chinacloudapi.cn", false
	}
	return graph.DefaultBaseURL, false
}

func findUser(t *tenant.Tenant, upn string) *tenant.User {
	for i := range t.Users {
		if upn != "" && strings.EqualFold(t.Users[i].UPN, upn) {
			return &t.Users[i]
		}
	}
	return nil
}

// addSigninFlags adds the sign-in flags every command that signs in shares.
func addSigninFlags(cmd *cobra.Command, o *signinOptions) {
	f := cmd.Flags()
	f.StringVar(&o.authority, "authority", "", "Entra authority URL, like login.microsoftonline.com/<tenant-guid> over https (default: the simulated tenant, in-process)")
	f.StringVar(&o.clientID, "client-id", "", "application (client) ID of a public client app registration")
	f.StringVar(&o.flow, "flow", "device", "sign-in flow: device (device code) or browser (auth code + PKCE)")
	f.BoolVar(&o.asJSON, "json", false, "print the result as one JSON object")
	f.StringVar(&o.user, "user", "", "UPN that must sign in (login hint, and the token cache key)")
	f.StringVar(&o.fixtures, "fixtures", "", "simulated tenant: directory of tenant fixtures (default: embedded demo)")
	f.StringVar(&o.tenant, "tenant", "", "simulated tenant: name or id of the tenant to sign in to (default: the first)")
	f.StringVar(&o.simAddr, "sim-addr", "127.0.0.1:0", "simulated tenant: address to serve on")
	f.DurationVar(&o.simInterval, "sim-interval", 5*time.Second, "simulated tenant: device code polling interval it asks for (whole seconds)")
	f.BoolVar(&o.simApprove, "sim-approve", false, "simulated tenant: approve the device code as --user with its fixture password (for scripts)")
	f.StringVar(&o.simData, "sim-data", "", "simulated tenant: keep its state (backups, restore flag, results) in this directory across runs")
	f.BoolVar(&o.simTLS, "sim-tls", false, "simulated tenant: serve https with the local CA (in --sim-data DIR/tls, or the user's config directory)")
	f.BoolVar(&o.noCache, "no-cache", false, "neither read nor write the token cache")
	f.StringVar(&o.responseMode, "response-mode", "query", "browser flow: how the code comes back, query or form_post")
	f.BoolVar(&o.noBrowser, "no-browser", false, "browser flow: print the sign-in URL instead of opening a browser")
	_ = cmd.RegisterFlagCompletionFunc("flow", cobra.FixedCompletions([]string{"device", "browser"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("response-mode", cobra.FixedCompletions([]string{"query", "form_post"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.MarkFlagDirname("fixtures")
	_ = cmd.MarkFlagDirname("sim-data")
}

func pickTenant(tenants []*tenant.Tenant, want string) (*tenant.Tenant, error) {
	if want == "" {
		return tenants[0], nil
	}
	var names []string
	for _, t := range tenants {
		if strings.EqualFold(t.ID, want) || strings.EqualFold(t.Name, want) {
			return t, nil
		}
		names = append(names, t.Name)
	}
	return nil, badInput("--tenant %q: no such simulated tenant (have: %s)", want, strings.Join(names, ", "))
}

func publicClientID(t *tenant.Tenant) string {
	for _, a := range t.Apps {
		if a.Public {
			return a.ClientID
		}
	}
	return ""
}

// approvedClock is the sign-in client's clock under --sim-approve: once the code is approved
// on the simulated tenant's page, which happens before the first poll, the client need not
// wait out Entra's polling interval (5 s) in real time; the poll that follows gets the tokens.
// The waits it skips are bounded, so a tenant that kept answering authorization_pending would
// be polled at the interval again, not in a loop.
type approvedClock struct {
	clock.Clock
	mu      sync.Mutex
	skipped int
	ok      bool
}

// approvedSkips is how many polling waits an approved sign-in skips.
const approvedSkips = 3

func (c *approvedClock) approve() {
	c.mu.Lock()
	c.ok = true
	c.mu.Unlock()
}

// Sleep returns at once after the approval, for the first approvedSkips waits; else it waits.
func (c *approvedClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	skip := c.ok && c.skipped < approvedSkips
	if skip {
		c.skipped++
	}
	c.mu.Unlock()
	if skip {
		return ctx.Err()
	}
	return c.Clock.Sleep(ctx, d)
}
