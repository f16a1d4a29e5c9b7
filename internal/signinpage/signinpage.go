// Package signinpage is the client of the simulated tenant's authorize page — the tenant's
// branded "Sign in" form of the auth code flow: it opens the page, posts a username and
// password as the page's own form does, and follows the answer back to the app's redirect
// URI. It does not import tenant, and it never logs or keeps the password.
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
)

// Well-known AADSTS codes the page answers with.
const (
	CodeBadPassword  = 50126  // Error validating credentials due to invalid username or password.
	CodeUnknownUser  = 50034  // The user account does not exist in the directory.
	CodeMissingInput = 900144 // Enter your username and your password.
	CodeFlowExpired  = 50089  // Flow token expired.
)

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

// Cancel is the page's Cancel button: the app is told the user declined (AADSTS65004).
func (p *Page) Cancel(ctx context.Context) error {
	return p.post(ctx, url.Values{FieldFlow: {p.flow}, FieldAction: {ActionCancel}})
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
		return nil // redirected to the app, which now holds the code (or Entra's error)
	}
	return refused(status, body)
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
