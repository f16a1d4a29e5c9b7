package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/internal/when"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/replay"
	"github.com/oobe-dev/oobe/restore"
	"github.com/oobe-dev/oobe/restore/apply"
	"github.com/oobe-dev/oobe/restore/profile"
	"github.com/oobe-dev/oobe/sim"
)

func TestRunRefusesBadFlagsWithExitTwoBeforeDrawingAnything(t *testing.T) {
	t.Parallel()
	bad := writeTemp(t, "bad.yaml", "os: 10.0.26100.1\nedition: Enterprise\njoin: sideways\n")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"a speed below real time", []string{"--speed", "0.5"}, "--speed"},
		{"no pace", []string{"--demo", "--pace", "0s"}, "--pace"},
		{"an authority without a client", []string{"--authority", "https://login.microsoftonline.com/contoso.onmicrosoft.com"}, "--client-id"},
		{"a scenario that does not exist", []string{"--scenario", "/nonexistent/s.yaml"}, "/nonexistent/s.yaml"},
		{"a device profile that is wrong", []string{"--device", bad}, "bad.yaml"},
		{"a scenario and a device", []string{"--scenario", bad, "--device", bad}, "one or the other"},
		{"a demo on a real tenant", []string{"--demo", "--authority", "https://login.microsoftonline.com/x", "--client-id", "y"}, "--demo"},
		{"an argument", []string{"run", "extra"}, "unknown command"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, c.args...)
			if code != 2 || !strings.Contains(errOut, c.want) {
				t.Fatalf("exit %d, stderr %q; want 2 naming %q", code, errOut, c.want)
			}
			if out != "" {
				t.Errorf("stdout %q: a refused run prints no summary", out)
			}
		})
	}
}

func TestTheDemoScenarioSetsUpAnEligiblePCForAdele(t *testing.T) {
	t.Parallel()
	sc, err := runScenario(runOptions{}, testToday)
	if err != nil {
		t.Fatal(err)
	}
	if sc.User != "adele.vance@contoso.com" || sc.Tenant.Name != "Contoso" {
		t.Fatalf("demo scenario user %q tenant %q", sc.User, sc.Tenant.Name)
	}
	ok := "enabled"
	n := 3
	e, err := restore.Evaluate(restore.Input{Device: sc.Device.Profile, RestorePage: &ok, Backups: &n, Access: &restore.Access{}})
	if err != nil || !e.Eligible {
		t.Fatalf("the demo device is not eligible: %+v, %v", e, err)
	}
}

// minimalScenario is a scenario file's body after its name.
const minimalScenario = "tenant:\n  fixture: contoso\nuser: adele.vance@contoso.com\ndevice:\n  os: 10.0.26100.4946\n  edition: Enterprise\n  join: entra\n  provisioning: userDriven\nexpect:\n  finalStage: desktop\n"

// testToday is the day the live-run tests take as today: never the wall clock's.
var testToday = time.Date(2027, 2, 9, 16, 20, 0, 0, time.UTC)

func TestALiveDemoRunsOnTodaysDateWithItsBackupsDatedFromIt(t *testing.T) {
	t.Parallel()
	sc, err := runScenario(runOptions{}, testToday)
	if err != nil {
		t.Fatal(err)
	}
	if !sc.Start.Equal(testToday) || sc.FixedDate {
		t.Fatalf("start %s (fixed %v), want today, %s", sc.Start, sc.FixedDate, testToday)
	}
	demo, err := sim.DemoTenants()
	if err != nil {
		t.Fatal(err)
	}
	var was time.Time
	for _, tn := range demo {
		for _, u := range tn.Users {
			for _, b := range u.Backups {
				if b.Device == "ADELE-SURFACE" {
					was = b.LastBackup
				}
			}
		}
	}
	for _, u := range sc.Tenant.Users {
		for _, b := range u.Backups {
			if b.Device == "ADELE-SURFACE" {
				if got, want := when.Ago(testToday, b.LastBackup), when.Ago(replay.DefaultStart, was); got != want {
					t.Errorf("ADELE-SURFACE last backed up %s today, want %s as in a replay", got, want)
				}
				return
			}
		}
	}
	t.Fatal("the demo tenant has no ADELE-SURFACE backup")
}

func TestAScenarioThatFixesItsStartKeepsIt(t *testing.T) {
	t.Parallel()
	fixed := writeTemp(t, "fixed.yaml", "name: fixed\nstart: 2026-11-21T09:00:00Z\n"+minimalScenario)
	sc, err := runScenario(runOptions{scenario: fixed}, testToday)
	if err != nil {
		t.Fatal(err)
	}
	if !sc.FixedDate || !sc.Start.Equal(replay.DefaultStart) {
		t.Fatalf("start %s (fixed %v), want the file's", sc.Start, sc.FixedDate)
	}
	free := writeTemp(t, "free.yaml", "name: free\n"+minimalScenario)
	if sc, err = runScenario(runOptions{scenario: free}, testToday); err != nil {
		t.Fatal(err)
	}
	if sc.FixedDate || !sc.Start.Equal(testToday) {
		t.Fatalf("start %s (fixed %v), want today", sc.Start, sc.FixedDate)
	}
}

func TestDeviceFlagReplacesTheDemoDevice(t *testing.T) {
	t.Parallel()
	path := writeTemp(t, "win10.yaml", "os: 10.0.19045.5011\nedition: Pro\njoin: entra\nprovisioning: userDriven\nname: OLD-LAPTOP\n")
	sc, err := runScenario(runOptions{device: path}, testToday)
	if err != nil {
		t.Fatal(err)
	}
	if p := sc.Device.Profile; p.OS != "10.0.19045.5011" || p.Name != "OLD-LAPTOP" {
		t.Fatalf("device profile %+v, want the file's", p)
	}
}

func TestTheSummarySaysWhereSetupEndedAndWhatWasRestored(t *testing.T) {
	t.Parallel()
	out := &oobe.Outcome{FinalStage: oobe.StageDesktop, User: "adele.vance@contoso.com", DeviceName: "CONTOSO-5CG1234",
		RestorePage: true, Chosen: "w1", IntuneStatus: "Succeeded", Reported: true,
		Report: &apply.Report{Counts: apply.Counts{Applied: 17, NotSupported: 1},
			Items: []apply.ItemResult{{Kind: apply.KindTaskbarPin, Name: "File Explorer", Outcome: apply.NotSupported, Reason: "taskbar pins restore up to 23H2"}}}}
	var b bytes.Buffer
	if err := writeSummary(&b, out, "/state/oobe/logs/x.log", false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Setup finished at the desktop.", "adele.vance@contoso.com", "CONTOSO-5CG1234", "restored from w1: 17 items restored, 1 item skipped, 0 failed",
		"Succeeded (reported to Intune)", "Skipped:", "File Explorer (taskbar pin): taskbar pins restore up to 23H2 (not supported here)", "/state/oobe/logs/x.log"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	_ = writeSummary(&b, &oobe.Outcome{FinalStage: oobe.StageFailed, Error: "The code expired.", ErrorCode: "expired_token"}, "", false)
	if !strings.HasPrefix(b.String(), "Setup failed: The code expired. (expired_token)") || strings.Contains(b.String(), "Failed:") {
		t.Errorf("failed summary:\n%s", b.String())
	}
}

// TestAccessibleRunsTheDemoAsLinePromptsFromPipedInput runs in virtual time: a run given its
// own clock holds the world's (sim.Held), so the sign-in polls as soon as the code is approved.
func TestAccessibleRunsTheDemoAsLinePromptsFromPipedInput(t *testing.T) {
	t.Parallel()
	// The defaults; the code on another device (2), approved as the demo user; restore the newest PC.
	answers := "\n\n\n\n2\napprove\n\nyes\n"
	state := t.TempDir()
	code, text, errOut := cli{in: answers, env: map[string]string{"ACCESSIBLE": "1", "XDG_STATE_HOME": state}}.run(t, "--speed", "100000")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, text, errOut)
	}
	for _, want := range []string{"Is this the right country or region?", "1. United States", "Restore from ADELE-SURFACE?",
		"Setup finished at the desktop.", "restored from ADELE-SURFACE"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "\x1b[") {
		t.Error("the accessible run wrote escape sequences; a screen reader reads plain text")
	}
	if strings.Contains(text+errOut, "Restore-2026!") {
		t.Error("the demo user's password reached the output")
	}
	if logs, _ := filepath.Glob(filepath.Join(state, "oobe", "logs", "oobe-*.log")); len(logs) != 1 {
		t.Errorf("want one log file under XDG_STATE_HOME/oobe/logs, found %v", logs)
	}
}

// TestAccessibleSignsInOnTheTenantsPage: the first way offered is the tenant's sign-in page,
// as setup's; a wrong password is refused in Entra's words and explained, the right one signs
// in, and neither password reaches the output.
func TestAccessibleSignsInOnTheTenantsPage(t *testing.T) {
	t.Parallel()
	// The defaults; the page (1) with the demo user (Enter), a wrong password, then the demo
	// user again with the right one; restore the newest PC.
	answers := "\n\n\n\n1\n\nnot-the-password\n\nRestore-2026!\n\nyes\n"
	code, text, errOut := cli{in: answers, env: map[string]string{"ACCESSIBLE": "1", "XDG_STATE_HOME": t.TempDir()}}.run(t, "--speed", "100000")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, text, errOut)
	}
	for _, want := range []string{"1. Username and password on this PC", "Sign in with your Contoso work or school account.",
		"Email or username (Enter for adele.vance@contoso.com): ", "The sign-in page says:", "The username or the password is not right.",
		"Restore from ADELE-SURFACE?", "Setup finished at the desktop."} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	for _, secret := range []string{"Restore-2026!", "not-the-password"} {
		if strings.Contains(text+errOut, secret) {
			t.Errorf("the password %q reached the output", secret)
		}
	}
}

func TestTheSummarySaysWhatHappenedAtTheFirstSignIn(t *testing.T) {
	t.Parallel()
	backups := []profile.BackupProfile{{WindowsDeviceID: "w1", DeviceName: "ADELE-SURFACE"}}
	cases := []struct {
		name string
		fs   *oobe.FirstSignInOutcome
		want string
	}{
		{"restored", &oobe.FirstSignInOutcome{RestorePage: true, Backups: backups, Chosen: "w1", Report: &apply.Report{Counts: apply.Counts{Applied: 17}}},
			"shown; restored from ADELE-SURFACE: 17 items restored, 0 items skipped, 0 failed"},
		{"failed", &oobe.FirstSignInOutcome{RestorePage: true, Backups: backups, Chosen: "w1", Error: "Your settings could not be restored."},
			"shown; restoring from ADELE-SURFACE failed: Your settings could not be restored."},
		{"set up as new", &oobe.FirstSignInOutcome{RestorePage: true, Backups: backups}, "shown; you chose Set up as new PC: nothing was restored"},
		{"not offered", &oobe.FirstSignInOutcome{Eligibility: &restore.FirstSignIn{Reasons: []restore.Reason{{ID: restore.ReasonRestorePolicyOff, Message: "The device policy Enable Windows Restore is turned off."}}}},
			"not shown:\n                  - The device policy Enable Windows Restore is turned off. [restorePolicyOff]"},
		{"given up on", &oobe.FirstSignInOutcome{Error: "listing your previous PCs: 503"}, "not shown: listing your previous PCs: 503"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			_ = writeSummary(&b, &oobe.Outcome{FinalStage: oobe.StageDesktop, FirstSignIn: tc.fs}, "", false)
			if !strings.Contains(b.String(), "First sign-in:  "+tc.want) {
				t.Errorf("summary lacks the first sign-in's %q:\n%s", tc.want, b.String())
			}
		})
	}
	var b bytes.Buffer
	_ = writeSummary(&b, &oobe.Outcome{FinalStage: oobe.StageDesktop}, "", false)
	if strings.Contains(b.String(), "First sign-in") {
		t.Errorf("a run without the first sign-in mentions it:\n%s", b.String())
	}
}

// TestTheFirstSignInFlagGoesOnPastTheDesktop: a hybrid PC that setup cannot restore, with the
// device policy Enable Windows Restore on, is offered restore at the first sign-in after it.
func TestTheFirstSignInFlagGoesOnPastTheDesktop(t *testing.T) {
	t.Parallel()
	dev := writeTemp(t, "hybrid.yaml", "os: 10.0.26100.7922\nedition: Enterprise\njoin: hybrid\nprovisioning: userDriven\nenableWindowsRestore: true\nname: DESKTOP-HYB0001\n")
	// The defaults; the code on another device (2), approved; at the first sign-in, the newest PC.
	answers := "\n\n\n\n2\napprove\n\nyes\n"
	code, text, errOut := cli{in: answers, env: map[string]string{"ACCESSIBLE": "1", "XDG_STATE_HOME": t.TempDir()}}.run(t, "--speed", "100000", "--device", dev, "--first-sign-in")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, text, errOut)
	}
	for _, want := range []string{"== " + oobe.StageFirstSignIn.Title() + " ==", "This is your first sign-in since setup",
		"Restore from ADELE-SURFACE?", "Setup finished at the desktop.", "First sign-in:  shown; restored from ADELE-SURFACE:"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}

func TestWithoutATerminalOobeSaysToUseAccessibleAndExitsTwo(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{nil, {"--demo"}, {"run", "--scenario", "../../fixtures/scenarios/esp-app-failure-continue-anyway.yaml"}} {
		code, out, errOut := runCLI(t, args...)
		if code != 2 || !strings.Contains(errOut, "--accessible") || !strings.Contains(errOut, "not a terminal") {
			t.Errorf("oobe %v with a pipe for input: exit %d, stderr %q; want 2 and the --accessible hint", args, code, errOut)
		}
		if out != "" {
			t.Errorf("oobe %v with a pipe for input printed a summary: %q", args, out)
		}
	}
}

func TestWithoutATerminalAndACCESSIBLESetOobeRunsTheLinePrompts(t *testing.T) {
	t.Parallel()
	code, out, errOut := cli{env: map[string]string{"ACCESSIBLE": "1"}}.run(t)
	if strings.Contains(errOut, "not a terminal") || strings.Contains(errOut, "TTY") {
		t.Fatalf("ACCESSIBLE=1 with a pipe for input did not run the line prompts: exit %d, stderr %q", code, errOut)
	}
	if !strings.Contains(out, "Is this the right country or region?") {
		t.Fatalf("the accessible mode did not ask the first question:\n%s", out)
	}
}

// TestOobeWithStdinFromDevNullExitsTwoWithTheHint runs the real binary as `oobe </dev/null`.
func TestOobeWithStdinFromDevNullExitsTwoWithTheHint(t *testing.T) {
	t.Parallel()
	bin, _ := buildOobe(t)
	home := t.TempDir()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_STATE_HOME="+filepath.Join(home, "state"), "ACCESSIBLE=")
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devNull, &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("oobe </dev/null: %v, want exit status 2; stderr:\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "--accessible") || strings.Contains(stderr.String(), "TTY") {
		t.Errorf("oobe </dev/null said:\n%s\nwant the --accessible hint and nothing of bubbletea's TTY", stderr.String())
	}
	if strings.Contains(stdout.String(), "Setup stopped") {
		t.Errorf("oobe </dev/null printed a summary of a setup that never started:\n%s", stdout.String())
	}
}

// `oobe run --json` prints the run's summary as one JSON object: the model every driver tells.
func TestRunJSONPrintsTheSummary(t *testing.T) {
	t.Parallel()
	answers := "\n\n\n\n2\napprove\n\nyes\n"
	code, text, errOut := cli{in: answers, env: map[string]string{"ACCESSIBLE": "1"}}.run(t, "--speed", "100000", "--json")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, text, errOut)
	}
	// The accessible mode speaks on stderr; stdout is the summary alone.
	var got runSummary
	dec := json.NewDecoder(strings.NewReader(text))
	if err := dec.Decode(&got); err != nil || dec.More() {
		t.Fatalf("stdout is not one JSON object (%v):\n%s", err, text)
	}
	if got.Result != oobe.ResultFinished || got.Restore.Outcome != oobe.RestoreDone || got.Restore.From != "ADELE-SURFACE" ||
		got.Intune == nil || !got.Intune.Reported || got.Log == "" {
		t.Errorf("summary %+v", got)
	}
}
