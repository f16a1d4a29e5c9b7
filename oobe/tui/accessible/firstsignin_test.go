package accessible_test

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/oobe/tui/accessible"
	"github.com/oobe-dev/oobe/restore"
	"github.com/oobe-dev/oobe/restore/profile"
)

// firstSignInWorld is a world whose run goes on to the first sign-in, on a hybrid-joined
// 24H2 PC: setup cannot restore there (hybrid join), the first sign-in can when the device
// policy Enable Windows Restore is on.
func firstSignInWorld(t *testing.T, policy bool) *world {
	t.Helper()
	w := newWorld(t)
	p := eligibleDevice()
	p.OS, p.Join = "10.0.26100.7922", profile.JoinHybrid
	if policy {
		p.EnableWindowsRestore = new(true)
	}
	w.cfg.Device.(*fakeDevice).profile = p
	w.cfg.FirstSignIn = true
	return w
}

// Region, keyboard, no second keyboard, Ethernet, the device code: setup's questions.
var setupAnswers = []string{"1", "1", "1", "1", "1"}

func TestTheFirstSignInAsksTheRestorePageAgainAndSaysItIsTheFirstSignIn(t *testing.T) {
	cases := []struct {
		name    string
		answers []string
		chosen  string
	}{
		{"a previous PC, confirmed", []string{"1", "yes"}, oldPCID},
		{"by name, in any case", []string{"adele-old", "y"}, oldPC2},
		{"the last option keeps the PC as new", []string{"3"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := firstSignInWorld(t, true)
			out, err := w.run(t, append(setupAnswers, tc.answers...)...)
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, w.out.String())
			}
			text := w.out.String()
			if out.FinalStage != oobe.StageDesktop || out.RestorePage || out.FirstSignIn == nil {
				t.Fatalf("final %s, setup's page %v, first sign-in %+v; want the desktop after the first sign-in's page\n%s", out.FinalStage, out.RestorePage, out.FirstSignIn, text)
			}
			fs := out.FirstSignIn
			if !fs.RestorePage || fs.Chosen != tc.chosen {
				t.Errorf("first sign-in page %v, chose %q; want shown, %q", fs.RestorePage, fs.Chosen, tc.chosen)
			}
			if tc.chosen != "" && (fs.Report == nil || fs.Report.Counts.Applied == 0) {
				t.Errorf("no restore at first sign-in: %+v", fs.Report)
			}
			for _, want := range []string{
				"== " + oobe.StageFirstSignIn.Title() + " ==",
				"The restore page will show at first sign-in",
				"== " + oobe.StageFirstSignInRestorePage.Title() + " ==",
				"This is your first sign-in since setup, and Windows offers to restore a previous PC.",
				"1. ADELE-LAPTOP, last backup",
				"3. Set up as new PC",
			} {
				if !strings.Contains(text, want) {
					t.Errorf("the output lacks %q:\n%s", want, text)
				}
			}
			// The setup's restore page did not show: the first-sign-in one is asked once.
			if n := strings.Count(text, "3. Set up as new PC"); n != 1 {
				t.Errorf("the restore page was listed %d times, want once:\n%s", n, text)
			}
		})
	}
}

func TestAFirstSignInThatOffersNoRestoreSaysWhyAndWhatToDo(t *testing.T) {
	w := firstSignInWorld(t, false)
	out, err := w.run(t, setupAnswers...)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, w.out.String())
	}
	fs := out.FirstSignIn
	if out.FinalStage != oobe.StageDesktop || fs == nil || fs.RestorePage || fs.Eligibility == nil {
		t.Fatalf("final %s, first sign-in %+v; want the desktop, no page\n%s", out.FinalStage, fs, w.out.String())
	}
	text := w.out.String()
	for _, want := range []string{
		"Warning: " + restore.ReasonRestorePolicyOff + ": The device policy Enable Windows Restore is not configured",
		"The restore page will not show at first sign-in",
		"You are at your desktop; nothing was restored.",
		"What to do about " + restore.ReasonRestorePolicyOff + ": Turn on the device policy Enable Windows Restore",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the output lacks %q:\n%s", want, text)
		}
	}
}

// lineByLine delivers one line per Read, as a terminal in line mode does.
type lineByLine struct {
	mu    sync.Mutex
	lines []string
}

func (l *lineByLine) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) == 0 {
		return 0, io.EOF
	}
	n := copy(p, l.lines[0]+"\n")
	l.lines = l.lines[1:]
	return n, nil
}

func TestAtATerminalSecretsAreReadWithTheEchoOff(t *testing.T) {
	cases := []struct {
		name    string
		answers []string
		secrets int
	}{
		{"the passphrase", []string{"1", "1", "1", "2", passphrase, "1", "3"}, 1},
		{"the passphrase after an empty one", []string{"1", "1", "1", "2", "", "CONTOSO-GUEST", passphrase, "1", "3"}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var read []string
			accessible.AsTerminal(t, func(in io.Reader) func(context.Context) (string, error) {
				// The terminal's own reader takes the next line from the same input: it gets
				// the secret only if nothing was read ahead of it.
				return func(context.Context) (string, error) {
					b := make([]byte, 256)
					n, err := in.Read(b)
					s := strings.TrimSuffix(string(b[:n]), "\n")
					read = append(read, s)
					return s, err
				}
			})
			w := newWorld(t)
			w.opts.In = &lineByLine{lines: tc.answers}
			out, err := w.run(t)
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, w.out.String())
			}
			if len(read) != tc.secrets || read[len(read)-1] != passphrase {
				t.Fatalf("the secret reader read %q, want %d secrets ending with the passphrase", read, tc.secrets)
			}
			assertInOrder(t, choices(out), []string{"Network: CONTOSO-GUEST (Wi-Fi, wpa2Personal; passphrase entered)", "Set up as new PC"})
			text := w.out.String()
			// Nothing echoed the Enter: the prompt's line is ended by the run itself.
			if !strings.Contains(text, "Passphrase for CONTOSO-GUEST: \n") {
				t.Errorf("the passphrase prompt's line is not ended:\n%s", text)
			}
			transcript, _ := json.Marshal(out)
			if strings.Contains(text, passphrase) || strings.Contains(string(transcript), passphrase) {
				t.Errorf("the passphrase was written down")
			}
		})
	}
}
