package tui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/restore/profile"
)

// setupRegions is longer than a screen, so the region list scrolls.
var setupRegions = []string{"United States", "United Kingdom", "Canada", "Germany", "France", "Netherlands",
	"Japan", "Australia", "Austria", "Belgium", "Brazil", "Denmark", "Finland", "India", "Ireland", "Italy",
	"Mexico", "New Zealand", "Norway", "Poland", "Portugal", "Spain", "Sweden", "Switzerland", "United Arab Emirates"}

var setupKeyboards = []string{"US", "United Kingdom", "Canadian Multilingual Standard", "German", "French", "Dutch", "Japanese", "US International"}

var setupNetworks = []oobe.Network{
	{Name: "Ethernet", Wired: true},
	{Name: "CONTOSO-GUEST", Security: "wpa2Personal"},
	{Name: "Lobby", Security: "open"},
	{Name: "CONTOSO-CORP", Security: "wpa3Personal"},
}

var setupPrompt = auth.DeviceCodePrompt{UserCode: "FJ8RQH5XS", VerificationURI: "https://microsoft.com/devicelogin",
	Message:   "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code FJ8RQH5XS to authenticate.",
	ExpiresAt: testStart.Add(15 * time.Minute), Interval: 5 * time.Second}

// setupAsk puts the model on a's stage, as the flow does: its enter event, then the question.
func setupAsk(m *Model, clk clock.Clock, a Ask) *Ask {
	ask := newAsk(a)
	var detail any
	switch a.Stage {
	case oobe.StageRegion, oobe.StageKeyboard, oobe.StageSecondKeyboard:
		detail = a.Options
	case oobe.StageNetwork:
		detail = a.Networks
	}
	send(m, enter(clk, a.Stage, detail), askMsg{ask: ask})
	return ask
}

// keys are key presses by name (see press); a name longer than one character that press
// does not know is typed letter by letter.
func keys(names ...string) []tea.Msg {
	var out []tea.Msg
	for _, n := range names {
		switch n {
		case "enter", "esc", "tab", "up", "down", "left", "right", "backspace", "space":
			out = append(out, press(n))
			continue
		}
		if strings.HasPrefix(n, "ctrl+") || len([]rune(n)) == 1 {
			out = append(out, press(n))
			continue
		}
		out = append(out, typed(n)...)
	}
	return out
}

func regionAsk() Ask { return Ask{Stage: oobe.StageRegion, Options: setupRegions} }
func keyboardAsk() Ask {
	return Ask{Stage: oobe.StageKeyboard, Options: setupKeyboards}
}
func secondAsk() Ask { return Ask{Stage: oobe.StageSecondKeyboard, Options: setupKeyboards} }
func networkAsk() Ask {
	return Ask{Stage: oobe.StageNetwork, Networks: setupNetworks}
}
func signInAsk(m *Model) Ask { return Ask{Stage: oobe.StageSignIn, Branding: m.c.Flow.Branding} }

func TestSetupScreensGolden(t *testing.T) {
	cases := []struct {
		name  string
		setup func(m *Model, clk *clock.Virtual)
	}{
		{"region", func(m *Model, clk *clock.Virtual) { setupAsk(m, clk, regionAsk()) }},
		{"region-scrolled", func(m *Model, clk *clock.Virtual) {
			setupAsk(m, clk, regionAsk())
			for range 14 {
				send(m, press("down"))
			}
		}},
		{"region-filtered", func(m *Model, clk *clock.Virtual) {
			setupAsk(m, clk, regionAsk())
			send(m, keys("uni", "down")...)
		}},
		{"region-nomatch", func(m *Model, clk *clock.Virtual) {
			setupAsk(m, clk, regionAsk())
			send(m, keys("atlantis")...)
		}},
		{"keyboard", func(m *Model, clk *clock.Virtual) {
			setupAsk(m, clk, keyboardAsk())
			send(m, press("down"))
		}},
		{"second-keyboard-buttons", func(m *Model, clk *clock.Virtual) { setupAsk(m, clk, secondAsk()) }},
		{"second-keyboard-list", func(m *Model, clk *clock.Virtual) {
			setupAsk(m, clk, secondAsk())
			send(m, keys("left", "enter", "down", "down")...)
		}},
		{"network", func(m *Model, clk *clock.Virtual) { setupAsk(m, clk, networkAsk()) }},
		{"network-passphrase", func(m *Model, clk *clock.Virtual) {
			setupAsk(m, clk, networkAsk())
			send(m, keys("down", "enter", "secret")...)
		}},
		{"network-failed", func(m *Model, clk *clock.Virtual) {
			a := setupAsk(m, clk, networkAsk())
			answers(t, a, send(m, keys("down", "enter", "enter")...))
			send(m, event(clk, oobe.StageNetwork, oobe.EventChoice, "Network: CONTOSO-GUEST without a passphrase", nil),
				event(clk, oobe.StageNetwork, oobe.EventWarning, "Can't connect to this network", nil),
				askMsg{ask: newAsk(networkAsk())})
		}},
		{"network-connecting", func(m *Model, clk *clock.Virtual) {
			a := setupAsk(m, clk, networkAsk())
			answers(t, a, send(m, keys("enter")...))
		}},
		{"update-check", func(m *Model, clk *clock.Virtual) {
			send(m, enter(clk, oobe.StageUpdateCheck, nil))
			clk.Advance(42 * time.Second)
		}},
		{"update-check-done", func(m *Model, clk *clock.Virtual) {
			send(m, enter(clk, oobe.StageUpdateCheck, nil))
			clk.Advance(time.Minute)
			send(m, event(clk, oobe.StageUpdateCheck, oobe.EventInfo, "No critical updates to install", nil))
		}},
		{"profile-downloading", func(m *Model, clk *clock.Virtual) {
			send(m, enter(clk, oobe.StageAutopilotProfile, nil))
			clk.Advance(7 * time.Second)
		}},
		{"profile", func(m *Model, clk *clock.Virtual) {
			send(m, enter(clk, oobe.StageAutopilotProfile, nil))
			clk.Advance(15 * time.Second)
			b := m.c.Flow.Branding
			send(m, event(clk, oobe.StageAutopilotProfile, oobe.EventInfo, "Autopilot profile for Contoso: userDriven, device name CONTOSO-5CG1234", b))
		}},
		{"signin-welcome", func(m *Model, clk *clock.Virtual) { setupAsk(m, clk, signInAsk(m)) }},
		{"signin-code", func(m *Model, clk *clock.Virtual) {
			m.actions.Open = func(string) error { return nil }
			m.actions.Approve = func(context.Context, auth.DeviceCodePrompt) error { return nil }
			a := setupAsk(m, clk, signInAsk(m))
			answers(t, a, send(m, press("enter")))
			send(m, promptMsg{prompt: setupPrompt})
			clk.Advance(28 * time.Second)
		}},
		{"signin-approved", func(m *Model, clk *clock.Virtual) {
			m.actions.Approve = func(context.Context, auth.DeviceCodePrompt) error { return nil }
			a := setupAsk(m, clk, signInAsk(m))
			answers(t, a, send(m, press("enter")))
			send(m, promptMsg{prompt: setupPrompt})
			clk.Advance(time.Minute)
			for _, c := range send(m, press("ctrl+a")) {
				send(m, run(c)...)
			}
		}},
		{"signin-approve-failed", func(m *Model, clk *clock.Virtual) {
			m.actions.Approve = func(context.Context, auth.DeviceCodePrompt) error {
				return errors.New("the simulated tenant refused the code: it has expired")
			}
			a := setupAsk(m, clk, signInAsk(m))
			answers(t, a, send(m, press("enter")))
			send(m, promptMsg{prompt: setupPrompt})
			clk.Advance(16 * time.Minute)
			for _, c := range send(m, press("ctrl+a")) {
				send(m, run(c)...)
			}
		}},
		{"signin-browser", func(m *Model, clk *clock.Virtual) {
			a := setupAsk(m, clk, signInAsk(m))
			answers(t, a, send(m, press("ctrl+b")))
			send(m, browserMsg{url: "http://127.0.0.1:49152/contoso/oauth2/v2.0/authorize?client_id=x&state=secret-state&code_challenge=abc"})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, clk := testModel(t)
			tc.setup(m, clk)
			golden(t, "setup-"+tc.name, m)
		})
	}
}

// setupPerson answers the setup questions with fixed choices, for the pilot.
type setupPerson struct {
	region, keyboard, second string
	network                  string
	pass                     string
	method                   oobe.SignInMethod
}

func (p setupPerson) Region(context.Context, []string) (string, error)   { return p.region, nil }
func (p setupPerson) Keyboard(context.Context, []string) (string, error) { return p.keyboard, nil }
func (p setupPerson) SecondKeyboard(context.Context, []string) (string, error) {
	return p.second, nil
}
func (p setupPerson) Network(_ context.Context, ns []oobe.Network) (oobe.Network, string, error) {
	for _, n := range ns {
		if n.Name == p.network {
			return n, p.pass, nil
		}
	}
	return oobe.Network{Name: p.network}, p.pass, nil
}
func (p setupPerson) SignInMethod(context.Context, oobe.Branding) (oobe.SignInMethod, error) {
	return p.method, nil
}
func (p setupPerson) DeviceCode(context.Context, auth.DeviceCodePrompt) {}
func (p setupPerson) Browser(context.Context, string) error             { return nil }
func (p setupPerson) RestoreChoice(context.Context, []profile.BackupProfile) (string, error) {
	return "", nil
}
func (p setupPerson) FirstSignInRestoreChoice(context.Context, []profile.BackupProfile) (string, error) {
	return "", nil
}
func (p setupPerson) ESPFailure(context.Context, oobe.ESPFailure) (oobe.ESPChoice, error) {
	return oobe.ESPContinueAnyway, nil
}

// TestSetupScreensAnswerThePilotsKeys drives each screen with the keys the pilot sends for
// an answer and checks the screen gives that answer, once.
func TestSetupScreensAnswerThePilotsKeys(t *testing.T) {
	guest, corp, lobby := setupNetworks[1], setupNetworks[3], setupNetworks[2]
	cases := []struct {
		name   string
		ask    Ask
		person setupPerson
		want   Answer
	}{
		{"the first region", regionAsk(), setupPerson{region: "United States"}, Answer{Text: "United States"}},
		{"a region further down", regionAsk(), setupPerson{region: "Japan"}, Answer{Text: "Japan"}},
		{"the last region, past the window", regionAsk(), setupPerson{region: "United Arab Emirates"}, Answer{Text: "United Arab Emirates"}},
		{"the first keyboard", keyboardAsk(), setupPerson{keyboard: "US"}, Answer{Text: "US"}},
		{"the last keyboard", keyboardAsk(), setupPerson{keyboard: "US International"}, Answer{Text: "US International"}},
		{"skipping the second keyboard", secondAsk(), setupPerson{second: ""}, Answer{Text: ""}},
		{"adding a second keyboard", secondAsk(), setupPerson{second: "German"}, Answer{Text: "German"}},
		{"adding the first as a second keyboard", secondAsk(), setupPerson{second: "US"}, Answer{Text: "US"}},
		{"the wired network", networkAsk(), setupPerson{network: "Ethernet"}, Answer{Network: setupNetworks[0]}},
		{"a secured Wi-Fi with its passphrase", networkAsk(), setupPerson{network: "CONTOSO-GUEST", pass: "p@ss? q"}, Answer{Network: guest, Passphrase: "p@ss? q"}},
		{"a secured Wi-Fi without a passphrase", networkAsk(), setupPerson{network: "CONTOSO-CORP"}, Answer{Network: corp}},
		{"an open Wi-Fi", networkAsk(), setupPerson{network: "Lobby"}, Answer{Network: lobby}},
		{"sign in with a code", Ask{Stage: oobe.StageSignIn}, setupPerson{method: oobe.SignInDeviceCode}, Answer{Method: oobe.SignInDeviceCode}},
		{"sign in with a browser", Ask{Stage: oobe.StageSignIn}, setupPerson{method: oobe.SignInBrowser}, Answer{Method: oobe.SignInBrowser}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, clk := testModel(t)
			m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
			pilot := &Pilot{Person: tc.person}
			a := setupAsk(m, clk, tc.ask)
			ks, err := pilot.keys(context.Background(), a)
			if err != nil {
				t.Fatal(err)
			}
			// Through the root, as the program delivers them: '?' and 'q' in a passphrase
			// are text.
			got := answers(t, a, send(m, ks...))
			if len(got) != 1 || got[0] != tc.want {
				t.Fatalf("keys %v answered %+v, want %+v", ks, got, tc.want)
			}
			if more := answers(t, a, send(m, press("enter"))); len(more) != 0 {
				t.Errorf("a second Enter answered again: %+v", more)
			}
		})
	}
}

func TestSetupScreensKeys(t *testing.T) {
	cases := []struct {
		name string
		ask  func(m *Model) Ask
		keys []string
		want []Answer
	}{
		{"Esc on the keyboard goes back", func(*Model) Ask { return keyboardAsk() }, []string{"down", "esc"}, []Answer{{Back: true}}},
		{"Esc on the second keyboard's buttons goes back", func(*Model) Ask { return secondAsk() }, []string{"esc"}, []Answer{{Back: true}}},
		{"Esc in the second keyboard's list returns to the buttons", func(*Model) Ask { return secondAsk() },
			[]string{"left", "enter", "down", "esc", "right", "enter"}, []Answer{{Text: ""}}},
		{"tab moves between the second keyboard's buttons", func(*Model) Ask { return secondAsk() },
			[]string{"tab", "enter", "enter"}, []Answer{{Text: "US"}}},
		{"ctrl+s skips the second keyboard from the list", func(*Model) Ask { return secondAsk() },
			[]string{"left", "enter", "down", "ctrl+s"}, []Answer{{Text: ""}}},
		{"Esc on the network list goes back", func(*Model) Ask { return networkAsk() }, []string{"esc"}, []Answer{{Back: true}}},
		{"Esc in the passphrase returns to the list", func(*Model) Ask { return networkAsk() },
			[]string{"down", "enter", "abc", "esc", "up", "enter"}, []Answer{{Network: setupNetworks[0]}}},
		{"the passphrase starts empty after Esc", func(*Model) Ask { return networkAsk() },
			[]string{"down", "enter", "abc", "esc", "enter", "xy", "backspace", "enter"}, []Answer{{Network: setupNetworks[1], Passphrase: "x"}}},
		{"the region filter narrows the list", func(*Model) Ask { return regionAsk() },
			[]string{"UNITED", "down", "enter"}, []Answer{{Text: "United Kingdom"}}},
		{"k and j are filter letters, not moves", func(*Model) Ask { return regionAsk() },
			[]string{"j", "enter"}, []Answer{{Text: "Japan"}}},
		{"backspace widens the filter again", func(*Model) Ask { return regionAsk() },
			[]string{"swe", "backspace", "backspace", "down", "enter"}, []Answer{{Text: "Netherlands"}}},
		{"Enter does nothing when nothing matches", func(*Model) Ask { return regionAsk() },
			[]string{"zz", "enter"}, nil},
		{"Esc clears the region filter", func(*Model) Ask { return regionAsk() },
			[]string{"zz", "esc", "enter"}, []Answer{{Text: "United States"}}},
		{"the cursor stops at the end of the list", func(*Model) Ask { return keyboardAsk() },
			[]string{strings.Repeat("j", 20), "enter"}, []Answer{{Text: "US International"}}},
		{"the cursor stops at the top", func(*Model) Ask { return keyboardAsk() },
			[]string{"up", "up", "enter"}, []Answer{{Text: "US"}}},
		{"ctrl+b signs in with a browser", signInAsk, []string{"ctrl+b"}, []Answer{{Method: oobe.SignInBrowser}}},
		{"down and up on the sign-in choices", signInAsk, []string{"down", "up", "enter"}, []Answer{{Method: oobe.SignInDeviceCode}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, clk := testModel(t)
			a := setupAsk(m, clk, tc.ask(m))
			got := answers(t, a, send(m, keys(tc.keys...)...))
			if len(got) != len(tc.want) {
				t.Fatalf("keys %v answered %+v, want %+v", tc.keys, got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("keys %v answered %+v, want %+v", tc.keys, got, tc.want)
				}
			}
		})
	}
}

func TestSetupTypingScreensKeepQuestionMarkAsText(t *testing.T) {
	m, clk := testModel(t)
	setupAsk(m, clk, regionAsk())
	send(m, press("?"))
	if !m.fullHelp {
		t.Fatal("'?' on the region screen with no filter does not show the full help")
	}
	send(m, press("?"))
	send(m, keys("a", "?")...)
	if m.fullHelp {
		t.Error("'?' after a filter letter toggled the help instead of filtering")
	}
	if got := screenText(m); !strings.Contains(got, "No matches") {
		t.Errorf("a filter of \"a?\" still matches:\n%s", got)
	}

	m, clk = testModel(t)
	setupAsk(m, clk, networkAsk())
	send(m, keys("down", "enter")...)
	if got := screenText(m); strings.Contains(got, "↑/↓") || !strings.Contains(got, "enter connect") || !strings.Contains(got, "esc other networks") {
		t.Errorf("the passphrase field's help is not enter and esc only:\n%s", got)
	}
}

func TestSetupSignInCountdown(t *testing.T) {
	for _, tc := range []struct {
		after time.Duration
		want  string
	}{
		{28 * time.Second, "The code expires in 14:32"},
		{14*time.Minute + 59*time.Second + 500*time.Millisecond, "The code expires in 0:01"},
		{10 * time.Minute, "The code expires in 5:00"},
		{15 * time.Minute, "The code has expired."},
	} {
		m, clk := testModel(t)
		a := setupAsk(m, clk, signInAsk(m))
		answers(t, a, send(m, press("enter")))
		send(m, promptMsg{prompt: setupPrompt})
		clk.Advance(tc.after)
		if got := screenText(m); !strings.Contains(got, tc.want) {
			t.Errorf("%v after the code was shown the screen does not say %q:\n%s", tc.after, tc.want, got)
		}
	}
}

func TestSetupSignInKeyActions(t *testing.T) {
	t.Run("ctrl+o opens the verification page and says so", func(t *testing.T) {
		m, clk := testModel(t)
		var opened string
		m.actions.Open = func(u string) error { opened = u; return nil }
		a := setupAsk(m, clk, signInAsk(m))
		answers(t, a, send(m, press("enter")))
		send(m, promptMsg{prompt: setupPrompt})
		cmds := send(m, press("ctrl+o"))
		if opened != "" {
			t.Fatal("the page opened inside Update, not in a command")
		}
		for _, c := range cmds {
			send(m, run(c)...)
		}
		if opened != setupPrompt.VerificationURI {
			t.Errorf("opened %q, want %q", opened, setupPrompt.VerificationURI)
		}
		if got := screenText(m); !strings.Contains(got, "Opened the page in your browser.") {
			t.Errorf("the screen does not say the page opened:\n%s", got)
		}
	})
	t.Run("without a browser and off the simulator the keys are hidden and do nothing", func(t *testing.T) {
		m, clk := testModel(t)
		m.c.Simulated = false
		m.actions.Approve = func(context.Context, auth.DeviceCodePrompt) error { t.Error("approved off the simulator"); return nil }
		a := setupAsk(m, clk, signInAsk(m))
		answers(t, a, send(m, press("enter")))
		send(m, promptMsg{prompt: setupPrompt})
		if cmds := send(m, press("ctrl+o"), press("ctrl+a")); len(cmds) != 0 {
			t.Errorf("ctrl+o and ctrl+a started %d commands", len(cmds))
		}
		if got := screenText(m); strings.Contains(got, "ctrl+o") || strings.Contains(got, "ctrl+a") {
			t.Errorf("the help offers keys that do nothing:\n%s", got)
		}
	})
	t.Run("ctrl+a approves with the UI's context, once at a time", func(t *testing.T) {
		m, clk := testModel(t)
		type ctxKey struct{}
		m.actions.Ctx = context.WithValue(context.Background(), ctxKey{}, "ui")
		var calls int
		m.actions.Approve = func(ctx context.Context, p auth.DeviceCodePrompt) error {
			calls++
			if ctx.Value(ctxKey{}) != "ui" || p.UserCode != setupPrompt.UserCode {
				t.Errorf("Approve got the wrong context or prompt %+v", p)
			}
			return nil
		}
		a := setupAsk(m, clk, signInAsk(m))
		answers(t, a, send(m, press("enter")))
		send(m, promptMsg{prompt: setupPrompt})
		cmds := send(m, press("ctrl+a"), press("ctrl+a"))
		if len(cmds) != 1 {
			t.Fatalf("two ctrl+a started %d commands, want 1", len(cmds))
		}
		send(m, run(cmds[0])...)
		if got := screenText(m); calls != 1 || !strings.Contains(got, "Approved as the demo user — signing in…") {
			t.Errorf("after ctrl+a (%d calls) the screen says:\n%s", calls, got)
		}
	})
}

func TestSetupBrowserPageShowsTheWholeURLToAPersonAndThePageUnderAPilot(t *testing.T) {
	const u = "http://127.0.0.1:49152/authorize?state=s3cr3t&nonce=n0nce"
	for _, piloted := range []bool{false, true} {
		m, clk := testModel(t)
		m.c.Piloted = piloted
		a := setupAsk(m, clk, signInAsk(m))
		answers(t, a, send(m, keys("down", "enter")...))
		send(m, browserMsg{url: u + "#frag"})
		got := strings.ReplaceAll(screenText(m), "\n", "")
		switch {
		case !piloted && !strings.Contains(got, u):
			t.Errorf("a person's browser screen does not show the whole URL %s:\n%s", u, screenText(m))
		case piloted && (strings.Contains(got, "s3cr3t") || !strings.Contains(got, "http://127.0.0.1:49152/authorize")):
			t.Errorf("under a pilot the browser screen shows the query or not the page:\n%s", screenText(m))
		}
	}
}

// TestSetupScreensResize draws every setup screen state at sizes from the smallest to large
// and back, and never panics or overflows.
func TestSetupScreensResize(t *testing.T) {
	states := []func(m *Model, clk *clock.Virtual){
		func(m *Model, clk *clock.Virtual) {
			setupAsk(m, clk, regionAsk())
			send(m, keys("down", "down", "uni")...)
		},
		func(m *Model, clk *clock.Virtual) { setupAsk(m, clk, keyboardAsk()) },
		func(m *Model, clk *clock.Virtual) { setupAsk(m, clk, secondAsk()); send(m, keys("left", "enter")...) },
		func(m *Model, clk *clock.Virtual) {
			setupAsk(m, clk, networkAsk())
			send(m, keys("down", "enter", strings.Repeat("long passphrase ", 10))...)
		},
		func(m *Model, clk *clock.Virtual) { send(m, enter(clk, oobe.StageUpdateCheck, nil)) },
		func(m *Model, clk *clock.Virtual) {
			send(m, enter(clk, oobe.StageAutopilotProfile, nil),
				event(clk, oobe.StageAutopilotProfile, oobe.EventInfo, "profile", m.c.Flow.Branding))
		},
		func(m *Model, clk *clock.Virtual) {
			m.actions.Open = func(string) error { return nil }
			a := setupAsk(m, clk, signInAsk(m))
			answers(t, a, send(m, press("enter")))
			send(m, promptMsg{prompt: setupPrompt})
		},
		func(m *Model, clk *clock.Virtual) {
			a := setupAsk(m, clk, signInAsk(m))
			answers(t, a, send(m, press("ctrl+b")))
			send(m, browserMsg{url: "http://127.0.0.1:1/" + strings.Repeat("very-long-path/", 20)})
		},
	}
	sizes := [][2]int{{80, 24}, {81, 25}, {200, 60}, {80, 40}, {150, 24}, {40, 10}, {0, 0}, {79, 23}, {120, 40}, {1000, 300}, {80, 24}}
	for _, st := range states {
		m, clk := testModel(t)
		st(m, clk)
		for _, sz := range sizes {
			m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
			got := screenText(m)
			if sz[0] > 0 && sz[1] > 0 {
				checkFits(t, got, sz[0], sz[1])
			}
			m.fullHelp = true
			if sz[0] > 0 && sz[1] > 0 {
				checkFits(t, screenText(m), sz[0], sz[1])
			}
			m.fullHelp = false
		}
	}
}
