package replay

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/oobe-dev/oobe/oobe"
)

func mustParse(t testing.TB, name, src string) *Scenario {
	t.Helper()
	sc, err := Parse(name, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func corpus(t testing.TB) []*Scenario {
	t.Helper()
	scs, err := Load("../fixtures/scenarios")
	if err != nil {
		t.Fatal(err)
	}
	return scs
}

func TestTheCorpusPasses(t *testing.T) {
	for _, r := range RunAll(context.Background(), corpus(t), Options{Parallel: 4, WorkDir: t.TempDir()}) {
		if !r.Passed {
			var b strings.Builder
			_ = r.WriteFailure(&b)
			t.Errorf("%s\n%s", r.Line(), b.String())
		}
	}
}

func TestABrokenExpectationFailsWithAReadableDiff(t *testing.T) {
	src := mutate(t, goodScenario, "  restorePage: shown\n  finalStage: desktop\n", `  restorePage: shown
  intuneStatus: Setup as New PC Selected
  backups: [ADELE-SURFACE, ADELE-LAPTOP]
  items:
    counts: {applied: 99}
    names: {applied: [taskbarPin:File Explorer]}
  device:
    personalization/theme: light
  finalStage: desktop
`)
	r := Run(context.Background(), mustParse(t, "broken.yaml", src), Options{WorkDir: t.TempDir()})
	if r.Passed {
		t.Fatal("a scenario with wrong expectations passed")
	}
	want := []Failure{
		{Field: "expect.intuneStatus", Line: 14, Expected: `"Setup as New PC Selected"`, Got: `"Succeeded"`},
		{Field: "expect.backups", Line: 15, Expected: `["ADELE-SURFACE", "ADELE-LAPTOP"]`, Got: `["ADELE-SURFACE", "ADELE-DESKTOP", "ADELE-LAPTOP"]`},
		{Field: "expect.items.counts.applied", Line: 17, Expected: "99", Got: "17: "},
		{Field: "expect.items.names.applied", Line: 18, Expected: `"taskbarPin:File Explorer" applied`, Got: "taskbarPin:File Explorer notSupported (Windows restores taskbar pins only up to Windows 11 23H2"},
		{Field: "expect.device.personalization/theme", Line: 20, Expected: `"light"`, Got: `"dark"`},
	}
	if len(r.Failures) != len(want) {
		t.Fatalf("failures = %+v, want %d", r.Failures, len(want))
	}
	for i, w := range want {
		f := r.Failures[i]
		if f.Field != w.Field || f.Line != w.Line || f.Expected != w.Expected || !strings.HasPrefix(f.Got, w.Got) {
			t.Errorf("failure %d = %+v, want %+v", i, f, w)
		}
	}
	var b strings.Builder
	if err := r.WriteFailure(&b); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	// The first failure is decided where the restore is applied: the excerpt shows that stage
	// and the events just before it, not the whole run.
	for _, line := range []string{
		"    broken.yaml\n",
		"    expect.intuneStatus (line 14)\n        expected: \"Setup as New PC Selected\"\n        got:      \"Succeeded\"\n",
		"transcript around restoreApply",
		"restoreApply     info     Restored from ADELE-SURFACE: 17 applied",
		"esp              status   Account setup: Complete",
	} {
		if !strings.Contains(text, line) {
			t.Errorf("failure text lacks %q:\n%s", line, text)
		}
	}
	if strings.Contains(text, "Is this the right country or region?") {
		t.Errorf("the excerpt shows the whole run, not the part around the failure:\n%s", text)
	}
	inStage := 0
	for _, e := range r.Transcript {
		if e.Stage == oobe.StageRestoreApply {
			inStage++
		}
	}
	if got := strings.Count(text, "\n      +"); got > 2*transcriptContext+inStage {
		t.Errorf("the excerpt has %d events:\n%s", got, text)
	}
}

func TestSignInActionsEndAsEntraAnswers(t *testing.T) {
	cases := []struct {
		name, signIn      string
		errorCode, errMsg string
	}{
		{"a declined device code", "{method: deviceCode, action: decline}", "AADSTS65004", "authorization_declined"},
		{"a wrong password on the device page leaves the code to expire", "{method: deviceCode, action: wrongPassword}", "expired_token", "expired"},
		{"a wrong code on the device page leaves the real one to expire", "{method: deviceCode, action: wrongCode}", "expired_token", "expired"},
		{"a cancelled browser sign-in", "{method: browser, action: decline}", "AADSTS65004", "access_denied"},
		{"a browser sign-in", "{method: browser, action: approve}", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := mutate(t, goodScenario, "{method: deviceCode, action: approve}", tc.signIn)
			final := "failed"
			if tc.errorCode == "" {
				final = "desktop"
			}
			src = mutate(t, src, "  restorePage: shown\n  finalStage: desktop\n", "  finalStage: "+final+"\n  errorCode: \""+tc.errorCode+"\"\n  error: \""+tc.errMsg+"\"\n")
			r := Run(context.Background(), mustParse(t, "signin.yaml", src), Options{WorkDir: t.TempDir()})
			if !r.Passed {
				var b strings.Builder
				_ = r.WriteFailure(&b)
				t.Fatalf("%s\n%s", r.Line(), b.String())
			}
		})
	}
}

func TestStepsTheScreenDoesNotOfferFailTheScenario(t *testing.T) {
	cases := []struct {
		name, steps, field, got string
	}{
		{"a region not offered", "steps:\n  region: Atlantis\n", "run", `steps.region "Atlantis" is not offered on the region screen`},
		{"a previous PC not listed", "steps:\n  restore: ADELE-TABLET\n", "run", `no previous PC "ADELE-TABLET" on the restore page (listed: ADELE-SURFACE, ADELE-DESKTOP, ADELE-LAPTOP)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := mutate(t, goodScenario, "steps:\n  signIn: {method: deviceCode, action: approve}\n", tc.steps)
			r := Run(context.Background(), mustParse(t, "steps.yaml", src), Options{WorkDir: t.TempDir()})
			if r.Passed || len(r.Failures) == 0 || r.Failures[0].Field != tc.field || !strings.Contains(r.Failures[0].Got, tc.got) {
				t.Fatalf("failures = %+v, want %s: …%s…", r.Failures, tc.field, tc.got)
			}
		})
	}
}

func TestReportsAreTheSameOnEveryRunAndAtAnyParallelism(t *testing.T) {
	scs := corpus(t)
	run := func(parallel int) []byte {
		var b bytes.Buffer
		if err := WriteJSON(&b, RunAll(context.Background(), scs, Options{Parallel: parallel, WorkDir: t.TempDir()})); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	first, again, wide := run(1), run(1), run(8)
	if !bytes.Equal(first, again) {
		t.Fatalf("two runs at --parallel 1 differ:\n%s", firstDiff(first, again))
	}
	if !bytes.Equal(first, wide) {
		t.Fatalf("--parallel 1 and --parallel 8 differ:\n%s", firstDiff(first, wide))
	}
	if n := bytes.Count(first, []byte("\n")); n != len(scs) {
		t.Fatalf("%d JSON lines for %d scenarios", n, len(scs))
	}
}

// firstDiff shows the first line where two outputs differ.
func firstDiff(a, b []byte) string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			for j := 0; j < len(la[i]) && j < len(lb[i]); j++ {
				if la[i][j] != lb[i][j] {
					lo := max(0, j-80)
					return "line " + string(rune('0'+i%10)) + ":\n  " + la[i][lo:min(len(la[i]), j+80)] + "\n  " + lb[i][lo:min(len(lb[i]), j+80)]
				}
			}
		}
	}
	return "different lengths"
}

func TestReportsHoldNoTokensPasswordsOrPorts(t *testing.T) {
	scs := corpus(t)
	var b bytes.Buffer
	if err := WriteJSON(&b, RunAll(context.Background(), scs, Options{Parallel: 4, WorkDir: t.TempDir()})); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, sc := range scs {
		for _, u := range sc.Tenant.Users {
			if strings.Contains(out, u.Password) {
				t.Errorf("a report holds %s's password", u.UPN)
			}
		}
	}
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.`),             // a JWT
		regexp.MustCompile(`127\.0\.0\.1:[0-9]`),              // a port that changes every run
		regexp.MustCompile(`enter the code [A-Z0-9]{9}`),      // the device code
		regexp.MustCompile(`oobe-replay-[0-9]+`),              // the temporary directory
		regexp.MustCompile(`"(access|refresh|id)_token"\s*:`), // a token response
	} {
		if m := re.FindString(out); m != "" {
			t.Errorf("a report holds %q (%s)", m, re)
		}
	}
}

func TestTheOldPCBacksUpOnTheEightDaySchedule(t *testing.T) {
	var sc *Scenario
	for _, s := range corpus(t) {
		if filepath.Base(s.File) == "old-pc-backs-up-then-new-pc-restores.yaml" {
			sc = s
		}
	}
	if sc == nil || sc.OldPC == nil {
		t.Fatal("the corpus lacks old-pc-backs-up-then-new-pc-restores.yaml, the 30-day old PC")
	}
	r := Run(context.Background(), sc, Options{WorkDir: t.TempDir()})
	var backups []string
	for _, e := range r.Transcript {
		if e.Stage == StageOldPC && strings.HasSuffix(e.Text, "backed up") {
			backups = append(backups, e.At.Format("2006-01-02"))
		}
	}
	// 30 days before 2026-11-21: a backup at once, then every 8 days.
	want := []string{"2026-10-22", "2026-10-30", "2026-11-07", "2026-11-15"}
	if strings.Join(backups, " ") != strings.Join(want, " ") {
		t.Fatalf("old PC backups on %v, want %v", backups, want)
	}
	if !r.Passed || r.Outcome.FinalStage != oobe.StageDesktop {
		t.Fatalf("%s: %+v", r.Line(), r.Failures)
	}
}

func TestAFaultThatNeverFiresFailsTheScenario(t *testing.T) {
	data, err := os.ReadFile("../fixtures/scenarios/conditional-access-blocks-restore.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The restore app is blocked, so the backups are never listed: this throttle cannot fire.
	text := strings.Replace(string(data), "\nexpect:", "\nfaults:\n  endpoints:\n    - {endpoint: graph.windowsSettings, kind: throttle, times: 9}\nexpect:", 1)
	sc, err := Parse("unfired.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	r := Run(context.Background(), sc, Options{WorkDir: t.TempDir()})
	if r.Passed || len(r.Failures) != 1 || r.Failures[0].Field != "faults" || !strings.Contains(r.Failures[0].Got, "graph.windowsSettings") {
		t.Fatalf("passed %v, failures %+v: want the one unfired fault named", r.Passed, r.Failures)
	}
}
