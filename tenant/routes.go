package tenant

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
)

// reqInfo follows one request through the handlers: the ids Entra puts in every error and the
// tenant to log.
type reqInfo struct {
	endpoint string
	traceID  string
	corrID   string
	tenant   string
}

type reqInfoKey struct{}

// info returns the request's ids; handlers outside the middleware (tests) get fresh empty ones.
func info(r *http.Request) *reqInfo {
	if ri, ok := r.Context().Value(reqInfoKey{}).(*reqInfo); ok {
		return ri
	}
	return &reqInfo{}
}

// statusWriter remembers the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern, endpoint string, h http.HandlerFunc) {
		mux.Handle(pattern, s.endpoint(endpoint, h))
	}
	get := s.entraMethods(http.MethodGet, http.MethodHead)
	getPost := s.entraMethods(http.MethodGet, http.MethodHead, http.MethodPost)

	handle("/{tenant}/v2.0/.well-known/openid-configuration", EndpointDiscovery, get(s.handleDiscovery))
	handle("/{tenant}/discovery/v2.0/keys", EndpointKeys, get(s.handleKeys))
	handle("/{tenant}/oauth2/v2.0/authorize", EndpointAuthorize, getPost(s.handleAuthorize))
	handle("/{tenant}/oauth2/v2.0/token", EndpointToken, s.handleToken)
	handle("/{tenant}/oauth2/v2.0/devicecode", EndpointDeviceCode, s.handleDeviceCode)
	handle("/{tenant}/oauth2/v2.0/logout", EndpointLogout, getPost(s.handleLogout))
	handle("/devicelogin", EndpointDeviceLogin, getPost(s.handleDeviceLogin))
	handle("/error", "error", get(s.handleErrorPage))

	handle("/v1.0/me", EndpointGraphMe, s.graph(s.handleMe))
	handle("/v1.0/organization", EndpointGraphOrganization, s.graph(s.handleOrganization))
	handle("/v1.0/devices", EndpointGraphDevices, s.graph(s.handleDevices))
	handle("/oidc/userinfo", EndpointGraphUserInfo, s.graph(s.handleUserInfo))
	s.backupRoutes(handle)

	oobe := s.oobeMethods
	handle("/_oobe/tenants", "oobe", oobe(http.MethodGet, http.MethodHead)(s.handleListTenants))
	handle("/_oobe/tenants/{tid}/keys/rotate", "oobe", oobe(http.MethodPost)(s.handleRotate))
	handle("/_oobe/faults", "oobe", oobe(http.MethodPost, http.MethodDelete)(s.handleFaults))

	notFound := s.endpoint("notfound", s.handleNotFound)
	mux.Handle("/", notFound)
	return s.guard(mux, notFound)
}

// guard refuses requests addressed to a host name the simulator is not reached at, so a web page
// cannot use DNS rebinding to drive it from a browser, and answers paths that are not clean
// ("//", "..", a trailing "/") itself rather than letting the mux redirect them.
func (s *Server) guard(next, notFound http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hostAllowed(r.Host) {
			s.log.Warn("request refused: Host is not an address the simulator is reached at", "host", clip(r.Host, 100))
			writeJSON(w, http.StatusForbidden, adminError{"the Host header names " + clip(r.Host, 100) +
				", which is not an address this simulator is reached at; use the URL it printed"})
			return
		}
		if p := r.URL.Path; p == "" || path.Clean(p) != p {
			notFound.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hostAllowed reports whether a request's Host is the base URL's host or, on the base URL's port,
// localhost or an IP address the server is bound to (any loopback address counts). Only a DNS
// name can be rebound, so IP literals are safe; localhost cannot be registered by anyone.
// Before the base URL is known only loopback hosts are accepted.
func (s *Server) hostAllowed(host string) bool {
	name, port, err := net.SplitHostPort(host)
	if err != nil {
		name, port = host, ""
	}
	s.baseMu.RLock()
	base, bound := s.base, s.bound
	s.baseMu.RUnlock()
	ip := net.ParseIP(name)
	if base == "" {
		return strings.EqualFold(name, "localhost") || ip != nil && ip.IsLoopback()
	}
	u, err := url.Parse(base)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, u.Host) {
		return true
	}
	if port != u.Port() {
		return false
	}
	switch {
	case strings.EqualFold(name, "localhost"):
		return true
	case ip == nil:
		return false
	case ip.IsLoopback():
		return true
	default:
		return bound != nil && (bound.IsUnspecified() || bound.Equal(ip))
	}
}

// allowMethods answers any other method with 405, an Allow header and a body from refuse.
func allowMethods(refuse func(http.ResponseWriter, *http.Request), methods ...string) func(http.HandlerFunc) http.HandlerFunc {
	return func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if !slices.Contains(methods, r.Method) {
				w.Header().Set("Allow", strings.Join(methods, ", "))
				refuse(w, r)
				return
			}
			h(w, r)
		}
	}
}

// entraMethods limits an issuer endpoint or page to methods; others get Entra's AADSTS900561 JSON.
func (s *Server) entraMethods(methods ...string) func(http.HandlerFunc) http.HandlerFunc {
	return allowMethods(func(w http.ResponseWriter, r *http.Request) {
		e := errMethod(methods, r.Method)
		e.Status = http.StatusMethodNotAllowed
		s.writeEntraError(w, r, e)
	}, methods...)
}

// oobeMethods limits a /_oobe/ control to methods; others get the controls' JSON error.
func (s *Server) oobeMethods(methods ...string) func(http.HandlerFunc) http.HandlerFunc {
	return allowMethods(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusMethodNotAllowed, adminError{"method " + clip(r.Method, 16) + " is not allowed here; use " + strings.Join(methods, " or ")})
	}, methods...)
}

// endpoint wraps a handler with request ids, fault injection and the request log line.
func (s *Server) endpoint(name string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ri := &reqInfo{endpoint: name, tenant: clip(r.PathValue("tenant"), 64)}
		ri.traceID, _ = s.rand.guid()
		if c := r.Header.Get("client-request-id"); IsGUID(c) {
			ri.corrID = strings.ToLower(c)
		} else {
			ri.corrID, _ = s.rand.guid()
		}
		r = r.WithContext(context.WithValue(r.Context(), reqInfoKey{}, ri))
		if isGraphEndpoint(name) {
			w.Header().Set("request-id", ri.traceID)
		} else {
			w.Header().Set("x-ms-request-id", ri.traceID)
		}
		w.Header().Set("client-request-id", ri.corrID)
		sw := &statusWriter{ResponseWriter: w}
		fault := ""
		if f, ok := s.faults.take(name); ok {
			fault = f.Kind.String()
			if f.Kind == FaultDrop {
				// Logged first: once the connection closes, the client may already be looking.
				s.logRequest(r, ri, 0, fault)
			}
			if s.applyFault(sw, r, f) {
				if f.Kind != FaultDrop {
					s.logRequest(r, ri, sw.status, fault)
				}
				return
			}
		}
		h(sw, r)
		s.logRequest(r, ri, sw.status, fault)
	})
}

// logRequest writes the access-log line: never the query string or body, which carry codes and tokens.
func (s *Server) logRequest(r *http.Request, ri *reqInfo, status int, fault string) {
	attrs := []any{
		"method", r.Method,
		"path", clip(r.URL.Path, 200),
		"status", status,
		"endpoint", ri.endpoint,
		"trace_id", ri.traceID,
	}
	if ri.tenant != "" {
		attrs = append(attrs, "tenant", ri.tenant)
	}
	if fault != "" {
		attrs = append(attrs, "fault", fault)
	}
	s.log.Info("request", attrs...)
}

// clip shortens outside input before it reaches a log line or a message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// isGraphEndpoint reports the endpoints that answer in Graph's voice: Graph itself and the
// simulator's bearer-token endpoints, which Graph clients call.
func isGraphEndpoint(name string) bool {
	return strings.HasPrefix(name, "graph.") || strings.HasPrefix(name, "sim.")
}

// writeJSON writes v as a JSON body with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding the response failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// handleNotFound answers unknown paths in the voice of whoever owns them: Graph under /v1.0 and
// /beta, the controls under /_oobe, and Entra's error JSON everywhere else.
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	for _, prefix := range []string{"/v1.0/", "/beta/"} {
		if rest, ok := strings.CutPrefix(p, prefix); ok {
			seg, _, _ := strings.Cut(rest, "/")
			s.writeGraphError(w, r, http.StatusBadRequest, "BadRequest",
				"Resource not found for the segment '"+clip(seg, 64)+"'.")
			return
		}
	}
	if p == "/_oobe" || strings.HasPrefix(p, "/_oobe/") {
		writeJSON(w, http.StatusNotFound, adminError{"no such simulator control: see docs/fixtures.md for the /_oobe/ endpoints"})
		return
	}
	seg, rest, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	if rest != "" && !isMultiTenantSegment(seg) && s.tenantBySegment(seg) == nil {
		s.writeEntraError(w, r, errUnknownTenant(seg))
		return
	}
	s.writeEntraError(w, r, errNoEndpoint(p))
}
