// Package devicelogin is the client of the simulated tenant's device login page: it posts
// what a person types there (code, username, password, approve or deny, and the second factor
// when Conditional Access asks for one), for scripts, tests and replays. It does not import
// tenant, so code that must not start one can still sign in. It never logs or keeps a secret.
package devicelogin

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/oobe-dev/oobe/internal/entrapage"
)

// Path is where the tenant serves the page, on its base URL; a device code's
// verification_uri points there.
const Path = "/devicelogin"

// The page's form fields. A script may post them all in one request.
const (
	FieldUserCode = "user_code"
	FieldUsername = "username"
	FieldPassword = "password"
	FieldAction   = "action"
)

// The MFA step's fields: after the password, when Conditional Access demands a second factor,
// the page asks for one (a form with FieldFlow). A script may instead post FieldMethod and the
// method's answer with the credentials, in one request.
const (
	FieldFlow    = "flow"    // the MFA step's id, from its page
	FieldMethod  = "method"  // MethodCode, MethodPasskey or MethodTAP
	FieldOTC     = "otc"     // the authenticator app's six-digit code
	FieldTAP     = "tap"     // the Temporary Access Pass
	FieldPasskey = "passkey" // PasskeyUsed: the browser's passkey answered
	FieldSwitch  = "switch"  // another method to show instead
)

// The second factors the MFA step asks for.
const (
	MethodCode    = "otp"
	MethodPasskey = "passkey"
	MethodTAP     = "tap"
)

// PasskeyUsed is FieldPasskey's value when the browser's passkey answered. The simulator cannot
// run WebAuthn: a browser that has a passkey (and a device that can reach it) posts this field.
const PasskeyUsed = "used"

// The page's actions. Approve and deny both need the credentials: Entra has the person sign in
// before asking whether to continue. Verify and cancel are the MFA step's.
const (
	ActionApprove = "approve"
	ActionDeny    = "deny"
	ActionVerify  = "verify"
	ActionCancel  = "cancel"
)

// Form is the form that signs in as username and approves or denies the device code userCode.
func Form(userCode, username, password, action string) url.Values {
	return url.Values{FieldUserCode: {userCode}, FieldUsername: {username}, FieldPassword: {password}, FieldAction: {action}}
}

// RefusedError is the page answering with an error instead of signing in: a mistyped or
// expired code, a wrong password, a locked account.
type RefusedError struct {
	// Status is the page's HTTP status.
	Status int
	// Code is the AADSTS code the page shows (50126 for a wrong password); 0 when it shows none.
	Code int
	// Message is the page's error as it reads, with its AADSTS prefix; "" when it shows none.
	Message string
}

func (e *RefusedError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("the device login page answered HTTP %d", e.Status)
	}
	return fmt.Sprintf("the device login page answered HTTP %d: %s", e.Status, e.Message)
}

// MFARequiredError is the page asking for a second factor the caller did not give.
type MFARequiredError struct {
	// Method is the factor asked for (MethodCode, MethodPasskey, MethodTAP), "" when the
	// account has none that satisfies the policy (the page then shows AADSTS50079).
	Method string
	// Heading and Text are the page's words.
	Heading, Text string
	// Code is the AADSTS code the page shows, 0 when none.
	Code int
}

func (e *MFARequiredError) Error() string {
	if e.Method == "" {
		return "the device login page asks for a second factor the account does not have: " + e.Text
	}
	return fmt.Sprintf("the device login page asks for a second factor (%s): %s", e.Method, e.Heading)
}

// MFA answers the page's second-factor step. The zero value answers nothing: a sign-in that
// needs a second factor then fails with *MFARequiredError.
type MFA struct {
	// Code gives the authenticator app's current code, when the step asks for one. It is
	// called when the code is needed, so it reads the clock then.
	Code func() (string, error)
	// Passkey: the browser's passkey answers (the device can reach a passkey or security key).
	Passkey bool
	// TAP is a Temporary Access Pass to use when the step offers one and nothing above answers.
	TAP string
}

// answer is the form fields that answer method with m, or nil when m has no answer for it.
func (m MFA) answer(method string) (url.Values, error) {
	switch method {
	case MethodCode:
		if m.Code == nil {
			return nil, nil
		}
		c, err := m.Code()
		if err != nil {
			return nil, fmt.Errorf("the authenticator code: %w", err)
		}
		return url.Values{FieldMethod: {MethodCode}, FieldOTC: {c}}, nil
	case MethodPasskey:
		if !m.Passkey {
			return nil, nil
		}
		return url.Values{FieldMethod: {MethodPasskey}, FieldPasskey: {PasskeyUsed}}, nil
	case MethodTAP:
		if m.TAP == "" {
			return nil, nil
		}
		return url.Values{FieldMethod: {MethodTAP}, FieldTAP: {m.TAP}}, nil
	}
	return nil, nil
}

// Approve signs in as username on the page at pageURL (a device code's verification_uri)
// and approves the code userCode. It returns a *RefusedError when the page refuses, and an
// *MFARequiredError when it asks for a second factor (use ApproveWithMFA). A nil client is
// http.DefaultClient.
func Approve(ctx context.Context, client *http.Client, pageURL, userCode, username, password string) error {
	return ApproveWithMFA(ctx, client, pageURL, userCode, username, password, MFA{})
}

// ApproveWithMFA is Approve that answers the page's MFA step with mfa: the method the page
// asks for first, else another one it offers that mfa can answer (a passkey, a code, a TAP, in
// that order).
func ApproveWithMFA(ctx context.Context, client *http.Client, pageURL, userCode, username, password string, mfa MFA) error {
	page, err := post(ctx, client, pageURL, Form(userCode, username, password, ActionApprove))
	if err != nil {
		return err
	}
	step := readStep(page)
	if step == nil {
		return nil
	}
	method := step.method
	form, err := mfa.answer(method)
	if err != nil {
		return err
	}
	for _, other := range []string{MethodPasskey, MethodCode, MethodTAP} {
		if form != nil || !slices.Contains(step.others, other) {
			continue
		}
		if form, err = mfa.answer(other); err != nil {
			return err
		}
		method = other
	}
	if form == nil {
		return step.required()
	}
	form.Set(FieldFlow, step.flow)
	form.Set(FieldAction, ActionVerify)
	page, err = post(ctx, client, pageURL, form)
	if err != nil {
		return err
	}
	if again := readStep(page); again != nil {
		return again.required()
	}
	return nil
}

// Deny signs in as username on the page at pageURL and declines the code userCode, which
// ends that device's sign-in. It returns a *RefusedError when the page refuses.
func Deny(ctx context.Context, client *http.Client, pageURL, userCode, username, password string) error {
	return Post(ctx, client, pageURL, Form(userCode, username, password, ActionDeny))
}

// maxPage is as much of a page as Post reads: the page's error is near its top.
const maxPage = 1 << 20

// Post posts form to the page at pageURL: nil when the page answers 200, a *RefusedError
// with the page's error otherwise, an *MFARequiredError when it answers with its MFA step, and
// the transport's error, wrapped, when there is no answer.
func Post(ctx context.Context, client *http.Client, pageURL string, form url.Values) error {
	page, err := post(ctx, client, pageURL, form)
	if err != nil {
		return err
	}
	if step := readStep(page); step != nil {
		return step.required()
	}
	return nil
}

// post is Post that returns the page of a 200 answer.
func post(ctx context.Context, client *http.Client, pageURL string, form url.Values) ([]byte, error) {
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, pageURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("the device login page %q: %w", pageURL, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("posting to the device login page: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPage))
	if resp.StatusCode == http.StatusOK {
		return body, nil
	}
	if err != nil && len(body) == 0 {
		return nil, fmt.Errorf("reading the device login page's HTTP %d answer: %w", resp.StatusCode, err)
	}
	e := &RefusedError{Status: resp.StatusCode}
	e.Code, e.Message = entrapage.Error(body)
	return nil, e
}

// mfaStep is the MFA step a page shows.
type mfaStep struct {
	flow, method  string
	others        []string
	heading, text string
	code          int
}

var (
	stepFlowRE   = regexp.MustCompile(`<input type="hidden" name="flow" value="([^"]+)">`)
	stepMethodRE = regexp.MustCompile(`<input type="hidden" name="method" value="([^"]*)">`)
	stepOtherRE  = regexp.MustCompile(`name="switch" value="([^"]+)"`)
	headingRE    = regexp.MustCompile(`<h1>([^<]*)</h1>\s*<p>([^<]*)</p>`)
)

// readStep reads the MFA step from a page, or nil when the page is not one.
func readStep(page []byte) *mfaStep {
	f, m := stepFlowRE.FindSubmatch(page), stepMethodRE.FindSubmatch(page)
	if f == nil || m == nil {
		return nil
	}
	st := &mfaStep{flow: html.UnescapeString(string(f[1])), method: string(m[1])}
	for _, o := range stepOtherRE.FindAllSubmatch(page, -1) {
		st.others = append(st.others, string(o[1]))
	}
	if h := headingRE.FindSubmatch(page); h != nil {
		st.heading, st.text = html.UnescapeString(string(h[1])), html.UnescapeString(string(h[2]))
	}
	st.code, _ = entrapage.Error(page)
	return st
}

func (st *mfaStep) required() *MFARequiredError {
	return &MFARequiredError{Method: st.method, Heading: st.heading, Text: st.text, Code: st.code}
}

// IsRefused reports whether err is the page refusing with AADSTS code (any code when code is 0).
func IsRefused(err error, code int) bool {
	var e *RefusedError
	return errors.As(err, &e) && (code == 0 || e.Code == code)
}
