package tenant

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// challengeRE is a PKCE code_challenge: 43 to 128 unreserved characters (RFC 7636 §4.2).
var challengeRE = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// errResponseType refuses every response_type but code. Entra answers the implicit and hybrid
// types it advertises with AADSTS700054 when the app has not enabled them; in the simulator no
// app has.
func errResponseType(rt string) *entraError {
	if rt == "" {
		return errMissingParam("response_type")
	}
	return &entraError{Err: "unsupported_response_type", Code: 700054, Desc: fmt.Sprintf(
		"response_type '%s' is not enabled for the application. The simulator supports 'code' only.", clip(rt, 64))}
}

// signInTrouble is the heading Entra's error pages use.
const signInTrouble = "Sorry, but we're having trouble signing you in."

// errorPage renders an error that cannot go back to the app, because the app or its redirect URI
// is not trusted.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, tenantName string, e *entraError) {
	s.renderPage(w, r, http.StatusBadRequest, "error", &pageData{Title: "Sign in", Tenant: tenantName,
		Heading: signInTrouble, Error: s.pageError(r, e)})
}

// handleAuthorize shows the sign-in page (GET) or takes its form post (POST).
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		s.authorizeSubmit(w, r)
		return
	}
	q, e := parseParams(r.URL.RawQuery)
	if e == nil {
		// Before anything is kept, and on Entra's page: an over-long state is not sent back.
		e = checkAuthorizeLengths(r.URL.RawQuery, q)
	}
	if e != nil {
		s.errorPage(w, r, "", e)
		return
	}
	ts, app, e := s.resolveClient(r.PathValue("tenant"), q.Get("client_id"))
	if ts != nil {
		info(r).tenant = ts.id
	}
	if e != nil {
		name := ""
		if ts != nil {
			name = ts.t.Name
		}
		s.errorPage(w, r, name, e)
		return
	}
	redirect := q.Get("redirect_uri")
	if redirect == "" {
		s.errorPage(w, r, ts.t.Name, errMissingParam("redirect_uri"))
		return
	}
	if !redirectMatches(app.RedirectURIs, redirect) {
		s.errorPage(w, r, ts.t.Name, errRedirectMismatch(app.ClientID))
		return
	}

	// From here on the redirect URI is trusted, so errors go back to the app as Entra sends them.
	fl := &authFlow{ts: ts, app: app, redirectURI: redirect, responseMode: q.Get("response_mode"),
		state: q.Get("state"), nonce: q.Get("nonce"), loginHint: q.Get("login_hint")}
	switch fl.responseMode {
	case "":
		fl.responseMode = "query"
	case "query", "fragment", "form_post":
	default:
		fl.responseMode = "query"
		s.deliverError(w, r, fl, "invalid_request", errMalformed("response_mode must be query, fragment or form_post."))
		return
	}
	if rt := q.Get("response_type"); rt != "code" {
		e := errResponseType(rt)
		s.deliverError(w, r, fl, e.Err, e)
		return
	}
	scope, e := parseScope(q.Get("scope"), ts.t.Name)
	if e != nil {
		s.deliverError(w, r, fl, e.Err, e)
		return
	}
	fl.scope = scope
	if fl.challenged, e = claimsPolicies(q.Get("claims")); e != nil {
		s.deliverError(w, r, fl, "invalid_request", e)
		return
	}
	fl.challenge, fl.method = q.Get("code_challenge"), q.Get("code_challenge_method")
	if fl.challenge == "" && fl.method != "" {
		s.deliverError(w, r, fl, "invalid_request", errMalformed("code_challenge_method was sent without code_challenge."))
		return
	}
	if fl.challenge != "" {
		if fl.method == "" {
			fl.method = "plain" // RFC 7636 §4.3
		}
		if fl.method != "S256" && fl.method != "plain" {
			s.deliverError(w, r, fl, "invalid_request", errMalformed("code_challenge_method must be S256 or plain."))
			return
		}
		if !challengeRE.MatchString(fl.challenge) || (fl.method == "S256" && len(fl.challenge) != 43) {
			s.deliverError(w, r, fl, "invalid_request", &entraError{Code: 501491,
				Desc: "Invalid size of Code_Challenge parameter: S256 takes 43 base64url characters, plain 43 to 128."})
			return
		}
	}
	switch q.Get("prompt") {
	case "", "login", "consent", "select_account":
	case "none":
		// The simulator keeps no sign-in session, so a silent request always needs a user.
		s.deliverError(w, r, fl, "login_required", &entraError{Code: 50058,
			Desc: "A silent sign-in request was sent but no user is signed in."})
		return
	default:
		s.deliverError(w, r, fl, "invalid_request", errMalformed("prompt must be login, none, consent or select_account."))
		return
	}

	id, err := s.rand.token(32)
	if err != nil {
		s.errorPage(w, r, ts.t.Name, s.internalError(r, err))
		return
	}
	now := s.clock.Now()
	fl.expires = now.Add(flowLifetime)
	s.mu.Lock()
	s.sweepLocked(now)
	evicted := s.flowOrder.admit(ts.id, s.pendingPerTenant, s.pendingTotal)
	for _, k := range evicted {
		delete(s.flows, k) // its form post will be told the flow token expired (AADSTS50089)
	}
	s.evictionLogLocked("authorize", len(evicted), now)
	s.flows[id] = fl
	s.flowOrder.add(ts.id, id)
	s.mu.Unlock()
	s.renderSignIn(w, r, http.StatusOK, id, fl, clip(fl.loginHint, 256), nil)
}

func (s *Server) renderSignIn(w http.ResponseWriter, r *http.Request, status int, id string, fl *authFlow, username string, e *entraError) {
	pd := &pageData{Title: "Sign in to your account", Tenant: fl.ts.t.Name, AppName: fl.app.Name,
		Action: r.URL.Path, Flow: id, Username: username, formAction: originOf(fl.redirectURI)}
	if e != nil {
		pd.Error = s.pageError(r, e)
	}
	s.renderPage(w, r, status, "authorize", pd)
}

// authorizeSubmit takes the sign-in form: flow, username, password and action (signin or cancel).
func (s *Server) authorizeSubmit(w http.ResponseWriter, r *http.Request) {
	form, e := readForm(w, r)
	if e != nil {
		s.errorPage(w, r, "", e)
		return
	}
	id := form.Get("flow")
	now := s.clock.Now()
	seg := r.PathValue("tenant")
	s.mu.Lock()
	fl := s.flows[id]
	if fl != nil && (!now.Before(fl.expires) || (!isMultiTenantSegment(seg) && s.tenantBySegment(seg) != fl.ts)) {
		fl = nil
	}
	s.mu.Unlock()
	if fl == nil {
		s.errorPage(w, r, "", &entraError{Code: 50089, Desc: "Flow token expired - Authentication failed. Start the sign-in again from the app."})
		return
	}
	info(r).tenant = fl.ts.id
	s.mu.Lock()
	step := fl.mfa
	s.mu.Unlock()
	if step != nil {
		s.mfaSubmit(w, r, id, fl, step, form)
		return
	}
	username := form.Get("username")
	switch form.Get("action") {
	case "cancel":
		s.cancelFlow(w, r, id, fl)
	case "signin", "":
		if strings.TrimSpace(username) == "" || form.Get("password") == "" {
			s.renderSignIn(w, r, http.StatusBadRequest, id, fl, clip(username, 256),
				&entraError{Code: 900144, Desc: "Enter your username and your password."})
			return
		}
		u, e := s.checkCredentials(fl.ts, username, form.Get("password"))
		if e != nil {
			s.log.Info("sign-in refused", "tenant", fl.ts.id, "aadsts", e.Code, "trace_id", info(r).traceID)
			s.renderSignIn(w, r, http.StatusBadRequest, id, fl, clip(username, 256), e)
			return
		}
		if d := demandFor(fl.ts, u, fl.scope, fl.challenged); d != demandNone {
			// The password was right; Conditional Access wants a second factor on the same page.
			step := &mfaStep{ts: fl.ts, oid: strings.ToLower(u.ObjectID), demand: d}
			if offers := mfaOffers(u, d); len(offers) > 0 {
				step.method = offers[0]
			}
			s.mu.Lock()
			fl.mfa = step
			s.mu.Unlock()
			s.log.Info("sign-in needs a second factor", "tenant", fl.ts.id, "oid", step.oid, "method", string(step.method), "trace_id", info(r).traceID)
			var e *entraError
			if step.method == "" {
				e = errMFARegistration(d)
			}
			s.renderMFA(w, r, http.StatusOK, id, fl, step, u, e)
			return
		}
		s.completeFlow(w, r, id, fl, u, amrFor(""))
	default:
		s.renderSignIn(w, r, http.StatusBadRequest, id, fl, clip(username, 256),
			&entraError{Code: 900144, Desc: "The action must be signin or cancel."})
	}
}

// cancelFlow is the page's Cancel: the app is told the user declined.
func (s *Server) cancelFlow(w http.ResponseWriter, r *http.Request, id string, fl *authFlow) {
	if !s.takeFlow(id) {
		s.errorPage(w, r, fl.ts.t.Name, &entraError{Code: 50089, Desc: "Flow token expired - Authentication failed. Start the sign-in again from the app."})
		return
	}
	s.deliverError(w, r, fl, "access_denied", &entraError{Code: 65004, Desc: "User declined to consent to access the app."})
}

// completeFlow ends a sign-in that satisfied everything asked of it: the app gets a code whose
// tokens record amr.
func (s *Server) completeFlow(w http.ResponseWriter, r *http.Request, id string, fl *authFlow, u *User, amr []string) {
	if !s.takeFlow(id) {
		s.errorPage(w, r, fl.ts.t.Name, &entraError{Code: 50089, Desc: "Flow token expired - Authentication failed. Start the sign-in again from the app."})
		return
	}
	code, err := s.rand.token(48)
	if err != nil {
		s.deliverError(w, r, fl, "server_error", s.internalError(r, err))
		return
	}
	now := s.clock.Now()
	s.mu.Lock()
	s.codes[code] = &authCode{ts: fl.ts, app: fl.app, redirectURI: fl.redirectURI, scope: fl.scope,
		nonce: fl.nonce, challenge: fl.challenge, method: fl.method, oid: strings.ToLower(u.ObjectID),
		expires: now.Add(authCodeLifetime), amr: amr}
	s.mu.Unlock()
	s.log.Info("sign-in succeeded", "tenant", fl.ts.id, "oid", strings.ToLower(u.ObjectID), "amr", strings.Join(amr, " "), "trace_id", info(r).traceID)
	s.deliver(w, r, fl, []formField{{"code", code}, {"state", fl.state}})
}

// renderMFA shows the MFA step of an authorize flow.
func (s *Server) renderMFA(w http.ResponseWriter, r *http.Request, status int, id string, fl *authFlow, step *mfaStep, u *User, e *entraError) {
	pd := &pageData{Title: "Verify your identity", Tenant: fl.ts.t.Name, AppName: fl.app.Name,
		Action: r.URL.Path, Flow: id, formAction: originOf(fl.redirectURI)}
	s.mu.Lock()
	st := *step // a concurrent post may switch the method
	s.mu.Unlock()
	fillMFA(pd, &st, u)
	if e != nil {
		pd.Error = s.pageError(r, e)
	}
	s.renderPage(w, r, status, "mfa", pd)
}

// mfaSubmit takes the MFA step's form: verify (with the method's answer), switch to another
// method the user has, or cancel. A wrong answer leaves the step open for another try.
func (s *Server) mfaSubmit(w http.ResponseWriter, r *http.Request, id string, fl *authFlow, step *mfaStep, form url.Values) {
	u := fl.ts.oids[step.oid]
	if u == nil {
		s.errorPage(w, r, fl.ts.t.Name, &entraError{Code: 50089, Desc: "Flow token expired - Authentication failed. Start the sign-in again from the app."})
		return
	}
	if sw := mfaMethod(form.Get(fieldSwitch)); sw != "" {
		if !slices.Contains(mfaOffers(u, step.demand), sw) {
			s.renderMFA(w, r, http.StatusBadRequest, id, fl, step, u, &entraError{Code: 900144, Desc: "That way to sign in is not available for your account."})
			return
		}
		s.mu.Lock()
		step.method = sw
		s.mu.Unlock()
		s.renderMFA(w, r, http.StatusOK, id, fl, step, u, nil)
		return
	}
	switch form.Get("action") {
	case "cancel":
		s.cancelFlow(w, r, id, fl)
		return
	case "verify", "":
	default:
		s.renderMFA(w, r, http.StatusBadRequest, id, fl, step, u, &entraError{Code: 900144, Desc: "The action must be verify or cancel."})
		return
	}
	method := mfaMethod(form.Get(fieldMethod))
	if method == "" {
		method = step.method
	}
	if !slices.Contains(mfaOffers(u, step.demand), method) {
		s.renderMFA(w, r, http.StatusBadRequest, id, fl, step, u, errMFARegistration(step.demand))
		return
	}
	if e := s.checkMFA(step, u, method, form.Get(fieldOTC), form.Get(fieldTAP), form.Get(fieldPasskey)); e != nil {
		s.log.Info("second factor refused", "tenant", fl.ts.id, "oid", step.oid, "method", string(method), "aadsts", e.Code, "trace_id", info(r).traceID)
		s.renderMFA(w, r, http.StatusBadRequest, id, fl, step, u, e)
		return
	}
	s.completeFlow(w, r, id, fl, u, amrFor(method))
}

// takeFlow removes a pending flow so it completes once; it reports whether it was still there.
func (s *Server) takeFlow(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.flows[id] == nil {
		return false
	}
	delete(s.flows, id)
	s.flowOrder.remove(id)
	return true
}

// deliverError sends an OAuth error back to the app's redirect URI.
func (s *Server) deliverError(w http.ResponseWriter, r *http.Request, fl *authFlow, errName string, e *entraError) {
	s.deliver(w, r, fl, []formField{
		{"error", errName},
		{"error_description", s.describe(r, e)},
		{"state", fl.state},
	})
}

// deliver returns parameters to the app in the flow's response mode: a 302 with a query or a
// fragment, or a page that posts them (form_post).
func (s *Server) deliver(w http.ResponseWriter, r *http.Request, fl *authFlow, fields []formField) {
	var kept []formField
	for _, f := range fields {
		if f.Value != "" {
			kept = append(kept, f)
		}
	}
	if fl.responseMode == "form_post" {
		s.renderPage(w, r, http.StatusOK, "form_post", &pageData{Title: "Signing you in", Tenant: fl.ts.t.Name,
			RedirectURI: fl.redirectURI, Fields: kept, formAction: originOf(fl.redirectURI)})
		return
	}
	u, err := url.Parse(fl.redirectURI)
	if err != nil { // cannot happen: the URI was parsed when it was matched
		s.errorPage(w, r, fl.ts.t.Name, errRedirectMismatch(fl.app.ClientID))
		return
	}
	vals := url.Values{}
	for _, f := range kept {
		vals.Set(f.Name, f.Value)
	}
	if fl.responseMode == "fragment" {
		u.Fragment = ""
		u.RawFragment = ""
		w.Header().Set("Location", u.String()+"#"+vals.Encode())
	} else {
		q := u.Query()
		for k, v := range vals {
			q[k] = v
		}
		u.RawQuery = q.Encode()
		w.Header().Set("Location", u.String())
	}
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusFound)
}

// handleLogout ends the (stateless) session: it redirects to post_logout_redirect_uri when that is a
// redirect URI registered in the tenant, and shows a signed-out page otherwise.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	var (
		params url.Values
		e      *entraError
	)
	if r.Method == http.MethodPost {
		params, e = readForm(w, r)
	} else {
		params, e = parseParams(r.URL.RawQuery)
	}
	if e != nil {
		s.errorPage(w, r, "", e)
		return
	}
	seg := r.PathValue("tenant")
	var tenants []*tenantState
	if isMultiTenantSegment(seg) {
		tenants = s.tenants
	} else {
		ts := s.tenantBySegment(seg)
		if ts == nil {
			s.errorPage(w, r, "", errUnknownTenant(seg))
			return
		}
		info(r).tenant = ts.id
		tenants = []*tenantState{ts}
	}
	target := params.Get("post_logout_redirect_uri")
	clientID := strings.ToLower(params.Get("client_id"))
	if target != "" {
		for _, ts := range tenants {
			for _, a := range ts.t.Apps {
				if clientID != "" && strings.ToLower(a.ClientID) != clientID {
					continue
				}
				if !redirectMatches(a.RedirectURIs, target) {
					continue
				}
				u, _ := url.Parse(target)
				if st := params.Get("state"); st != "" {
					q := u.Query()
					q.Set("state", st)
					u.RawQuery = q.Encode()
				}
				w.Header().Set("Location", u.String())
				w.Header().Set("Cache-Control", "no-store, no-cache")
				w.WriteHeader(http.StatusFound)
				return
			}
		}
		s.log.Info("logout redirect not registered; showing the signed-out page", "trace_id", info(r).traceID)
	}
	name := ""
	if len(tenants) == 1 {
		name = tenants[0].t.Name
	}
	s.renderPage(w, r, http.StatusOK, "done", &pageData{Title: "Signed out", Tenant: name,
		Heading: "You signed out of your account",
		Message: "It's a good idea to close all browser windows."})
}
