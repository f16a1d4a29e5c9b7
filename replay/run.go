package replay

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/fixtures"
	"github.com/oobe-dev/oobe/localca"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/oobe/live"
	"github.com/oobe-dev/oobe/restore/device"
	"github.com/oobe-dev/oobe/restore/graph"
	"github.com/oobe-dev/oobe/restore/profile"
	"github.com/oobe-dev/oobe/tenant"
)

// Options tune a run of scenarios.
type Options struct {
	// Parallel is how many scenarios run at once; 0 means runtime.NumCPU().
	Parallel int
	// WorkDir holds the temporary device directories. "" means /dev/shm on Linux when it can
	// be written (memory: the device store's fsyncs cost nothing there, and a replayed device
	// is thrown away anyway), else the system's temp directory.
	WorkDir string
	// Drive, when set, runs the flow in place of oobe.Run: the terminal UI does, turning the
	// scenario's steps into key presses or leaving them to a person at the keyboard.
	Drive Driver
	// Live, when set, runs the scenario for a person at the screen instead of in virtual time:
	// see Live.
	Live *Live

	// TLS, when set, serves every scenario's tenant over https with its one certificate, and
	// the device's clients trust its CA alone, as Microsoft's libraries need an https authority.
	TLS *TLS

	// wrap, in tests and benchmarks, wraps the HTTP transport the device's clients use.
	wrap func(http.RoundTripper) http.RoundTripper
}

// TLS is what a run over https shares between its scenarios: one server certificate for
// 127.0.0.1 and the CA that issued it. Make it once per run: a certificate costs a key and a
// signature, a handshake only a signature.
type TLS struct {
	server *tls.Config
	client *tls.Config
}

// NewTLS issues a certificate for 127.0.0.1 from ca (for a replay, one made by localca.New,
// which never touches the disk).
func NewTLS(ca *localca.CA) (*TLS, error) {
	server, err := ca.ServerTLS()
	if err != nil {
		return nil, fmt.Errorf("the replay's server certificate: %w", err)
	}
	return &TLS{server: server, client: ca.ClientTLS()}, nil
}

// Driver runs a scenario's flow in place of oobe.Run and returns what oobe.Run would.
type Driver func(ctx context.Context, d *Drive) (*oobe.Outcome, error)

// Drive is what a Driver gets: the scenario and the flow's wiring, all made by the harness.
type Drive struct {
	Scenario *Scenario
	// Config is the flow's wiring; its Person answers from the scenario's steps.
	Config oobe.Config
	// Approve approves a device code on the simulated tenant's sign-in page as the scenario's
	// user, with their password: the presenter's key on the sign-in screen.
	Approve func(ctx context.Context, p auth.DeviceCodePrompt) error
	// Secrets are what the report leaves out so far: the password (and the wrong one the
	// steps may type) and the device code once it is shown. Recordings of the run mask them.
	Secrets func() []string
}

// Live runs a scenario on a clock.Paced: the old PC's backups in no time, then the tenant and
// sign-in on the wall clock, the setup's own waits Speed times faster than real time.
type Live struct {
	Speed float64
}

// timeline is the harness's clock: a *clock.Virtual, or a *clock.Paced for a live run.
type timeline interface {
	clock.Clock
	Set(time.Time)
}

// Scopes the device signs in with.
var signInScopes = live.GraphScopes()

// sharedKeys sign for every inline tenant: the demo tenant's fixture keys, parsed once, so a
// thousand scenarios do not generate two thousand RSA keys.
var sharedKeys = sync.OnceValues(func() ([]*rsa.PrivateKey, error) {
	var keys []*rsa.PrivateKey
	for _, name := range []string{"keys/contoso-1.pem", "keys/contoso-2.pem"} {
		data, err := fs.ReadFile(fixtures.Demo(), name)
		if err != nil {
			return nil, err
		}
		k, err := tenant.ParseRSAKey(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
})

// Run plays one scenario against a fresh simulated tenant on 127.0.0.1 and checks its
// expectations. Anything that stops the run from completing — the harness failing to start,
// the person unable to do what the steps say — is a failure of the report, never a panic.
func Run(ctx context.Context, sc *Scenario, opts Options) *Report {
	cancel := context.CancelFunc(func() {})
	if opts.Live == nil { // a person takes as long as they take
		ctx, cancel = context.WithTimeout(ctx, scenarioTimeout)
	}
	defer cancel()
	r := &run{sc: sc, opts: opts}
	rep := r.play(ctx)
	r.cleanup()
	return rep
}

// scenarioTimeout bounds a scenario's wall-clock time, which is milliseconds: a request the
// tenant never answers (a harness or simulator bug) fails the scenario rather than hanging the
// run. One deadline for the whole scenario, not one per request (http.Client.Timeout), which
// costs every request a timer of its own, and a goroutine too when the transport is wrapped.
const scenarioTimeout = 5 * time.Minute

// run is one scenario's harness: its tenant, clock, device and transcript.
type run struct {
	sc   *Scenario
	opts Options

	clock  timeline
	srv    *tenant.Server
	hs     *http.Server // the tenant's, on 127.0.0.1
	url    string       // where hs listens
	tmp    string
	devDir string
	hc     *http.Client
	person *person
	events []Event // the replay's own, before the flow
	// secrets are what scrub takes out of the report: the password and the device code.
	secrets []string
}

func (r *run) cleanup() {
	if r.hc != nil {
		r.hc.CloseIdleConnections()
	}
	if r.hs != nil {
		_ = r.hs.Close() // the listener and the connections; the client closed its side first
	}
	if r.srv != nil {
		_ = r.srv.Close()
	}
	if r.tmp != "" {
		_ = os.RemoveAll(r.tmp)
	}
}

func (r *run) note(stage oobe.Stage, kind oobe.EventKind, text string) {
	r.events = append(r.events, Event{At: r.clock.Now(), Stage: stage, Kind: kind, Text: text})
}

// defaultWorkDir is where device directories go when Options.WorkDir is "".
var defaultWorkDir = sync.OnceValue(func() string {
	if runtime.GOOS != "linux" {
		return ""
	}
	dir, err := os.MkdirTemp("/dev/shm", "oobe-replay-probe-*")
	if err != nil {
		return ""
	}
	_ = os.Remove(dir)
	return "/dev/shm"
})

// seed is the scenario's own random stream for the tenant's codes and ids, so its runs match.
func seed(sc *Scenario) *rand.ChaCha8 {
	return rand.NewChaCha8(sha256.Sum256([]byte("oobe replay\x00" + sc.Rel + "\x00" + sc.Name)))
}

// dialer makes the device's loopback connections.
var dialer = &net.Dialer{Timeout: 10 * time.Second}

// dialNoLinger dials and sets SO_LINGER 0 on the connection, so that closing it resets it
// instead of leaving it in TIME_WAIT for a minute. A replay opens and closes thousands of
// loopback connections; left in TIME_WAIT they slow every later bind on the machine and can
// use up its ephemeral ports. The connections are closed only when idle, at the end of a
// scenario, so nothing in flight is lost.
func dialNoLinger(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := dialer.DialContext(ctx, network, addr)
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	return c, err
}

// transport is the device's connections to the tenant (and to its own loopback redirect). One
// per host, as over HTTP/2 to the real services: the restore page's concurrent profile reads
// take turns on it instead of dialing a connection each, which cost a scenario more than the
// reads themselves. Nothing holds a response open while it sends another request, so a turn
// always comes.
func (r *run) transport() http.RoundTripper {
	tr := &http.Transport{DialContext: dialNoLinger, MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}
	if r.opts.TLS != nil {
		tr.TLSClientConfig = r.opts.TLS.client
	}
	var t http.RoundTripper = tr
	if r.opts.wrap != nil {
		t = r.opts.wrap(t)
	}
	return t
}

func (r *run) play(ctx context.Context) *Report {
	sc := r.sc
	rep := &Report{Name: sc.Name, File: sc.File, Failures: []Failure{}, Transcript: []Event{}, start: sc.Start}
	harness := func(err error) *Report {
		if r.person != nil {
			r.secrets = r.person.secrets()
		}
		rep.Failures = append(rep.Failures, Failure{Field: "run", Expected: "the scenario runs to the end of the flow", Got: r.scrub(err.Error())})
		rep.Outcome = Summary{Reasons: []string{}, Backups: []string{}, RestorePage: "hidden"}
		rep.Transcript = r.scrubEvents(r.events)
		rep.VirtualDuration = "0s"
		return rep
	}
	if err := ctx.Err(); err != nil {
		return harness(err)
	}
	start := sc.Start
	if sc.OldPC != nil {
		start = start.Add(-time.Duration(sc.OldPC.Days) * 24 * time.Hour)
	}
	var paced *clock.Paced
	if r.opts.Live != nil {
		paced = clock.NewPaced(start)
		r.clock = paced
	} else {
		r.clock = clock.NewVirtual(start)
	}
	keys, err := sharedKeys()
	if err != nil {
		return harness(fmt.Errorf("loading the shared signing keys: %w", err))
	}
	r.srv, err = tenant.New(tenant.Config{Tenants: []*tenant.Tenant{sc.Tenant}, Clock: r.clock, Rand: seed(sc),
		Keys: keys, AccessTokenLifetime: sc.Faults.AccessTokenLifetime})
	if err != nil {
		return harness(err)
	}
	// A plain http.Server rather than httptest's, which tracks every connection's state and
	// waits on each at Close: this one is closed only once its client has let go.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return harness(fmt.Errorf("listening for the simulated tenant: %w", err))
	}
	r.hs = &http.Server{Handler: r.srv.Handler()}
	r.url = "http://" + ln.Addr().String()
	if t := r.opts.TLS; t != nil {
		ln = tls.NewListener(ln, t.server)
		r.url = "https://" + ln.Addr().String()
	}
	go func() { _ = r.hs.Serve(ln) }()
	r.srv.SetBaseURL(r.url)
	tr := r.transport()
	r.hc = &http.Client{Transport: tr} // the scenario's context bounds each request (scenarioTimeout)
	// The person's browser shares the connections; it follows redirects, the device's
	// clients do not (auth refuses them).
	r.person = &person{sc: sc, base: r.url, http: &http.Client{Transport: tr}}

	work := r.opts.WorkDir
	if work == "" {
		work = defaultWorkDir()
	}
	if r.tmp, err = os.MkdirTemp(work, "oobe-replay-*"); err != nil {
		return harness(fmt.Errorf("making the device directory: %w", err))
	}
	r.devDir = filepath.Join(r.tmp, "device")
	created, err := device.Init(r.devDir, sc.Device)
	if err != nil {
		return harness(fmt.Errorf("creating the device: %w", err))
	}
	// One app registration signs in on both PCs; each sign-in is its own.
	client, err := auth.New(ctx, auth.Config{Authority: r.srv.Authority(sc.Tenant.ID), ClientID: sc.ClientID,
		Scopes: signInScopes, Clock: r.clock, HTTPClient: r.hc})
	if err != nil {
		return harness(fmt.Errorf("the sign-in client: %w", err))
	}
	if sc.OldPC != nil {
		if err := r.oldPC(ctx, client); err != nil {
			return harness(err)
		}
	}
	r.clock.Set(sc.Start)
	var flowClock clock.Clock = r.clock
	if paced != nil {
		paced.Start()
		flowClock = paced.Fast(r.opts.Live.Speed)
	}
	for _, f := range sc.Faults.Endpoints {
		if err := r.srv.Faults().Add(f); err != nil {
			return harness(err)
		}
	}

	// The device as Init wrote it: nothing else has written to its directory since.
	dev := live.NewDevice(created)
	signIn := live.NewSignIn(client, r.clock)
	networks := []oobe.Network{{Name: "Ethernet", Wired: true}}
	if n := sc.Steps.Network; !n.Wired {
		networks = append(networks, oobe.Network{Name: n.SSID, Security: n.Security})
	}
	cfg := oobe.Config{
		Clock:   flowClock,
		SignIn:  signIn,
		Connect: signIn.Connect(live.CloudConfig{GraphURL: r.srv.URL(), HTTPClient: r.hc}),
		Device:  dev,
		Person:  r.person,
		Faults:  sc.Faults.Engine,
		Branding: oobe.Branding{TenantName: sc.Tenant.Name, DeploymentMode: deploymentMode(sc.Device.Profile.Provisioning),
			DeviceNameTemplate: sc.Autopilot.DeviceNameTemplate},
		Networks:   networks,
		ESPTimeout: sc.Autopilot.ESPTimeout,
	}
	var out *oobe.Outcome
	var runErr error
	if r.opts.Drive != nil {
		out, runErr = r.opts.Drive(ctx, &Drive{Scenario: sc, Config: cfg, Approve: r.approve, Secrets: r.person.secrets})
	} else {
		out, runErr = oobe.Run(ctx, cfg)
	}
	if out == nil {
		if runErr == nil {
			runErr = errors.New("the flow returned no outcome")
		}
		return harness(runErr)
	}
	var st *device.State
	if len(sc.Expect.Device) > 0 {
		after, err := device.Open(r.devDir)
		if err != nil {
			return harness(fmt.Errorf("reading the device back after the run: %w", err))
		}
		st = after.State
	}
	r.secrets = r.person.secrets()
	rep.Failures = check(sc, out, st)
	if runErr != nil {
		rep.Failures = append([]Failure{{Field: "run", Expected: "the flow runs to its end", Got: runErr.Error(), Stage: out.FinalStage}}, rep.Failures...)
	}
	for _, pr := range r.person.problemList() {
		rep.Failures = append(rep.Failures, Failure{Field: "steps.signIn", Expected: "the sign-in page answers as " + sc.Steps.SignInAction + " expects", Got: pr, Stage: oobe.StageSignIn})
	}
	// A fault that never fires tests nothing: a scenario that passes without it would keep
	// passing if the client stopped making the call the fault was written for.
	for _, f := range r.srv.Faults().Unfired() {
		rep.Failures = append(rep.Failures, Failure{Field: "faults", Expected: fmt.Sprintf("the %s fault at %s fires", f.Kind, f.Endpoint), Got: "no request reached " + f.Endpoint})
	}
	for _, f := range out.UnfiredFaults { // the flow warns of each as it ends
		rep.Failures = append(rep.Failures, Failure{Field: "faults", Expected: "every engine fault fires", Got: f.NotFired(), Stage: out.FinalStage})
	}
	for i := range rep.Failures {
		rep.Failures[i].Got = r.scrub(rep.Failures[i].Got)
	}
	if rep.Failures == nil {
		rep.Failures = []Failure{}
	}
	rep.Passed = len(rep.Failures) == 0
	rep.duration = r.clock.Now().Sub(sc.Start)
	rep.VirtualDuration = rep.duration.String()
	rep.Outcome = summarize(out)
	rep.Outcome.Error = r.scrub(rep.Outcome.Error)
	events := make([]Event, 0, len(r.events)+len(out.Transcript))
	events = append(events, r.events...)
	for _, e := range out.Transcript {
		ev := Event{At: e.At, Stage: e.Stage, Kind: e.Kind, Text: e.Text}
		if e.Detail != nil {
			if raw, err := json.Marshal(e.Detail); err == nil {
				ev.Detail = raw
			}
		}
		events = append(events, ev)
	}
	rep.Transcript = r.scrubInPlace(events)
	return rep
}

// approve approves a device code on the simulated tenant's page as the scenario's user.
func (r *run) approve(ctx context.Context, p auth.DeviceCodePrompt) error {
	if !r.person.onSim(p.VerificationURI) {
		return fmt.Errorf("the verification page %s is not the simulated tenant's", p.VerificationURI)
	}
	status, page, err := r.person.post(ctx, p.VerificationURI, url.Values{
		"user_code": {p.UserCode}, "username": {r.sc.User}, "password": {r.sc.Password}, "action": {"approve"}})
	if err != nil {
		return fmt.Errorf("approving on the sign-in page: %w", err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("the sign-in page answered HTTP %d%s", status, pageError(page))
	}
	return nil
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

// oldPC backs up the scenario's old PC on Windows' 8-day schedule for its days, as the user,
// before the flow starts: it signs in with the device code flow (approved on the tenant's
// page) and uploads each backup through the simulator's upload endpoint.
func (r *run) oldPC(ctx context.Context, client *auth.Client) error {
	sc := r.sc
	dir := filepath.Join(r.tmp, "old-pc")
	if _, err := device.Init(dir, sc.OldPC.Device); err != nil {
		return fmt.Errorf("creating the old PC: %w", err)
	}
	name := sc.OldPC.Device.Profile.Name
	if err := device.CanBackUp(&sc.OldPC.Device); err != nil {
		r.note(StageOldPC, oobe.EventWarning, fmt.Sprintf("%s makes no backups: %v", name, err))
		return nil
	}
	signIn := live.NewSignIn(client, r.clock)
	var approve error
	sess, err := signIn.DeviceCode(ctx, func(p auth.DeviceCodePrompt) { approve = r.approve(ctx, p) })
	if err != nil {
		if approve != nil {
			err = fmt.Errorf("%w (%v)", err, approve)
		}
		return fmt.Errorf("signing %s in on the old PC: %w", sc.User, err)
	}
	gc, err := graph.New(graph.Config{BaseURL: r.srv.URL(), Token: signIn.Token, HTTPClient: r.hc, Clock: r.clock})
	if err != nil {
		return err
	}
	r.note(StageOldPC, oobe.EventInfo, fmt.Sprintf("%s (%s) signed in as %s; backing up every 8 days for %d days",
		name, sc.OldPC.Device.Profile.OS, sess.Identity.UPN, sc.OldPC.Days))
	owner := backup.Owner{TenantID: sess.Identity.TenantID, ObjectID: sess.Identity.ObjectID}
	send := func(ctx context.Context, up *backup.Upload) error {
		if err := gc.Upload(ctx, *up); err != nil {
			return fmt.Errorf("uploading the old PC's backup: %w", err)
		}
		r.note(StageOldPC, oobe.EventInfo, fmt.Sprintf("%s backed up", name))
		return nil
	}
	if _, err := (device.Schedule{}).RunUntil(ctx, r.clock, dir, owner, send, sc.Start); err != nil {
		return fmt.Errorf("the old PC's backups: %w", err)
	}
	return nil
}

var (
	jwtRE      = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)
	loopbackRE = regexp.MustCompile(`(127\.0\.0\.1|localhost|\[::1\]):\d+`)
	requestRE  = regexp.MustCompile(`(?i)(request-id|correlation id|trace id|correlation_id|trace_id)([ :="]+)[0-9a-f-]{36}`)
)

// scrub removes what must not be in a report, or would make it differ from run to run: the
// loopback ports, the device directory, tokens, the password and the device code, and
// request ids. Most transcript lines hold none of them; cheap checks skip the regexps there.
func (r *run) scrub(s string) string {
	if r.tmp != "" && strings.Contains(s, r.tmp) {
		s = strings.ReplaceAll(s, r.tmp, "$DEVICES")
	}
	for _, secret := range r.secrets {
		// Shorter ones would garble ordinary words; none is that short.
		if len(secret) >= 6 && strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	if strings.Contains(s, "eyJ") {
		s = jwtRE.ReplaceAllString(s, "[token]")
	}
	if strings.Contains(s, "127.0.0.1:") || strings.Contains(s, "localhost:") || strings.Contains(s, "[::1]:") {
		s = loopbackRE.ReplaceAllString(s, "$1:PORT")
	}
	if strings.ContainsAny(s, "dD") && containsAnyFold(s, "request-id", "correlation", "trace") {
		s = requestRE.ReplaceAllString(s, "$1$2[id]")
	}
	return s
}

// containsFold reports whether s contains sub, a lower-case ASCII word, ignoring ASCII case,
// without lowering a copy of s.
func containsFold(s, sub string) bool { return containsAnyFold(s, sub) }

// containsAnyFold reports whether s contains any of words (lower-case ASCII, not empty),
// ignoring ASCII case, in one pass over s. It is scrub's quick test before requestRE: the two
// letters outside ASCII that lower into it (İ to i, the Kelvin sign to k) are not folded by
// requestRE's (?i) either, so a text it misses because of them is one requestRE leaves alone.
func containsAnyFold(s string, words ...string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20 // an ASCII letter in lower case; nothing else becomes one
		for _, w := range words {
			if c == w[0] && len(s)-i >= len(w) && hasPrefixFold(s[i+1:], w[1:]) {
				return true
			}
		}
	}
	return false
}

// hasPrefixFold reports whether s starts with prefix (lower-case ASCII), ignoring ASCII case.
func hasPrefixFold(s, prefix string) bool {
	for j := 0; j < len(prefix); j++ {
		c := s[j]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[j] {
			return false
		}
	}
	return true
}

func (r *run) scrubEvents(events []Event) []Event {
	out := make([]Event, len(events)) // never nil: a report's transcript is a list
	copy(out, events)
	return r.scrubInPlace(out)
}

// scrubInPlace scrubs events, a slice of the caller's own, and returns it.
func (r *run) scrubInPlace(events []Event) []Event {
	for i := range events {
		e := &events[i]
		e.Text = r.scrub(e.Text)
		if e.Detail != nil {
			raw := string(e.Detail)
			if scrubbed := r.scrub(raw); scrubbed != raw { // most details hold nothing to scrub
				e.Detail = json.RawMessage(scrubbed)
				if !json.Valid(e.Detail) {
					e.Detail = nil
				}
			}
		}
	}
	return events
}
