package replay

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/internal/redact"
	"github.com/oobe-dev/oobe/localca"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/restore/device"
	"github.com/oobe-dev/oobe/sim"
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
type TLS = sim.TLS

// NewTLS issues a certificate for 127.0.0.1 from ca (for a replay, one made by localca.New,
// which never touches the disk).
func NewTLS(ca *localca.CA) (*TLS, error) { return sim.NewTLS(ca) }

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
	// URL is the simulated tenant's base URL, on a loopback port that differs from run to run.
	URL string
}

// Live runs a scenario on a clock.Paced: the old PC's backups in no time, then the tenant and
// sign-in on the wall clock, the setup's own waits Speed times faster than real time.
type Live struct {
	Speed float64
	// Held keeps the run in virtual time with its person at the screen (sim.Held): nothing
	// waits for real, and the sign-in's polls wait until the person has acted on the device
	// code. For tests of the interactive runs.
	Held bool
}

// Run plays one scenario against a fresh simulated tenant on 127.0.0.1 and checks its
// expectations. Anything that stops the run from completing — the harness failing to start,
// the person unable to do what the steps say — is a failure of the report, never a panic.
func Run(ctx context.Context, sc *Scenario, opts Options) *Report {
	cancel := context.CancelFunc(func() {})
	if opts.Live == nil { // a person takes as long as they take
		ctx, cancel = context.WithTimeout(ctx, scenarioTimeout)
	}
	defer cancel()
	began := time.Now() // the wall clock, for JUnit's time only
	r := &run{sc: sc, opts: opts}
	rep := r.play(ctx)
	r.cleanup()
	rep.elapsed = time.Since(began)
	return rep
}

// scenarioTimeout bounds a scenario's wall-clock time, which is milliseconds: a request the
// tenant never answers (a harness or simulator bug) fails the scenario rather than hanging the
// run. One deadline for the whole scenario, not one per request (http.Client.Timeout), which
// costs every request a timer of its own, and a goroutine too when the transport is wrapped.
const scenarioTimeout = 5 * time.Minute

// run is one scenario's harness: its world, device directory and transcript.
type run struct {
	sc   *Scenario
	opts Options

	world  *sim.World
	tmp    string
	person *person
	events []Event // the replay's own, before the flow
	// redactor takes the password and the device code out of the report; nil until they are known.
	redactor *redact.Redactor
}

func (r *run) cleanup() {
	if r.world != nil {
		_ = r.world.Close() // the client's side first, then the listener and its connections
	}
	if r.tmp != "" {
		_ = os.RemoveAll(r.tmp)
	}
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

// Spec is the world the scenario plays in, on virtual time: its tenant alone, its device, its
// old PC, its faults and its own random stream. Callers add what a run chooses (keys, TLS,
// the clock, directories).
func (sc *Scenario) Spec() sim.Spec {
	spec := sim.Spec{
		Tenants:   []*sim.Tenant{sc.Tenant},
		ClientID:  sc.ClientID,
		User:      sc.User,
		Device:    &sc.Device,
		Start:     sc.Start,
		Autopilot: sim.Autopilot{DeviceNameTemplate: sc.Autopilot.DeviceNameTemplate, ESPTimeout: sc.Autopilot.ESPTimeout},
		Faults:    sim.Faults{Engine: sc.Faults.Engine, Endpoints: sc.Faults.Endpoints, AccessTokenLifetime: sc.Faults.AccessTokenLifetime},
		Rand:      seed(sc),

		FirstSignIn: sc.Steps.FirstSignIn != nil,
	}
	if sc.OldPC != nil {
		spec.OldPC = &sim.OldPC{Device: sc.OldPC.Device, Days: sc.OldPC.Days}
	}
	if sc.AdminDeletes != "" {
		spec.AdminDelete = &sim.AdminDelete{Admin: sc.AdminDeletes}
	}
	if n := sc.Steps.Network; !n.Wired {
		spec.WiFi = []sim.WiFi{{Network: oobe.Network{Name: n.SSID, Security: n.Security}, Passphrase: n.Password}}
	}
	return spec
}

// Person is the scenario's person in world w: it answers each screen from the steps, and
// acts on the tenant's sign-in pages over w's connections as a person with a browser would.
func (sc *Scenario) Person(w *sim.World) oobe.Person {
	return &person{sc: sc, base: w.URL(), http: w.Browser()}
}

// spec is the scenario's world for this run.
func (r *run) spec(keys []*rsa.PrivateKey) sim.Spec {
	spec := r.sc.Spec()
	spec.Keys, spec.TLS, spec.Dir, spec.Wrap = keys, r.opts.TLS, r.tmp, r.opts.wrap
	spec.Observe = func(e oobe.Event) {
		r.events = append(r.events, Event{At: e.At, Stage: e.Stage, Kind: e.Kind, Text: e.Text})
	}
	if l := r.opts.Live; l != nil {
		spec.Clock = sim.Clock{Mode: sim.Paced, Speed: l.Speed}
		if l.Held {
			spec.Clock = sim.Clock{Mode: sim.Held}
		}
	}
	return spec
}

func (r *run) play(ctx context.Context) *Report {
	sc := r.sc
	rep := &Report{Name: sc.Name, File: sc.File, Failures: []Failure{}, Transcript: []Event{}, start: sc.Start}
	harness := func(err error) *Report {
		r.redactor = redact.New(r.person.secrets(), redact.With("[redacted]"), redact.With("[token]"))
		rep.Failures = append(rep.Failures, Failure{Field: "run", Expected: "the scenario runs to the end of the flow", Got: r.scrub(err.Error())})
		rep.Outcome = Summary{Reasons: []string{}, Backups: []string{}, RestorePage: "hidden"}
		rep.Transcript = r.scrubEvents(r.events)
		rep.VirtualDuration = "0s"
		return rep
	}
	// The person's browser shares the world's connections once it has them.
	r.person = &person{sc: sc}
	if err := ctx.Err(); err != nil {
		return harness(err)
	}
	keys, err := sim.DemoKeys()
	if err != nil {
		return harness(fmt.Errorf("loading the shared signing keys: %w", err))
	}
	work := r.opts.WorkDir
	if work == "" {
		work = defaultWorkDir()
	}
	if r.tmp, err = os.MkdirTemp(work, "oobe-replay-*"); err != nil {
		return harness(fmt.Errorf("making the device directory: %w", err))
	}
	w, err := sim.Start(ctx, r.spec(keys))
	if err != nil {
		return harness(err)
	}
	r.world = w
	r.person.base, r.person.http = w.URL(), w.Browser()

	cfg := w.Config
	cfg.Person = r.person
	var out *oobe.Outcome
	var runErr error
	if r.opts.Drive != nil {
		out, runErr = r.opts.Drive(ctx, &Drive{Scenario: sc, Config: cfg, Approve: w.Approve, Secrets: r.person.secrets, URL: w.URL()})
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
		after, err := device.Open(w.DeviceDir())
		if err != nil {
			return harness(fmt.Errorf("reading the device back after the run: %w", err))
		}
		st = after.State
	}
	r.redactor = redact.New(r.person.secrets(), redact.With("[redacted]"), redact.With("[token]"))
	rep.Failures = check(sc, out, st)
	if runErr != nil {
		rep.Failures = append([]Failure{{Field: "run", Expected: "the flow runs to its end", Got: runErr.Error(), Stage: out.FinalStage}}, rep.Failures...)
	}
	for _, pr := range r.person.problemList() {
		rep.Failures = append(rep.Failures, Failure{Field: "steps.signIn", Expected: "the sign-in page answers as " + sc.Steps.SignInAction + " expects", Got: pr, Stage: oobe.StageSignIn})
	}
	// A fault that never fires tests nothing: a scenario that passes without it would keep
	// passing if the client stopped making the call the fault was written for.
	for _, f := range w.UnfiredFaults() {
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
	rep.duration = w.Clock().Now().Sub(sc.Start)
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

var (
	loopbackRE = regexp.MustCompile(`(127\.0\.0\.1|localhost|\[::1\]):\d+`)
	requestRE  = regexp.MustCompile(`(?i)(request-id|correlation id|trace id|correlation_id|trace_id)([ :="]+)[0-9a-f-]{36}`)
)

// tokensOnly redacts a report before the run knows its secrets: JWTs and secret fields.
var tokensOnly = redact.New(nil, redact.With("[redacted]"), redact.With("[token]"))

// scrub removes what must not be in a report, or would make it differ from run to run: the
// loopback ports, the device directory, tokens, secret fields, the password and the device
// code (internal/redact), and request ids. Most transcript lines hold none of them; cheap
// checks skip the regexps there.

func (r *run) scrub(s string) string {
	if r.tmp != "" && strings.Contains(s, r.tmp) {
		s = strings.ReplaceAll(s, r.tmp, "$DEVICES")
	}
	rd := r.redactor
	if rd == nil {
		rd = tokensOnly
	}
	s = rd.Redact(s)
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
