package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/internal/when"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/oobe/live"
	"github.com/oobe-dev/oobe/oobe/tui"
	"github.com/oobe-dev/oobe/oobe/tui/accessible"
	"github.com/oobe-dev/oobe/replay"
	"github.com/oobe-dev/oobe/restore/device"
	"github.com/oobe-dev/oobe/restore/profile"
	"github.com/oobe-dev/oobe/sim"
)

type runOptions struct {
	scenario   string
	device     string
	demo       bool
	loop       bool
	pace       time.Duration
	speed      float64
	authority  string
	clientID   string
	accessible bool
	noColor    bool
	simTLS     bool
	// firstSignIn goes on past the desktop to the user's first sign-in after setup.
	firstSignIn bool
	// asJSON prints the run's summary as one JSON object instead of its text.
	asJSON bool
}

// The demo `oobe` runs with no flags: the embedded Contoso tenant, Adele, and a new Windows 11
// 24H2 laptop that can restore her previous PCs.
const (
	demoName   = "Demo — Adele sets up her new PC"
	demoTenant = "contoso"
	demoUser   = "adele.vance@contoso.com"
)

// demoDevice is the demo's new laptop.
var demoDevice = profile.DeviceProfile{OS: "10.0.26100.4946", Edition: "Enterprise", Join: profile.JoinEntra,
	Provisioning: profile.ProvisioningUserDriven, Architecture: "x64", Name: "DESKTOP-7Q2M4KX"}

const runLong = `Walk through a Windows Autopilot user-driven setup in a full-screen terminal UI:
region, keyboard, network, the Autopilot sign-in, enrollment, the restore page, the
Enrollment Status Page and the desktop, restoring one of the user's previous PCs.
With --first-sign-in it goes on to the user's first sign-in after setup, where Windows
may offer the same restore page again (a PC that setup could not restore, with the
device policy Enable Windows Restore on), and ends at the desktop again.

With no flags it runs against the embedded demo tenant (Contoso) with a new Windows 11
24H2 PC. On the sign-in screen, Ctrl+A approves the code as the demo user
(adele.vance@contoso.com, password Restore-2026!), or open the verification page in a
browser and sign in there.

The setup's own waits (the ESP's minutes) pass --speed times faster than on a real PC;
sign-in keeps real time. Logs (JSON) go to the state directory
($XDG_STATE_HOME/oobe, or ~/.local/state/oobe), never to the screen; a plain-text
summary is printed to stdout when the UI exits (with --json, the same summary as one
JSON object: oobe.Summary, docs/tui.md).

Exit status: 0 at the desktop, 1 when setup failed, 2 for bad flags or files, 130 when quit.`

func addRunFlags(cmd *cobra.Command, o *runOptions) {
	f := cmd.Flags()
	f.StringVar(&o.scenario, "scenario", "", "take the tenant, device, user and faults from a scenario file (docs/scenarios.md)")
	f.StringVar(&o.device, "device", "", "the device being set up, from a device profile file (as oobe check --device)")
	f.BoolVar(&o.demo, "demo", false, "advance by itself, choosing as the scenario's steps say, for unattended demos")
	f.BoolVar(&o.loop, "loop", false, "with --demo: start again from the first screen when the demo reaches the desktop or fails, until quit (a booth)")
	f.DurationVar(&o.pace, "pace", 3*time.Second, "with --demo: how long each screen waits before it is answered")
	f.Float64Var(&o.speed, "speed", 30, "how many times faster than a real PC the setup's own waits pass (1 = real time)")
	f.StringVar(&o.authority, "authority", "", "a real Entra authority, like login.microsoftonline.com/<tenant-guid> over https (with --client-id)")
	f.StringVar(&o.clientID, "client-id", "", "the public client app to sign in with, on a real tenant")
	f.BoolVar(&o.accessible, "accessible", false, "plain line prompts for screen readers instead of the full-screen UI (also ACCESSIBLE=1)")
	f.BoolVar(&o.noColor, "no-color", false, "draw without colours (also NO_COLOR=1)")
	f.BoolVar(&o.simTLS, "sim-tls", false, "serve the simulated tenant over https with the local CA (in the user's config directory)")
	f.BoolVar(&o.asJSON, "json", false, "print the run's summary on stdout as one JSON object instead of its text")
	f.BoolVar(&o.firstSignIn, "first-sign-in", false, "go on past the desktop to the user's first sign-in after setup, where Windows may offer restore again (a scenario's steps.firstSignIn does too)")
	_ = cmd.MarkFlagFilename("scenario", "yaml", "yml")
	_ = cmd.MarkFlagFilename("device", "yaml", "yml", "json")
}

func newRunCmd(s streams) *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Walk through the Autopilot setup and restore in the terminal UI (the default command)",
		Long:  runLong,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTUI(cmd.Context(), s, o)
		},
	}
	addRunFlags(cmd, &o)
	return cmd
}

// runTUI checks the flags and runs the setup against the simulated tenant or a real one.
func runTUI(ctx context.Context, s streams, o runOptions) error {
	switch {
	case o.speed < 1:
		return badInput("--speed %v: want 1 (real time) or more", o.speed)
	case o.pace <= 0:
		return badInput("--pace %s: want a positive duration, e.g. 3s", o.pace)
	case (o.authority == "") != (o.clientID == ""):
		return badInput("--authority and --client-id go together: a real tenant and the app registered in it")
	case o.authority != "" && o.scenario != "":
		return badInput("--scenario runs on the simulated tenant; drop it with --authority")
	case o.authority != "" && o.demo:
		return badInput("--demo runs on the simulated tenant, where it can sign in by itself; drop it with --authority")
	case o.authority != "" && o.simTLS:
		return badInput("--sim-tls is for the simulated tenant; drop it with --authority")
	case o.loop && !o.demo:
		return badInput("--loop repeats a demo; use it with --demo")
	}
	o.accessible = o.accessible || truthy(s.env("ACCESSIBLE"))
	o.noColor = o.noColor || s.env("NO_COLOR") != ""

	// The run's start names its log: today, or the date a scenario fixes for its world.
	start := runNow(s)
	var sc *datedScenario
	if o.authority == "" {
		var err error
		if sc, err = runScenario(o, start); err != nil {
			return err
		}
		start = sc.Start
	}
	logger, logPath, closeLog, err := openRunLog(s, start)
	if err != nil {
		return err
	}
	defer closeLog()
	var out *oobe.Outcome
	logsDir := filepath.Dir(logPath) // Collect logs writes beside the run's log
	if o.authority != "" {
		out, err = runReal(ctx, s, o, logger, logsDir)
	} else {
		out, err = runSimulated(ctx, s, o, sc, logger, logsDir)
	}
	if out != nil {
		if werr := writeSummary(s.out, out, logPath, o.asJSON); werr != nil && err == nil {
			err = werr
		}
	}
	switch {
	case errors.Is(err, tui.ErrQuit):
		return &exitError{code: 130, err: errQuiet}
	case err != nil:
		return err
	case out != nil && (out.FinalStage != oobe.StageDesktop || out.Interrupted):
		return &exitError{code: 1, err: errQuiet}
	}
	return nil
}

// needTerminal refuses the full-screen UI without a terminal to read keys from (a pipe,
// /dev/null, a service): the accessible mode reads answers from any input.
func needTerminal(s streams, o runOptions) error {
	if o.accessible || stdinIsTerminal(s.in) {
		return nil
	}
	return badInput("standard input is not a terminal, so the full-screen setup cannot run here: use --accessible (or ACCESSIBLE=1) for plain line prompts that read answers from any input")
}

func truthy(v string) bool {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// runNow is the wall clock's now, or the test's clock's.
func runNow(s streams) time.Time {
	if s.clock != nil {
		return s.clock.Now()
	}
	return time.Now()
}

// datedScenario is a scenario as a live run plays it: on today's date, its backups dated
// relative to it, unless the scenario's file fixes its start.
type datedScenario struct {
	*replay.Scenario
	// FixedDate is whether the file's start: fixed the date, which the run then keeps.
	FixedDate bool
}

// runScenario is the scenario the simulated run plays: --scenario's, or the demo's with
// --device's profile, on today's date (now) unless its file fixes one. Its fixtures' backup
// dates, written for replay.DefaultStart, move with the date (sim.Rebase): the backup "3 days
// ago" in a replay is 3 days before today in a live run. Replays never come here: they keep
// their virtual clock and fixed dates.
func runScenario(o runOptions, now time.Time) (*datedScenario, error) {
	sc, err := loadRunScenario(o)
	if err != nil {
		return nil, err
	}
	d := &datedScenario{Scenario: sc, FixedDate: fixesDate(sc)}
	if !d.FixedDate {
		moved := sim.Rebase([]*sim.Tenant{sc.Tenant}, sc.Start, now)
		d.Tenant, d.Start = moved[0], now.UTC()
	}
	return d, nil
}

// fixesDate is whether a scenario's file gives its start (start: at its top); the demo and
// a file without one start at replay.DefaultStart, a date only replays need.
func fixesDate(sc *replay.Scenario) bool {
	if sc.File == "" || sc.File == "demo" {
		return false
	}
	data, err := os.ReadFile(sc.File)
	if err != nil {
		return !sc.Start.Equal(replay.DefaultStart)
	}
	var top struct {
		Start *string `yaml:"start"`
	}
	if err := yaml.Unmarshal(data, &top); err != nil {
		return !sc.Start.Equal(replay.DefaultStart)
	}
	return top.Start != nil
}

// loadRunScenario reads --scenario's file, or makes the demo's scenario.
func loadRunScenario(o runOptions) (*replay.Scenario, error) {
	if o.scenario != "" {
		if o.device != "" {
			return nil, badInput("--device and --scenario: the scenario names its device; give one or the other")
		}
		scs, err := replay.Load(o.scenario)
		if err != nil {
			return nil, badInput("--scenario: %w", err)
		}
		if len(scs) != 1 {
			return nil, badInput("--scenario %s: want one scenario file, found %d", o.scenario, len(scs))
		}
		return scs[0], nil
	}
	prof := demoDevice
	if o.device != "" {
		data, err := readInputFile("--device", o.device)
		if err != nil {
			return nil, err
		}
		if prof, err = profile.Parse(o.device, data); err != nil {
			return nil, badInput("%w", err)
		}
	}
	demo, err := sim.DemoTenants()
	if err != nil {
		return nil, fmt.Errorf("embedded demo fixtures: %w", err)
	}
	var contoso *sim.Tenant
	for _, t := range demo {
		if strings.EqualFold(t.Name, demoTenant) {
			contoso = t
		}
	}
	if contoso == nil {
		return nil, fmt.Errorf("embedded demo fixtures: no %s tenant", demoTenant)
	}
	sc, err := replay.Interactive(demoName, contoso, demoUser, prof, replay.Autopilot{DeviceNameTemplate: "CONTOSO-%SERIAL%"})
	if err != nil {
		if o.device != "" {
			return nil, badInput("--device %s: %w", o.device, err)
		}
		return nil, err
	}
	return sc, nil
}

// runSimulated plays a scenario on the simulated tenant, live: sim builds the world (the
// tenant, the device, the old PC's backups), the scenario's person answers for --demo, and the
// terminal UI (or the accessible prompts) drives the flow. A run given its own clock (a
// test's) keeps virtual time, and its sign-in waits for the approval instead of the clock.
func runSimulated(ctx context.Context, s streams, o runOptions, sc *datedScenario, logger *slog.Logger, logsDir string) (*oobe.Outcome, error) {
	if err := needTerminal(s, o); err != nil {
		return nil, err
	}
	spec := sc.Spec()
	spec.Clock = sim.Clock{Mode: sim.Paced, Speed: o.speed}
	switch {
	case s.clock != nil:
		spec.Clock = sim.Clock{Mode: sim.Held}
	case o.demo && !o.accessible:
		// The presenter paces the demo: the scenario's waits (a code's expiry, the ESP,
		// the updates) pass in virtual time, each shown for as long as the presenter's pace.
		spec.Clock = sim.Clock{Mode: sim.Virtual}
	}
	if keys, err := sim.DemoKeys(); err == nil {
		spec.Keys = keys
	}
	if o.simTLS {
		// On disk, not in memory: the person may open the sign-in page in a browser that trusts it.
		ca, err := openLocalCA(s, "--sim-tls", "")
		if err != nil {
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
	defer w.Close()
	cfg := w.Config
	cfg.FirstSignIn = cfg.FirstSignIn || o.firstSignIn // the scenario's steps.firstSignIn, or the flag
	cfg.Person = sc.Person(w)
	cfg.Observe = logEvents(logger)
	logger.Info("setup started", "scenario", sc.Name, "tenant", sc.Tenant.Name, "user", sc.User, "device", sc.Device.Profile.Name)
	logger.Info("simulated date", "start", sc.Start, "fixedByScenario", sc.FixedDate)
	var out *oobe.Outcome
	if o.accessible {
		if sc.FixedDate {
			// The TUI's header says so too: the world is not on today's date.
			fmt.Fprintf(accessibleOut(s, o), "Simulated date: %s, as the scenario fixes it.\n", when.Date(sc.Start))
		}
		out, err = accessible.Run(ctx, cfg, accessible.Options{In: s.in, Out: accessibleOut(s, o), Approve: w.Approve, Open: auth.OpenBrowser, LogsDir: logsDir,
			SignInPage: &accessible.SignInPage{Client: w.Browser(), User: sc.User}})
	} else {
		var pilot *tui.Pilot
		var presenter *tui.Presenter
		if o.demo {
			pilot = &tui.Pilot{Person: cfg.Person, Pace: o.pace}
			presenter = &tui.Presenter{Loop: o.loop, Speed: o.speed, Restart: func(ctx context.Context) (tui.DemoRun, error) {
				// A fresh world from the same spec: the first screen, a new tenant and device.
				w, err := sim.Start(ctx, spec)
				if err != nil {
					return tui.DemoRun{}, err
				}
				cfg := w.Config
				cfg.FirstSignIn = cfg.FirstSignIn || o.firstSignIn
				cfg.Observe = logEvents(logger)
				logger.Info("demo restarted", "scenario", sc.Name)
				return tui.DemoRun{Config: cfg, Person: sc.Person(w), Close: func() { _ = w.Close() }}, nil
			}}
		}
		// Setup signs in on the tenant's branded page, as Windows does; the device code and the
		// browser are a key away on it (docs/tui.md).
		page := &tui.SignInPage{Client: w.Browser(), User: sc.User}
		out, err = tui.Run(ctx, cfg, tui.Options{Output: s.errOut, NoColor: o.noColor, Simulated: true, Pilot: pilot, Presenter: presenter,
			Outside: browserOutside{s}, Actions: tui.Actions{Approve: w.Approve, Open: auth.OpenBrowser, LogsDir: logsDir, SignInPage: page}})
	}
	logger.Info("setup ended", "finalStage", outcomeStage(out), "error", errString(err))
	return out, err
}

// runReal plays the setup against a real Entra tenant and Graph, on a simulated device.
func runReal(ctx context.Context, s streams, o runOptions, logger *slog.Logger, logsDir string) (*oobe.Outcome, error) {
	u, err := url.Parse(o.authority)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, badInput("--authority %q: want https://login.microsoftonline.com/<tenant>", o.authority)
	}
	prof := profile.DeviceProfile{OS: "10.0.26100.4946", Edition: "Enterprise", Join: profile.JoinEntra,
		Provisioning: profile.ProvisioningUserDriven, Cloud: profile.CloudGlobal, Architecture: "x64", Name: "DESKTOP-7Q2M4KX"}
	if o.device != "" {
		data, err := readInputFile("--device", o.device)
		if err != nil {
			return nil, err
		}
		if prof, err = profile.Parse(o.device, data); err != nil {
			return nil, badInput("%w", err)
		}
	}
	if err := needTerminal(s, o); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "oobe-device-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	created, err := device.Init(filepath.Join(dir, "device"), device.State{Profile: prof})
	if err != nil {
		return nil, fmt.Errorf("creating the simulated device: %w", err)
	}
	clk := clock.NewPaced(time.Now())
	clk.Start()
	client, err := auth.New(ctx, auth.Config{Authority: o.authority, ClientID: o.clientID,
		Scopes: live.GraphScopes(), Clock: clk, Logger: logger})
	if err != nil {
		return nil, err
	}
	graphURL, _ := graphFor(u)
	if g := client.GraphURL(); g != "" {
		graphURL = g // msgraph_host: the simulator behind --public-url serves Graph on its own host
	}
	signIn := live.NewSignIn(client, clk)
	tenantName := strings.Trim(u.Path, "/")
	if tenantName == "" {
		tenantName = u.Host
	}
	cfg := oobe.Config{Clock: clk.Fast(o.speed), SignIn: signIn, Connect: signIn.Connect(live.CloudConfig{GraphURL: graphURL}),
		Device: live.NewDevice(created), Branding: oobe.Branding{TenantName: tenantName, DeploymentMode: profile.ProvisioningUserDriven},
		FirstSignIn: o.firstSignIn, Observe: logEvents(logger)}
	if o.accessible {
		return accessible.Run(ctx, cfg, accessible.Options{In: s.in, Out: accessibleOut(s, o), Open: auth.OpenBrowser, LogsDir: logsDir})
	}
	return tui.Run(ctx, cfg, tui.Options{Output: s.errOut, NoColor: o.noColor, Outside: browserOutside{s},
		Actions: tui.Actions{Open: auth.OpenBrowser, LogsDir: logsDir}})
}

// browserOutside is a person at the keyboard: they type the device code on another device
// themselves, and the browser sign-in opens the system's browser. Where none opens (over
// SSH, a box with no display and no BROWSER) it says so, and the UI falls back to a code.
type browserOutside struct{ s streams }

func (browserOutside) DeviceCode(context.Context, auth.DeviceCodePrompt) {}

func (b browserOutside) Browser(_ context.Context, url string) error {
	err := auth.OpenBrowser(url)
	if errors.Is(err, auth.ErrNoBrowser) {
		if name := b.s.env("BROWSER"); name != "" {
			// The person's own choice of browser, as xdg-open would run it.
			cmd := exec.Command(name, url)
			if err = cmd.Start(); err == nil {
				go func() { _ = cmd.Wait() }()
				return nil
			}
			return fmt.Errorf("BROWSER=%s did not start: %w", name, err)
		}
		return errors.New("there is no display and BROWSER is not set")
	}
	return err
}

// logEvents writes the flow's events to the run's log.
func logEvents(logger *slog.Logger) func(oobe.Event) {
	return func(e oobe.Event) {
		level := slog.LevelInfo
		switch e.Kind {
		case oobe.EventWarning:
			level = slog.LevelWarn
		case oobe.EventError:
			level = slog.LevelError
		}
		logger.Log(context.Background(), level, e.Text, "stage", e.Stage, "kind", e.Kind, "at", e.At)
	}
}

func outcomeStage(o *oobe.Outcome) string {
	if o == nil {
		return ""
	}
	return string(o.FinalStage)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// stateDir is a directory under the user's state directory ($XDG_STATE_HOME/oobe, or
// ~/.local/state/oobe), made 0700.
func stateDir(s streams, sub string) (string, error) {
	base := s.env("XDG_STATE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("finding the state directory for logs: %w", err)
		}
		base = filepath.Join(home, ".local", "state")
	}
	dir := filepath.Join(base, "oobe", sub)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("making the state directory for logs: %w", err)
	}
	return dir, nil
}

// openRunLog opens this run's JSON log in the state directory, named after the run's start
// (the simulated date a scenario fixes, or now).
func openRunLog(s streams, start time.Time) (*slog.Logger, string, func(), error) {
	dir, err := stateDir(s, "logs")
	if err != nil {
		return nil, "", nil, err
	}
	path := filepath.Join(dir, "oobe-"+start.UTC().Format("20060102T150405Z")+fmt.Sprintf("-%d.log", os.Getpid()))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, "", nil, fmt.Errorf("opening the log: %w", err)
	}
	return slog.New(slog.NewJSONHandler(f, nil)), path, func() { _ = f.Close() }, nil
}

// accessibleOut is where the accessible mode speaks: stdout, as the summary after it, unless
// --json keeps stdout for the summary alone.
func accessibleOut(s streams, o runOptions) io.Writer {
	if o.asJSON {
		return s.errOut
	}
	return s.out
}
