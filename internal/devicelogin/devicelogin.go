// Package devicelogin is the client of the simulated tenant's device login page: it posts
// what a person types there (code, username, password, approve or deny), for scripts, tests
// and replays. It does not import tenant, so code that must not start one can still sign in.
package devicelogin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
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

// The page's actions. Both need the credentials: Entra has the person sign in before asking
// whether to continue.
const (
	ActionApprove = "approve"
	ActionDeny    = "deny"
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

// Approve signs in as username on the page at pageURL (a device code's verification_uri)
// and approves the code userCode. It returns a *RefusedError when the page refuses. A nil
// client is http.DefaultClient.
func Approve(ctx context.Context, client *http.Client, pageURL, userCode, username, password string) error {
	return Post(ctx, client, pageURL, Form(userCode, username, password, ActionApprove))
}

// Deny signs in as username on the page at pageURL and declines the code userCode, which
// ends that device's sign-in. It returns a *RefusedError when the page refuses.
func Deny(ctx context.Context, client *http.Client, pageURL, userCode, username, password string) error {
	return Post(ctx, client, pageURL, Form(userCode, username, password, ActionDeny))
}

// maxPage is as much of a page as Post reads: the page's error is near its top.
const maxPage = 1 << 20

// Post posts form to the page at pageURL: nil when the page answers 200, a *RefusedError
// with the page's error otherwise, and the transport's error, wrapped, when there is no answer.
func Post(ctx context.Context, client *http.Client, pageURL string, form url.Values) error {
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, pageURL, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("the device login page %q: %w", pageURL, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("posting to the device login page: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPage))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	if err != nil && len(body) == 0 {
		return fmt.Errorf("reading the device login page's HTTP %d answer: %w", resp.StatusCode, err)
	}
	e := &RefusedError{Status: resp.StatusCode}
	e.Code, e.Message = entrapage.Error(body)
	return e
}

// IsRefused reports whether err is the page refusing with AADSTS code (any code when code is 0).
func IsRefused(err error, code int) bool {
	var e *RefusedError
	return errors.As(err, &e) && (code == 0 || e.Code == code)
}
