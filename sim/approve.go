package sim

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/internal/devicelogin"
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
	return devicelogin.Approve(ctx, w.Browser(), p.VerificationURI, p.UserCode, w.user.UPN, w.user.Password)
}

// onTenant reports whether a page is the simulated tenant's: passwords go nowhere else.
func (w *World) onTenant(raw string) bool {
	u, err := url.Parse(raw)
	b, berr := url.Parse(w.url)
	return err == nil && berr == nil && u.Scheme == b.Scheme && u.Host == b.Host
}
