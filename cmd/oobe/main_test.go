package main

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a writer the command writes to while the test reads it.
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	written chan struct{} // closed and replaced on every write: waitFor's wake-up
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.written != nil {
		close(b.written)
		b.written = nil
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// hangBound is how long a test waits for a command before it calls it hung and fails with
// what the command wrote: no test's timing, only a hang's bound, so it is generous for -race
// on a loaded two-core machine (go test's own -timeout is 10 minutes).
const hangBound = 5 * time.Minute

// waitFor waits until re matches what has been written, checking after every write, for up
// to hangBound.
func (b *syncBuffer) waitFor(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.NewTimer(hangBound)
	defer deadline.Stop()
	for {
		b.mu.Lock()
		m := re.FindStringSubmatch(b.buf.String())
		if b.written == nil {
			b.written = make(chan struct{})
		}
		written := b.written
		b.mu.Unlock()
		if m != nil {
			return m
		}
		select {
		case <-written:
		case <-deadline.C:
			t.Fatalf("output never matched %s; got:\n%s", re, b.String())
			return nil
		}
	}
}

// testClock is the sign-in's clock in these tests: the wall clock, moved ahead by every sleep
// on it, and sleeps that take no real time, so polling a device code every 5 s costs nothing.
// A held clock's sleeps wait until release — for a person (the test) to approve the code
// first — or until the run is cancelled; --sim-approve needs no hold, as it approves before
// the first poll.
type testClock struct {
	mu       sync.Mutex
	ahead    time.Duration
	released chan struct{}
	once     sync.Once
}

func newTestClock(held bool) *testClock {
	c := &testClock{released: make(chan struct{})}
	if !held {
		c.release()
	}
	return c
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.ahead)
}

func (c *testClock) Sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-c.released:
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if d > 0 {
		c.mu.Lock()
		c.ahead += d
		c.mu.Unlock()
	}
	return nil
}

// release lets the held clock's sleeps, the one waiting and all later ones, return.
func (c *testClock) release() { c.once.Do(func() { close(c.released) }) }

// cli is how a test runs the CLI in-process. Every run has an environment of its own — HOME,
// XDG_CONFIG_HOME and XDG_STATE_HOME in fresh temporary directories, then env — and never the
// process's, so tests that run the CLI can run in parallel; and a testClock.
type cli struct {
	env map[string]string
	in  string // standard input
	// held holds the sign-in's polls until the test calls cliRun.clock.release.
	held bool
}

type cliRun struct {
	out, errOut *syncBuffer
	done        chan int
	cancel      context.CancelFunc
	clock       *testClock
}

func (c cli) start(t *testing.T, args ...string) *cliRun {
	t.Helper()
	home := t.TempDir()
	env := map[string]string{"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, ".config"), "XDG_STATE_HOME": filepath.Join(home, ".local", "state")}
	maps.Copy(env, c.env)
	ctx, cancel := context.WithCancel(context.Background())
	r := &cliRun{out: &syncBuffer{}, errOut: &syncBuffer{}, done: make(chan int, 1), cancel: cancel, clock: newTestClock(c.held)}
	s := streams{in: strings.NewReader(c.in), out: r.out, errOut: r.errOut, getenv: func(k string) string { return env[k] }, clock: r.clock}
	go func() { r.done <- run(ctx, args, s) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

func (c cli) run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	r := c.start(t, args...)
	code = r.wait(t)
	return code, r.out.String(), r.errOut.String()
}

// start runs the CLI with args in an environment of its own (see cli).
func start(t *testing.T, args ...string) *cliRun {
	t.Helper()
	return cli{}.start(t, args...)
}

func (r *cliRun) wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-r.done:
		r.done <- code // let Cleanup's receive succeed
		return code
	case <-time.After(hangBound):
		t.Fatalf("command did not finish; stderr:\n%s", r.errOut.String())
		return -1
	}
}

// runCLI runs the CLI with args in an environment of its own (see cli) and waits for it.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return cli{}.run(t, args...)
}

func TestVersionPrintsTheVersion(t *testing.T) {
	t.Parallel()
	code, out, _ := runCLI(t, "version", "--json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var b buildInfo
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		t.Fatalf("version --json printed %q: %v", out, err)
	}
	if b.Version == "" || !strings.HasPrefix(b.GoVersion, "go") {
		t.Fatalf("version info incomplete: %+v", b)
	}
}

func TestServeJSONPrintsOneLineAndServesDiscovery(t *testing.T) {
	t.Parallel()
	r := start(t, "serve", "--json")
	line := r.out.waitFor(t, regexp.MustCompile(`(?m)^(\{.*\})\n`))[1]
	var info serveInfo
	if err := json.Unmarshal([]byte(line), &info); err != nil {
		t.Fatalf("serve --json printed %q: %v", line, err)
	}
	u, err := url.Parse(info.URL)
	if err != nil || u.Hostname() != "127.0.0.1" {
		t.Fatalf("url %q does not bind 127.0.0.1", info.URL)
	}
	if len(info.Tenants) != 2 || info.Tenants[0].Name != "Contoso" || info.Tenants[0].ClientID == "" {
		t.Fatalf("tenants = %+v, want the two demo tenants with client ids", info.Tenants)
	}
	resp, err := http.Get(info.Tenants[0].Authority + "/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var disc struct {
		Issuer string `json:"issuer"`
	}
	err = json.NewDecoder(resp.Body).Decode(&disc)
	resp.Body.Close()
	if err != nil || disc.Issuer != info.Tenants[0].Authority+"/v2.0" {
		t.Fatalf("discovery issuer = %q (%v), want %s/v2.0", disc.Issuer, err, info.Tenants[0].Authority)
	}
	r.cancel()
	if code := r.wait(t); code != 0 {
		t.Fatalf("serve stopped with exit %d, want 0 on a clean stop", code)
	}
}

func TestServeRefusesABrokenFixtureWithFileAndLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	broken := "tenant:\n  id: not-a-guid\n  name: Broken\n  domains: [broken.example]\napps:\n  - clientId: 0ced6d3b-e5cd-43b2-8a37-71a59b7d6cb1\n    public: true\n"
	if err := os.WriteFile(filepath.Join(dir, "broken.yaml"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "serve", "--fixtures", dir)
	if code != 2 {
		t.Fatalf("exit %d, want 2 for a broken fixture", code)
	}
	want := filepath.Join(dir, "broken.yaml") + ":2:"
	if !strings.Contains(errOut, want) || !strings.Contains(errOut, "not a GUID") {
		t.Fatalf("stderr %q does not name %s and the problem", errOut, want)
	}
	if out != "" {
		t.Fatalf("nothing should be served or printed on stdout, got %q", out)
	}
}

func TestBadFlagsExitTwo(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"serve", "--addr", "nonsense"},
		{"serve", "--nope"},
		{"serve", "extra-argument"},
		{"signin", "--sim-interval", "abc"},
		{"no-such-command"},
		{"serve", "--device-code-interval", "250ms"},
		{"serve", "--fixtures", "/does/not/exist"},
		{"signin", "--flow", "carrier-pigeon"},
		{"signin", "--authority", "https://login.microsoftonline.com/common"},
		{"signin", "--tenant", "Northwind"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			code, _, errOut := runCLI(t, args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr: %s", code, errOut)
			}
			if errOut == "" {
				t.Fatal("no message on stderr")
			}
		})
	}
}

var codeRE = regexp.MustCompile(`open the page (http://127\.0\.0\.1:\d+/devicelogin) and enter the code ([A-Z0-9]{9}) `)

func TestSigninWithDeviceCodeAgainstTheSimulatedTenant(t *testing.T) {
	t.Parallel()
	r := cli{held: true}.start(t, "signin", "--json", "--sim-interval", "1s")
	m := r.errOut.waitFor(t, codeRE)
	resp, err := http.PostForm(m[1], url.Values{
		"user_code": {m[2]}, "username": {"adele.vance@contoso.com"},
		"password": {"Restore-2026!"}, "action": {"approve"},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("approving on the device page: HTTP %d", resp.StatusCode)
	}
	// Approved: the client's first poll, held until now, signs in.
	r.clock.release()
	if code := r.wait(t); code != 0 {
		t.Fatalf("signin exit %d; stderr:\n%s", code, r.errOut.String())
	}
	var who whoami
	if err := json.Unmarshal([]byte(r.out.String()), &who); err != nil {
		t.Fatalf("stdout %q is not the JSON result: %v", r.out.String(), err)
	}
	if who.UPN != "adele.vance@contoso.com" || who.TenantID != "39150fda-e360-47ce-b98e-d9250ba6f8e8" || who.ObjectID != "6f162abf-414f-4b42-bd2a-7ff532bb3859" {
		t.Fatalf("signed in as %+v", who)
	}
	if strings.Contains(r.out.String(), "eyJ") || strings.Contains(r.errOut.String(), "eyJ") {
		t.Fatal("a JWT appeared in the output")
	}
}

var (
	authorizeURLRE = regexp.MustCompile(`(http://127\.0\.0\.1:\d+/[0-9a-f-]+/oauth2/v2\.0/authorize\?\S+)`)
	flowFieldRE    = regexp.MustCompile(`name="flow" value="([^"]+)"`)
)

func TestSigninInABrowserAgainstTheSimulatedTenant(t *testing.T) {
	t.Parallel()
	r := start(t, "signin", "--flow", "browser", "--no-browser", "--response-mode", "form_post", "--json")
	authorize := r.errOut.waitFor(t, authorizeURLRE)[1]
	resp, err := http.Get(authorize)
	if err != nil {
		t.Fatal(err)
	}
	page := new(bytes.Buffer)
	_, _ = page.ReadFrom(resp.Body)
	resp.Body.Close()
	flow := flowFieldRE.FindStringSubmatch(page.String())
	if flow == nil {
		t.Fatalf("sign-in page has no form:\n%s", page)
	}
	resp, err = http.PostForm(strings.SplitN(authorize, "?", 2)[0], url.Values{
		"flow": {flow[1]}, "username": {"megan.bowen@contoso.com"}, "password": {"Backup-2026!"}, "action": {"signin"},
	})
	if err != nil {
		t.Fatal(err)
	}
	page.Reset()
	_, _ = page.ReadFrom(resp.Body)
	resp.Body.Close()
	// form_post: the page's auto-submitting form carries code and state to the loopback listener.
	action := regexp.MustCompile(`<form method="post" action="([^"]+)">`).FindStringSubmatch(page.String())
	fields := regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(page.String(), -1)
	if action == nil || len(fields) < 2 {
		t.Fatalf("no form_post form in:\n%s", page)
	}
	form := url.Values{}
	for _, f := range fields {
		form.Set(f[1], html.UnescapeString(f[2]))
	}
	resp, err = http.PostForm(html.UnescapeString(action[1]), form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if code := r.wait(t); code != 0 {
		t.Fatalf("signin exit %d; stderr:\n%s", code, r.errOut.String())
	}
	var who whoami
	if err := json.Unmarshal([]byte(r.out.String()), &who); err != nil || who.UPN != "megan.bowen@contoso.com" || who.Flow != "browser" {
		t.Fatalf("result %q (%v), want megan.bowen signed in with the browser flow", r.out.String(), err)
	}
}

func TestCompletionScriptsAreGenerated(t *testing.T) {
	t.Parallel()
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		code, out, errOut := runCLI(t, "completion", shell)
		if code != 0 || !strings.Contains(out, "oobe") {
			t.Fatalf("completion %s: exit %d, %d bytes; stderr %s", shell, code, len(out), errOut)
		}
	}
}

func TestInterruptedSigninExits130(t *testing.T) {
	t.Parallel()
	r := cli{held: true}.start(t, "signin") // nobody approves: the first poll waits for the interrupt
	r.errOut.waitFor(t, codeRE)
	r.cancel() // what Ctrl+C does through fang's signal context
	if code := r.wait(t); code != 130 {
		t.Fatalf("exit %d, want 130 after an interrupt; stderr:\n%s", code, r.errOut.String())
	}
}

func TestSigninSimApproveSignsInAsTheNamedUserWithoutAPerson(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, "signin", "--json", "--sim-interval", "1s", "--sim-approve", "--user", "megan.bowen@contoso.com")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	var who whoami
	if err := json.Unmarshal([]byte(out), &who); err != nil || who.UPN != "megan.bowen@contoso.com" {
		t.Fatalf("result %q (%v)", out, err)
	}
	if strings.Contains(errOut, "Backup-2026!") {
		t.Fatal("the fixture password was printed")
	}
	if code, _, _ := runCLI(t, "signin", "--sim-approve", "--user", "nobody@contoso.com"); code != 2 {
		t.Fatalf("--sim-approve with an unknown user: exit %d, want 2", code)
	}
}

// With --sim-approve the code is approved before the first poll, so the sign-in does not wait
// out the polling interval: a clock that never lets a wait end does not hold it.
func TestASimApprovedSignInDoesNotWaitOutThePollingInterval(t *testing.T) {
	t.Parallel()
	code, out, errOut := cli{held: true}.run(t, "signin", "--user", "adele.vance@contoso.com", "--sim-approve")
	if code != 0 || !strings.Contains(out, "adele.vance@contoso.com") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
}
