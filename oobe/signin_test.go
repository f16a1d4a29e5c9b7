package oobe

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/auth"
)

// waitingSignIn shows its code or opens its page, then waits for the person to finish
// (finish) or for its context; it keeps the browser, as live.SignIn does for a later prompt.
type waitingSignIn struct {
	clock  interface{ Now() time.Time }
	finish chan struct{}
	open   func(string) error
}

func (s *waitingSignIn) wait(ctx context.Context) (*Session, error) {
	select {
	case <-s.finish:
		return &Session{Identity: adele, Expiry: s.clock.Now().Add(time.Hour)}, nil
	case <-ctx.Done():
		return nil, &auth.SignInError{Code: auth.CodeCancelled, Reason: "cancelled", Err: ctx.Err()}
	}
}

func (s *waitingSignIn) DeviceCode(ctx context.Context, show func(auth.DeviceCodePrompt)) (*Session, error) {
	show(auth.DeviceCodePrompt{UserCode: secretUserCode, VerificationURI: "https://microsoft.com/devicelogin", ExpiresAt: s.clock.Now().Add(15 * time.Minute)})
	return s.wait(ctx)
}

func (s *waitingSignIn) Browser(ctx context.Context, open func(string) error) (*Session, error) {
	if err := open("https://login.microsoftonline.com/" + adele.TenantID + "/oauth2/v2.0/authorize?state=" + secretState); err != nil {
		return nil, err
	}
	sess, err := s.wait(ctx)
	if err == nil {
		s.open = open
	}
	return sess, err
}

// leavingPerson is fakePerson with a way out of a sign-in under way: at each sign-in it
// either leaves for leave[i] (back: "" the ways to sign in) or finishes the sign-in.
type leavingPerson struct {
	*fakePerson
	methods []SignInMethod // the answers to the way to sign in, in order
	leave   []*SignInMethod
	noOpen  bool // the browser does not open: it leaves for a code as it fails
	back    chan SignInMethod
	finish  chan struct{}

	asked, attempts int
	finished        bool
	browserCtx      []error // the context's state each time Browser was called
}

func (p *leavingPerson) SignInBack() <-chan SignInMethod { return p.back }

func (p *leavingPerson) SignInMethod(context.Context, Branding) (SignInMethod, error) {
	p.asked++
	return p.methods[min(p.asked, len(p.methods))-1], nil
}

func (p *leavingPerson) act() {
	i := p.attempts
	p.attempts++
	if i < len(p.leave) && p.leave[i] != nil {
		p.back <- *p.leave[i]
		return
	}
	p.finished = true
	close(p.finish)
}

func (p *leavingPerson) DeviceCode(context.Context, auth.DeviceCodePrompt) { p.act() }

func (p *leavingPerson) Browser(ctx context.Context, _ string) error {
	p.browserCtx = append(p.browserCtx, ctx.Err())
	if p.finished {
		return nil // the later prompt (StepUp): nothing more to do
	}
	if p.noOpen {
		p.attempts++
		p.back <- SignInDeviceCode
		return errors.New("no browser to sign in with")
	}
	p.act()
	return nil
}

func to(m SignInMethod) *SignInMethod { return &m }

func leavingWorld(t *testing.T, methods []SignInMethod, leave ...*SignInMethod) (*world, *leavingPerson, *waitingSignIn) {
	t.Helper()
	w := newWorld(t)
	finish := make(chan struct{})
	s := &waitingSignIn{clock: w.clock, finish: finish}
	p := &leavingPerson{fakePerson: w.person, methods: methods, leave: leave, back: make(chan SignInMethod, 1), finish: finish}
	w.cfg.SignIn, w.cfg.Person = s, p
	return w, p, s
}

// signInLines are the sign-in stage's choice and info lines, in order.
func signInLines(out *Outcome) []string {
	var got []string
	for _, e := range out.Transcript {
		if e.Stage == StageSignIn && (e.Kind == EventChoice || e.Kind == EventInfo) {
			got = append(got, e.Text)
		}
	}
	return got
}

func TestBackFromTheCodesWaitAsksTheWayAgainAndEveryAttemptIsInTheTranscript(t *testing.T) {
	w, p, _ := leavingWorld(t, []SignInMethod{SignInDeviceCode, SignInBrowser}, to(""))
	out := w.run(t)
	if out.FinalStage != StageDesktop || out.User != adele.UPN {
		t.Fatalf("final stage %s as %q: %s", out.FinalStage, out.User, out.Error)
	}
	if p.asked != 2 {
		t.Errorf("the way to sign in was asked %d times, want 2", p.asked)
	}
	got := signInLines(out)
	want := []string{"Sign-in method: device code", "Code shown", "Back to the ways to sign in", "Sign-in method: browser", "Browser opened at", "Signed in as"}
	if len(got) != len(want) {
		t.Fatalf("the sign-in's lines are %q, want %q", got, want)
	}
	for i := range want {
		if !slices.ContainsFunc(got[i:i+1], func(s string) bool { return len(s) >= len(want[i]) && s[:len(want[i])] == want[i] }) {
			t.Errorf("line %d is %q, want %q…", i+1, got[i], want[i])
		}
	}
	if e, ok := find(out, EventChoice, "Back to the ways to sign in"); !ok || e.Stage != StageSignIn {
		t.Errorf("the Back is not a choice at sign-in: %+v", e)
	}
}

func TestBackFromTheBrowsersWaitAndBackAgain(t *testing.T) {
	w, p, _ := leavingWorld(t, []SignInMethod{SignInBrowser, SignInBrowser, SignInDeviceCode}, to(""), to(""))
	out := w.run(t)
	if out.FinalStage != StageDesktop || p.asked != 3 {
		t.Fatalf("final stage %s after %d questions: %s", out.FinalStage, p.asked, out.Error)
	}
	var backs int
	for _, l := range signInLines(out) {
		if l == "Back to the ways to sign in" {
			backs++
		}
	}
	if backs != 2 {
		t.Fatalf("%d Backs in the transcript, want 2: %q", backs, signInLines(out))
	}
}

func TestABrowserThatDoesNotOpenGoesOnWithACodeWithoutAsking(t *testing.T) {
	w, p, _ := leavingWorld(t, []SignInMethod{SignInBrowser})
	p.noOpen = true
	p.leave = []*SignInMethod{nil, nil} // the code's sign-in finishes
	out := w.run(t)
	if out.FinalStage != StageDesktop || p.asked != 1 {
		t.Fatalf("final stage %s after %d questions: %s", out.FinalStage, p.asked, out.Error)
	}
	got := signInLines(out)
	if !slices.Contains(got, "Signing in another way instead") || !slices.Contains(got, "Sign-in method: device code") {
		t.Fatalf("the sign-in's lines are %q", got)
	}
}

func TestABackLeftOverFromAnEndedWaitIsIgnored(t *testing.T) {
	w, p, _ := leavingWorld(t, []SignInMethod{SignInDeviceCode})
	p.back <- "" // pressed as an earlier wait ended
	out := w.run(t)
	if out.FinalStage != StageDesktop || p.asked != 1 || slices.Contains(signInLines(out), "Back to the ways to sign in") {
		t.Fatalf("final stage %s after %d questions, lines %q", out.FinalStage, p.asked, signInLines(out))
	}
}

// stepUpCloud opens the sign-in's browser again when the restore app's token is asked for,
// as live.SignIn.StepUp does for a phishing-resistant demand.
type stepUpCloud struct {
	*fakeCloud
	s *waitingSignIn
}

func (c stepUpCloud) RestoreAccess(ctx context.Context) error {
	if c.s.open == nil {
		return errors.New("no browser kept")
	}
	return c.s.open("https://login.microsoftonline.com/x/oauth2/v2.0/authorize?claims=c")
}

func TestTheBrowserKeptForALaterPromptOutlivesItsSignIn(t *testing.T) {
	w, p, s := leavingWorld(t, []SignInMethod{SignInPage})
	w.cfg.Connect = func(context.Context, *Session) (Cloud, error) { return stepUpCloud{w.cloud, s}, nil }
	out := w.run(t)
	if out.FinalStage != StageDesktop {
		t.Fatalf("final stage %s: %s", out.FinalStage, out.Error)
	}
	if len(p.browserCtx) != 2 || p.browserCtx[1] != nil {
		t.Fatalf("the browser's contexts were %v, want a live one for the later prompt", p.browserCtx)
	}
}

func TestAPersonWithoutBackSignsInOnce(t *testing.T) {
	w := newWorld(t)
	out := w.run(t)
	if got := signInLines(out); slices.Contains(got, "Back to the ways to sign in") || len(w.signIn.calls) != 1 {
		t.Fatalf("lines %q, calls %v", got, w.signIn.calls)
	}
}
