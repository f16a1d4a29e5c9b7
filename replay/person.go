package replay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/internal/devicelogin"
	"github.com/oobe-dev/oobe/internal/totp"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/restore/profile"
)

// person answers the setup's screens from a scenario's steps. On the sign-in pages it acts
// over real HTTP against the simulated tenant, as a person with a browser would.
type person struct {
	sc   *Scenario
	base string // the simulated tenant's URL: the only place the person types a password
	http *http.Client

	mu sync.Mutex
	// problems are what went wrong on the person's side (a page that did not answer as the
	// action expects); a run with problems fails, naming them.
	problems []string
	// userCode is the device code shown, so reports can leave it out.
	userCode string
	// typed are the second factors the person typed (codes, a pass), kept out of reports too.
	typed []string
	// pageTime is the last sign-in page's Date: the tenant's clock, which the person's phone
	// (synchronised with it) reads the authenticator code on.
	pageTime time.Time
}

var _ oobe.Person = (*person)(nil)

func (p *person) problem(format string, args ...any) {
	p.mu.Lock()
	p.problems = append(p.problems, fmt.Sprintf(format, args...))
	p.mu.Unlock()
}

// problemList is a copy of the problems so far.
func (p *person) problemList() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.problems)
}

// choose returns want when it is offered (or the first offer when want is ""), else an error
// naming the offers: a scenario that asks for what the screen does not show is wrong.
func choose(screen, key, want string, offered []string) (string, error) {
	if want == "" {
		if len(offered) == 0 {
			return "", fmt.Errorf("the %s screen offered nothing to choose", screen)
		}
		return offered[0], nil
	}
	for _, o := range offered {
		if strings.EqualFold(o, want) {
			return o, nil
		}
	}
	return "", fmt.Errorf("%s %q is not offered on the %s screen (offered: %s)", key, want, screen, strings.Join(offered, ", "))
}

func (p *person) Region(_ context.Context, offered []string) (string, error) {
	return choose("region", "steps.region", p.sc.Steps.Region, offered)
}

func (p *person) Keyboard(_ context.Context, offered []string) (string, error) {
	return choose("keyboard", "steps.keyboard", p.sc.Steps.Keyboard, offered)
}

func (p *person) SecondKeyboard(_ context.Context, offered []string) (string, error) {
	if p.sc.Steps.SecondKeyboard == "" {
		return "", nil
	}
	return choose("second keyboard", "steps.secondKeyboard", p.sc.Steps.SecondKeyboard, offered)
}

func (p *person) Network(_ context.Context, offered []oobe.Network) (oobe.Network, string, error) {
	n := p.sc.Steps.Network
	var names []string
	for _, o := range offered {
		if n.Wired && o.Wired || !n.Wired && !o.Wired && o.Name == n.SSID {
			return o, n.Password, nil
		}
		names = append(names, o.Name)
	}
	want := "a wired network"
	if !n.Wired {
		want = strconv.Quote(n.SSID)
	}
	return oobe.Network{}, "", fmt.Errorf("steps.network: %s is not offered (offered: %s)", want, strings.Join(names, ", "))
}

func (p *person) SignInMethod(context.Context, oobe.Branding) (oobe.SignInMethod, error) {
	return p.sc.Steps.SignInMethod, nil
}

// credentials are what the person types: the tenant's password, or a wrong one.
func (p *person) credentials() (string, string) {
	pw := p.sc.Password
	if p.sc.Steps.SignInAction == ActionWrongPassword {
		pw += "-not-it"
	}
	return p.sc.User, pw
}

// onSim reports whether a page is the simulated tenant's: passwords go nowhere else.
func (p *person) onSim(raw string) bool {
	u, err := url.Parse(raw)
	b, berr := url.Parse(p.base)
	return err == nil && berr == nil && u.Scheme == b.Scheme && u.Host == b.Host
}

// DeviceCode acts on the device sign-in page as the scenario says, before polling starts.
func (p *person) DeviceCode(ctx context.Context, prompt auth.DeviceCodePrompt) {
	p.mu.Lock()
	p.userCode = prompt.UserCode
	p.mu.Unlock()
	action := p.sc.Steps.SignInAction
	if action == ActionExpire {
		return // nobody types the code
	}
	if !p.onSim(prompt.VerificationURI) {
		p.problem("the verification page %s is not the simulated tenant's; the person did not sign in there", prompt.VerificationURI)
		return
	}
	user, pw := p.credentials()
	code, formAction, want := prompt.UserCode, devicelogin.ActionApprove, http.StatusOK
	switch action {
	case ActionDecline:
		formAction = devicelogin.ActionDeny
	case ActionWrongPassword:
		want = http.StatusBadRequest
	case ActionWrongCode:
		code, want = wrongCode(code), http.StatusBadRequest
	}
	status, page, err := p.post(ctx, prompt.VerificationURI, devicelogin.Form(code, user, pw, formAction))
	if err != nil {
		p.problem("posting to the device sign-in page: %v", err)
		return
	}
	if status == http.StatusOK && mfaMethodRE.Match(page) && action == ActionApprove {
		status, page, err = p.answerMFA(ctx, prompt.VerificationURI, page)
		if err != nil {
			p.problem("the device sign-in page's MFA step: %v", err)
			return
		}
	}
	if status != want {
		p.problem("the device sign-in page answered HTTP %d to %s, want %d%s", status, action, want, pageError(page))
	}
}

var (
	mfaMethodRE = regexp.MustCompile(`<input type="hidden" name="method" value="([^"]*)">`)
	mfaSwitchRE = regexp.MustCompile(`name="switch" value="([^"]+)"`)
)

// factors are the second factors the scenario's user has, as the tenant registers them.
type factors struct {
	authenticator string // the TOTP secret; "" for none
	passkey       bool
	tap           string // the Temporary Access Pass; "" for none
}

// factorsOf reads the scenario user's methods from its tenant.
func (sc *Scenario) factorsOf() factors {
	for _, u := range sc.Tenant.Users {
		if !strings.EqualFold(u.UPN, sc.User) || u.MFA == nil {
			continue
		}
		f := factors{authenticator: u.MFA.Authenticator, passkey: u.MFA.Passkey}
		if u.MFA.TemporaryAccessPass != nil {
			f.tap = u.MFA.TemporaryAccessPass.Pass
		}
		return f
	}
	return factors{}
}

// answerMFA acts on a sign-in page's MFA step (page, posted back to target) as
// steps.signIn.mfa says, with what the tenant knows of the user: the authenticator's code on
// the tenant's clock, their passkey unless the device is a virtual machine (where none can be
// reached, and the person cancels), or their Temporary Access Pass. It returns the page's last
// answer, or the error the sign-in ends with when the person gives up.
func (p *person) answerMFA(ctx context.Context, target string, page []byte) (int, []byte, error) {
	flow := flowRE.FindSubmatch(page)
	if flow == nil {
		return 0, nil, errors.New("the MFA step has no flow field")
	}
	m := p.sc.factorsOf()
	vm := p.sc.Device.Profile.VirtualMachine
	method, others := stepOf(page)
	base := url.Values{"flow": {html.UnescapeString(string(flow[1]))}}
	post := func(extra url.Values) (int, []byte, error) {
		form := url.Values{}
		for k, v := range base {
			form[k] = v
		}
		for k, v := range extra {
			form[k] = v
		}
		return p.post(ctx, target, form)
	}
	// use switches the step to kind when it shows another one and offers that.
	use := func(kind string) bool {
		if method == kind {
			return true
		}
		if !slices.Contains(others, kind) {
			return false
		}
		status, pg, err := post(url.Values{"switch": {kind}})
		if err != nil || status != http.StatusOK {
			return false
		}
		method, others = stepOf(pg)
		return method == kind
	}
	giveUp := func(reason string) (int, []byte, error) {
		status, pg, err := post(url.Values{"action": {"cancel"}})
		if err != nil {
			return status, pg, fmt.Errorf("leaving the MFA step: %w", err)
		}
		if err := p.arrive(ctx, status, pg); err != nil {
			return status, pg, err
		}
		return status, pg, errors.New(reason)
	}
	switch p.sc.Steps.SignInMFA {
	case MFACancel:
		status, pg, err := post(url.Values{"action": {"cancel"}})
		return status, pg, err
	case MFAWrongCode:
		if m.authenticator == "" || !use("otp") {
			return 0, nil, errors.New("steps.signIn.mfa wrongCode: the MFA step offers no authenticator code")
		}
		code, err := totp.Code(m.authenticator, p.now())
		if err != nil {
			return 0, nil, err
		}
		wrong := wrongOTP(code)
		p.keep(wrong)
		status, pg, err := post(url.Values{"action": {"verify"}, "method": {"otp"}, "otc": {wrong}})
		if err != nil {
			return status, pg, err
		}
		mm := aadstsRE.FindSubmatch(pg)
		if status != http.StatusBadRequest || mm == nil || string(mm[1]) != "500121" {
			p.problem("a wrong authenticator code got HTTP %d%s, want 400 with AADSTS500121", status, pageError(pg))
		}
		se := &auth.SignInError{Code: auth.CodeInvalidGrant, AADSTS: 500121, Reason: "The sign-in page refused the verification code and the person gave up."}
		if mm != nil {
			se.Reason = fmt.Sprintf("The sign-in page refused the verification code (AADSTS%s: %s) and the person gave up.",
				mm[1], strings.TrimSpace(html.UnescapeString(string(mm[2]))))
		}
		return status, pg, se
	case MFATemporaryAccessPass:
		if m.tap == "" || !use("tap") {
			return giveUp("the MFA step does not offer a Temporary Access Pass here (a phishing-resistant demand does not accept one), and the person gave up")
		}
		p.keep(m.tap)
		return post(url.Values{"action": {"verify"}, "method": {"tap"}, "tap": {m.tap}})
	}
	// approve: the user's own method, as the page asks.
	if method == "passkey" && vm && m.authenticator != "" {
		use("otp") // no passkey in a VM: the code, when the step takes one
	}
	switch method {
	case "otp":
		if m.authenticator == "" {
			return giveUp("the MFA step asks for an authenticator code the user does not have")
		}
		code, err := totp.Code(m.authenticator, p.now())
		if err != nil {
			return 0, nil, err
		}
		p.keep(code)
		return post(url.Values{"action": {"verify"}, "method": {"otp"}, "otc": {code}})
	case "passkey":
		if vm {
			return giveUp("the sign-in page asks for a passkey or security key, and this device is a Hyper-V virtual machine, where none is available: the prompt failed")
		}
		return post(url.Values{"action": {"verify"}, "method": {"passkey"}, "passkey": {"used"}})
	case "tap":
		if m.tap == "" {
			return giveUp("the MFA step asks for a Temporary Access Pass the user does not have")
		}
		p.keep(m.tap)
		return post(url.Values{"action": {"verify"}, "method": {"tap"}, "tap": {m.tap}})
	}
	_, _, err := giveUp("the MFA step asks for a method the user has not registered" + pageError(page))
	return 0, nil, &auth.SignInError{Code: auth.CodeInteractionRequired, AADSTS: 50079, Reason: err.Error()}
}

// stepOf is the method an MFA step shows and the others it offers.
func stepOf(page []byte) (string, []string) {
	var method string
	if m := mfaMethodRE.FindSubmatch(page); m != nil {
		method = string(m[1])
	}
	var others []string
	for _, o := range mfaSwitchRE.FindAllSubmatch(page, -1) {
		others = append(others, string(o[1]))
	}
	return method, others
}

// wrongOTP is a six-digit code that is not code, nor the codes next to it in time (the tenant
// takes one step either side): code with every digit moved on by five.
func wrongOTP(code string) string {
	b := []byte(code)
	for i, c := range b {
		if c >= '0' && c <= '9' {
			b[i] = '0' + (c-'0'+5)%10
		}
	}
	return string(b)
}

// keep records a second factor typed, for secrets.
func (p *person) keep(s string) {
	p.mu.Lock()
	p.typed = append(p.typed, s)
	p.mu.Unlock()
}

// now is the tenant's time as its last page said, or the scenario's start before any page.
func (p *person) now() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pageTime.IsZero() {
		return p.sc.Start
	}
	return p.pageTime
}

// wrongCode is a well-formed user code that is not code: the code with its first letter changed.
func wrongCode(code string) string {
	if code == "" {
		return "AAAAAAAAA"
	}
	c := 'A'
	if code[0] == 'A' {
		c = 'B'
	}
	return string(c) + code[1:]
}

var (
	aadstsRE  = regexp.MustCompile(`AADSTS(\d+): ([^<]*)`)
	flowRE    = regexp.MustCompile(`name="flow" value="([^"]+)"`)
	formRE    = regexp.MustCompile(`<form method="post" action="([^"]+)">`)
	hiddenRE  = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
	errPageRE = regexp.MustCompile(`(?s)<div class="error" role="alert">\s*<p>([^<]*)</p>`)
)

// pageError is the error a sign-in page shows, for messages (", the page says: …").
func pageError(page []byte) string {
	if m := errPageRE.FindSubmatch(page); m != nil {
		return "; the page says: " + html.UnescapeString(strings.TrimSpace(string(m[1])))
	}
	return ""
}

func (p *person) post(ctx context.Context, target string, form url.Values) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return p.do(req)
}

func (p *person) do(req *http.Request) (int, []byte, error) {
	resp, err := p.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	if t, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		p.mu.Lock()
		p.pageTime = t
		p.mu.Unlock()
	}
	const limit = 1 << 20
	size := resp.ContentLength // the page's announced length: read into one buffer of that size
	if size < 0 || size > limit {
		size = 0
	}
	body := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	_, err = body.ReadFrom(io.LimitReader(resp.Body, limit))
	return resp.StatusCode, body.Bytes(), err
}

// Browser plays the browser for the auth code flow: it opens the sign-in page, signs in (or
// cancels, or types a wrong password and gives up), and follows the redirect to the app.
func (p *person) Browser(ctx context.Context, authorizeURL string) error {
	if !p.onSim(authorizeURL) {
		return fmt.Errorf("the sign-in page %s is not the simulated tenant's; the person did not sign in there", pageOnly(authorizeURL))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authorizeURL, nil)
	if err != nil {
		return err
	}
	status, page, err := p.do(req)
	if err != nil {
		return fmt.Errorf("opening the sign-in page: %w", err)
	}
	flow, action := flowRE.FindSubmatch(page), formRE.FindSubmatch(page)
	if status != http.StatusOK || flow == nil || action == nil {
		p.problem("the sign-in page answered HTTP %d without a sign-in form%s", status, pageError(page))
		return fmt.Errorf("the sign-in page answered HTTP %d without a sign-in form%s", status, pageError(page))
	}
	target, _ := url.Parse(authorizeURL)
	post, err := target.Parse(html.UnescapeString(string(action[1])))
	if err != nil {
		return err
	}
	user, pw := p.credentials()
	form := url.Values{"flow": {html.UnescapeString(string(flow[1]))}, "username": {user}, "password": {pw}, "action": {"signin"}}
	if p.sc.Steps.SignInAction == ActionDecline {
		form.Set("action", "cancel")
	}
	// The redirect to the app's loopback listener is followed like a browser would.
	status, page, err = p.post(ctx, post.String(), form)
	if err != nil {
		return fmt.Errorf("signing in on the sign-in page: %w", err)
	}
	if p.sc.Steps.SignInAction == ActionWrongPassword {
		m := aadstsRE.FindSubmatch(page)
		if status != http.StatusBadRequest || m == nil {
			p.problem("a wrong password got HTTP %d and no AADSTS error on the sign-in page, want 400 with one", status)
		}
		// The person stops at the error: the sign-in ends with what the page said.
		se := &auth.SignInError{Code: auth.CodeInvalidGrant, Reason: "The sign-in page refused the password and the person gave up."}
		if m != nil {
			se.AADSTS, _ = strconv.Atoi(string(m[1]))
			se.Reason = fmt.Sprintf("The sign-in page refused the password (AADSTS%s: %s) and the person gave up.",
				m[1], strings.TrimSpace(html.UnescapeString(string(m[2]))))
		}
		return se
	}
	if status == http.StatusOK && mfaMethodRE.Match(page) {
		status, page, err = p.answerMFA(ctx, post.String(), page)
		if err != nil {
			return err
		}
	}
	return p.arrive(ctx, status, page)
}

// arrive follows the sign-in page's last answer to the app: a form_post page's form, or the
// redirect the client already followed.
func (p *person) arrive(ctx context.Context, status int, page []byte) error {
	if fa := formRE.FindSubmatch(page); status == http.StatusOK && fa != nil && bytes.Contains(page, []byte(`name="code"`)) {
		// response_mode=form_post: the page's form carries the code to the app.
		fields := url.Values{}
		for _, h := range hiddenRE.FindAllSubmatch(page, -1) {
			fields.Set(string(h[1]), html.UnescapeString(string(h[2])))
		}
		if _, _, err := p.post(ctx, html.UnescapeString(string(fa[1])), fields); err != nil {
			return fmt.Errorf("returning to the app: %w", err)
		}
		return nil
	}
	if status >= 400 {
		p.problem("signing in on the sign-in page: HTTP %d%s", status, pageError(page))
	}
	return nil
}

// pageOnly is a URL without its query: where a page is, without a sign-in request's secrets.
func pageOnly(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unreadable URL)"
	}
	return u.Scheme + "://" + u.Host + u.Path
}

// RestoreChoice picks the previous PC the scenario names, "" for new, or the newest.
func (p *person) RestoreChoice(_ context.Context, profiles []profile.BackupProfile) (string, error) {
	return pickPC("steps.restore", p.sc.Steps.Restore, profiles)
}

// FirstSignInRestoreChoice is RestoreChoice at the first sign-in, from steps.firstSignIn.restore.
func (p *person) FirstSignInRestoreChoice(_ context.Context, profiles []profile.BackupProfile) (string, error) {
	want := ""
	if fs := p.sc.Steps.FirstSignIn; fs != nil {
		want = fs.Restore
	}
	return pickPC("steps.firstSignIn.restore", want, profiles)
}

// pickPC picks the previous PC want names (device name or windowsDeviceId), "" for new, or
// the newest when want is "".
func pickPC(field, want string, profiles []profile.BackupProfile) (string, error) {
	switch {
	case want == RestoreNew:
		return "", nil
	case want == "":
		if len(profiles) == 0 {
			return "", nil
		}
		return profiles[0].WindowsDeviceID, nil
	}
	var names []string
	for _, pr := range profiles {
		if strings.EqualFold(pr.DeviceName, want) || strings.EqualFold(pr.WindowsDeviceID, want) {
			return pr.WindowsDeviceID, nil
		}
		names = append(names, pr.DeviceName)
	}
	if len(names) == 0 {
		names = []string{"none"}
	}
	return "", fmt.Errorf("%s: no previous PC %q on the restore page (listed: %s)", field, want, strings.Join(names, ", "))
}

func (p *person) ESPFailure(context.Context, oobe.ESPFailure) (oobe.ESPChoice, error) {
	return p.sc.Steps.ESP, nil
}

// secrets are strings a report must not show: the password and the device code.
func (p *person) secrets() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := []string{}
	for _, s := range append([]string{p.sc.Password, p.sc.Password + "-not-it", p.userCode, wrongCode(p.userCode)}, p.typed...) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
