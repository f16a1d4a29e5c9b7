package accessible

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/internal/signinpage"
	"github.com/oobe-dev/oobe/internal/when"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/restore/profile"
)

// The sign-in methods as the question offers them.
const (
	methodCode    = "Code on another device"
	methodBrowser = "Web browser"
	methodPage    = "Username and password on this PC"
)

// The choices on an Enrollment Status Page failure.
const (
	espContinue    = "Continue anyway"
	espReset       = "Reset device"
	espCollectLogs = "Collect logs"
)

// approveWord is what the person types to approve a device code as the demo user;
// backWord, while the code waits, goes back to the ways to sign in.
const (
	approveWord = "approve"
	backWord    = "back"
)

// approveQuestion names the wait for the approval line when input ends there.
const approveQuestion = `Type approve and press Enter to approve the sign-in as the demo user`

// person is oobe.Person as line prompts: each question is printed with numbered options and
// answered from the next line of input. Its methods and observe run on the flow's goroutine;
// only the sign-in's approval reader runs on another.
type person struct {
	opts  Options
	in    *input
	out   *screen
	clock clock.Clock
	// stop ends the run with a cause: the approval reader's way to end it.
	stop context.CancelCauseFunc

	heading    string       // the title of the stage the flow last entered
	transcript []oobe.Event // the flow's events so far, for "Collect logs"

	// The approval reader of a device code being shown, while the sign-in waits.
	signInDone context.CancelFunc
	approver   sync.WaitGroup
	// stopped is why the approval reader ended the run, read once endSignIn has waited
	// for it.
	stopped error
	// onPage is set when the person chose the tenant's sign-in page: the flow's browser
	// sign-in then happens here.
	onPage bool
	// secret reads secrets without echoing them, at a terminal; nil for any other input,
	// which echoes nothing.
	secret secretReader
	// leave tells the flow the person left the sign-in under way (oobe.SignInBacker): back
	// typed while the code waits.
	leave chan oobe.SignInMethod
}

var (
	_ oobe.Person       = (*person)(nil)
	_ oobe.SignInBacker = (*person)(nil)
)

// SignInBack is where the flow hears the person go back from the code's wait.
func (p *person) SignInBack() <-chan oobe.SignInMethod { return p.leave }

// question is one numbered question.
type question struct {
	title   string   // the question, printed unless the stage's heading already said it
	intro   []string // lines before the title: what the question is about
	options []string // as listed: "1. United States"
	// names are further names an option answers to, by index, besides its listed text.
	names map[int][]string
	back  bool // "b" or "back" goes back to the previous screen
}

// ask prints q and returns the index of the option the person picks: by number, by name in
// any case, or the first with Enter alone. Anything else is answered with what is valid and
// asked again.
func (p *person) ask(ctx context.Context, q question) (int, error) {
	for _, l := range q.intro {
		p.out.line("%s", l)
	}
	if q.title != p.heading {
		p.out.line("%s", q.title)
	}
	for i, o := range q.options {
		p.out.line("%d. %s", i+1, o)
	}
	if q.back {
		p.out.line("Or type back to go back to the previous screen.")
	}
	n := len(q.options)
	valid := fmt.Sprintf("Enter a number between 1 and %d, or an option's name", n)
	prompt := fmt.Sprintf("Enter a number between 1 and %d (Enter for 1): ", n)
	if n == 1 {
		valid, prompt = "Enter 1, or the option's name", "Enter 1 (Enter for 1): "
	}
	if q.back {
		valid += `, or back`
	}
	for {
		p.out.prompt(prompt)
		got, err := p.readLine(ctx, q.title)
		if err != nil {
			return 0, err
		}
		got = strings.TrimSpace(got)
		if got == "" {
			return 0, nil
		}
		if q.back && (strings.EqualFold(got, "b") || strings.EqualFold(got, "back")) {
			return 0, oobe.ErrBack
		}
		if i, err := strconv.Atoi(got); err == nil {
			if i >= 1 && i <= n {
				return i - 1, nil
			}
			p.out.line("There is no option %d. %s.", i, valid)
			continue
		}
		if i := q.index(got); i >= 0 {
			return i, nil
		}
		p.out.line("%q is not one of the options. %s.", got, valid)
	}
}

// index finds the option named got, in any case; -1 when none is.
func (q question) index(got string) int {
	for i, o := range q.options {
		if strings.EqualFold(o, got) || slices.ContainsFunc(q.names[i], func(n string) bool { return strings.EqualFold(n, got) }) {
			return i
		}
	}
	return -1
}

// yesNo asks a yes-or-no question; it has no default.
func (p *person) yesNo(ctx context.Context, text string) (bool, error) {
	for {
		p.out.prompt(text + " (yes/no): ")
		got, err := p.readLine(ctx, text)
		if err != nil {
			return false, err
		}
		switch strings.ToLower(strings.TrimSpace(got)) {
		case "y", "yes":
			return true, nil
		case "n", "no":
			return false, nil
		}
		p.out.line("Type yes or no, then press Enter.")
	}
}

// readLine reads the answer to the question named q: the end of input becomes an
// *InputEndedError naming it.
func (p *person) readLine(ctx context.Context, q string) (string, error) {
	s, err := p.in.next(ctx)
	switch {
	case err == nil:
		p.out.answered()
		return s, nil
	case errors.Is(err, io.EOF):
		p.out.answered()
		p.out.line("The input ended before this question was answered.")
		return "", &InputEndedError{Question: q}
	case ctx.Err() != nil:
		return "", err
	}
	return "", fmt.Errorf("reading the answer to %q: %w", q, err)
}

// readSecret reads a passphrase or a password, as readLine reads an answer; at a terminal with
// the echo off, so it is never seen. The secret is never written anywhere.
func (p *person) readSecret(ctx context.Context, q string) (string, error) {
	if p.secret == nil {
		return p.readLine(ctx, q)
	}
	s, direct, err := p.in.secretLine(ctx, p.secret)
	if direct && ctx.Err() == nil {
		p.out.blank() // the Enter did not echo: end the prompt's line
	}
	switch {
	case err == nil:
		return s, nil
	case errors.Is(err, io.EOF):
		p.out.line("The input ended before this question was answered.")
		return "", &InputEndedError{Question: q}
	case ctx.Err() != nil:
		return "", err
	}
	return "", fmt.Errorf("reading the answer to %q: %w", q, err)
}

func (p *person) Region(ctx context.Context, offered []string) (string, error) {
	i, err := p.ask(ctx, question{title: oobe.StageRegion.Title(), options: offered})
	if err != nil {
		return "", err
	}
	return offered[i], nil
}

func (p *person) Keyboard(ctx context.Context, offered []string) (string, error) {
	i, err := p.ask(ctx, question{title: oobe.StageKeyboard.Title(), options: offered, back: true})
	if err != nil {
		return "", err
	}
	return offered[i], nil
}

// SecondKeyboard offers Skip first, then the layouts.
func (p *person) SecondKeyboard(ctx context.Context, offered []string) (string, error) {
	i, err := p.ask(ctx, question{title: oobe.StageSecondKeyboard.Title(), options: append([]string{"Skip"}, offered...), back: true})
	if err != nil || i == 0 {
		return "", err
	}
	return offered[i-1], nil
}

// Network asks for the network, then a secured Wi-Fi's passphrase. The passphrase is read
// and handed to the flow; it is never written anywhere.
func (p *person) Network(ctx context.Context, offered []oobe.Network) (oobe.Network, string, error) {
	q := question{title: oobe.StageNetwork.Title(), back: true, names: map[int][]string{}}
	for i, n := range offered {
		q.options = append(q.options, networkLabel(n))
		q.names[i] = []string{n.Name}
	}
	i, err := p.ask(ctx, q)
	if err != nil {
		return oobe.Network{}, "", err
	}
	n := offered[i]
	if !n.Secured() {
		return n, "", nil
	}
	text := "Passphrase for " + n.Name
	p.out.prompt(text + ": ")
	pass, err := p.readSecret(ctx, text)
	if err != nil {
		return oobe.Network{}, "", err
	}
	return n, pass, nil
}

// networkLabel is a network as the list reads it out.
func networkLabel(n oobe.Network) string {
	switch {
	case n.Wired:
		return n.Name + " (wired)"
	case n.Secured():
		return n.Name + " (Wi-Fi, secured)"
	}
	return n.Name + " (Wi-Fi, open)"
}

func (p *person) SignInMethod(ctx context.Context, b oobe.Branding) (oobe.SignInMethod, error) {
	var intro []string
	if b.TenantName != "" {
		intro = append(intro, "Welcome to "+b.TenantName+".")
	}
	if b.DeviceName != "" {
		intro = append(intro, "This PC will be named "+b.DeviceName+".")
	}
	options := []string{methodCode, methodBrowser}
	if p.opts.SignInPage != nil {
		options = append([]string{methodPage}, options...)
	}
	i, err := p.ask(ctx, question{title: "How do you want to sign in?", intro: intro, options: options})
	if err != nil {
		return "", err
	}
	switch p.onPage = options[i] == methodPage; options[i] {
	case methodPage:
		return oobe.SignInPage, nil
	case methodCode:
		return oobe.SignInDeviceCode, nil
	}
	return oobe.SignInBrowser, nil
}

// signInOnPage is the tenant's sign-in page as line prompts: the username (the demo user by
// default) and the password, posted to the page at authorizeURL, asked again after a refusal
// with what the refusal means. "cancel" as the username cancels the sign-in, as the page's
// Cancel button does. The password is never printed.
func (p *person) signInOnPage(ctx context.Context, authorizeURL string) error {
	cfg := p.opts.SignInPage
	page, err := signinpage.Open(ctx, cfg.Client, authorizeURL)
	if err != nil {
		p.out.line("The sign-in page could not be opened: %v", err)
		return err
	}
	tenant := page.Tenant
	if tenant == "" {
		tenant = "your organization"
	}
	p.out.line("Sign in with your %s work or school account.", tenant)
	p.out.line("Type cancel as the username to stop signing in.")
	for {
		prompt := "Email or username: "
		if cfg.User != "" {
			prompt = fmt.Sprintf("Email or username (Enter for %s): ", cfg.User)
		}
		p.out.prompt(prompt)
		user, err := p.readLine(ctx, "Email or username")
		if err != nil {
			return err
		}
		if user = strings.TrimSpace(user); user == "" {
			user = cfg.User
		}
		if strings.EqualFold(user, "cancel") {
			p.out.line("Signing in was cancelled.")
			return page.Cancel(ctx)
		}
		p.out.prompt("Password: ")
		password, err := p.readSecret(ctx, "Password")
		if err != nil {
			return err
		}
		p.out.line("Signing in as %s…", user)
		err = page.SignIn(ctx, user, password)
		if signinpage.IsMFARequired(err) {
			return p.answerMFA(ctx, page)
		}
		var refused *signinpage.RefusedError
		if !errors.As(err, &refused) {
			return err // nil: signed in; the flow goes on
		}
		p.out.line("The sign-in page says: %s", refused.Text())
		switch refused.Code {
		case signinpage.CodeBadPassword:
			p.out.line("The username or the password is not right. Type them again.")
		case signinpage.CodeUnknownUser:
			p.out.line("There is no account %s in %s. Check the username and type it again.", user, tenant)
		case signinpage.CodeMissingInput:
			p.out.line("Both the username and the password are needed.")
		case signinpage.CodeFlowExpired:
			p.out.line("The sign-in took too long and has ended.")
			return err
		default:
			p.out.line("Signing in did not work. Try again, or type cancel as the username.")
		}
	}
}

// The words that leave the MFA step's field for its other ways or its Cancel.
const (
	mfaOtherWord  = "other"
	mfaCancelWord = "cancel"
)

// answerMFA is the page's MFA step as line prompts, after the right password: the step's
// heading and text, then its code or Temporary Access Pass (read with the echo off at a
// terminal) or, for a passkey, a yes-or-no question (the simulator cannot run WebAuthn). A
// wrong answer is said and asked again; "other" lists the other ways the step offers, and
// "cancel" is the page's Cancel. The second factor is never printed.
func (p *person) answerMFA(ctx context.Context, page *signinpage.Page) error {
	for {
		pr := page.MFA()
		if pr == nil {
			return errors.New("the sign-in page left its MFA step")
		}
		if pr.Heading != "" {
			p.out.line("%s", pr.Heading)
		}
		if pr.Text != "" {
			p.out.line("%s", pr.Text)
		}
		if pr.Message != "" {
			p.out.line("The sign-in page says: %s", (&signinpage.RefusedError{Message: pr.Message}).Text())
		}
		var a signinpage.MFAAnswer
		switch pr.Kind {
		case "":
			p.out.line("The account has no method this sign-in accepts; ask your admin to register one. Signing in was cancelled.")
			return page.Cancel(ctx)
		case signinpage.KindPasskey:
			p.out.line("This simulator cannot run WebAuthn: yes answers as your passkey, security key or Windows Hello would.")
			yes, err := p.yesNo(ctx, "Use your passkey now")
			if err != nil {
				return err
			}
			if !yes {
				done, err := p.otherMFA(ctx, page, pr)
				if done || err != nil {
					return err
				}
				continue
			}
			a.Passkey = true
		default:
			label := "Code"
			if pr.Kind == signinpage.KindTAP {
				label = "Temporary Access Pass"
			}
			if len(pr.Others) > 0 {
				p.out.line("Type %s to sign in another way, or %s to stop signing in.", mfaOtherWord, mfaCancelWord)
			} else {
				p.out.line("Type %s to stop signing in.", mfaCancelWord)
			}
			p.out.prompt(label + ": ")
			got, err := p.readSecret(ctx, label)
			if err != nil {
				return err
			}
			got = strings.TrimSpace(got)
			switch {
			case strings.EqualFold(got, mfaCancelWord):
				p.out.line("Signing in was cancelled.")
				return page.Cancel(ctx)
			case strings.EqualFold(got, mfaOtherWord) && len(pr.Others) > 0:
				done, err := p.otherMFA(ctx, page, pr)
				if done || err != nil {
					return err
				}
				continue
			}
			if pr.Kind == signinpage.KindTAP {
				a.TAP = got
			} else {
				a.Code = got
			}
		}
		p.out.line("Verifying…")
		err := page.Verify(ctx, a)
		if !signinpage.IsRefused(err, 0) || page.MFA() == nil {
			return err // nil: signed in; the flow goes on
		}
	}
}

// otherMFA is the MFA step's "Sign in another way": the other ways it offers, and Cancel.
// done is whether the sign-in ended here (cancelled); otherwise the step shows the way picked.
func (p *person) otherMFA(ctx context.Context, page *signinpage.Page, pr *signinpage.MFAPrompt) (done bool, err error) {
	var options []string
	for _, o := range pr.Others {
		options = append(options, o.Label)
	}
	options = append(options, "Cancel")
	i, err := p.ask(ctx, question{title: "Sign in another way", options: options})
	if err != nil {
		return true, err
	}
	if i == len(pr.Others) {
		p.out.line("Signing in was cancelled.")
		return true, page.Cancel(ctx)
	}
	return false, page.Switch(ctx, pr.Others[i].Kind)
}

// DeviceCode shows the code, spelled out for a screen reader, and the page to enter it on.
// With Approve set, it starts the approval reader, which takes the lines typed while the
// sign-in waits; the first event after the code (the sign-in's end) stops it.
func (p *person) DeviceCode(ctx context.Context, prompt auth.DeviceCodePrompt) {
	p.out.line("On another device, open this page:")
	p.out.line("%s", prompt.VerificationURI)
	p.out.line("Enter this code: %s", prompt.UserCode)
	p.out.line("The code, letter by letter: %s", spelled(prompt.UserCode))
	if !prompt.ExpiresAt.IsZero() {
		now := p.clock.Now()
		p.out.line("The code expires in %s, at %s.", minutes(prompt.ExpiresAt.Sub(now)), when.TimeOfDay(prompt.ExpiresAt))
	}
	if p.opts.Approve != nil {
		p.out.line("To approve the sign-in here as the demo user, type approve and press Enter. Type back to sign in another way.")
	}
	p.out.line("Waiting for you to sign in…")
	if p.opts.Approve == nil {
		return
	}
	p.endSignIn() // a code shown again replaces the one before
	signCtx, done := context.WithCancel(ctx)
	p.signInDone = done
	p.approver.Go(func() { p.approve(ctx, signCtx, prompt) })
}

// approve reads the lines typed while the sign-in waits (signCtx), until one is "approve"
// and the approval goes through. Input that ends here ends the run: with Approve set, the
// approval line is the answer this wait needs.
func (p *person) approve(runCtx, signCtx context.Context, prompt auth.DeviceCodePrompt) {
	for {
		line, err := p.in.next(signCtx)
		switch {
		case err == nil:
		case signCtx.Err() != nil:
			return
		case errors.Is(err, io.EOF):
			p.out.line("The input ended before the sign-in was approved.")
			p.stopped = &InputEndedError{Question: approveQuestion}
			p.stop(p.stopped)
			return
		case err != nil:
			p.stopped = fmt.Errorf("reading the answer to %q: %w", approveQuestion, err)
			p.stop(p.stopped)
			return
		}
		if strings.EqualFold(strings.TrimSpace(line), backWord) {
			p.out.line("Going back to the ways to sign in.")
			select {
			case p.leave <- "":
			default:
			}
			return
		}
		if !strings.EqualFold(strings.TrimSpace(line), approveWord) {
			p.out.line(`That is not "approve". Type approve and press Enter to approve the sign-in as the demo user, type back to sign in another way, or sign in on the other device.`)
			continue
		}
		p.out.line("Approving the sign-in as the demo user…")
		if err := p.opts.Approve(runCtx, prompt); err != nil {
			if signCtx.Err() != nil {
				return
			}
			p.out.line("Could not approve the sign-in: %v", err)
			p.out.line("Type approve and press Enter to try again, or sign in on the other device.")
			continue
		}
		p.out.line("Approved.")
		return
	}
}

// endSignIn stops the approval reader, if one runs, and waits for it: from here on the
// lines are the next questions'.
func (p *person) endSignIn() {
	if p.signInDone == nil {
		return
	}
	p.signInDone()
	p.approver.Wait()
	p.signInDone = nil
}

// spelled is s with a space between its characters, so a screen reader says each one.
func spelled(s string) string {
	return strings.Join(strings.Split(s, ""), " ")
}

// Browser prints the sign-in page's address and opens it when it can; the sign-in finishes
// in the browser.
func (p *person) Browser(ctx context.Context, url string) error {
	if p.onPage {
		return p.signInOnPage(ctx, url)
	}
	p.out.line("Sign in in your web browser, at this address:")
	p.out.line("%s", url)
	if p.opts.Open != nil {
		if err := p.opts.Open(url); err != nil {
			p.out.line("Could not open a browser (%v). Open the address above yourself.", err)
		} else {
			p.out.line("The browser is open at that address.")
		}
	}
	p.out.line("Waiting for you to sign in…")
	return nil
}

// RestoreChoice lists the previous PCs and "Set up as new PC", then confirms a restore.
func (p *person) RestoreChoice(ctx context.Context, profiles []profile.BackupProfile) (string, error) {
	return p.restoreChoice(ctx, profiles, oobe.StageRestorePage,
		"Pick a previous PC to restore your settings and apps from, or set up this PC as new.")
}

// FirstSignInRestoreChoice is the same restore page at the user's first sign-in after setup.
func (p *person) FirstSignInRestoreChoice(ctx context.Context, profiles []profile.BackupProfile) (string, error) {
	return p.restoreChoice(ctx, profiles, oobe.StageFirstSignInRestorePage,
		"This is your first sign-in since setup, and Windows offers to restore a previous PC.",
		"Pick a previous PC to restore your settings and apps from, or keep this PC as new.")
}

// restoreChoice is the restore page at stage, introduced by intro.
func (p *person) restoreChoice(ctx context.Context, profiles []profile.BackupProfile, stage oobe.Stage, intro ...string) (string, error) {
	q := question{title: stage.Title(), intro: intro, names: map[int][]string{}}
	now := p.clock.Now()
	for i, pr := range profiles {
		q.options = append(q.options, fmt.Sprintf("%s, last backup %s, %s", pr.DeviceName, lastBackup(now, pr.LastBackup), osLabel(pr.OSVersion)))
		q.names[i] = []string{pr.DeviceName}
	}
	q.options = append(q.options, "Set up as new PC")
	for {
		i, err := p.ask(ctx, q)
		if err != nil {
			return "", err
		}
		if i == len(profiles) {
			return "", nil
		}
		pr := profiles[i]
		if s := holds(pr); s != "" {
			p.out.line("%s", s)
		}
		ok, err := p.yesNo(ctx, "Restore from "+pr.DeviceName+"?")
		if err != nil {
			return "", err
		}
		if ok {
			return pr.WindowsDeviceID, nil
		}
	}
}

// lastBackup says when a backup was made, as the restore page does: "3 days ago (18 November
// 2026)", the day in UTC as on every screen (internal/when).
func lastBackup(now, t time.Time) string {
	return when.Ago(now, t) + " (" + when.Date(t) + ")"
}

// minutes says how long d is, to the minute.
func minutes(d time.Duration) string {
	m := int((d + 30*time.Second) / time.Minute)
	if m < 1 {
		return "less than a minute"
	}
	return count(m, "minute")
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// osLabel names a Windows version by its release: "Windows 11 23H2 (10.0.22631.4317)".
func osLabel(v string) string { return profile.Label(v) }

// holds says in one sentence what a backup holds, or "" when the list cannot know.
func holds(pr profile.BackupProfile) string {
	s := pr.Summary
	if s == nil {
		if len(pr.Opaque) > 0 {
			return "Windows keeps what this backup holds to itself."
		}
		return ""
	}
	settings := 0
	for _, n := range s.Settings {
		settings += n
	}
	return fmt.Sprintf("This backup holds %s, %s, %s, %s and %s.", count(settings, "setting"), count(s.WiFi, "Wi-Fi network"),
		count(s.StoreApps, "Store app"), count(s.StartPins, "Start pin"), count(s.TaskbarPins, "taskbar pin"))
}

// ESPFailure shows the error and asks what to do; "Collect logs" writes the transcript and
// asks again.
func (p *person) ESPFailure(ctx context.Context, f oobe.ESPFailure) (oobe.ESPChoice, error) {
	where := f.Phase
	if f.Item != "" {
		where += " — " + f.Item
	}
	what := "failed"
	if f.TimedOut {
		what = "timed out"
	}
	intro := []string{where + " " + what + ".", f.Message}
	if f.Code != "" {
		intro = append(intro, "Error code: "+f.Code)
	}
	if e, ok := oobe.ExplainError(f.Message, f.Code); ok {
		intro = append(intro, "What it means: "+e.Meaning, "What to do: "+e.Todo)
	}
	q := question{title: "What do you want to do?", intro: intro, options: []string{espContinue, espReset, espCollectLogs}}
	for {
		i, err := p.ask(ctx, q)
		if err != nil {
			return "", err
		}
		switch i {
		case 0:
			return oobe.ESPContinueAnyway, nil
		case 1:
			return oobe.ESPResetDevice, nil
		}
		if path, err := p.collectLogs(&f); err != nil {
			p.out.line("Could not collect the logs: %v", err)
		} else {
			p.out.line("The logs are in %s", path)
		}
		q.intro = nil // asked again, the error needs no repeating
	}
}
