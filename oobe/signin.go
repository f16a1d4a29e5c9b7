package oobe

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/oobe-dev/oobe/auth"
)

// signIn signs the person in with the way they pick, then connects to the tenant. A Person
// who can leave a sign-in under way (SignInBacker) goes back to the ways to sign in, or on to
// another way, and the flow asks again: every attempt is in the transcript.
func (f *flow) signIn() (Stage, error) {
	if e := f.enrollErr; e != nil && e.Stage == StageSignIn {
		f.fired[FaultEnrollmentError] = true
		return "", &stageFailure{text: e.Message, code: e.Code}
	}
	var back <-chan SignInMethod
	if b, ok := f.cfg.Person.(SignInBacker); ok {
		back = b.SignInBack()
	}
	var method SignInMethod
	var s *Session
	for {
		if method == "" {
			m, err := f.cfg.Person.SignInMethod(f.ctx, f.branding)
			if err != nil {
				return "", f.personError("SignInMethod", err)
			}
			method = m
		}
		if method != SignInDeviceCode && method != SignInBrowser && method != SignInPage {
			return "", fmt.Errorf("Person.SignInMethod answered %q; the methods are %s, %s and %s", method, SignInDeviceCode, SignInBrowser, SignInPage)
		}
		sess, next, backed, err := f.signInWith(method, back)
		if backed {
			if next == "" {
				f.event(EventChoice, "Back to the ways to sign in", nil)
			} else {
				f.event(EventInfo, "Signing in another way instead", nil)
			}
			method = next
			continue
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
		s = sess
		break
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

// signInWith runs one sign-in the way method says, in a context of its own that the person
// leaving it (back) ends: backed then says so and next is where they went ("" the ways to
// sign in). The callbacks run in that context while the sign-in runs and in the run's after
// it succeeded: SignIn may keep the browser for a later prompt (live.SignIn.StepUp).
func (f *flow) signInWith(method SignInMethod, back <-chan SignInMethod) (s *Session, next SignInMethod, backed bool, err error) {
	for drained := false; !drained; { // a leftover from a wait that ended on its own
		select {
		case <-back:
		default:
			drained = true
		}
	}
	actx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	var mu sync.Mutex
	cbctx := actx
	ctxNow := func() context.Context {
		mu.Lock()
		defer mu.Unlock()
		return cbctx
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	if back != nil {
		wg.Go(func() {
			select {
			case next = <-back:
				backed = true
				cancel()
			case <-done:
			}
		})
	}
	switch method {
	case SignInDeviceCode:
		f.event(EventChoice, "Sign-in method: device code", nil)
		s, err = f.cfg.SignIn.DeviceCode(actx, func(p auth.DeviceCodePrompt) {
			// The user code and Entra's message (which repeats it) would let a reader
			// approve the sign-in: neither is written down.
			f.event(EventInfo, fmt.Sprintf("Code shown: enter it at %s before %s", p.VerificationURI, p.ExpiresAt.UTC().Format(time.RFC3339)), nil)
			f.cfg.Person.DeviceCode(ctxNow(), p)
		})
	case SignInBrowser, SignInPage:
		opened := "Browser opened at "
		if method == SignInBrowser {
			f.event(EventChoice, "Sign-in method: browser", nil)
		} else {
			f.event(EventChoice, "Sign-in method: the organization's sign-in page on this device", nil)
			opened = "Sign-in page opened at "
		}
		s, err = f.cfg.SignIn.Browser(actx, func(u string) error {
			f.event(EventInfo, opened+pageOf(u), nil)
			return f.cfg.Person.Browser(ctxNow(), u)
		})
	}
	close(done)
	wg.Wait()
	if !backed && err != nil && back != nil {
		// A person who leaves as the sign-in fails (a browser that did not open) says so
		// before the failure returns.
		select {
		case next = <-back:
			backed = true
		default:
		}
	}
	if err == nil && s != nil {
		backed, next = false, "" // signed in: too late to leave
		mu.Lock()
		cbctx = f.ctx
		mu.Unlock()
	}
	if backed {
		return nil, next, true, nil
	}
	return s, "", false, err
}
