package tui

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/internal/when"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/replay"
	"github.com/oobe-dev/oobe/restore/profile"
)

// The screens from enrollment to the desktop are tested on real runs: a scenario of the QA
// corpus is played headless against the simulated demo tenant (Adele's backups), and its
// transcript is fed to the UI event by event, on the test's virtual clock, up to the state
// a test wants to see.

var (
	laterRuns      sync.Map // scenario file → *oobe.Outcome
	laterRequestID = regexp.MustCompile(`request-id [0-9a-f-]{36}`)
)

// laterOutcome plays fixtures/scenarios/<name>.yaml and returns the flow's outcome.
func laterOutcome(t *testing.T, name string) *oobe.Outcome {
	t.Helper()
	if o, ok := laterRuns.Load(name); ok {
		return o.(*oobe.Outcome)
	}
	scs, err := replay.Load(filepath.Join("..", "..", "fixtures", "scenarios", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out *oobe.Outcome
	rep := replay.Run(context.Background(), scs[0], replay.Options{Parallel: 1, WorkDir: t.TempDir(),
		Drive: func(ctx context.Context, d *replay.Drive) (*oobe.Outcome, error) {
			o, err := oobe.Run(ctx, d.Config)
			out = o
			return o, err
		}})
	if !rep.Passed || out == nil {
		t.Fatalf("scenario %s: %+v", name, rep.Failures)
	}
	// Graph's request ids differ from run to run: the screens draw a fixed one.
	out.Error = laterRequestID.ReplaceAllString(out.Error, "request-id 00000000-0000-4000-8000-000000000000")
	for i := range out.Transcript {
		out.Transcript[i].Text = laterRequestID.ReplaceAllString(out.Transcript[i].Text, "request-id 00000000-0000-4000-8000-000000000000")
	}
	laterRuns.Store(name, out)
	return out
}

// laterPlay feeds the run's events to m, the clock at each event's time, until (and with) the
// first event stop accepts; nil plays them all. It returns that event's index.
func laterPlay(t *testing.T, m *Model, clk *clock.Virtual, out *oobe.Outcome, stop func(e oobe.Event) bool) int {
	t.Helper()
	for i, e := range out.Transcript {
		clk.Set(e.At)
		send(m, eventMsg{event: e})
		if stop != nil && stop(e) {
			return i
		}
	}
	if stop != nil {
		t.Fatal("the run has no event the test waits for")
	}
	return len(out.Transcript) - 1
}

// laterDone plays the whole run and ends it, as the UI sees a finished flow.
func laterDone(t *testing.T, name string) *Model {
	t.Helper()
	out := laterOutcome(t, name)
	m, clk := testModel(t)
	laterPlay(t, m, clk, out, nil)
	send(m, doneMsg{outcome: out})
	return m
}

// laterText stops at the first event whose text starts with prefix.
func laterText(prefix string) func(e oobe.Event) bool {
	return func(e oobe.Event) bool { return strings.HasPrefix(e.Text, prefix) }
}

// laterRestorePage is a run at the restore page, asked to choose among Adele's previous PCs.
func laterRestorePage(t *testing.T) (*Model, *Ask, *oobe.Outcome) {
	t.Helper()
	out := laterOutcome(t, "restore-newest-pc-24h2")
	m, clk := testModel(t)
	laterPlay(t, m, clk, out, laterText("3 previous PCs offered"))
	a := newAsk(Ask{Stage: oobe.StageRestorePage, Profiles: slices.Clone(out.Backups)})
	send(m, askMsg{ask: a})
	return m, a, out
}

// laterESPFailure is a run whose Device setup failed on Apps, waiting for the person's choice.
func laterESPFailure(t *testing.T) (*Model, *Ask) {
	t.Helper()
	out := laterOutcome(t, "esp-app-failure-continue-anyway")
	m, clk := testModel(t)
	i := laterPlay(t, m, clk, out, func(e oobe.Event) bool { return e.Stage == oobe.StageESP && e.Kind == oobe.EventError })
	a := newAsk(Ask{Stage: oobe.StageESP, Failure: out.Transcript[i].Detail.(oobe.ESPFailure)})
	send(m, askMsg{ask: a})
	return m, a
}

func TestLaterScreensLookRight(t *testing.T) {
	cases := []struct {
		name  string
		model func(t *testing.T) *Model
	}{
		{"enrollment", func(t *testing.T) *Model {
			m, clk := testModel(t)
			laterPlay(t, m, clk, laterOutcome(t, "esp-app-failure-continue-anyway"), laterText("Device preparation — Join your organization's network: In progress"))
			clk.Advance(20 * time.Second)
			return m
		}},
		{"eligibility-checking", func(t *testing.T) *Model {
			m, clk := testModel(t)
			laterPlay(t, m, clk, laterOutcome(t, "restore-newest-pc-24h2"), laterText(`"Show restore page"`))
			return m
		}},
		{"eligibility-eligible", func(t *testing.T) *Model {
			m, clk := testModel(t)
			laterPlay(t, m, clk, laterOutcome(t, "old-build-restores-thanks-to-quality-updates"), laterText("The restore page will show"))
			return m
		}},
		{"eligibility-not-eligible", func(t *testing.T) *Model {
			m, clk := testModel(t)
			laterPlay(t, m, clk, laterOutcome(t, "four-device-and-user-rules-fail"), func(e oobe.Event) bool { return e.Stage == oobe.StageESP })
			return m
		}},
		{"eligibility-not-eligible-scrolled", func(t *testing.T) *Model {
			m, clk := testModel(t)
			laterPlay(t, m, clk, laterOutcome(t, "four-device-and-user-rules-fail"), func(e oobe.Event) bool { return e.Stage == oobe.StageESP })
			send(m, press("down"), press("down"), press("down"), press("down"), press("down"))
			return m
		}},
		{"restore-list", func(t *testing.T) *Model {
			m, _, _ := laterRestorePage(t)
			return m
		}},
		{"restore-confirm", func(t *testing.T) *Model {
			m, _, _ := laterRestorePage(t)
			send(m, press("down"), press("enter"))
			return m
		}},
		{"restore-details", func(t *testing.T) *Model {
			m, _, _ := laterRestorePage(t)
			send(m, press("down"), press("down"), press("ctrl+d"))
			return m
		}},
		{"restore-new-pc", func(t *testing.T) *Model {
			m, _, _ := laterRestorePage(t)
			send(m, press("down"), press("down"), press("down"), press("ctrl+d"))
			return m
		}},
		{"esp-collapsed", func(t *testing.T) *Model {
			m, clk := testModel(t)
			laterPlay(t, m, clk, laterOutcome(t, "esp-app-failure-continue-anyway"), laterText("Device setup — Apps: In progress"))
			clk.Advance(2 * time.Minute)
			return m
		}},
		{"esp-expanded", func(t *testing.T) *Model {
			m, clk := testModel(t)
			laterPlay(t, m, clk, laterOutcome(t, "esp-app-failure-continue-anyway"), laterText("Device setup — Apps: In progress"))
			clk.Advance(2 * time.Minute)
			send(m, press("ctrl+d"))
			return m
		}},
		{"esp-failure", func(t *testing.T) *Model {
			m, _ := laterESPFailure(t)
			return m
		}},
		{"esp-failure-expanded", func(t *testing.T) *Model {
			m, _ := laterESPFailure(t)
			send(m, press("ctrl+d"), press("right"))
			return m
		}},
		{"esp-logs", func(t *testing.T) *Model {
			m, _ := laterESPFailure(t)
			send(m, press("right"), press("right"))
			send(m, logsMsg{path: "/home/adele/.local/state/oobe/logs/oobe-setup-logs-20261121T091240Z.txt"})
			return m
		}},
		{"esp-continued", func(t *testing.T) *Model {
			m, clk := testModel(t)
			out := laterOutcome(t, "esp-app-failure-continue-anyway")
			i := laterPlay(t, m, clk, out, func(e oobe.Event) bool { return e.Stage == oobe.StageESP && e.Kind == oobe.EventError })
			a := newAsk(Ask{Stage: oobe.StageESP, Failure: out.Transcript[i].Detail.(oobe.ESPFailure)})
			send(m, askMsg{ask: a}, press("enter"))
			laterPlay(t, m, clk, out, laterText("Account setup — Apps: In progress"))
			return m
		}},
		{"quality-updates", func(t *testing.T) *Model {
			m, clk := testModel(t)
			laterPlay(t, m, clk, laterOutcome(t, "old-build-restores-thanks-to-quality-updates"), laterText("Installing Windows quality updates ("))
			clk.Advance(7*time.Minute + 12*time.Second)
			return m
		}},
		{"restore-apply", func(t *testing.T) *Model {
			m, clk := testModel(t)
			laterPlay(t, m, clk, laterOutcome(t, "intune-layout-and-naming-policies-win"), laterText("Restored Personalization"))
			clk.Advance(3 * time.Second)
			return m
		}},
		{"desktop-restored", func(t *testing.T) *Model { return laterDone(t, "intune-layout-and-naming-policies-win") }},
		{"desktop-restored-scrolled", func(t *testing.T) *Model {
			m := laterDone(t, "intune-layout-and-naming-policies-win")
			for range 12 {
				send(m, press("down"))
			}
			return m
		}},
		{"desktop-new-pc", func(t *testing.T) *Model { return laterDone(t, "set-up-as-new-pc") }},
		{"desktop-not-eligible", func(t *testing.T) *Model { return laterDone(t, "four-device-and-user-rules-fail") }},
		{"desktop-restore-failed", func(t *testing.T) *Model { return laterDone(t, "restore-apply-failure") }},
		{"failed-sign-in", func(t *testing.T) *Model { return laterDone(t, "device-code-declined") }},
		{"failed-wrong-password", func(t *testing.T) *Model { return laterDone(t, "browser-wrong-password") }},
		{"failed-enrollment", func(t *testing.T) *Model { return laterDone(t, "enrollment-restriction-0x80180014") }},
		{"failed-no-tpm", func(t *testing.T) *Model { return laterDone(t, "no-tpm-securing-hardware-0x800705b4") }},
		{"failed-esp-reset", func(t *testing.T) *Model { return laterDone(t, "esp-app-failure-reset") }},
		{"failed-network-lost", func(t *testing.T) *Model { return laterDone(t, "quality-updates-stage-runs-for-old-build") }},
		{"failed-graph", func(t *testing.T) *Model { return laterDone(t, "graph-backup-instances-502-without-end") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, "later-"+tc.name, tc.model(t))
		})
	}
}

// laterPerson answers the restore page and the ESP failure as a scenario would; the pilot
// turns its answers into key presses.
type laterPerson struct {
	oobe.Person
	restore     string
	firstSignIn string
	esp         oobe.ESPChoice
}

func (p laterPerson) RestoreChoice(context.Context, []profile.BackupProfile) (string, error) {
	return p.restore, nil
}

func (p laterPerson) FirstSignInRestoreChoice(context.Context, []profile.BackupProfile) (string, error) {
	return p.firstSignIn, nil
}

func (p laterPerson) ESPFailure(context.Context, oobe.ESPFailure) (oobe.ESPChoice, error) {
	return p.esp, nil
}

func TestTheRestorePageAnswersThePilotsKeys(t *testing.T) {
	_, _, out := laterRestorePage(t)
	choices := []string{""}
	for _, p := range out.Backups {
		choices = append(choices, p.WindowsDeviceID)
	}
	for _, want := range choices {
		m, a, _ := laterRestorePage(t)
		got := pilotAnswers(t, m, a, laterPerson{restore: want})
		if len(got) != 1 || got[0].Text != want || got[0].Back {
			t.Errorf("choosing %q: answers %+v", want, got)
		}
	}
}

// pilotAnswers sends m the keys a pilot presses to answer a as person would, then two more
// Enters (a screen answers once), and returns the answers a got.
func pilotAnswers(t *testing.T, m *Model, a *Ask, person oobe.Person) []Answer {
	t.Helper()
	keys, err := (&Pilot{Person: person}).keys(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	var cmds []tea.Cmd
	for _, k := range keys {
		cmds = append(cmds, send(m, k)...)
	}
	cmds = append(cmds, send(m, press("enter"), press("enter"))...)
	return answers(t, a, cmds)
}

func TestTheRestoreConfirmationGoesBackWithEsc(t *testing.T) {
	m, a, out := laterRestorePage(t)
	cmds := send(m, press("down"), press("enter"))
	if s := screenText(m); !strings.Contains(s, "Restore from "+out.Backups[1].DeviceName+"?") {
		t.Fatalf("no confirmation for %s:\n%s", out.Backups[1].DeviceName, s)
	}
	cmds = append(cmds, send(m, press("esc"))...)
	if s := screenText(m); strings.Contains(s, "Restore from "+out.Backups[1].DeviceName+"?") {
		t.Fatalf("Esc kept the confirmation:\n%s", s)
	}
	// Back on the confirmation returns too; then the cursor is still on the PC.
	cmds = append(cmds, send(m, press("enter"), press("tab"), press("enter"))...)
	if got := answers(t, a, cmds); len(got) != 0 {
		t.Fatalf("answered %+v without confirming", got)
	}
	got := answers(t, a, send(m, press("enter"), press("enter")))
	if len(got) != 1 || got[0].Text != out.Backups[1].WindowsDeviceID {
		t.Fatalf("answers %+v, want %s", got, out.Backups[1].WindowsDeviceID)
	}
}

func TestTheESPFailureAnswersThePilotsKeys(t *testing.T) {
	for _, want := range []oobe.ESPChoice{oobe.ESPContinueAnyway, oobe.ESPResetDevice} {
		m, a := laterESPFailure(t)
		keys, err := (&Pilot{Person: laterPerson{esp: want}}).keys(context.Background(), a)
		if err != nil {
			t.Fatal(err)
		}
		var cmds []tea.Cmd
		for _, k := range keys {
			cmds = append(cmds, send(m, k)...)
		}
		cmds = append(cmds, send(m, press("enter"))...)
		got := answers(t, a, cmds)
		if len(got) != 1 || got[0].Choice != want {
			t.Errorf("choosing %s: answers %+v", want, got)
		}
	}
}

func TestCollectLogsWritesTheTranscriptForItsOwnerOnly(t *testing.T) {
	m, a := laterESPFailure(t)
	dir := filepath.Join(t.TempDir(), "logs")
	m.actions.LogsDir = dir
	cmds := send(m, press("right"), press("right"), press("enter"))
	if len(cmds) != 1 {
		t.Fatalf("Collect logs gave %d commands", len(cmds))
	}
	msgs := run(cmds[0])
	if got := answers(t, a, nil); len(got) != 0 {
		t.Fatalf("Collect logs answered %+v", got)
	}
	if len(msgs) != 1 {
		t.Fatalf("messages %v", msgs)
	}
	lm, ok := msgs[0].(logsMsg)
	if !ok || lm.err != nil {
		t.Fatalf("collecting: %#v", msgs[0])
	}
	send(m, lm)
	if s := screenText(m); !strings.Contains(strings.Join(strings.Fields(s), ""), filepath.Base(lm.path)) {
		t.Errorf("the screen does not show the path %s:\n%s", lm.path, s)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("logs folder %v, %v; want 0700", fi.Mode(), err)
	}
	if filepath.Dir(lm.path) != dir || !strings.Contains(filepath.Base(lm.path), "20261121T091240Z") {
		t.Errorf("logs at %s, want in %s named by the flow's time", lm.path, dir)
	}
	for _, p := range []string{lm.path, strings.TrimSuffix(lm.path, ".txt") + ".json"} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v, %v; want 0600", p, fi.Mode(), err)
		}
	}
	data, err := os.ReadFile(lm.path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Device setup — Apps: Failed (0x81036502)", "Signed in as adele.vance@contoso.com", "Failure: Device setup — Apps failed"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("the text logs lack %q:\n%s", want, data)
		}
	}
	raw, err := os.ReadFile(strings.TrimSuffix(lm.path, ".txt") + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var logs struct {
		Failure    oobe.ESPFailure `json:"failure"`
		Transcript []struct {
			Stage oobe.Stage `json:"stage"`
			Text  string     `json:"text"`
		} `json:"transcript"`
	}
	if err := json.Unmarshal(raw, &logs); err != nil {
		t.Fatal(err)
	}
	if logs.Failure.Code != oobe.CodeESPAppInstall || len(logs.Transcript) != len(m.c.Flow.Transcript) {
		t.Errorf("JSON logs: failure %+v, %d events of %d", logs.Failure, len(logs.Transcript), len(m.c.Flow.Transcript))
	}
	// A second collection in the same second gets a name of its own.
	again := run(send(m, press("ctrl+l"))[0])[0].(logsMsg)
	if again.err != nil || again.path == lm.path {
		t.Errorf("second collection: %+v", again)
	}
}

func TestCollectLogsSaysWhyItCouldNot(t *testing.T) {
	m, _ := laterESPFailure(t)
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	m.actions.LogsDir = filepath.Join(file, "logs")
	msgs := run(send(m, press("ctrl+l"))[0])
	send(m, msgs...)
	if s := screenText(m); !strings.Contains(s, "Couldn't collect the logs") {
		t.Errorf("no error shown:\n%s", s)
	}
}

func TestTheNotEligibleExplanationStaysUntilEnter(t *testing.T) {
	out := laterOutcome(t, "four-device-and-user-rules-fail")
	m, clk := testModel(t)
	laterPlay(t, m, clk, out, func(e oobe.Event) bool { return e.Stage == oobe.StageESP && e.Kind == oobe.EventEnter })
	if m.active != oobe.StageEligibility || !m.held() {
		t.Fatalf("the flow moved on to %s and the explanation did not stay", m.active)
	}
	s := screenText(m)
	for _, r := range out.Eligibility.Reasons {
		if !strings.Contains(s, r.ID) && !strings.Contains(m.screens[oobe.StageEligibility].(*ruleScreen).allText(), r.ID) {
			t.Errorf("reason %s is not explained", r.ID)
		}
	}
	send(m, press("enter"))
	if m.held() || m.active != oobe.StageESP {
		t.Errorf("after Enter the screen is %s (held %v), want the ESP the flow is at", m.active, m.held())
	}
	// A question replaces it at once.
	m2, clk2 := testModel(t)
	laterPlay(t, m2, clk2, out, func(e oobe.Event) bool { return e.Stage == oobe.StageESP && e.Kind == oobe.EventEnter })
	send(m2, askMsg{ask: newAsk(Ask{Stage: oobe.StageESP, Failure: oobe.ESPFailure{Phase: oobe.PhaseDeviceSetup, Message: oobe.ESPErrorText, Code: oobe.CodeESPTimeout, TimedOut: true}})})
	if m2.active != oobe.StageESP {
		t.Errorf("the ESP failure did not replace the explanation: %s", m2.active)
	}
}

// allText is every line of the explanation, scrolled or not.
func (e *ruleScreen) allText() string { return strings.Join(e.lines(), "\n") }

func TestTheEligibleCheckDoesNotHold(t *testing.T) {
	m, clk := testModel(t)
	laterPlay(t, m, clk, laterOutcome(t, "restore-newest-pc-24h2"), func(e oobe.Event) bool { return e.Stage == oobe.StageRestorePage })
	if m.active != oobe.StageRestorePage {
		t.Errorf("an eligible check held the screen at %s", m.active)
	}
}

func TestLaterScreensFitEverySize(t *testing.T) {
	states := map[string]func() *Model{
		"restore": func() *Model { m, _, _ := laterRestorePage(t); send(m, press("ctrl+d")); return m },
		"confirm": func() *Model { m, _, _ := laterRestorePage(t); send(m, press("enter")); return m },
		"esp":     func() *Model { m, _ := laterESPFailure(t); send(m, press("ctrl+d")); return m },
		"desktop": func() *Model { return laterDone(t, "intune-layout-and-naming-policies-win") },
		"failed":  func() *Model { return laterDone(t, "enrollment-restriction-0x80180014") },
		"ineligible": func() *Model {
			m, clk := testModel(t)
			laterPlay(t, m, clk, laterOutcome(t, "four-device-and-user-rules-fail"), func(e oobe.Event) bool { return e.Stage == oobe.StageESP })
			return m
		},
	}
	for name, mk := range states {
		m := mk()
		for _, sz := range [][2]int{{80, 24}, {81, 25}, {95, 30}, {105, 24}, {110, 24}, {111, 50}, {160, 24}, {240, 70}, {80, 60}, {79, 23}, {20, 5}} {
			m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
			for _, k := range []string{"down", "down", "down", "up", "tab", "ctrl+d", "ctrl+d"} {
				send(m, press(k))
			}
			checkFits(t, screenText(m), sz[0], sz[1])
			if t.Failed() {
				t.Fatalf("%s at %dx%d:\n%s", name, sz[0], sz[1], screenText(m))
			}
		}
	}
}

// laterFlowCodes are every error code a run can end with, besides enrollment errors: the
// flow's own, the ESP's, Graph statuses and the sign-in's.
var laterFlowCodes = []string{
	oobe.CodeNetworkLost, oobe.CodeNetworkUnavailable, oobe.CodeESPAppInstall, oobe.CodeESPTimeout,
	oobe.CodeRestoreApplyFailed, oobe.CodeNoIntuneLicense,
	"HTTP 401", "HTTP 403", "HTTP 404", "HTTP 429", "HTTP 500", "HTTP 502", "HTTP 503", "HTTP 504",
	auth.CodeAuthorizationPending, auth.CodeSlowDown, auth.CodeAuthorizationDeclined, auth.CodeExpiredToken,
	auth.CodeBadVerificationCode, auth.CodeAccessDenied, auth.CodeInvalidGrant, auth.CodeInvalidClient,
	auth.CodeUnauthorizedClient, auth.CodeInvalidTenant, auth.CodeInvalidRequest, auth.CodeInvalidScope,
	auth.CodeInteractionRequired, auth.CodeConsentRequired, auth.CodeLoginRequired, auth.CodeServerError,
	auth.CodeTemporarilyUnavail, auth.CodeNetwork, auth.CodeThrottled, auth.CodeCancelled,
	auth.CodeInvalidResponse, auth.CodeInvalidIDToken, auth.CodeWrongUser,
}

// laterAADSTS are the AADSTS numbers the simulated tenant answers with and those auth and
// oobe branch on (Conditional Access, MFA).
var laterAADSTS = []int{
	65004, 70016, 70018, 70019, 50126, 50034, 50076, 50074, 50072, 50078, 50079,
	53000, 53001, 53002, 53003, 53004, 530032, 530035, 54005, 70000, 70008, 700005, 700082, 50173, 50133,
	50148, 501481, 501491, 50089, 50058, 50011, 900144, 9002313, 900561, 500011, 28000, 70011, 70003,
	700054, 90002, 90033, 90055, 700016, 700038, 7000215, 7000218, 700025,
}

func TestErrorHelpKnowsEveryCodeTheFlowEndsWith(t *testing.T) {
	var codes []string
	for _, e := range oobe.EnrollmentErrors() {
		codes = append(codes, e.Code, strings.ToLower(strings.TrimPrefix(e.Code, "0x")))
		meaning, todo, ok := errorHelp(e.Code)
		if !ok || todo == "" {
			t.Errorf("enrollment error %s: no help", e.Code)
		}
		if e.Code != oobe.CodeESPTimeout && meaning != e.Cause {
			t.Errorf("enrollment error %s: meaning %q, want its cause", e.Code, meaning)
		}
		if m, _, _ := failureHelp(e.Message, e.Code); m != e.Cause {
			t.Errorf("enrollment error %s shown with its message: meaning %q, want its cause", e.Code, m)
		}
	}
	codes = append(codes, laterFlowCodes...)
	for _, n := range laterAADSTS {
		codes = append(codes, "AADSTS"+strconv.Itoa(n))
	}
	for _, c := range codes {
		meaning, todo, ok := errorHelp(c)
		if !ok || meaning == "" || todo == "" {
			t.Errorf("errorHelp(%q) = %q, %q, %v", c, meaning, todo, ok)
		}
	}
	for _, unknown := range []string{"", "AADSTS1", "0xDEADBEEF", "something"} {
		if _, _, ok := errorHelp(unknown); ok {
			t.Errorf("errorHelp(%q) claims to know it", unknown)
		}
	}
}

func TestAnUnknownErrorStillShowsItsText(t *testing.T) {
	m, clk := testModel(t)
	send(m, enter(clk, oobe.StageFailed, nil))
	send(m, doneMsg{outcome: &oobe.Outcome{FinalStage: oobe.StageFailed, Error: "sign-in failed (weird_error, AADSTS4242): Entra refused the sign-in request.", ErrorCode: "AADSTS4242"}})
	s := screenText(m)
	for _, want := range []string{"weird_error, AADSTS4242", "Error code: AADSTS4242", "login.microsoftonline.com/error?code=4242"} {
		if !strings.Contains(strings.ReplaceAll(s, "\n", " "), want) {
			t.Errorf("the failed screen lacks %q:\n%s", want, s)
		}
	}
}

func TestRenderHelpers(t *testing.T) {
	now := time.Date(2026, 11, 21, 9, 4, 10, 0, time.UTC)
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{now.Add(-20 * time.Second), "just now"},
		{now.Add(-5 * time.Minute), "5 minutes ago"},
		{now.Add(-time.Hour), "1 hour ago"},
		{time.Date(2026, 11, 20, 23, 0, 0, 0, time.UTC), "yesterday"},
		{time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC), "3 days ago"},
		{time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC), "2 weeks ago"},
		{time.Date(2026, 9, 2, 17, 40, 0, 0, time.UTC), "2 months ago"},
		{time.Date(2023, 9, 2, 17, 40, 0, 0, time.UTC), "3 years ago"},
	} {
		if got := when.Ago(now, tc.at); got != tc.want {
			t.Errorf("when.Ago(%s) = %q, want %q", tc.at, got, tc.want)
		}
	}
	for in, want := range map[string]string{
		"10.0.26100.4946": "Windows 11 24H2 (10.0.26100.4946)",
		"10.0.22631.5768": "Windows 11 23H2 (10.0.22631.5768)",
		"10.0.19045.6216": "Windows 10 22H2 (10.0.19045.6216)",
		"garbage":         "garbage",
	} {
		if got := windowsRelease(in); got != want {
			t.Errorf("windowsRelease(%q) = %q, want %q", in, got, want)
		}
	}
	if got := elapsedText(time.Hour + 2*time.Minute + 5*time.Second); got != "1:02:05" {
		t.Errorf("elapsedText = %q", got)
	}
}
