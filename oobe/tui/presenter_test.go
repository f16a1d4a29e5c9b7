package tui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/restore/apply"
	"github.com/oobe-dev/oobe/restore/profile"
)

// hang bounds a wait for something a test expects to happen at once: it fails, it does not
// time anything.
const hang = 10 * time.Second

// demoModel is a test model driven by a pilot under a presenter, its restart recorded.
func demoModel(t *testing.T) (*Model, *clock.Virtual, *[]int) {
	t.Helper()
	m, clk := testModel(t)
	p := newPresenter()
	var restarts []int
	m.piloted = true
	m.demo = &demo{p: p, restart: func(from int, _ time.Duration) tea.Cmd {
		restarts = append(restarts, from)
		return func() tea.Msg { return nil }
	}}
	return m, clk, &restarts
}

func TestKeysAreIgnoredWhileTheWindowIsTooSmall(t *testing.T) {
	m, clk := testModel(t)
	a := setupAsk(m, clk, regionAsk())
	m.Update(tea.WindowSizeMsg{Width: 50, Height: 12})
	if got := answers(t, a, send(m, press("down"), press("enter"))); len(got) != 0 {
		t.Fatalf("at 50x12 Enter answered %+v behind \"Make the window larger\"", got)
	}
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	if got := answers(t, a, send(m, press("enter"))); len(got) != 1 || got[0].Text != "United States" {
		t.Fatalf("back at 100x30 Enter answered %+v, want United States (the cursor did not move while small)", got)
	}
}

func TestTheDemoIgnoresStrayKeysAndTakesThePilots(t *testing.T) {
	m, clk, _ := demoModel(t)
	a := setupAsk(m, clk, regionAsk())
	if got := answers(t, a, send(m, press("down"), press("down"), press("enter"))); len(got) != 0 {
		t.Fatalf("stray keys answered the demo's region screen: %+v", got)
	}
	got := answers(t, a, send(m, pilotKeyMsg{key: keyDown}, pilotKeyMsg{key: keyEnter}))
	if len(got) != 1 || got[0].Text != "United Kingdom" {
		t.Fatalf("the pilot's Down Enter answered %+v, want United Kingdom", got)
	}
}

func TestThePresenterKeys(t *testing.T) {
	m, clk, restarts := demoModel(t)
	setupAsk(m, clk, regionAsk())
	scr := screenText(m)
	if !strings.Contains(scr, "DEMO ▶ 1×") || !strings.Contains(scr, "space pause") || !strings.Contains(scr, "r restart") ||
		!strings.Contains(scr, "+ faster") || !strings.Contains(scr, "- slower") || strings.Contains(scr, "enter") {
		t.Fatalf("the demo's header and footer do not show the badge and the presenter's keys (only):\n%s", scr)
	}
	send(m, press("space"))
	if st := m.demo.p.state(); !st.paused {
		t.Fatal("space did not pause the demo")
	}
	if scr := screenText(m); !strings.Contains(scr, "DEMO ❚❚ paused") || !strings.Contains(scr, "space resume") || !strings.Contains(scr, "s step") {
		t.Fatalf("paused, the screen does not say so or offer resume and step:\n%s", scr)
	}
	send(m, press("s"))
	if st := m.demo.p.state(); st.paused {
		t.Fatal("s did not step on")
	}
	m.demo.p.arrived() // the next screen
	if st := m.demo.p.state(); !st.paused {
		t.Fatal("the demo did not pause again at the next screen after a step")
	}
	send(m, press("space"))
	if st := m.demo.p.state(); st.paused {
		t.Fatal("space did not resume the demo")
	}
	send(m, press("+"), press("+"))
	if st := m.demo.p.state(); st.speed != 4 || !strings.Contains(screenText(m), "DEMO ▶ 4×") {
		t.Fatalf("two + made the speed %v, want 4×:\n%s", st.speed, screenText(m))
	}
	send(m, press("-"), press("-"), press("-"), press("-"), press("-"), press("-"))
	if st := m.demo.p.state(); st.speed != 0.25 {
		t.Fatalf("six - made the speed %v, want the slowest, ¼×", st.speed)
	}
	for _, c := range send(m, press("r")) {
		run(c)
	}
	if len(*restarts) != 1 || (*restarts)[0] != 0 {
		t.Fatalf("r restarted %v, want the run on screen (0) once", *restarts)
	}
}

func TestARestartStartsTheScreensAgainAndDropsTheOldRunsMessages(t *testing.T) {
	m, clk, _ := demoModel(t)
	setupAsk(m, clk, keyboardAsk())
	send(m, resetMsg{round: 1, clock: clk, branding: m.c.Flow.Branding})
	send(m, roundMsg{round: 0, msg: enter(clk, oobe.StageNetwork, nil)})
	if m.active != oobe.StageRegion || len(m.c.Flow.Transcript) != 0 {
		t.Fatalf("after the restart the old run moved the screen to %s (transcript %d)", m.active, len(m.c.Flow.Transcript))
	}
	send(m, roundMsg{round: 1, msg: enter(clk, oobe.StageRegion, setupRegions)})
	if len(m.c.Flow.Transcript) != 1 {
		t.Fatal("the new run's message was dropped")
	}
}

func TestALoopRestartsWhenTheDemoEnds(t *testing.T) {
	m, clk, restarts := demoModel(t)
	m.demo.loop = true
	send(m, enter(clk, oobe.StageDesktop, nil))
	for _, c := range send(m, doneMsg{outcome: &oobe.Outcome{FinalStage: oobe.StageDesktop}}) {
		run(c)
	}
	if len(*restarts) != 1 {
		t.Fatalf("the loop restarted %d times at the desktop, want once", len(*restarts))
	}
}

func TestAPausedWaitEndsOnAStepAndTheStepPausesAtTheNextScreen(t *testing.T) {
	p := newPresenter()
	p.togglePause()
	done := make(chan error, 1)
	go func() { done <- p.wait(context.Background(), time.Hour) }()
	p.step()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(hang):
		t.Fatal("a step did not end the paused wait")
	}
	p.arrived()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { done <- p.wait(ctx, time.Nanosecond) }()
	cancel() // paused again: only the context ends this wait
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("a paused wait ended with %v, want the context's error", err)
	}
}

func TestThePresenterClockPassesTheWholeWaitInVirtualTime(t *testing.T) {
	_, clk := testModel(t)
	c := presenterClock{Clock: clk, p: newPresenter(), speed: 30, most: time.Nanosecond}
	before := clk.Now()
	if err := c.Sleep(context.Background(), 15*time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := clk.Now().Sub(before); got != 15*time.Minute {
		t.Fatalf("the clock moved %s, want the code's 15 minutes", got)
	}
}

// failingOutside is a machine with no browser.
type failingOutside struct{}

func (failingOutside) DeviceCode(context.Context, auth.DeviceCodePrompt) {}
func (failingOutside) Browser(context.Context, string) error {
	return errors.New("there is no display and BROWSER is not set")
}

// blockingSignIn waits for its context and records the ways it was asked for.
type blockingSignIn struct {
	ways chan oobe.SignInMethod
}

func (b blockingSignIn) DeviceCode(ctx context.Context, show func(auth.DeviceCodePrompt)) (*oobe.Session, error) {
	b.ways <- oobe.SignInDeviceCode
	show(setupPrompt)
	<-ctx.Done()
	return nil, ctx.Err()
}

func (b blockingSignIn) Browser(ctx context.Context, open func(string) error) (*oobe.Session, error) {
	b.ways <- oobe.SignInBrowser
	if err := open("http://127.0.0.1:49152/authorize?state=s&code_challenge=c"); err != nil {
		return nil, err
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

// toSignIn is the UI's person with the screens before the sign-in answered at once.
type toSignIn struct{ *person }

func (toSignIn) Region(_ context.Context, o []string) (string, error)     { return o[0], nil }
func (toSignIn) Keyboard(_ context.Context, o []string) (string, error)   { return o[0], nil }
func (toSignIn) SecondKeyboard(context.Context, []string) (string, error) { return "", nil }
func (toSignIn) Network(_ context.Context, o []oobe.Network) (oobe.Network, string, error) {
	return o[0], "", nil
}

// harnessDevice is a device the flow can start with; the harness never gets past sign-in.
type harnessDevice struct{}

func (harnessDevice) Profile() profile.DeviceProfile {
	return profile.DeviceProfile{OS: "10.0.22631.4317", Edition: "Enterprise", Join: profile.JoinEntra,
		Provisioning: profile.ProvisioningUserDriven, Cloud: profile.CloudGlobal, Architecture: "x64",
		Name: "DESKTOP-NEW0001", DeviceID: "7d1c9e40-2b3a-4f5d-8e6c-9a0b1c2d3e4f", TenantID: "39150fda-e360-47ce-b98e-d9250ba6f8e8"}
}

func (harnessDevice) Apply(context.Context, *backup.Content, backup.Owner) (*apply.Report, error) {
	return nil, errors.New("the harness restores nothing")
}

// signInHarness runs the flow to its sign-in with the model as the person's screen: the
// engine's Back (oobe.SignInBacker) is what Esc and a browser that does not open use. The
// sign-in waits until the test ends.
func signInHarness(t *testing.T, outside Outside) (*Model, chan tea.Msg, blockingSignIn) {
	t.Helper()
	m, clk := testModel(t)
	msgs := make(chan tea.Msg, 64)
	ctx, cancel := context.WithCancel(context.Background())
	put := func(msg tea.Msg) {
		select {
		case msgs <- msg:
		case <-ctx.Done():
		}
	}
	a := newSignInAttempt()
	m.actions.attempt = a
	per := &person{send: put, outside: outside, attempt: a}
	inner := blockingSignIn{ways: make(chan oobe.SignInMethod, 4)}
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		_, _ = oobe.Run(ctx, oobe.Config{Clock: clk, SignIn: inner, Device: harnessDevice{}, Person: toSignIn{per},
			Connect:  func(context.Context, *oobe.Session) (oobe.Cloud, error) { return nil, errors.New("not connected") },
			Branding: m.c.Flow.Branding,
			Observe:  func(e oobe.Event) { put(eventMsg{event: e}) }})
	}()
	return m, msgs, inner
}

// until gives the model the person's messages until one satisfies ok.
func until(t *testing.T, m *Model, msgs chan tea.Msg, what string, ok func(tea.Msg) bool) tea.Msg {
	t.Helper()
	for {
		select {
		case msg := <-msgs:
			send(m, msg)
			if ok(msg) {
				return msg
			}
		case <-time.After(hang):
			t.Fatalf("waiting for %s; the screen:\n%s", what, screenText(m))
		}
	}
}

func TestABrowserThatDoesNotOpenFallsBackToADeviceCodeAndSaysSo(t *testing.T) {
	m, msgs, inner := signInHarness(t, failingOutside{})
	msg := until(t, m, msgs, "the ways to sign in", func(msg tea.Msg) bool { _, ok := msg.(askMsg); return ok })
	msg.(askMsg).ask.reply <- Answer{Method: oobe.SignInBrowser}
	until(t, m, msgs, "the code", func(msg tea.Msg) bool { _, ok := msg.(promptMsg); return ok })
	if w := []oobe.SignInMethod{<-inner.ways, <-inner.ways}; w[0] != oobe.SignInBrowser || w[1] != oobe.SignInDeviceCode {
		t.Fatalf("signed in by %v, want the browser, then a device code", w)
	}
	scr := strings.Join(strings.Fields(screenText(m)), " ") // the sentence as read, across its lines
	if !strings.Contains(scr, "No browser opened on this PC (there is no display and BROWSER is not set)") ||
		!strings.Contains(scr, "sign in with a code on another device instead") || strings.Contains(scr, "A browser window opened") ||
		!strings.Contains(scr, "F J 8") {
		t.Fatalf("the fallback does not say plainly that no browser opened, or shows no code:\n%s", screenText(m))
	}
}

func TestEscOnTheSignInWaitsGoesBackToTheWaysToSignIn(t *testing.T) {
	for _, way := range []oobe.SignInMethod{oobe.SignInDeviceCode, oobe.SignInBrowser} {
		t.Run(string(way), func(t *testing.T) {
			m, msgs, inner := signInHarness(t, browserOK{})
			msg := until(t, m, msgs, "the ways to sign in", func(msg tea.Msg) bool { _, ok := msg.(askMsg); return ok })
			msg.(askMsg).ask.reply <- Answer{Method: way}
			until(t, m, msgs, "the wait", func(msg tea.Msg) bool {
				switch msg.(type) {
				case promptMsg, browserMsg:
					return true
				}
				return false
			})
			<-inner.ways
			if scr := screenText(m); !strings.Contains(scr, "esc other ways to sign in") {
				t.Fatalf("the wait's footer does not name Esc:\n%s", scr)
			}
			for _, c := range send(m, press("esc")) {
				run(c)
			}
			until(t, m, msgs, "the Back", func(msg tea.Msg) bool {
				e, ok := msg.(eventMsg)
				return ok && e.event.Text == "Back to the ways to sign in"
			})
			msg = until(t, m, msgs, "the ways to sign in", func(msg tea.Msg) bool { _, ok := msg.(askMsg); return ok })
			if scr := screenText(m); !strings.Contains(scr, "How do you want to sign in?") {
				t.Fatalf("Esc did not go back to the ways to sign in:\n%s", scr)
			}
			// The other way this time.
			other := oobe.SignInBrowser
			if way == oobe.SignInBrowser {
				other = oobe.SignInDeviceCode
			}
			msg.(askMsg).ask.reply <- Answer{Method: other}
			if got := <-inner.ways; got != other {
				t.Fatalf("after Esc the sign-in went on with %s, want %s", got, other)
			}
		})
	}
}

// browserOK is a machine whose browser opens.
type browserOK struct{}

func (browserOK) DeviceCode(context.Context, auth.DeviceCodePrompt) {}
func (browserOK) Browser(context.Context, string) error             { return nil }

func TestTheNetworksRefusalOfAKeyIsShownInWindowsWords(t *testing.T) {
	m, clk := testModel(t)
	a := setupAsk(m, clk, networkAsk())
	got := answers(t, a, send(m, keys("down", "enter", "wrong key", "enter")...))
	if len(got) != 1 || got[0].Passphrase != "wrong key" {
		t.Fatalf("the key typed answered %+v: the network, not the screen, checks it", got)
	}
	send(m, event(clk, oobe.StageNetwork, oobe.EventWarning, oobe.ErrWrongNetworkKey.Error(), nil), askMsg{ask: newAsk(networkAsk())})
	scr := screenText(m)
	if !strings.Contains(scr, "The network security key isn't correct. Please try again.") || !strings.Contains(scr, "Enter the network security key for CONTOSO-GUEST and try again.") {
		t.Fatalf("the refusal is not in Windows' words:\n%s", scr)
	}
}
