// Package signinpage is the client of the simulated tenant's authorize page — the tenant's
// branded "Sign in" form of the auth code flow: it opens the page, posts a username and
// password as the page's own form does, answers the MFA step Conditional Access may add after
// the password, and follows the answer back to the app's redirect URI. It does not import
// tenant, and it never logs or keeps the password or a second factor.
package signinpage

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/oobe-dev/oobe/internal/entrapage"
)

// The page's form fields and actions.
const (
	FieldFlow     = "flow"
	FieldUsername = "username"
	FieldPassword = "password"
	FieldAction   = "action"

	ActionSignIn = "signin"
	ActionCancel = "cancel"
	ActionVerify = "verify"

	// The MFA step's fields.
	FieldMethod  = "method"
	FieldOTC     = "otc"
	FieldTAP     = "tap"
	FieldPasskey = "passkey"
	FieldSwitch  = "switch"
	// PasskeyUsed is what the browser posts in FieldPasskey when its passkey answered: the
	// simulator cannot run WebAuthn.
	PasskeyUsed = "used"
)

// The second factors the MFA step asks for (MFAPrompt.Kind).
const (
	KindCode    = "otp"     // "Enter code": the authenticator app's six-digit code
	KindPasskey = "passkey" // "Sign in with a passkey": a passkey, security key or Windows Hello
	KindTAP     = "tap"     // "Enter Temporary Access Pass"
)

// Well-known AADSTS codes the page answers with.
const (
	CodeBadPassword  = 50126  // Error validating credentials due to invalid username or password.
	CodeUnknownUser  = 50034  // The user account does not exist in the directory.
	CodeMissingInput = 900144 // Enter your username and your password.
	CodeFlowExpired  = 50089  // Flow token expired.
	// CodeMFAFailed is a wrong authenticator code, a wrong or used Temporary Access Pass, or a
	// passkey that did not answer ("Authentication failed during strong authentication request").
	CodeMFAFailed = 500121
	// CodeMFARegistration: the policy demands a method the account has not registered.
	CodeMFARegistration = 50079
)

// MFAPrompt is the page's MFA step: after the right password, Conditional Access asks for a
// second factor. A caller draws it (Heading, Text, the field Kind needs) and answers with
// Page.Verify, or switches to one of Others with Page.Switch.
type MFAPrompt struct {
	// Kind is KindCode, KindPasskey or KindTAP; "" when the account has no method the policy
	// accepts (Code is then CodeMFARegistration and only Cancel is left).
	Kind string
	// Heading and Text are the page's words ("Enter code", "Enter the code displayed in …").
	Heading, Text string
	// Action is the primary button's label ("Verify", "Use passkey", "Sign in"); "" for none.
	Action string
	// Others are the other kinds the page offers, with their labels.
	Others []MFAOption
	// Code and Message are the error the step shows (a wrong code: CodeMFAFailed); 0 and "".
	Code    int
	Message string
}

// MFAOption is another way to sign in that the MFA step offers.
type MFAOption struct{ Kind, Label string }

// MFAAnswer is what the person gives the MFA step; set the field of the prompt's Kind.
type MFAAnswer struct {
	// Code is the authenticator app's code (KindCode).
	Code string
	// Passkey: the browser's passkey answered (KindPasskey). Leave it false when the device
	// cannot reach a passkey or security key (a Hyper-V virtual machine).
	Passkey bool
	// TAP is the Temporary Access Pass (KindTAP).
	TAP string
}

// MFARequiredError is SignIn's answer when the password was right and the page now asks for a
// second factor: the page stays open at its MFA step (Page.MFA).
type MFARequiredError struct{ Prompt MFAPrompt }

func (e *MFARequiredError) Error() string {
	if e.Prompt.Kind == "" {
		return "the sign-in page asks for a second factor the account does not have: " + e.Prompt.Message
	}
	return "the sign-in page asks for a second factor: " + e.Prompt.Heading
}

// IsMFARequired reports whether err is the page asking for a second factor.
func IsMFARequired(err error) bool {
	var e *MFARequiredError
	return errors.As(err, &e)
}

// RefusedError is the page answering with an error instead of signing in: a wrong password, an
// unknown user, an expired sign-in.
type RefusedError struct {
	// Status is the page's HTTP status.
	Status int
	// Code is the AADSTS code the page shows (50126 for a wrong password); 0 when it shows none.
	Code int
	// Message is the page's error as Entra words it, with its AADSTS prefix; "" when it shows none.
	Message string
}

func (e *RefusedError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("the sign-in page answered HTTP %d", e.Status)
	}
	return fmt.Sprintf("the sign-in page answered HTTP %d: %s", e.Status, e.Message)
}

// Text is the page's error without its AADSTS prefix: what the page says in words.
func (e *RefusedError) Text() string { return entrapage.Text(e.Message) }

// IsRefused reports whether err is the page refusing with AADSTS code (any code when code is 0).
func IsRefused(err error, code int) bool {
	var e *RefusedError
	return errors.As(err, &e) && (code == 0 || e.Code == code)
}

// Page is an open sign-in page: one pending sign-in of the tenant, which a wrong password
// leaves open for another try.
type Page struct {
	client *http.Client
	action *url.URL
	flow   string
	mfa    *MFAPrompt
	// Tenant is the tenant's name as the page brands itself; App the app being signed in to;
	// Username the prefilled username (the request's login_hint).
	Tenant, App, Username string
}

// maxPage is as much of a page as the client reads.
const maxPage = 1 << 20

// Open opens the sign-in page at authorizeURL (the auth code flow's). It returns a
// *RefusedError when the page shows an error instead of its form. A nil client is
// http.DefaultClient.
func Open(ctx context.Context, client *http.Client, authorizeURL string) (*Page, error) {
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authorizeURL, nil)
	if err != nil {
		return nil, fmt.Errorf("the sign-in page: %w", err)
	}
	status, body, final, err := do(client, req)
	if err != nil {
		return nil, fmt.Errorf("opening the sign-in page: %w", err)
	}
	flow, action := flowRE.FindSubmatch(body), formRE.FindSubmatch(body)
	if status != http.StatusOK || flow == nil || action == nil {
		return nil, refused(status, body)
	}
	post, err := final.Parse(html.UnescapeString(string(action[1])))
	if err != nil {
		return nil, fmt.Errorf("the sign-in page's form action: %w", err)
	}
	p := &Page{client: client, action: post, flow: html.UnescapeString(string(flow[1]))}
	p.Tenant = textOf(brandRE, body)
	p.App = textOf(appRE, body)
	p.Username = textOf(userRE, body)
	return p, nil
}

// SignIn posts username and password. On success the page's answer is followed to the app's
// redirect URI, where the app takes the code, and SignIn returns nil. When the page refuses it
// returns a *RefusedError and the page stays open for another try (a wrong password does not
// end the sign-in).
func (p *Page) SignIn(ctx context.Context, username, password string) error {
	return p.post(ctx, url.Values{FieldFlow: {p.flow}, FieldUsername: {username}, FieldPassword: {password}, FieldAction: {ActionSignIn}})
}

// Cancel is the page's Cancel button, on the sign-in form or the MFA step: the app is told the
// user declined (AADSTS65004).
func (p *Page) Cancel(ctx context.Context) error {
	return p.post(ctx, url.Values{FieldFlow: {p.flow}, FieldAction: {ActionCancel}})
}

// MFA is the MFA step the page shows, or nil when it shows none.
func (p *Page) MFA() *MFAPrompt {
	if p.mfa == nil {
		return nil
	}
	c := *p.mfa
	c.Others = append([]MFAOption(nil), p.mfa.Others...)
	return &c
}

// Verify answers the MFA step. On success the answer is followed to the app, as SignIn's is,
// and Verify returns nil; a wrong answer is a *RefusedError (CodeMFAFailed) and the step stays
// open for another try.
func (p *Page) Verify(ctx context.Context, a MFAAnswer) error {
	if p.mfa == nil {
		return errors.New("the sign-in page shows no MFA step to answer")
	}
	form := url.Values{FieldFlow: {p.flow}, FieldAction: {ActionVerify}, FieldMethod: {p.mfa.Kind}}
	switch p.mfa.Kind {
	case KindCode:
		form.Set(FieldOTC, a.Code)
	case KindTAP:
		form.Set(FieldTAP, a.TAP)
	case KindPasskey:
		if a.Passkey {
			form.Set(FieldPasskey, PasskeyUsed)
		}
	}
	err := p.post(ctx, form)
	if IsMFARequired(err) {
		return &RefusedError{Status: http.StatusOK, Message: "the MFA step is still open"}
	}
	return err
}

// Switch shows another way to sign in the MFA step offers (one of MFAPrompt.Others); the page's
// new prompt is then Page.MFA.
func (p *Page) Switch(ctx context.Context, kind string) error {
	if p.mfa == nil {
		return errors.New("the sign-in page shows no MFA step")
	}
	err := p.post(ctx, url.Values{FieldFlow: {p.flow}, FieldSwitch: {kind}})
	if IsMFARequired(err) {
		return nil
	}
	return err
}

// SignIn opens the page at authorizeURL and signs in as username.
func SignIn(ctx context.Context, client *http.Client, authorizeURL, username, password string) error {
	p, err := Open(ctx, client, authorizeURL)
	if err != nil {
		return err
	}
	return p.SignIn(ctx, username, password)
}

func (p *Page) post(ctx context.Context, form url.Values) error {
	status, body, final, err := postForm(ctx, p.client, p.action.String(), form)
	if err != nil {
		return fmt.Errorf("posting to the sign-in page: %w", err)
	}
	// response_mode=form_post: the answer is a page whose form carries the code to the app.
	if fa := formRE.FindSubmatch(body); status == http.StatusOK && fa != nil && !flowRE.Match(body) {
		fields := url.Values{}
		for _, h := range hiddenRE.FindAllSubmatch(body, -1) {
			fields.Set(string(h[1]), html.UnescapeString(string(h[2])))
		}
		target, err := final.Parse(html.UnescapeString(string(fa[1])))
		if err != nil {
			return fmt.Errorf("the sign-in page's return form: %w", err)
		}
		if _, _, _, err := postForm(ctx, p.client, target.String(), fields); err != nil {
			return fmt.Errorf("returning to the app: %w", err)
		}
		return nil
	}
	if final.Host != p.action.Host {
		p.mfa = nil
		return nil // redirected to the app, which now holds the code (or Entra's error)
	}
	if pr := readMFA(body); pr != nil {
		p.mfa = pr
		if status == http.StatusOK {
			return &MFARequiredError{Prompt: *pr}
		}
	}
	return refused(status, body)
}

var (
	methodRE = regexp.MustCompile(`<input type="hidden" name="method" value="([^"]*)">`)
	otherRE  = regexp.MustCompile(`name="switch" value="([^"]+)" class="link" formnovalidate>([^<]*)</button>`)
	stepRE   = regexp.MustCompile(`<h1>([^<]*)</h1>\s*<p>([^<]*)</p>`)
	verifyRE = regexp.MustCompile(`name="action" value="verify" class="primary">([^<]*)</button>`)
)

// readMFA reads the MFA step from a page, or nil when the page is not one.
func readMFA(body []byte) *MFAPrompt {
	m := methodRE.FindSubmatch(body)
	if m == nil || !flowRE.Match(body) {
		return nil
	}
	pr := &MFAPrompt{Kind: string(m[1]), Action: textOf(verifyRE, body)}
	if h := stepRE.FindSubmatch(body); h != nil {
		pr.Heading, pr.Text = html.UnescapeString(string(h[1])), html.UnescapeString(string(h[2]))
	}
	for _, o := range otherRE.FindAllSubmatch(body, -1) {
		pr.Others = append(pr.Others, MFAOption{Kind: string(o[1]), Label: html.UnescapeString(string(o[2]))})
	}
	pr.Code, pr.Message = entrapage.Error(body)
	return pr
}

func postForm(ctx context.Context, client *http.Client, target string, form url.Values) (int, []byte, *url.URL, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(client, req)
}

// do sends req, following redirects as the client does, and reads the final answer.
func do(client *http.Client, req *http.Request) (int, []byte, *url.URL, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPage))
	if err != nil && len(body) == 0 {
		return 0, nil, nil, fmt.Errorf("reading the HTTP %d answer: %w", resp.StatusCode, err)
	}
	return resp.StatusCode, body, resp.Request.URL, nil
}

var (
	flowRE   = regexp.MustCompile(`name="flow" value="([^"]+)"`)
	formRE   = regexp.MustCompile(`<form method="post" action="([^"]+)">`)
	hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
	brandRE  = regexp.MustCompile(`<div class="brand">([^<]*)</div>`)
	appRE    = regexp.MustCompile(`to continue to <b>([^<]*)</b>`)
	userRE   = regexp.MustCompile(`id="username" name="username" value="([^"]*)"`)
)

func textOf(re *regexp.Regexp, body []byte) string {
	if m := re.FindSubmatch(body); m != nil {
		return html.UnescapeString(strings.TrimSpace(string(m[1])))
	}
	return ""
}

// refused is the page's error, or an Entra JSON error (a request the tenant will not route,
// an injected fault), as a *RefusedError.
func refused(status int, body []byte) *RefusedError {
	e := &RefusedError{Status: status}
	e.Code, e.Message = entrapage.Error(body)
	return e
}
