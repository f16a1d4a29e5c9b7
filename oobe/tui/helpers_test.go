package tui

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/oobe"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testStart is the virtual time every screen test starts at.
var testStart = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

// goldenSizes are the window sizes every screen is drawn at in golden tests.
var goldenSizes = [][2]int{{80, 24}, {120, 40}}

// testModel is a root model for tests: Contoso's branding, a virtual clock at testStart and
// a dark background, not animated, with no flow behind it: tests send the flow's messages.
func testModel(t testing.TB) (*Model, *clock.Virtual) {
	t.Helper()
	clk := clock.NewVirtual(testStart)
	c := &Common{Styles: NewStyles(true), Keys: DefaultKeyMap(), Clock: clk, Simulated: true,
		Flow: &FlowState{Branding: oobe.Branding{TenantName: "Contoso", DeploymentMode: "userDriven",
			DeviceNameTemplate: "CONTOSO-%SERIAL%", DeviceName: "CONTOSO-5CG1234"}}}
	m := newModel(c, Actions{Ctx: context.Background(), LogsDir: t.TempDir()})
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	return m, clk
}

// send gives the model messages in order, as the program would, and returns the commands.
func send(m *Model, msgs ...tea.Msg) []tea.Cmd {
	var cmds []tea.Cmd
	for _, msg := range msgs {
		_, cmd := m.Update(msg)
		if cmd != nil {
			cmds = append(cmds, cmd)
		}
	}
	return cmds
}

// enter is the flow's "enter" event for a stage, at the clock's time.
func enter(clk clock.Clock, st oobe.Stage, detail any) tea.Msg {
	return eventMsg{event: oobe.Event{At: clk.Now(), Stage: st, Kind: oobe.EventEnter, Text: st.Title(), Detail: detail}}
}

// event is one of the flow's events at the clock's time.
func event(clk clock.Clock, st oobe.Stage, kind oobe.EventKind, text string, detail any) tea.Msg {
	return eventMsg{event: oobe.Event{At: clk.Now(), Stage: st, Kind: kind, Text: text, Detail: detail}}
}

// press is a key press as the terminal sends it: "enter", "down", "ctrl+d", or a character.
func press(k string) tea.Msg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	}
	if rest, ok := strings.CutPrefix(k, "ctrl+"); ok {
		return tea.KeyPressMsg{Code: rune(rest[0]), Mod: tea.ModCtrl}
	}
	r := []rune(k)
	return tea.KeyPressMsg{Code: r[0], Text: k}
}

// answers runs the commands a screen returned and gives back the answers they sent to ask.
func answers(t testing.TB, a *Ask, cmds []tea.Cmd) []Answer {
	t.Helper()
	var out []Answer
	for _, c := range cmds {
		run(c)
	}
	for {
		select {
		case ans := <-a.reply:
			out = append(out, ans)
		default:
			return out
		}
	}
}

// run runs a command and the commands it batches or sequences, returning their messages.
func run(c tea.Cmd) []tea.Msg {
	if c == nil {
		return nil
	}
	msg := c()
	switch msg := msg.(type) {
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range msg {
			out = append(out, run(c)...)
		}
		return out
	case nil:
		return nil
	}
	return []tea.Msg{msg}
}

// newAsk is a question with a reply channel, as the flow's person makes it.
func newAsk(a Ask) *Ask {
	a.reply = make(chan Answer, 1)
	return &a
}

// golden checks the model's screen, colour-stripped, at each golden size against
// testdata/golden/<name>-<w>x<h>.txt (go test -update rewrites them). It draws each 20 times
// and fails if any draw differs: a screen must not depend on anything but its state.
func golden(t *testing.T, name string, m *Model) {
	t.Helper()
	for _, sz := range goldenSizes {
		m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		got := screenText(m)
		for range 19 {
			if again := screenText(m); again != got {
				t.Fatalf("%s at %dx%d drew differently on a second draw:\n%s\n---\n%s", name, sz[0], sz[1], got, again)
			}
		}
		checkFits(t, got, sz[0], sz[1])
		path := filepath.Join("testdata", "golden", name+"-"+fmt.Sprintf("%dx%d", sz[0], sz[1])+".txt")
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./oobe/tui -run %s -update to write it)", err, t.Name())
		}
		if got != string(want) {
			t.Errorf("%s at %dx%d differs from %s:\n--- got\n%s\n--- want\n%s", name, sz[0], sz[1], path, got, want)
		}
	}
}

// screenText is the window as the person sees it, without colours or trailing spaces.
func screenText(m *Model) string {
	lines := strings.Split(ansi.Strip(m.Render()), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n") + "\n"
}

// checkFits fails when a screen is wider or taller than the window.
func checkFits(t *testing.T, text string, w, h int) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) > h {
		t.Errorf("the screen has %d lines in a %dx%d window", len(lines), w, h)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Errorf("line %d is %d columns wide in a %dx%d window: %q", i+1, n, w, h, l)
		}
	}
}
