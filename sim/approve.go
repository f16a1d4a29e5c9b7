package sim

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/internal/devicelogin"
	"github.com/oobe-dev/oobe/internal/totp"
)

// Approve approves a device code on the tenant's device sign-in page as Spec.User, with their
// password: what the person does on another device, or the presenter's key on the sign-in screen.
// When Conditional Access asks for a second factor, it answers with the user's own (mfaFor).
func (w *World) Approve(ctx context.Context, p auth.DeviceCodePrompt) error {
	if w.user == nil {
		return errors.New("approving a device code: the world has no Spec.User to sign in as")
	}
	if !w.onTenant(p.VerificationURI) {
		return fmt.Errorf("the verification page %s is not the simulated tenant's", p.VerificationURI)
	}
	return devicelogin.ApproveWithMFA(ctx, w.Browser(), p.VerificationURI, p.UserCode, w.user.UPN, w.user.Password, w.mfaFor(w.user))
}

// mfaFor answers the device sign-in page's MFA step as u would on their other device: the
// authenticator's code on the world's clock, their passkey (the other device can reach it), or
// their Temporary Access Pass, as far as the tenant registers them.
func (w *World) mfaFor(u *User) devicelogin.MFA {
	var m devicelogin.MFA
	if u == nil || u.MFA == nil {
		return m
	}
	if secret := u.MFA.Authenticator; secret != "" {
		m.Code = func() (string, error) { return totp.Code(secret, w.clock.Now()) }
	}
	m.Passkey = u.MFA.Passkey
	if p := u.MFA.TemporaryAccessPass; p != nil {
		m.TAP = p.Pass
	}
	return m
}

// onTenant reports whether a page is the simulated tenant's: passwords go nowhere else.
func (w *World) onTenant(raw string) bool {
	u, err := url.Parse(raw)
	b, berr := url.Parse(w.url)
	return err == nil && berr == nil && u.Scheme == b.Scheme && u.Host == b.Host
}
