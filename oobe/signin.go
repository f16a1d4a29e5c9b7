package oobe

import (
	"errors"
	"fmt"
	"time"

	"github.com/oobe-dev/oobe/auth"
)

// signIn signs the person in with the method they pick, then connects to the tenant.
func (f *flow) signIn() (Stage, error) {
	if e := f.enrollErr; e != nil && e.Stage == StageSignIn {
		f.fired[FaultEnrollmentError] = true
		return "", &stageFailure{text: e.Message, code: e.Code}
	}
	method, err := f.cfg.Person.SignInMethod(f.ctx, f.branding)
	if err != nil {
		return "", f.personError("SignInMethod", err)
	}
	var s *Session
	switch method {
	case SignInDeviceCode:
		f.event(EventChoice, "Sign-in method: device code", nil)
		s, err = f.cfg.SignIn.DeviceCode(f.ctx, func(p auth.DeviceCodePrompt) {
			// The user code and Entra's message (which repeats it) would let a reader
			// approve the sign-in: neither is written down.
			f.event(EventInfo, fmt.Sprintf("Code shown: enter it at %s before %s", p.VerificationURI, p.ExpiresAt.UTC().Format(time.RFC3339)), nil)
			f.cfg.Person.DeviceCode(f.ctx, p)
		})
	case SignInBrowser:
		f.event(EventChoice, "Sign-in method: browser", nil)
		s, err = f.cfg.SignIn.Browser(f.ctx, func(u string) error {
			f.event(EventInfo, "Browser opened at "+pageOf(u), nil)
			return f.cfg.Person.Browser(f.ctx, u)
		})
	case SignInPage:
		f.event(EventChoice, "Sign-in method: the organization's sign-in page on this device", nil)
		s, err = f.cfg.SignIn.Browser(f.ctx, func(u string) error {
			f.event(EventInfo, "Sign-in page opened at "+pageOf(u), nil)
			return f.cfg.Person.Browser(f.ctx, u)
		})
	default:
		return "", fmt.Errorf("Person.SignInMethod answered %q; the methods are %s, %s and %s", method, SignInDeviceCode, SignInBrowser, SignInPage)
	}
	if err != nil {
		if f.ctx.Err() != nil {
			return "", f.ctx.Err()
		}
		text := err.Error()
		var se *auth.SignInError
		if !errors.As(err, &se) {
			text = "sign-in failed: " + text
		}
		return "", &stageFailure{text: text, code: ErrorCode(err), err: err}
	}
	if s == nil {
		return "", errors.New("SignIn returned neither a session nor an error")
	}
	f.session = s
	f.out.User = s.Identity.UPN
	f.event(EventInfo, fmt.Sprintf("Signed in as %s (tenant %s, object %s)", s.Identity.UPN, s.Identity.TenantID, s.Identity.ObjectID), nil)
	c, err := f.cfg.Connect(f.ctx, s)
	if err != nil {
		return "", cloudFailure("connecting to the tenant", err)
	}
	f.cloud = c
	return StageEnrollment, nil
}
