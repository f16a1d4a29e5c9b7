package sim

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
	"strings"

	"github.com/oobe-dev/oobe/auth"
)

// Approve approves a device code on the tenant's device sign-in page as Spec.User, with their
// password: what the person does on another device, or the presenter's key on the sign-in screen.
func (w *World) Approve(ctx context.Context, p auth.DeviceCodePrompt) error {
	if w.user == nil {
		return errors.New("approving a device code: the world has no Spec.User to sign in as")
	}
	if !w.onTenant(p.VerificationURI) {
		return fmt.Errorf("the verification page %s is not the simulated tenant's", p.VerificationURI)
	}
	return approveOnPage(ctx, w.Browser(), p.VerificationURI, p.UserCode, w.user.UPN, w.user.Password)
}

// onTenant reports whether a page is the simulated tenant's: passwords go nowhere else.
func (w *World) onTenant(raw string) bool {
	u, err := url.Parse(raw)
	b, berr := url.Parse(w.url)
	return err == nil && berr == nil && u.Scheme == b.Scheme && u.Host == b.Host
}

// errPageRE finds the error a sign-in page shows.
var errPageRE = regexp.MustCompile(`(?s)<div class="error" role="alert">\s*<p>([^<]*)</p>`)

// approveOnPage posts the device sign-in page's form as a person fills it in and approves.
func approveOnPage(ctx context.Context, hc *http.Client, page, userCode, upn, password string) error {
	form := url.Values{"user_code": {userCode}, "username": {upn}, "password": {password}, "action": {"approve"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, page, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("approving on the sign-in page: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("approving on the sign-in page: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("approving on the sign-in page: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		says := ""
		if m := errPageRE.FindSubmatch(body); m != nil {
			says = "; the page says: " + html.UnescapeString(string(bytes.TrimSpace(m[1])))
		}
		return fmt.Errorf("the sign-in page answered HTTP %d%s", resp.StatusCode, says)
	}
	return nil
}
