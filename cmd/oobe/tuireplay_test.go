package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/replay"
)

// TestTUIReplayReachesTheHeadlessOutcomes replays the whole corpus twice, headless and through
// the terminal UI with the scenarios' steps as key presses: every scenario must end the same.
func TestTUIReplayReachesTheHeadlessOutcomes(t *testing.T) {
	t.Parallel()
	scenarios, err := replay.Load(scenarioCorpus)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	began := time.Now()
	headless := replay.RunAll(ctx, scenarios, replay.Options{})
	tookHeadless := time.Since(began)

	tr, err := newTUIReplay(replayOptions{size: "100x30"}, nil) // nothing recorded: no file names
	if err != nil {
		t.Fatal(err)
	}
	began = time.Now()
	viaTUI := replay.RunAll(ctx, scenarios, replay.Options{Drive: tr.drive})
	tookTUI := time.Since(began)
	t.Logf("%d scenarios: headless %v, through the TUI %v", len(scenarios), tookHeadless.Round(time.Millisecond), tookTUI.Round(time.Millisecond))

	for i, sc := range scenarios {
		h, u := headless[i], viaTUI[i]
		if h.Passed != u.Passed || !reflect.DeepEqual(h.Outcome, u.Outcome) {
			hj, _ := json.Marshal(h.Outcome)
			uj, _ := json.Marshal(u.Outcome)
			t.Errorf("%s: headless passed=%v %s\nthrough the TUI passed=%v %s\nfailures through the TUI: %+v",
				sc.Rel, h.Passed, hj, u.Passed, uj, u.Failures)
			continue
		}
		// The same answers on the same virtual clock: the whole report is the same, transcript
		// and all.
		var hj, uj bytes.Buffer
		_ = replay.WriteJSON(&hj, []*replay.Report{h})
		_ = replay.WriteJSON(&uj, []*replay.Report{u})
		if hj.String() != uj.String() {
			t.Errorf("%s: the report through the TUI differs from the headless one:\n%s\n%s", sc.Rel, &hj, &uj)
		}
	}
}

// The two scenarios recorded: one signs in with a device code after joining a WPA3 network
// with a passphrase, one types a wrong password on the device code page.
var recorded = []string{
	scenarioCorpus + "/backups-listed-newest-first.yaml",
	scenarioCorpus + "/device-code-wrong-password.yaml",
}

func TestReplayRecordsAsciicastsAndScreensWithoutSecrets(t *testing.T) {
	t.Parallel()
	scenarios, err := replay.Load(recorded...)
	if err != nil {
		t.Fatal(err)
	}
	// The secrets of each run: the tenant's codes come from a stream seeded by the scenario,
	// so the headless run shows the same device code the recorded one does.
	secrets := map[string][]string{}
	capture := func(ctx context.Context, d *replay.Drive) (*oobe.Outcome, error) {
		out, err := oobe.Run(ctx, d.Config)
		secrets[d.Scenario.Rel] = append(d.Secrets(), d.Scenario.Password, d.Scenario.Steps.Network.Password)
		return out, err
	}
	for _, sc := range scenarios {
		replay.Run(context.Background(), sc, replay.Options{Drive: capture})
	}

	casts, screens := t.TempDir(), t.TempDir()
	code, out, stderr := replayCLI(t, append(recorded, "--record", casts, "--screens", screens, "--size", "100x30")...)
	if code != 0 {
		t.Fatalf("exit %d:\n%s\n%s", code, out, stderr)
	}
	for _, sc := range scenarios {
		name := strings.TrimSuffix(sc.Rel, ".yaml")
		data, err := os.ReadFile(filepath.Join(casts, name+".cast"))
		if err != nil {
			t.Fatal(err)
		}
		frames := parseCast(t, data, 100, 30, sc)
		signIn := false
		for i, f := range frames {
			text := ansi.Strip(f)
			if strings.Contains(text, "enter this code") {
				signIn = true
				if !strings.Contains(text, "• • •   • • •   • • •") {
					t.Errorf("%s frame %d: the device code is not masked:\n%s", name, i+1, text)
				}
			}
			noSecrets(t, fmt.Sprintf("%s.cast frame %d", name, i+1), f, secrets[sc.Rel])
		}
		if !signIn {
			t.Errorf("%s.cast has no sign-in screen with the code", name)
		}

		dir := filepath.Join(screens, name)
		index, err := os.ReadFile(filepath.Join(dir, "index.txt"))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(string(index), "\n"), "\n")
		if len(lines) != len(frames) || !strings.HasPrefix(lines[0], "001  +0:00:00  ") {
			t.Errorf("%s/index.txt has %d lines for %d frames:\n%s", name, len(lines), len(frames), index)
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			if bytes.ContainsRune(data, '\x1b') || bytes.Contains(data, []byte(" \n")) {
				t.Errorf("%s/%s is not plain trimmed text", name, e.Name())
			}
			noSecrets(t, name+"/"+e.Name(), string(data), secrets[sc.Rel])
		}
	}
}

// noSecrets fails the test when text holds one of secrets or a JWT, as drawn or spaced out.
func noSecrets(t *testing.T, where, text string, secrets []string) {
	t.Helper()
	compact := strings.ReplaceAll(ansi.Strip(text), " ", "")
	for _, s := range append(secrets, "eyJ") {
		if len(s) >= 6 || s == "eyJ" {
			if strings.Contains(text, s) || strings.Contains(compact, s) {
				t.Errorf("%s holds the secret %q", where, s)
			}
		}
	}
}

// parseCast reads an asciicast v2 recording and returns its frames' data.
func parseCast(t *testing.T, data []byte, width, height int, sc *replay.Scenario) []string {
	t.Helper()
	s := bufio.NewScanner(bytes.NewReader(data))
	s.Buffer(nil, 1<<24)
	if !s.Scan() {
		t.Fatal("an empty recording")
	}
	var h struct {
		Version   int               `json:"version"`
		Width     int               `json:"width"`
		Height    int               `json:"height"`
		Timestamp int64             `json:"timestamp"`
		Title     string            `json:"title"`
		Env       map[string]string `json:"env"`
	}
	if err := json.Unmarshal(s.Bytes(), &h); err != nil {
		t.Fatalf("header %s: %v", s.Bytes(), err)
	}
	if h.Version != 2 || h.Width != width || h.Height != height || h.Timestamp != sc.Start.Unix() || h.Title != sc.Name || h.Env["TERM"] == "" {
		t.Fatalf("header %s", s.Bytes())
	}
	var frames []string
	last := 0.0
	for s.Scan() {
		var ev []any
		if err := json.Unmarshal(s.Bytes(), &ev); err != nil || len(ev) != 3 {
			t.Fatalf("event %s: %v", s.Bytes(), err)
		}
		at, ok := ev[0].(float64)
		data, isText := ev[2].(string)
		if !ok || ev[1] != "o" || !isText || at < last {
			t.Fatalf("event %s after one at %v", s.Bytes(), last)
		}
		last = at
		frames = append(frames, data)
	}
	if len(frames) < 5 {
		t.Fatalf("%d frames", len(frames))
	}
	return frames
}

func TestReplayRefusesABadSize(t *testing.T) {
	t.Parallel()
	dir := scenarioDir(t, map[string]string{"pass.yaml": passingScenario})
	for _, size := range []string{"100", "60x20", "100x30x2", "axb", "5000x30"} {
		code, _, stderr := replayCLI(t, dir, "--size", size)
		if code != 2 || !strings.Contains(stderr, "--size") {
			t.Errorf("--size %s: exit %d, stderr %q", size, code, stderr)
		}
	}
	if w, h, err := parseSize("120x40"); w != 120 || h != 40 || err != nil {
		t.Errorf("parseSize(120x40) = %d, %d, %v", w, h, err)
	}
}

func TestRecordingsAreNamedAfterTheScenarioFiles(t *testing.T) {
	t.Parallel()
	a := replay.Entry{File: "corpus/restore/adele.yaml", Rel: "restore/adele.yaml"}
	b := replay.Entry{File: "corpus/x.yml", Rel: "x.yml"}
	c := replay.Entry{File: "other/x.yaml", Rel: "x.yaml"}
	names := fileNames([]replay.Entry{a, b, c})
	if names[a.File] != "restore_adele" || names[b.File] != "x" || names[c.File] != "x-2" {
		t.Fatalf("names %v", names)
	}
}

// A hybrid PC that setup cannot restore, restored at the first sign-in (steps.firstSignIn).
const firstSignInScenario = `name: Adele restores at her first sign-in
tenant:
  fixture: contoso
user: adele.vance@contoso.com
device:
  os: 10.0.26100.7922
  edition: Enterprise
  join: hybrid
  provisioning: userDriven
  enableWindowsRestore: true
steps:
  firstSignIn:
    restore: ADELE-DESKTOP
expect:
  restorePage: hidden
  finalStage: desktop
`

// TestTUIReplayPassesTheFirstSignInThrough: a scenario's steps.firstSignIn reaches the flow
// through the terminal UI, whose screens show the first sign-in's restore page.
func TestTUIReplayPassesTheFirstSignInThrough(t *testing.T) {
	t.Parallel()
	dir := scenarioDir(t, map[string]string{"first.yaml": firstSignInScenario})
	screens := t.TempDir()
	code, out, stderr := replayCLI(t, dir, "--tui", "--screens", screens, "--size", "100x30", "--json")
	if code != 0 {
		t.Fatalf("exit %d:\n%s\n%s", code, out, stderr)
	}
	if !strings.Contains(out, `"stage":"firstSignInRestorePage","kind":"choice","text":"Restore from ADELE-DESKTOP`) {
		t.Errorf("the transcript has no choice on the first sign-in's restore page:\n%s", out)
	}
	entries, err := os.ReadDir(filepath.Join(screens, "first"))
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, e := range entries {
		data, _ := os.ReadFile(filepath.Join(screens, "first", e.Name()))
		all.Write(data)
	}
	for _, want := range []string{"first sign-in since setup", "Restore from ADELE-DESKTOP?", "Continue", "At your first sign-in after setup"} {
		if !strings.Contains(all.String(), want) {
			t.Errorf("no screen of the replay shows %q", want)
		}
	}
}

// Two replays of the same scenarios write the same recordings and screens, byte for byte: the
// tenant's loopback port, the one value that differs between runs, is masked.
func TestRecordingsAndScreensAreTheSameOnEveryRun(t *testing.T) {
	t.Parallel()
	read := func(dir string) map[string]string {
		files := map[string]string{}
		err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			files[rel] = string(data)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return files
	}
	var runs [2]map[string]string
	for i := range runs {
		dir := t.TempDir()
		casts, screens := filepath.Join(dir, "casts"), filepath.Join(dir, "screens")
		code, out, stderr := replayCLI(t, append(recorded, "--record", casts, "--screens", screens)...)
		if code != 0 {
			t.Fatalf("exit %d:\n%s\n%s", code, out, stderr)
		}
		runs[i] = read(dir)
	}
	if len(runs[0]) == 0 {
		t.Fatal("nothing was recorded")
	}
	shown := false
	for name, a := range runs[0] {
		if b, ok := runs[1][name]; !ok || a != b {
			t.Errorf("%s differs between two runs", name)
		}
		if strings.Contains(a, "/devicelogin") {
			shown = true
			if regexp.MustCompile(`127\.0\.0\.1:[0-9]`).MatchString(ansi.Strip(a)) {
				t.Errorf("%s shows the tenant's port", name)
			}
		}
	}
	if !shown {
		t.Error("no screen shows the sign-in page's address: the test proves nothing")
	}
}
