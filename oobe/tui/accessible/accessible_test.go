package accessible_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/oobe/tui/accessible"
)

// happy answers every question with its first option and restores from the newest PC.
var happy = []string{"1", "1", "1", "1", "1", "1", "yes"}

func TestAWholeRunReachesTheDesktopWithTheChosenAnswers(t *testing.T) {
	cases := []struct {
		name    string
		answers []string
		want    []string // choice events, in order
		chosen  string
	}{
		{"numbers answer every question", happy,
			[]string{"Region: United States", "Keyboard layout: US", "Second keyboard layout: Skip", "Network: Ethernet (wired)",
				"Sign-in method: device code", "Restore from ADELE-LAPTOP"}, oldPCID},
		{"names answer every question, in any case", []string{"germany", "GERMAN", "us international", "ethernet", "code on another device", "adele-old", "YES"},
			[]string{"Region: Germany", "Keyboard layout: German", "Second keyboard layout: Add layout US International", "Network: Ethernet (wired)",
				"Sign-in method: device code", "Restore from ADELE-OLD"}, oldPC2},
		{"Enter alone takes the first option", []string{"", "", "", "", "", "", "y"},
			[]string{"Region: United States", "Keyboard layout: US", "Second keyboard layout: Skip", "Network: Ethernet (wired)",
				"Sign-in method: device code", "Restore from ADELE-LAPTOP"}, oldPCID},
		{"a second keyboard is added by its number", []string{"1", "1", "9", "1", "1", "3"},
			[]string{"Second keyboard layout: Add layout US International"}, ""},
		{"the last option sets the PC up as new", []string{"1", "1", "1", "1", "1", "3"},
			[]string{"Sign-in method: device code", "Set up as new PC"}, ""},
		{"no at the confirmation lists the previous PCs again", []string{"1", "1", "1", "1", "1", "1", "no", "2", "yes"},
			[]string{"Restore from ADELE-OLD"}, oldPC2},
		{"a web browser signs in", []string{"1", "1", "1", "1", "2", "3"},
			[]string{"Sign-in method: browser", "Set up as new PC"}, ""},
		{"a secured Wi-Fi network is joined with its passphrase", []string{"1", "1", "1", "2", passphrase, "1", "3"},
			[]string{"Network: CONTOSO-GUEST (Wi-Fi, wpa2Personal; passphrase entered)"}, ""},
		{"an open Wi-Fi network asks for no passphrase", []string{"1", "1", "1", "cafe", "1", "3"},
			[]string{"Network: CAFE (Wi-Fi, open)"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			out, err := w.run(t, tc.answers...)
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, w.out.String())
			}
			if out.FinalStage != oobe.StageDesktop {
				t.Fatalf("final stage %s, want the desktop\n%s", out.FinalStage, w.out.String())
			}
			if out.Chosen != tc.chosen {
				t.Errorf("chosen %q, want %q", out.Chosen, tc.chosen)
			}
			assertInOrder(t, choices(out), tc.want)
		})
	}
}

// assertInOrder checks that each of want starts one of got, in want's order.
func assertInOrder(t *testing.T, got, want []string) {
	t.Helper()
	i := 0
	for _, g := range got {
		if i < len(want) && strings.HasPrefix(g, want[i]) {
			i++
		}
	}
	if i < len(want) {
		t.Errorf("choices %q\nwant, in this order: %q (missing %q)", got, want, want[i])
	}
}

func TestTheBrowserSignInOpensTheBrowserAtTheSignInPage(t *testing.T) {
	w := newWorld(t)
	if _, err := w.run(t, "1", "1", "1", "1", "2", "3"); err != nil {
		t.Fatal(err)
	}
	if len(w.opened) != 1 || !strings.HasPrefix(w.opened[0], "https://login.microsoftonline.com/") {
		t.Fatalf("opened %q", w.opened)
	}
	if !slices.Contains(strings.Split(w.out.String(), "\n"), w.opened[0]) {
		t.Errorf("the sign-in address is not on a line of its own:\n%s", w.out.String())
	}
}

func TestInvalidAnswersAreAskedAgainWithWhatIsValid(t *testing.T) {
	cases := []struct {
		name    string
		answers []string
		says    string
	}{
		{"a number past the last option", []string{"9", "1", "1", "1", "1", "1", "3"},
			"There is no option 9. Enter a number between 1 and 8, or an option's name."},
		{"zero", []string{"0", "1", "1", "1", "1", "1", "3"}, "There is no option 0."},
		{"a name no option has", []string{"Mars", "1", "1", "1", "1", "1", "3"},
			`"Mars" is not one of the options. Enter a number between 1 and 8, or an option's name.`},
		{"back where the screen has no Back", []string{"back", "1", "1", "1", "1", "1", "3"},
			`"back" is not one of the options.`},
		{"a name where Back is allowed", []string{"1", "Klingon", "1", "1", "1", "1", "3"},
			`"Klingon" is not one of the options. Enter a number between 1 and 8, or an option's name, or back.`},
		{"neither yes nor no at the confirmation", []string{"1", "1", "1", "1", "1", "1", "maybe", "yes"},
			"Type yes or no, then press Enter."},
		{"a method that is not offered", []string{"1", "1", "1", "1", "3", "password", "1", "3"},
			"There is no option 3. Enter a number between 1 and 2, or an option's name."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			out, err := w.run(t, tc.answers...)
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, w.out.String())
			}
			if out.FinalStage != oobe.StageDesktop {
				t.Fatalf("final stage %s\n%s", out.FinalStage, w.out.String())
			}
			if !strings.Contains(w.out.String(), tc.says) {
				t.Errorf("the output does not say %q:\n%s", tc.says, w.out.String())
			}
		})
	}
}

func TestTheEndOfInputEndsTheRunNamingTheQuestion(t *testing.T) {
	cases := []struct {
		name     string
		answers  []string
		approve  bool
		question string
		stage    oobe.Stage
	}{
		{"no input at all", nil, false, "Is this the right country or region?", oobe.StageRegion},
		{"after the region", []string{"1"}, false, "Is this the right keyboard layout or input method?", oobe.StageKeyboard},
		{"after invalid answers", []string{"1", "1", "x", "y"}, false, "Want to add a second keyboard layout?", oobe.StageSecondKeyboard},
		{"at a passphrase", []string{"1", "1", "1", "2"}, false, "Passphrase for CONTOSO-GUEST", oobe.StageNetwork},
		{"at the sign-in method", []string{"1", "1", "1", "1"}, false, "How do you want to sign in?", oobe.StageSignIn},
		{"at the restore page", []string{"1", "1", "1", "1", "1"}, false, "Restore from your previous PC", oobe.StageRestorePage},
		{"at the confirmation", []string{"1", "1", "1", "1", "1", "1"}, false, "Restore from ADELE-LAPTOP?", oobe.StageRestorePage},
		{"while a device code waits for approve", []string{"1", "1", "1", "1", "1"}, true,
			"Type approve and press Enter to approve the sign-in as the demo user", oobe.StageSignIn},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			if tc.approve {
				w.withApproval(0)
			}
			out, err := w.run(t, tc.answers...)
			var ended *accessible.InputEndedError
			if !errors.As(err, &ended) || ended.Question != tc.question {
				t.Fatalf("err = %v, want the input ended at %q\n%s", err, tc.question, w.out.String())
			}
			if want := `input ended at the question "` + tc.question + `"`; !strings.Contains(err.Error(), want) {
				t.Errorf("err %q does not say %s", err, want)
			}
			if out == nil || out.FinalStage != tc.stage {
				t.Fatalf("outcome %+v, want it stopped at %s", out, tc.stage)
			}
			for _, want := range []string{"The input ended before ", "Setup stopped at “" + tc.stage.Title() + "”", tc.question} {
				if !strings.Contains(w.out.String(), want) {
					t.Errorf("the output does not say %q:\n%s", want, w.out.String())
				}
			}
			if strings.Contains(w.out.String(), "context canceled") || strings.Contains(w.out.String(), "Person.") {
				t.Errorf("the output blames a cancelled context:\n%s", w.out.String())
			}
		})
	}
}

func TestBackGoesToThePreviousScreen(t *testing.T) {
	cases := []struct {
		name    string
		answers []string
		want    []string // the choices up to the network
	}{
		{"back at the keyboard returns to the region", []string{"1", "back", "2", "1", "1", "1", "1", "3"},
			[]string{"Region: United States", "Back", "Region: United Kingdom", "Keyboard layout: US", "Second keyboard layout: Skip", "Network: Ethernet (wired)"}},
		{"b at the second keyboard returns to the keyboard", []string{"1", "1", "B", "5", "1", "1", "1", "3"},
			[]string{"Region: United States", "Keyboard layout: US", "Back", "Keyboard layout: French", "Second keyboard layout: Skip", "Network: Ethernet (wired)"}},
		{"back at the network returns to the second keyboard", []string{"1", "1", "1", "Back", "2", "1", "1", "3"},
			[]string{"Region: United States", "Keyboard layout: US", "Second keyboard layout: Skip", "Back", "Second keyboard layout: Add layout US", "Network: Ethernet (wired)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			out, err := w.run(t, tc.answers...)
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, w.out.String())
			}
			got := choices(out)
			if len(got) < len(tc.want) || !slices.Equal(got[:len(tc.want)], tc.want) {
				t.Fatalf("choices %q\nwant them to start %q", got, tc.want)
			}
			if out.FinalStage != oobe.StageDesktop {
				t.Errorf("final stage %s", out.FinalStage)
			}
		})
	}
}

func TestThePassphraseIsNeverWrittenAnywhere(t *testing.T) {
	cases := []struct {
		name    string
		answers []string
	}{
		{"typed at the first try", []string{"1", "1", "1", "2", passphrase, "1", "1", "yes", "3", "1"}},
		{"typed after an empty one", []string{"1", "1", "1", "2", "", "CONTOSO-GUEST", passphrase, "1", "1", "yes", "3", "1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.cfg.Faults.ESPAppInstallFailure = true // to collect logs
			out, err := w.run(t, tc.answers...)
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, w.out.String())
			}
			assertInOrder(t, choices(out), []string{"Network: CONTOSO-GUEST (Wi-Fi, wpa2Personal; passphrase entered)", "Continue anyway"})
			transcript, _ := json.Marshal(out)
			logs := readLogs(t, w.opts.LogsDir)
			for where, text := range map[string]string{"the output": w.out.String(), "the outcome": string(transcript), "the logs": logs} {
				if strings.Contains(text, passphrase) {
					t.Errorf("the passphrase is in %s", where)
				}
			}
			if !strings.Contains(w.out.String(), "Passphrase for CONTOSO-GUEST: ") {
				t.Errorf("no passphrase prompt:\n%s", w.out.String())
			}
		})
	}
}

// readLogs reads every file "Collect logs" wrote.
func readLogs(t *testing.T, dir string) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no logs in %s (%v)", dir, err)
	}
	var all strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	return all.String()
}

func TestAnswersArriveHoweverTheInputDeliversThem(t *testing.T) {
	answers := lines("germany", "2", "9", "2", passphrase, "1", "2", "yes")
	cases := []struct {
		name string
		in   func(t *testing.T) io.Reader
	}{
		{"all in one buffer", func(*testing.T) io.Reader { return strings.NewReader(answers) }},
		{"one byte at a time", func(*testing.T) io.Reader { return iotest.OneByteReader(strings.NewReader(answers)) }},
		{"with Windows line endings and no final newline", func(*testing.T) io.Reader {
			return strings.NewReader(strings.TrimSuffix(strings.ReplaceAll(answers, "\n", "\r\n"), "\r\n"))
		}},
		{"one line at a time through a pipe, as typed", func(t *testing.T) io.Reader {
			r, pw := io.Pipe()
			t.Cleanup(func() { r.Close() })
			go func() {
				for _, l := range strings.SplitAfter(answers, "\n") {
					time.Sleep(2 * time.Millisecond)
					if _, err := io.WriteString(pw, l); err != nil {
						return
					}
				}
				pw.Close()
			}()
			return r
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.opts.In = tc.in(t)
			out, err := w.run(t)
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, w.out.String())
			}
			assertInOrder(t, choices(out), []string{"Region: Germany", "Keyboard layout: United Kingdom", "Second keyboard layout: Add layout US International",
				"Network: CONTOSO-GUEST", "Sign-in method: device code", "Restore from ADELE-OLD"})
			if out.FinalStage != oobe.StageDesktop || out.Chosen != oldPC2 {
				t.Errorf("final stage %s, chosen %q", out.FinalStage, out.Chosen)
			}
		})
	}
}

func TestApprovingTheDeviceCodeFromTheInput(t *testing.T) {
	cases := []struct {
		name      string
		answers   []string
		fails     int // approvals that fail before one goes through
		approvals int
		says      string
	}{
		{"approve approves as the demo user", []string{"1", "1", "1", "1", "1", "approve", "1", "yes"}, 0, 1, "Approved."},
		{"other lines are answered until approve comes", []string{"1", "1", "1", "1", "1", "1", "hello", " APPROVE ", "1", "yes"}, 0, 1,
			`That is not "approve". Type approve and press Enter`},
		{"a failed approval can be tried again", []string{"1", "1", "1", "1", "1", "approve", "approve", "1", "yes"}, 1, 2,
			"Could not approve the sign-in: the sign-in page did not answer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.withApproval(tc.fails)
			out, err := w.run(t, tc.answers...)
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, w.out.String())
			}
			if out.FinalStage != oobe.StageDesktop || out.Chosen != oldPCID {
				t.Fatalf("final stage %s, chosen %q\n%s", out.FinalStage, out.Chosen, w.out.String())
			}
			if len(w.approved) != tc.approvals || w.approved[0] != userCode {
				t.Errorf("approved %q, want the code %d times", w.approved, tc.approvals)
			}
			text := w.out.String()
			if !strings.Contains(text, tc.says) {
				t.Errorf("the output does not say %q:\n%s", tc.says, text)
			}
			// The approver's words come before the flow says the sign-in is done.
			if i, j := strings.Index(text, tc.says), strings.Index(text, "Signed in as"); j < i {
				t.Errorf("%q comes after the sign-in ended:\n%s", tc.says, text)
			}
		})
	}
}

func TestWithoutApproveNothingIsReadWhileTheCodeIsShown(t *testing.T) {
	w := newWorld(t)
	out, err := w.run(t, happy...)
	if err != nil || out.Chosen != oldPCID {
		t.Fatalf("Run: %v, chosen %q\n%s", err, out.Chosen, w.out.String())
	}
	if strings.Contains(w.out.String(), "type approve") {
		t.Errorf("approval offered without Approve:\n%s", w.out.String())
	}
}

func TestAnEnrollmentStatusPageFailureAsksWhatToDo(t *testing.T) {
	cases := []struct {
		name    string
		answers []string
		stage   oobe.Stage
		logs    int
	}{
		{"Continue anyway reaches the desktop", []string{"1"}, oobe.StageDesktop, 0},
		{"Reset device ends the setup", []string{"reset device"}, oobe.StageFailed, 0},
		{"Collect logs writes the transcript and asks again", []string{"3", "collect logs", "1"}, oobe.StageDesktop, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.cfg.Faults.ESPAppInstallFailure = true
			out, err := w.run(t, append([]string{"1", "1", "1", "1", "1", "3"}, tc.answers...)...)
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, w.out.String())
			}
			if out.FinalStage != tc.stage {
				t.Fatalf("final stage %s, want %s\n%s", out.FinalStage, tc.stage, w.out.String())
			}
			text := w.out.String()
			for _, want := range []string{"Device setup — Apps failed.\n", oobe.ESPErrorText + "\n", "Error code: " + oobe.CodeESPAppInstall + "\n",
				"1. Continue anyway\n2. Reset device\n3. Collect logs\n"} {
				if !strings.Contains(text, want) {
					t.Errorf("the failure does not say %q:\n%s", want, text)
				}
			}
			if strings.Count(text, oobe.ESPErrorText) != 1 {
				t.Errorf("the error text is read out %d times, want once", strings.Count(text, oobe.ESPErrorText))
			}
			files, _ := filepath.Glob(filepath.Join(w.opts.LogsDir, "*.txt"))
			if all, _ := filepath.Glob(filepath.Join(w.opts.LogsDir, "*")); len(all) != 2*len(files) {
				t.Errorf("%d files for %d collections: want a text and a JSON file each", len(all), len(files))
			}
			if len(files) != tc.logs {
				t.Fatalf("%d log files, want %d", len(files), tc.logs)
			}
			if tc.logs == 0 {
				return
			}
			assertLogs(t, w, files, text)
		})
	}
}

// assertLogs checks the collected logs: private, named on the screen, the transcript so far.
func assertLogs(t *testing.T, w *world, files []string, text string) {
	t.Helper()
	if st, err := os.Stat(w.opts.LogsDir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("logs folder %v, %v: want 0700", st.Mode(), err)
	}
	for _, f := range files {
		js := strings.TrimSuffix(f, ".txt") + ".json"
		for _, p := range []string{f, js} {
			if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("log file %s: %v: want 0600", p, err)
			}
		}
		if !strings.Contains(text, "The logs are in "+f+"\n") {
			t.Errorf("the path %s is not said:\n%s", f, text)
		}
		data, err := os.ReadFile(js)
		if err != nil {
			t.Fatal(err)
		}
		var logs struct {
			Failure    *oobe.ESPFailure `json:"failure"`
			Transcript []oobe.Event     `json:"transcript"`
		}
		if err := json.Unmarshal(data, &logs); err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		events := logs.Transcript
		if logs.Failure == nil || logs.Failure.Code != oobe.CodeESPAppInstall {
			t.Errorf("the logs do not say which failure they were collected for: %+v", logs.Failure)
		}
		if len(events) == 0 || events[0].Text != oobe.StageRegion.Title() || !strings.Contains(events[len(events)-1].Text, oobe.CodeESPAppInstall) {
			t.Errorf("the logs are not the transcript up to the failure: %d events", len(events))
		}
		if strings.Contains(string(data), userCode) {
			t.Error("the logs hold the device code")
		}
	}
}

func TestCollectLogsWithoutAFolderSaysSoAndAsksAgain(t *testing.T) {
	w := newWorld(t)
	w.opts.LogsDir = ""
	w.cfg.Faults.ESPAppInstallFailure = true
	out, err := w.run(t, "1", "1", "1", "1", "1", "3", "3", "1")
	if err != nil || out.FinalStage != oobe.StageDesktop {
		t.Fatalf("Run: %v\n%s", err, w.out.String())
	}
	if !strings.Contains(w.out.String(), "Could not collect the logs: no folder is set for logs") {
		t.Errorf("no explanation:\n%s", w.out.String())
	}
}

func TestTheEventsAreReadOutAsPlainSentences(t *testing.T) {
	w := newWorld(t)
	w.cloud.reportErr = errors.New("Intune is down")
	if _, err := w.run(t, happy...); err != nil {
		t.Fatal(err)
	}
	text := w.out.String()
	var lines []string
	for l := range strings.SplitSeq(text, "\n") {
		lines = append(lines, l)
	}
	for _, want := range []string{
		"== Checking for updates ==",
		"== Enrollment Status Page ==",
		"You chose: Region: United States",
		"Device setup — Apps: In progress",
		"Welcome to Contoso.",
		"This PC will be named CONTOSO-5CG1234.",
		codePage,
		"Enter this code: " + userCode,
		"The code, letter by letter: Q X 7 P K 2 M 9 R",
		"The code expires in 15 minutes, at 09:16 UTC.",
		"Waiting for you to sign in…",
		"1. ADELE-LAPTOP, last backup 2 days ago (19 November 2026), Windows 11 23H2 (10.0.22631.5768)",
		"2. ADELE-OLD, last backup 5 weeks ago (12 October 2026), Windows 10 22H2 (10.0.19045.6216)",
		"3. Set up as new PC",
		"Warning: The restore status did not reach Intune: Intune is down",
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("no line %q", want)
		}
	}
	if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, "Restored ") && strings.Contains(l, " items") }) {
		t.Error("no restore progress line")
	}
	if strings.ContainsAny(text, "\x1b\r") {
		t.Error("the output has escape sequences or carriage returns")
	}
	if strings.Count(text, "Is this the right country or region?") != 1 {
		t.Errorf("the region question is read out %d times, want once (the heading)", strings.Count(text, "Is this the right country or region?"))
	}
}

func TestAnObserverAlreadySetStillHearsEveryEvent(t *testing.T) {
	w := newWorld(t)
	var heard []oobe.Event
	w.cfg.Observe = func(e oobe.Event) { heard = append(heard, e) }
	out, err := w.run(t, happy...)
	if err != nil {
		t.Fatal(err)
	}
	if len(heard) == 0 || len(heard) != len(out.Transcript) {
		t.Errorf("heard %d events, the transcript has %d", len(heard), len(out.Transcript))
	}
}

func TestAContextThatEndsStopsAQuestionThatWaits(t *testing.T) {
	w := newWorld(t)
	r, pw := io.Pipe() // nobody types
	t.Cleanup(func() { pw.Close() })
	w.opts.In = r
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := make(chan struct{})
	var out *oobe.Outcome
	var err error
	go func() {
		out, err = accessible.Run(ctx, w.cfg, w.opts)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Minute): // a hang bound, not a speed
		t.Fatal("Run still waits for an answer after its context ended")
	}
	if !errors.Is(err, context.DeadlineExceeded) || out == nil || out.FinalStage != oobe.StageRegion {
		t.Fatalf("err %v, outcome %+v", err, out)
	}
}
