package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The tmux tests run the built oobe binary in a real terminal — tmux, at 100x30 — and use
// it as a person would: they type keys with `tmux send-keys` and read the screen with
// `tmux capture-pane`. Every wait polls the screen against a deadline; none sleeps for a
// fixed time. Without tmux they skip, except in CI (CI set), where tmux is a must
// (.ci/run installs it). They run in parallel with each other and the rest: each has a tmux
// server of its own (its own socket) and gives the pane its own environment, and they share
// only the binary, built once.

// paneDeadline bounds each wait for the screen: a hang fails with the screen as it was.
// The sign-in's real 5-second polling interval is the longest wait in the demo flow; the
// bound is far above it because the tests share two cores with the package's others under -race.
const paneDeadline = 2 * time.Minute

// tmuxSession is one tmux server of a test's own (its own socket), with one session,
// "oobe", whose only pane runs the oobe binary.
type tmuxSession struct {
	t      *testing.T
	tmux   string
	socket string
	env    []string
	last   string // the last screen captured, for failure messages
}

// needTmux is the tmux binary, or skips the test when there is none outside CI.
func needTmux(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("tmux is not installed, and CI is set: .ci/run should have installed it (%v)", err)
		}
		t.Skipf("tmux is not installed (%v); .ci/run installs it", err)
	}
	return p
}

// built is the oobe binary the tmux tests run: built once for the test process (a -race
// build and link cost seconds of CPU), removed by TestMain.
var built struct {
	once sync.Once
	dir  string
	bin  string
	race bool
	err  error
}

// buildOobe builds the oobe binary into a temporary directory, with the race detector when
// the test binary has it, so the real UI runs under it too; once, for every test that asks.
func buildOobe(t *testing.T) (bin string, race bool) {
	t.Helper()
	built.once.Do(func() {
		goCmd, err := exec.LookPath("go")
		if err != nil {
			goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		if info, ok := debug.ReadBuildInfo(); ok {
			for _, s := range info.Settings {
				if s.Key == "-race" && s.Value == "true" {
					built.race = true
				}
			}
		}
		if built.dir, built.err = os.MkdirTemp("", "oobe-tmux-test-*"); built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "oobe")
		args := []string{"build", "-o", built.bin}
		if built.race {
			args = append(args, "-race")
		}
		if out, err := exec.Command(goCmd, append(args, ".")...).CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin, built.race
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// startTmux starts a tmux server of the test's own running command (a shell command line)
// in a w×h window. The pane stays after the command exits (remain-on-exit), so its exit
// status can be read, and the status line is off, so the pane is the whole window. HOME and
// XDG_STATE_HOME are state (the run's logs go under it), TERM is xterm-256color, and
// ACCESSIBLE, NO_COLOR and TMUX from the test's environment are dropped.
func startTmux(t *testing.T, state string, w, h int, command string) *tmuxSession {
	t.Helper()
	s := &tmuxSession{t: t, tmux: needTmux(t), socket: fmt.Sprintf("oobe-test-%d-%d", os.Getpid(), time.Now().UnixNano())}
	for _, kv := range os.Environ() {
		switch strings.SplitN(kv, "=", 2)[0] {
		case "HOME", "XDG_STATE_HOME", "TERM", "TMUX", "TMUX_PANE", "ACCESSIBLE", "NO_COLOR":
			continue
		}
		s.env = append(s.env, kv)
	}
	s.env = append(s.env, "HOME="+state, "XDG_STATE_HOME="+filepath.Join(state, "state"), "TERM=xterm-256color")
	conf := filepath.Join(t.TempDir(), "tmux.conf")
	if err := os.WriteFile(conf, []byte("set -g remain-on-exit on\nset -g status off\nset -g default-terminal xterm-256color\nset -g history-limit 0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.run("-f", conf, "new-session", "-d", "-s", "oobe", "-x", strconv.Itoa(w), "-y", strconv.Itoa(h), command); err != nil {
		t.Fatalf("starting tmux: %v", err)
	}
	t.Cleanup(func() { _, _ = s.run("kill-server") })
	return s
}

// run runs a tmux command against the test's server.
func (s *tmuxSession) run(args ...string) (string, error) {
	cmd := exec.Command(s.tmux, append([]string{"-L", s.socket}, args...)...)
	cmd.Env = s.env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("tmux %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(errOut.String()))
	}
	return out.String(), nil
}

// must runs a tmux command and fails the test if it fails.
func (s *tmuxSession) must(args ...string) string {
	s.t.Helper()
	out, err := s.run(args...)
	if err != nil {
		s.t.Fatalf("%v\nthe screen was:\n%s", err, s.last)
	}
	return out
}

// keys types keys into the pane, as tmux names them: "Enter", "Down", "C-a", "q".
func (s *tmuxSession) keys(keys ...string) {
	s.t.Helper()
	s.must(append([]string{"send-keys", "-t", "oobe"}, keys...)...)
}

// text types text into the pane literally, character by character.
func (s *tmuxSession) text(text string) {
	s.t.Helper()
	s.must("send-keys", "-t", "oobe", "-l", text)
}

// screen is the pane's text as it is now.
func (s *tmuxSession) screen() string {
	s.t.Helper()
	s.last = s.must("capture-pane", "-p", "-t", "oobe")
	return s.last
}

// format is a tmux format's value for the pane, like #{pane_dead}.
func (s *tmuxSession) format(f string) string {
	s.t.Helper()
	return strings.TrimSpace(s.must("display-message", "-p", "-t", "oobe", f))
}

// waitFor polls the screen every 50 ms until it contains every one of want, and fails with
// the last screen after paneDeadline. It fails at once if the program has died. With
// OOBE_TMUX_SCREENS set it logs each screen it waited for (go test -v shows them).
func (s *tmuxSession) waitFor(what string, want ...string) string {
	s.t.Helper()
	deadline := time.Now().Add(paneDeadline)
	for {
		scr := s.screen()
		if containsAll(scr, want) {
			if os.Getenv("OOBE_TMUX_SCREENS") != "" {
				s.t.Logf("%s:\n%s", what, scr)
			}
			return scr
		}
		if s.format("#{pane_dead}") == "1" {
			s.t.Fatalf("waiting for %s: oobe exited with status %s; the screen:\n%s", what, s.format("#{pane_dead_status}"), scr)
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("waiting for %s: the screen never showed %q in %s; the last screen:\n%s", what, want, paneDeadline, scr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitExit waits for the program in the pane to exit and returns its exit status.
//
// tmux marks the pane dead when its terminal closes, and has its exit status once it has
// reaped the process on SIGCHLD. Debian's tmux is built with libutempter, which puts in its
// own SIGCHLD handler while it removes the pane's utmp record — just when the pane's
// process exits — so tmux can miss the signal and leave the process a zombie with no
// status (tmux/tmux#311). When the pane has been dead a while with no status, this sends
// the test's own tmux server a SIGCHLD, as tmux's author suggests there, so it reaps.
func (s *tmuxSession) waitExit() int {
	s.t.Helper()
	deadline := time.Now().Add(paneDeadline)
	var deadSince time.Time
	for {
		f := strings.Split(s.format("#{pane_dead}:#{pane_dead_status}:#{pane_dead_signal}:#{pid}"), ":")
		if len(f) != 4 {
			s.t.Fatalf("tmux's pane formats: got %q", f)
		}
		dead, status, signal, server := f[0] == "1", f[1], f[2], f[3]
		switch {
		case status != "":
			n, err := strconv.Atoi(status)
			if err != nil {
				s.t.Fatalf("the pane's exit status %q: %v", status, err)
			}
			return n
		case signal != "":
			s.t.Fatalf("oobe was killed by signal %s; the screen:\n%s", signal, s.screen())
		case time.Now().After(deadline):
			s.t.Fatalf("oobe did not exit within %s (pane dead: %v); the screen:\n%s", paneDeadline, dead, s.screen())
		case dead && deadSince.IsZero():
			deadSince = time.Now()
		case dead && time.Since(deadSince) > 500*time.Millisecond:
			if pid, err := strconv.Atoi(server); err == nil {
				s.t.Logf("the pane has been dead %s with no exit status: sending tmux (pid %d) a SIGCHLD", time.Since(deadSince).Round(time.Millisecond), pid)
				_ = syscall.Kill(pid, syscall.SIGCHLD)
			}
			deadSince = time.Now()
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// resize makes the window w×h and waits until the screen shows want.
func (s *tmuxSession) resize(w, h int, want ...string) string {
	s.t.Helper()
	s.must("resize-window", "-t", "oobe", "-x", strconv.Itoa(w), "-y", strconv.Itoa(h))
	scr := s.waitFor(fmt.Sprintf("the screen at %dx%d", w, h), want...)
	s.checkAlive(fmt.Sprintf("resizing to %dx%d", w, h))
	return scr
}

// panicRE is how a Go crash shows on the screen.
var panicRE = regexp.MustCompile(`panic:|goroutine \d+|fatal error:|DATA RACE`)

// checkAlive fails if the program has exited or the screen shows a crash.
func (s *tmuxSession) checkAlive(when string) {
	s.t.Helper()
	scr := s.screen()
	if panicRE.MatchString(scr) {
		s.t.Fatalf("%s: the screen shows a crash:\n%s", when, scr)
	}
	if s.format("#{pane_dead}") == "1" {
		s.t.Fatalf("%s: oobe exited with status %s; the screen:\n%s", when, s.format("#{pane_dead_status}"), scr)
	}
}

func containsAll(s string, want []string) bool {
	for _, w := range want {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// oobeCommand is the pane's command line: oobe with args, its stdout (the summary) into
// out and, under the race detector, its reports into raceLog. exec makes oobe the pane's
// process itself, so #{pane_pid} is oobe's and the pane's exit status is oobe's.
func oobeCommand(bin, out, raceLog string, args ...string) string {
	var b strings.Builder
	if raceLog != "" {
		b.WriteString("GORACE=" + shellQuote("log_path="+raceLog) + " ")
	}
	b.WriteString("exec " + shellQuote(bin))
	for _, a := range args {
		b.WriteString(" " + shellQuote(a))
	}
	b.WriteString(" >" + shellQuote(out))
	return b.String()
}

// raceReports fails the test with what the race detector wrote, if anything.
func raceReports(t *testing.T, raceLog string) {
	t.Helper()
	if raceLog == "" {
		return
	}
	files, _ := filepath.Glob(raceLog + ".*")
	for _, f := range files {
		data, _ := os.ReadFile(f)
		t.Errorf("the race detector reported, in %s:\n%s", f, data)
	}
}

// vmRSS is a process's resident memory and its peak, from /proc (Linux only).
func vmRSS(pid string) (rss, peak string, err error) {
	data, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return "", "", err
	}
	for _, l := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		switch k {
		case "VmRSS":
			rss = strings.TrimSpace(v)
		case "VmHWM":
			peak = strings.TrimSpace(v)
		}
	}
	if rss == "" {
		return "", "", fmt.Errorf("/proc/%s/status has no VmRSS", pid)
	}
	return rss, peak, nil
}

// TestTmuxDemoFlow types the demo flow into the real binary in tmux: region, keyboard,
// second keyboard, network, the device-code sign-in approved with the presenter key, the
// restore page (the first previous PC, confirmed), then the desktop. There it resizes the
// window below the minimum, far above it and back, presses q, and checks the exit status
// and the summary on stdout. It logs oobe's resident memory at the desktop.
func TestTmuxDemoFlow(t *testing.T) {
	needTmux(t)
	t.Parallel()
	bin, race := buildOobe(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out.txt")
	raceLog := ""
	if race {
		raceLog = filepath.Join(dir, "race")
	}
	s := startTmux(t, dir, 100, 30, oobeCommand(bin, out, raceLog, "--speed", "100000"))
	defer raceReports(t, raceLog)

	// Each wait is for the screen's question. A screen draws its list from the stage's enter
	// event and takes keys once the question (sent by the flow right after it) is there:
	// the capture and send-keys between them take milliseconds, the gap microseconds.
	s.waitFor("the region screen", "Is this the right country or region?", "United States")
	s.keys("Enter")
	s.waitFor("the keyboard screen", "Is this the right keyboard layout", "Canadian Multilingual Standard")
	s.keys("Enter")
	s.waitFor("the second keyboard screen", "Want to add a second keyboard layout?", "Skip")
	s.keys("Enter") // focus starts on Skip
	s.waitFor("the network screen", "Let's connect you to a network", "Ethernet")
	s.keys("Enter")
	s.waitFor("the tenant's sign-in page", "Sign in with your Contoso work or school account", "adele.vance@contoso.com", "ctrl+e code")
	s.text("Restore-2026!") // the username is the demo user's; the password field has focus
	s.keys("Enter")
	s.waitFor("the restore page", "Restore from your previous PC", "ADELE-SURFACE", "Set up as new PC")
	s.keys("Enter")
	s.waitFor("the restore confirmation", "Restore from ADELE-SURFACE?", "Continue")
	s.keys("Enter")
	desktop := s.waitFor("the desktop", "Setup is complete", "q exit")
	s.checkAlive("at the desktop")

	pid := s.format("#{pane_pid}")
	if rss, peak, err := vmRSS(pid); err != nil {
		t.Logf("resident memory at the desktop: not measured (%v)", err)
	} else {
		note := ""
		if race {
			note = " (built with -race, which more than doubles it; run without -race for the real figure)"
		}
		t.Logf("resident memory of oobe (pid %s) at the desktop: VmRSS %s, peak VmHWM %s%s", pid, rss, peak, note)
	}

	s.resize(60, 15, "Make the window larger", "this one is 60×15")
	s.resize(200, 60, "Setup is complete", "Skipped: not supported on this PC")
	s.resize(100, 30, "Setup is complete")
	if got := s.screen(); got != desktop {
		t.Logf("the desktop at 100x30 after resizing differs from before (a clock may have moved):\n%s\n---\n%s", desktop, got)
	}

	s.keys("q")
	if st := s.waitExit(); st != 0 {
		t.Errorf("oobe exited with status %d at the desktop, want 0; the screen:\n%s", st, s.screen())
	}
	summary, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(summary), "Setup finished at the desktop") {
		t.Errorf("the summary on stdout does not say the setup finished:\n%s", summary)
	}
	if !strings.Contains(string(summary), "restored from ADELE-") {
		t.Errorf("the summary on stdout does not say which PC was restored:\n%s", summary)
	}
	if scr := s.screen(); panicRE.MatchString(scr) {
		t.Errorf("the terminal shows a crash after exit:\n%s", scr)
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "state", "oobe", "logs", "oobe-*.log"))
	if len(logs) != 1 {
		t.Errorf("want one log file under XDG_STATE_HOME/oobe/logs, found %v", logs)
	}
}

// TestTmuxCtrlCQuits presses Ctrl+C on the first screen: oobe exits with status 130.
func TestTmuxCtrlCQuits(t *testing.T) {
	needTmux(t)
	t.Parallel()
	bin, race := buildOobe(t)
	dir := t.TempDir()
	raceLog := ""
	if race {
		raceLog = filepath.Join(dir, "race")
	}
	s := startTmux(t, dir, 100, 30, oobeCommand(bin, filepath.Join(dir, "out.txt"), raceLog, "--speed", "100000"))
	defer raceReports(t, raceLog)

	s.waitFor("the region screen", "Is this the right country or region?", "United States")
	s.keys("C-c")
	if st := s.waitExit(); st != 130 {
		t.Errorf("Ctrl+C on the region screen: oobe exited with status %d, want 130; the screen:\n%s", st, s.screen())
	}
}

// TestTmuxPresenterKeys drives --demo with the presenter's keys in the real binary: stray
// keys steer nothing, space pauses (the badge says so), s steps one screen and pauses again,
// space resumes to the desktop, r restarts from the first screen with a fresh world, and
// Ctrl+C ends it. The demo's choices, not the stray keys, are in the run's log.
func TestTmuxPresenterKeys(t *testing.T) {
	needTmux(t)
	t.Parallel()
	bin, race := buildOobe(t)
	dir := t.TempDir()
	raceLog := ""
	if race {
		raceLog = filepath.Join(dir, "race")
	}
	s := startTmux(t, dir, 100, 30, oobeCommand(bin, filepath.Join(dir, "out.txt"), raceLog, "--demo", "--pace", "400ms"))
	defer raceReports(t, raceLog)

	s.waitFor("the demo's first screen", "DEMO ▶ 1×", "Is this the right country or region?", "space pause", "r restart", "+ faster")
	s.keys("Down", "Down", "Enter") // stray keys: the demo answers for itself
	s.keys("Space")
	paused := s.waitFor("the paused demo", "DEMO ❚❚ paused", "space resume", "s step")
	title := screenTitle(paused)
	s.keys("s")
	next := s.waitForTitleOtherThan(title)
	s.waitFor("the demo paused again at the next screen ("+next+")", "DEMO ❚❚ paused", next)
	s.keys("Space")
	s.waitFor("the desktop", "Setup is complete", "DEMO ▶")
	s.keys("r")
	s.waitFor("the first screen again after r", "Is this the right country or region?", "DEMO")
	s.checkAlive("after the restart")
	s.keys("C-c")
	if st := s.waitExit(); st != 130 {
		t.Errorf("Ctrl+C in the restarted demo: exit %d, want 130", st)
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "state", "oobe", "logs", "oobe-*.log"))
	if len(logs) != 1 {
		t.Fatalf("want one log, found %v", logs)
	}
	data, err := os.ReadFile(logs[0])
	if err != nil {
		t.Fatal(err)
	}
	if log := string(data); !strings.Contains(log, "Region: United States") || strings.Contains(log, "Region: Canada") {
		t.Errorf("the stray Down Down Enter steered the demo (or it chose no region); the log:\n%s", log)
	}
	if log := string(data); !strings.Contains(log, "demo restarted") {
		t.Errorf("the log does not record the restart")
	}
}

// TestTmuxLoopRestartsAfterTheDesktop runs --demo --loop: after the desktop the demo starts
// again from the first screen by itself.
func TestTmuxLoopRestartsAfterTheDesktop(t *testing.T) {
	needTmux(t)
	t.Parallel()
	bin, race := buildOobe(t)
	dir := t.TempDir()
	raceLog := ""
	if race {
		raceLog = filepath.Join(dir, "race")
	}
	s := startTmux(t, dir, 100, 30, oobeCommand(bin, filepath.Join(dir, "out.txt"), raceLog, "--demo", "--loop", "--pace", "200ms"))
	defer raceReports(t, raceLog)

	s.waitFor("the demo's first screen", "DEMO", "Is this the right country or region?")
	s.keys("+", "+") // 4×
	s.waitFor("the desktop", "Setup is complete", "DEMO ▶ 4×")
	s.waitFor("the first screen again", "Is this the right country or region?", "DEMO ▶ 4×")
	s.checkAlive("after the loop restarted")
	s.keys("C-c")
	if st := s.waitExit(); st != 130 {
		t.Errorf("Ctrl+C in the looping demo: exit %d, want 130", st)
	}
}

// screenTitle is the screen's title: the first non-blank line under the header.
func screenTitle(scr string) string {
	lines := strings.Split(scr, "\n")
	for _, l := range lines[min(1, len(lines)):] {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}

// waitForTitleOtherThan waits until the screen's title is not title and returns it.
func (s *tmuxSession) waitForTitleOtherThan(title string) string {
	s.t.Helper()
	deadline := time.Now().Add(paneDeadline)
	for {
		if got := screenTitle(s.screen()); got != title && got != "" {
			return got
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the screen stayed at %q for %s; the last screen:\n%s", title, paneDeadline, s.last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
