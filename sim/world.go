package sim

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/oobe/live"
	"github.com/oobe-dev/oobe/restore/device"
	"github.com/oobe-dev/oobe/restore/graph"
	"github.com/oobe-dev/oobe/restore/profile"
	"github.com/oobe-dev/oobe/tenant"
)

// World is a started Spec: the tenant serving, the device written, the old PC's backups made.
type World struct {
	// Config is the flow's wiring for the device, all but its Person and Observe, which are
	// the caller's. Its SignIn, Connect and Device are nil in a world without Spec.Device.
	Config oobe.Config

	spec     Spec
	tenant   *Tenant
	user     *User
	clientID string

	clock timeline
	srv   *tenant.Server
	hs    *http.Server  // the tenant's, on 127.0.0.1, when Spec.Addr is ""
	pipe  *pipeListener // the same server's in-memory door for the world's own clients, with hs
	url   string
	tr    http.RoundTripper
	hc    *http.Client
	dir   string
	owned bool // dir is the world's own temporary directory
	gate  *gate
}

// timeline is the world's clock: a *clock.Virtual, or a *clock.Paced for a person at the screen.
type timeline interface {
	clock.Clock
	Set(time.Time)
}

// Start builds the world spec describes. A world that fails to start is closed again; its
// error names the Spec field that is wrong, or the part that did not start.
func Start(ctx context.Context, spec Spec) (*World, error) {
	t, u, err := spec.check()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	w := &World{spec: spec, tenant: t, user: u, clientID: spec.ClientID}
	if w.clientID == "" {
		w.clientID = publicClient(t)
	}
	if err := w.start(ctx); err != nil {
		_ = w.Close()
		return nil, err
	}
	return w, nil
}

func (w *World) start(ctx context.Context) error {
	spec := &w.spec
	if spec.Start.IsZero() {
		spec.Start = time.Now()
	}
	start := spec.Start
	if spec.AdminDelete != nil {
		start = start.Add(-adminLead)
	}
	if spec.OldPC != nil {
		start = start.Add(-time.Duration(spec.OldPC.Days) * 24 * time.Hour)
	}
	var paced *clock.Paced
	switch spec.Clock.Mode {
	case Paced:
		paced = clock.NewPaced(start)
		w.clock = paced
	case Wall:
		wall := clock.NewPaced(time.Now())
		wall.Start()
		w.clock = wall
	default:
		w.clock = clock.NewVirtual(start)
	}
	// The sign-in's own clock: in a Held world its polls wait for the person, once the old PC
	// (which Approve signs in itself) is done.
	var signInClock clock.Clock = w.clock
	if spec.Clock.Mode == Held {
		w.gate = newGate(w.clock)
		signInClock = w.gate
	}
	var err error
	w.srv, err = tenant.New(tenant.Config{Tenants: spec.Tenants, Clock: w.clock, Rand: spec.Rand, Keys: spec.Keys,
		AccessTokenLifetime: spec.Faults.AccessTokenLifetime, DeviceCodeInterval: spec.DeviceCodeInterval,
		DataDir: spec.DataDir, Logger: spec.Logger, TLS: w.serverTLS()})
	if err != nil {
		return err
	}
	if err := w.serve(); err != nil {
		return err
	}
	w.tr = w.transport()
	w.hc = &http.Client{Transport: w.tr} // the caller's context bounds each request

	if spec.Device == nil && spec.OldPC == nil && spec.AdminDelete == nil {
		w.clock.Set(spec.Start)
		return w.addFaults()
	}
	if w.dir = spec.Dir; w.dir == "" {
		if w.dir, err = os.MkdirTemp("", "oobe-sim-*"); err != nil {
			return fmt.Errorf("making the device directory: %w", err)
		}
		w.owned = true
	}
	var created *device.Device
	if spec.Device != nil {
		if created, err = device.Init(w.DeviceDir(), *spec.Device); err != nil {
			return fmt.Errorf("creating the device: %w", err)
		}
	}
	// One app registration signs in on both PCs; each sign-in is its own.
	client, err := auth.New(ctx, auth.Config{Authority: w.Authority(), ClientID: w.clientID,
		Scopes: live.GraphScopes(), Clock: signInClock, HTTPClient: w.hc})
	if err != nil {
		return fmt.Errorf("the sign-in client: %w", err)
	}
	if spec.OldPC != nil {
		if err := w.oldPC(ctx, client); err != nil {
			return err
		}
	}
	if spec.AdminDelete != nil {
		if err := w.adminDelete(ctx); err != nil {
			return err
		}
	}
	w.clock.Set(spec.Start)
	var flowClock clock.Clock = w.clock
	if paced != nil {
		paced.Start()
		flowClock = paced.Fast(spec.Clock.Speed)
	}
	if err := w.addFaults(); err != nil {
		return err
	}
	if spec.Device == nil {
		return nil
	}
	if w.gate != nil {
		w.gate.arm()
	}
	// The device as Init wrote it: nothing else has written to its directory since.
	signIn := live.NewSignIn(client, signInClock)
	networks := []oobe.Network{{Name: "Ethernet", Wired: true}}
	for _, n := range spec.WiFi {
		networks = append(networks, n.Network)
	}
	w.Config = oobe.Config{
		Clock:   flowClock,
		SignIn:  signIn,
		Connect: signIn.Connect(live.CloudConfig{GraphURL: w.srv.URL(), HTTPClient: w.hc}),
		Device:  live.NewDevice(created),
		Faults:  spec.Faults.Engine,
		Branding: oobe.Branding{TenantName: w.tenant.Name, DeploymentMode: deploymentMode(spec.Device.Profile.Provisioning),
			DeviceNameTemplate: spec.Autopilot.DeviceNameTemplate},
		Networks:    networks,
		JoinNetwork: w.joinNetwork,
		ESPTimeout:  spec.Autopilot.ESPTimeout,
		FirstSignIn: spec.FirstSignIn,
	}
	return nil
}

func (w *World) addFaults() error {
	for _, f := range w.spec.Faults.Endpoints {
		if err := w.srv.Faults().Add(f); err != nil {
			return err
		}
	}
	return nil
}

// serverTLS is the tenant's own TLS, for a tenant served on Spec.Addr.
func (w *World) serverTLS() *tls.Config {
	if w.spec.Addr == "" || w.spec.TLS == nil {
		return nil
	}
	return w.spec.TLS.server
}

// serve starts serving the tenant: on Spec.Addr as oobe serve does, or on a free loopback port
// with a plain http.Server rather than httptest's, which tracks every connection's state and
// waits on each at Close: this one is closed only once the world's clients have let go.
func (w *World) serve() error {
	if addr := w.spec.Addr; addr != "" {
		if _, err := w.srv.Start(addr); err != nil {
			return fmt.Errorf("simulated tenant: cannot listen on %s: %w", addr, err)
		}
		w.url = w.srv.URL()
		return nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listening for the simulated tenant: %w", err)
	}
	w.hs = &http.Server{Handler: w.srv.Handler()}
	w.url = "http://" + ln.Addr().String()
	w.pipe = newPipeListener(ln.Addr())
	var pl net.Listener = w.pipe
	if t := w.spec.TLS; t != nil {
		ln, pl = tls.NewListener(ln, t.server), tls.NewListener(pl, t.server)
		w.url = "https://" + ln.Addr().String()
	}
	go func() { _ = w.hs.Serve(ln) }()
	go func() { _ = w.hs.Serve(pl) }()
	w.srv.SetBaseURL(w.url)
	return nil
}

// dialer makes the world's loopback connections.
var dialer = &net.Dialer{Timeout: 10 * time.Second}

// dialNoLinger dials and sets SO_LINGER 0 on the connection, so that closing it resets it
// instead of leaving it in TIME_WAIT for a minute. A replay opens and closes thousands of
// loopback connections; left in TIME_WAIT they slow every later bind on the machine and can
// use up its ephemeral ports. The connections are closed only when idle, at Close, so
// nothing in flight is lost.
func dialNoLinger(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := dialer.DialContext(ctx, network, addr)
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	return c, err
}

// transport is the world's connections to the tenant (and to the device's own loopback
// redirect). One per host, as over HTTP/2 to the real services: the restore page's concurrent
// profile reads take turns on it instead of dialing a connection each, which cost a scenario
// more than the reads themselves. Nothing holds a response open while it sends another
// request, so a turn always comes. Connections to the tenant served here go through its
// in-memory door (pipe.go); the rest (the auth code flow's loopback redirect, a tenant on
// Spec.Addr) are loopback sockets.
func (w *World) transport() http.RoundTripper {
	dial := dialNoLinger
	if p := w.pipe; p != nil {
		tenantAddr := p.Addr().String()
		dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr == tenantAddr {
				return p.dial(ctx)
			}
			return dialNoLinger(ctx, network, addr)
		}
	}
	tr := &http.Transport{DialContext: dial, MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}
	if w.spec.TLS != nil {
		tr.TLSClientConfig = w.spec.TLS.client
	}
	var t http.RoundTripper = tr
	if w.gate != nil {
		t = w.gate.watch(t)
	}
	if w.spec.Wrap != nil {
		t = w.spec.Wrap(t)
	}
	return t
}

// URL is where the tenant is served (http or https, on 127.0.0.1 unless Spec.Addr says otherwise).
func (w *World) URL() string { return w.url }

// Authority is the chosen tenant's Entra authority URL.
func (w *World) Authority() string { return w.srv.Authority(w.tenant.ID) }

// Tenant is the tenant the devices sign in to.
func (w *World) Tenant() *Tenant { return w.tenant }

// ClientID is the public client app the devices sign in with.
func (w *World) ClientID() string { return w.clientID }

// HTTP is the device's HTTP client, which trusts the world's CA: it does not follow redirects
// itself (auth refuses them), as the device's clients do not.
func (w *World) HTTP() *http.Client { return w.hc }

// Browser is a client like a person's browser: it shares the device's connections and follows
// redirects.
func (w *World) Browser() *http.Client { return &http.Client{Transport: w.tr} }

// Clock is the world's time: where its tenant's and the flow's clocks stand.
func (w *World) Clock() clock.Clock { return w.clock }

// DeviceDir is the device directory of Spec.Device, "" in a world without one.
func (w *World) DeviceDir() string {
	if w.dir == "" || w.spec.Device == nil {
		return ""
	}
	return filepath.Join(w.dir, "device")
}

// UnfiredFaults are the tenant faults of Spec.Faults.Endpoints that no request has reached.
func (w *World) UnfiredFaults() []Fault { return w.srv.Faults().Unfired() }

// Close stops the tenant and removes what the world wrote, but for Spec.Dir and Spec.DataDir.
func (w *World) Close() error {
	if w.hc != nil {
		w.hc.CloseIdleConnections() // first: the server's side closes without waiting on them
	}
	var errs []error
	if w.hs != nil {
		errs = append(errs, w.hs.Close())
	} else if w.srv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, w.srv.Shutdown(sctx))
		cancel()
	}
	if w.srv != nil {
		errs = append(errs, w.srv.Close())
	}
	if w.owned {
		errs = append(errs, os.RemoveAll(w.dir))
	}
	return errors.Join(errs...)
}

// note tells Spec.Observe one of the world's own events.
func (w *World) note(kind oobe.EventKind, text string) {
	if w.spec.Observe != nil {
		w.spec.Observe(oobe.Event{At: w.clock.Now(), Stage: StageOldPC, Kind: kind, Text: text})
	}
}

// deploymentMode is the Autopilot profile's deployment mode for a device's provisioning; ""
// (the engine's default, user-driven) for a device not set up by Autopilot.
func deploymentMode(provisioning string) string {
	switch provisioning {
	case profile.ProvisioningUserDriven, profile.ProvisioningSelfDeploying, profile.ProvisioningPreProvisioned:
		return provisioning
	}
	return ""
}

// oldPC backs up Spec.OldPC on Windows' 8-day schedule for its days, as Spec.User, before
// setup starts: it signs in with the device code flow (approved on the tenant's page) and
// uploads each backup through the simulator's upload endpoint.
func (w *World) oldPC(ctx context.Context, client *auth.Client) error {
	old := w.spec.OldPC
	dir := filepath.Join(w.dir, "old-pc")
	if _, err := device.Init(dir, old.Device); err != nil {
		return fmt.Errorf("creating the old PC: %w", err)
	}
	name := old.Device.Profile.Name
	if err := device.CanBackUp(&old.Device); err != nil {
		w.note(oobe.EventWarning, fmt.Sprintf("%s makes no backups: %v", name, err))
		return nil
	}
	signIn := live.NewSignIn(client, w.clock)
	var approve error
	sess, err := signIn.DeviceCode(ctx, func(p auth.DeviceCodePrompt) { approve = w.Approve(ctx, p) })
	if err != nil {
		if approve != nil {
			err = fmt.Errorf("%w (%v)", err, approve)
		}
		return fmt.Errorf("signing %s in on the old PC: %w", w.user.UPN, err)
	}
	gc, err := graph.New(graph.Config{BaseURL: w.srv.URL(), Token: signIn.Token, HTTPClient: w.hc, Clock: w.clock})
	if err != nil {
		return err
	}
	w.note(oobe.EventInfo, fmt.Sprintf("%s (%s) signed in as %s; backing up every 8 days for %d days",
		name, old.Device.Profile.OS, sess.Identity.UPN, old.Days))
	owner := backup.Owner{TenantID: sess.Identity.TenantID, ObjectID: sess.Identity.ObjectID}
	send := func(ctx context.Context, up *backup.Upload) error {
		if err := gc.Upload(ctx, *up); err != nil {
			return fmt.Errorf("uploading the old PC's backup: %w", err)
		}
		w.note(oobe.EventInfo, fmt.Sprintf("%s backed up", name))
		return nil
	}
	until := w.spec.Start
	if w.spec.AdminDelete != nil {
		until = until.Add(-adminLead)
	}
	if _, err := (device.Schedule{}).RunUntil(ctx, w.clock, dir, owner, send, until); err != nil {
		return fmt.Errorf("the old PC's backups: %w", err)
	}
	return nil
}

// joinNetwork is the access points of Spec.WiFi: a secured network with a passphrase takes
// that one only.
func (w *World) joinNetwork(n oobe.Network, passphrase string) error {
	for _, ap := range w.spec.WiFi {
		if ap.Name == n.Name && n.Secured() && ap.Passphrase != "" && passphrase != ap.Passphrase {
			return oobe.ErrWrongNetworkKey
		}
	}
	return nil
}
