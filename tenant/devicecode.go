package tenant

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/oobe-dev/oobe/internal/devicelogin"
)

// deviceCodeResponse is Entra's devicecode answer, fields in Entra's order. Entra sends no
// verification_uri_complete, so neither does the simulator.
type deviceCodeResponse struct {
	UserCode        string `json:"user_code"`
	DeviceCode      string `json:"device_code"`
	VerificationURI string `json:"verification_uri"`
	ExpiresIn       int    `json:"expires_in"`
	Interval        int    `json:"interval"`
	Message         string `json:"message"`
}

// handleDeviceCode starts a device code sign-in (RFC 8628 §3.1).
func (s *Server) handleDeviceCode(w http.ResponseWriter, r *http.Request) {
	form, ts, app, ok := s.clientPost(w, r)
	if !ok {
		return
	}
	scope, e := parseScope(form.Get("scope"), ts.t.Name)
	if e != nil {
		s.writeEntraError(w, r, e)
		return
	}
	d, err := s.newDeviceGrant(ts, app, scope)
	if err != nil {
		s.writeEntraError(w, r, s.internalError(r, err))
		return
	}
	verify := s.baseURL(r) + devicelogin.Path
	w.Header().Set("Cache-Control", "no-store, no-cache")
	writeJSON(w, http.StatusOK, deviceCodeResponse{
		UserCode:        d.userCode,
		DeviceCode:      d.deviceCode,
		VerificationURI: verify,
		ExpiresIn:       int(s.expiry / time.Second),
		Interval:        int(s.interval / time.Second),
		Message: fmt.Sprintf("To sign in, use a web browser to open the page %s and enter the code %s to authenticate.",
			verify, d.userCode),
	})
}

// newDeviceGrant stores a device code with a user code no other live device code has.
func (s *Server) newDeviceGrant(ts *tenantState, app *App, scope scopeSet) (*deviceGrant, error) {
	for {
		uc, err := s.rand.userCode()
		if err != nil {
			return nil, err
		}
		dc, err := s.rand.token(32)
		if err != nil {
			return nil, err
		}
		now := s.clock.Now()
		s.mu.Lock()
		s.sweepLocked(now)
		if s.userCodes[uc] != nil || s.devices[dc] != nil {
			s.mu.Unlock()
			continue
		}
		d := &deviceGrant{ts: ts, app: app, scope: scope, deviceCode: dc, userCode: uc,
			expires: now.Add(s.expiry)}
		evicted := s.deviceOrder.admit(ts.id, s.pendingPerTenant, s.pendingTotal)
		for _, k := range evicted {
			s.retireDeviceLocked(k, now) // a later poll is told the code expired (expired_token)
		}
		s.evictionLogLocked("device_code", len(evicted), now)
		s.devices[dc] = d
		s.userCodes[uc] = d
		s.deviceOrder.add(ts.id, dc)
		s.mu.Unlock()
		return d, nil
	}
}

// normalizeUserCode accepts the code as people type it: any case, with spaces or dashes.
func normalizeUserCode(s string) string {
	if len(s) > 64 {
		return ""
	}
	var b strings.Builder
	for _, c := range strings.ToUpper(s) {
		if c == ' ' || c == '-' || c == '\t' {
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Device login page errors, with Entra's codes and the words its page uses.
func errUserCodeUnknown() *entraError {
	return &entraError{Err: "bad_verification_code", Code: 70018, Desc: "Invalid verification code: that code didn't work. Check the code and try again."}
}

func errUserCodeUsed() *entraError {
	return &entraError{Err: "bad_verification_code", Code: 70018, Desc: "Invalid verification code: this code was already used. Get a new code from the device you are signing in on."}
}

func errUserCodeExpired() *entraError {
	return &entraError{Err: "expired_token", Code: 70019, Desc: "Verification code expired. Get a new code from the device you are signing in on and try again."}
}

func errUnknownUser(upn, tenantName string) *entraError {
	return &entraError{Err: "invalid_grant", Code: 50034, Desc: fmt.Sprintf(
		"The user account %s does not exist in the %s directory. To sign into this application, the account must be added to the directory.",
		clip(upn, 256), tenantName)}
}

func errBadPassword() *entraError {
	return &entraError{Err: "invalid_grant", Code: 50126, Desc: "Error validating credentials due to invalid username or password."}
}

// pendingDevice finds a device code waiting for its user, by user code.
func (s *Server) pendingDevice(userCode string) (*deviceGrant, *entraError) {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.userCodes[userCode]
	switch {
	case d == nil:
		return nil, errUserCodeUnknown()
	case !now.Before(d.expires):
		return nil, errUserCodeExpired()
	case d.state != devicePending:
		return nil, errUserCodeUsed()
	}
	return d, nil
}

// settleDevice records the user's answer, checking again under the lock that the code is still pending.
func (s *Server) settleDevice(d *deviceGrant, state deviceState, oid string, amr []string) *entraError {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !now.Before(d.expires) || s.devices[d.deviceCode] != d {
		return errUserCodeExpired() // expired, or retired while the page was open
	}
	if d.state != devicePending {
		return errUserCodeUsed()
	}
	d.state, d.oid, d.amr = state, oid, amr
	return nil
}

// checkCredentials finds the user in the tenant and checks the password (the fixture's, or the
// one a changePassword set) in constant time. Every password sign-in goes through it, so smart
// lockout (lockout.go) counts the failures of both sign-in pages.
func (s *Server) checkCredentials(ts *tenantState, username, password string) (*User, *entraError) {
	u := ts.userByUPN(strings.TrimSpace(username))
	if u == nil {
		return nil, errUnknownUser(username, ts.t.Name)
	}
	right := subtle.ConstantTimeCompare([]byte(password), []byte(s.passwordOf(ts, u))) == 1
	if e := s.lockouts.attempt(ts, u, password, right, s.clock.Now()); e != nil {
		s.log.Warn("sign-in refused: the account is locked", "tenant", ts.id, "oid", strings.ToLower(u.ObjectID))
		return nil, e
	}
	if !right {
		return nil, errBadPassword()
	}
	return u, nil
}

// passwordOf is the user's current password.
func (s *Server) passwordOf(ts *tenantState, u *User) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.passwords[ts.id+"/"+strings.ToLower(u.ObjectID)]; ok {
		return p
	}
	return u.Password
}

// handleDeviceLogin serves the device login page: enter the code, then sign in and approve or deny.
// Scripts may post user_code, username, password and action in one request: internal/devicelogin
// is their client, and names the fields.
func (s *Server) handleDeviceLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		s.renderPage(w, r, http.StatusOK, "enter_code", &pageData{Title: "Enter code"})
		return
	}
	form, e := readForm(w, r)
	if e != nil {
		s.renderPage(w, r, http.StatusBadRequest, "enter_code", &pageData{Title: "Enter code", Error: s.pageError(r, e)})
		return
	}
	if id := form.Get(devicelogin.FieldFlow); id != "" {
		s.deviceMFASubmit(w, r, id, form)
		return
	}
	raw := form.Get(devicelogin.FieldUserCode)
	code := normalizeUserCode(raw)
	if code == "" {
		s.renderPage(w, r, http.StatusBadRequest, "enter_code", &pageData{Title: "Enter code",
			Error: &pageError{Message: "Enter the code displayed on your app or device."}})
		return
	}
	d, e := s.pendingDevice(code)
	if e != nil {
		s.renderPage(w, r, http.StatusBadRequest, "enter_code", &pageData{Title: "Enter code", UserCode: clip(raw, 64), Error: s.pageError(r, e)})
		return
	}
	info(r).tenant = d.ts.id
	signin := func(status int, e *entraError) {
		pd := &pageData{Title: "Sign in", Tenant: d.ts.t.Name, AppName: d.app.Name, UserCode: code,
			Username: clip(form.Get(devicelogin.FieldUsername), 256)}
		if e != nil {
			pd.Error = s.pageError(r, e)
		}
		s.renderPage(w, r, status, "device_signin", pd)
	}
	action := form.Get(devicelogin.FieldAction)
	switch action {
	case "":
		signin(http.StatusOK, nil)
		return
	case devicelogin.ActionApprove, devicelogin.ActionDeny:
	default:
		signin(http.StatusBadRequest, &entraError{Code: 900144, Desc: "The action must be approve or deny."})
		return
	}
	// Entra has the person sign in before asking whether to continue, so declining needs the
	// credentials too: nobody who merely saw a code can cancel someone else's sign-in.
	username, password := form.Get(devicelogin.FieldUsername), form.Get(devicelogin.FieldPassword)
	if strings.TrimSpace(username) == "" || password == "" {
		signin(http.StatusBadRequest, &entraError{Code: 900144, Desc: "Enter your username and your password."})
		return
	}
	u, e := s.checkCredentials(d.ts, username, password)
	if e != nil {
		s.log.Info("device code sign-in refused", "tenant", d.ts.id, "aadsts", e.Code, "trace_id", info(r).traceID)
		signin(http.StatusBadRequest, e)
		return
	}
	oid := strings.ToLower(u.ObjectID)
	if action == devicelogin.ActionDeny {
		if e := s.settleDevice(d, deviceDenied, oid, nil); e != nil {
			s.renderPage(w, r, http.StatusBadRequest, "enter_code", &pageData{Title: "Enter code", Error: s.pageError(r, e)})
			return
		}
		s.log.Info("device code sign-in declined", "tenant", d.ts.id, "oid", oid, "trace_id", info(r).traceID)
		s.renderPage(w, r, http.StatusOK, "done", &pageData{Title: "Sign-in declined", Tenant: d.ts.t.Name,
			Heading: "Sign-in declined",
			Message: "You declined to sign in to " + d.app.Name + " on your device. You may now close this window."})
		return
	}
	if dm := demandFor(d.ts, u, d.scope, nil); dm != demandNone {
		step := mfaStep{ts: d.ts, oid: oid, demand: dm}
		offers := mfaOffers(u, dm)
		if len(offers) > 0 {
			step.method = offers[0]
		}
		if m := mfaMethod(form.Get(devicelogin.FieldMethod)); m != "" {
			// A script answered the second factor in the same post.
			if !slices.Contains(offers, m) {
				signin(http.StatusBadRequest, errMFARegistration(dm))
				return
			}
			if e := s.checkMFA(&step, u, m, form.Get(devicelogin.FieldOTC), form.Get(devicelogin.FieldTAP), form.Get(devicelogin.FieldPasskey)); e != nil {
				s.log.Info("second factor refused", "tenant", d.ts.id, "oid", oid, "method", string(m), "aadsts", e.Code, "trace_id", info(r).traceID)
				signin(http.StatusBadRequest, e)
				return
			}
			s.approveDevice(w, r, d, u, amrFor(m))
			return
		}
		id, err := s.rand.token(32)
		if err != nil {
			signin(http.StatusInternalServerError, s.internalError(r, err))
			return
		}
		now := s.clock.Now()
		s.mu.Lock()
		s.sweepLocked(now)
		s.deviceMFA[id] = &deviceMFA{d: d, step: step, expires: now.Add(flowLifetime)}
		s.mu.Unlock()
		s.log.Info("device code sign-in needs a second factor", "tenant", d.ts.id, "oid", oid, "method", string(step.method), "trace_id", info(r).traceID)
		var e *entraError
		if step.method == "" {
			e = errMFARegistration(dm)
		}
		s.renderDeviceMFA(w, r, http.StatusOK, id, d, &step, u, e)
		return
	}
	s.approveDevice(w, r, d, u, amrFor(""))
}

// approveDevice settles the device code as approved by u, who signed in with amr.
func (s *Server) approveDevice(w http.ResponseWriter, r *http.Request, d *deviceGrant, u *User, amr []string) {
	oid := strings.ToLower(u.ObjectID)
	if e := s.settleDevice(d, deviceApproved, oid, amr); e != nil {
		s.renderPage(w, r, http.StatusBadRequest, "enter_code", &pageData{Title: "Enter code", Error: s.pageError(r, e)})
		return
	}
	s.log.Info("device code sign-in approved", "tenant", d.ts.id, "oid", oid, "amr", strings.Join(amr, " "), "trace_id", info(r).traceID)
	s.renderPage(w, r, http.StatusOK, "done", &pageData{Title: "Signed in", Tenant: d.ts.t.Name,
		Heading: u.DisplayName + ", you're signed in",
		Message: "You have signed in to the " + d.app.Name + " application on your device. You may now close this window."})
}

// renderDeviceMFA shows the MFA step of a device login.
func (s *Server) renderDeviceMFA(w http.ResponseWriter, r *http.Request, status int, id string, d *deviceGrant, step *mfaStep, u *User, e *entraError) {
	pd := &pageData{Title: "Verify your identity", Tenant: d.ts.t.Name, AppName: d.app.Name, Action: devicelogin.Path, Flow: id}
	s.mu.Lock()
	st := *step // a concurrent post may switch the method
	s.mu.Unlock()
	fillMFA(pd, &st, u)
	if e != nil {
		pd.Error = s.pageError(r, e)
	}
	s.renderPage(w, r, status, "mfa", pd)
}

// deviceMFASubmit takes the device login's MFA step: verify, switch method, or cancel (which
// leaves the device code pending, as closing the page would).
func (s *Server) deviceMFASubmit(w http.ResponseWriter, r *http.Request, id string, form url.Values) {
	now := s.clock.Now()
	s.mu.Lock()
	dm := s.deviceMFA[id]
	if dm != nil && !now.Before(dm.expires) {
		dm = nil
	}
	s.mu.Unlock()
	if dm == nil {
		s.renderPage(w, r, http.StatusBadRequest, "enter_code", &pageData{Title: "Enter code",
			Error: s.pageError(r, &entraError{Code: 50089, Desc: "Flow token expired - Authentication failed. Enter the code again."})})
		return
	}
	d, step := dm.d, &dm.step
	info(r).tenant = d.ts.id
	u := d.ts.oids[step.oid]
	if u == nil {
		s.renderPage(w, r, http.StatusBadRequest, "enter_code", &pageData{Title: "Enter code", Error: s.pageError(r, errUserCodeUnknown())})
		return
	}
	if sw := mfaMethod(form.Get(devicelogin.FieldSwitch)); sw != "" {
		if !slices.Contains(mfaOffers(u, step.demand), sw) {
			s.renderDeviceMFA(w, r, http.StatusBadRequest, id, d, step, u, &entraError{Code: 900144, Desc: "That way to sign in is not available for your account."})
			return
		}
		s.mu.Lock()
		step.method = sw
		s.mu.Unlock()
		s.renderDeviceMFA(w, r, http.StatusOK, id, d, step, u, nil)
		return
	}
	switch form.Get(devicelogin.FieldAction) {
	case devicelogin.ActionCancel:
		s.mu.Lock()
		delete(s.deviceMFA, id)
		s.mu.Unlock()
		s.renderPage(w, r, http.StatusOK, "enter_code", &pageData{Title: "Enter code"})
		return
	case devicelogin.ActionVerify, "":
	default:
		s.renderDeviceMFA(w, r, http.StatusBadRequest, id, d, step, u, &entraError{Code: 900144, Desc: "The action must be verify or cancel."})
		return
	}
	method := mfaMethod(form.Get(devicelogin.FieldMethod))
	if method == "" {
		method = step.method
	}
	if !slices.Contains(mfaOffers(u, step.demand), method) {
		s.renderDeviceMFA(w, r, http.StatusBadRequest, id, d, step, u, errMFARegistration(step.demand))
		return
	}
	if e := s.checkMFA(step, u, method, form.Get(devicelogin.FieldOTC), form.Get(devicelogin.FieldTAP), form.Get(devicelogin.FieldPasskey)); e != nil {
		s.log.Info("second factor refused", "tenant", d.ts.id, "oid", step.oid, "method", string(method), "aadsts", e.Code, "trace_id", info(r).traceID)
		s.renderDeviceMFA(w, r, http.StatusBadRequest, id, d, step, u, e)
		return
	}
	s.mu.Lock()
	delete(s.deviceMFA, id)
	s.mu.Unlock()
	s.approveDevice(w, r, d, u, amrFor(method))
}
