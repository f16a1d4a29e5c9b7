package tenant

import (
	"context"
	"encoding/json"
	"net/http"
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
	get := allowMethods(http.MethodGet, http.MethodHead)
	getPost := allowMethods(http.MethodGet, http.MethodHead, http.MethodPost)

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

	handle("/_oobe/tenants", "oobe", get(s.handleListTenants))
	handle("/_oobe/tenants/{tid}/keys/rotate", "oobe", allowMethods(http.MethodPost)(s.handleRotate))
	handle("/_oobe/faults", "oobe", allowMethods(http.MethodPost, http.MethodDelete)(s.handleFaults))

	handle("/", "notfound", s.handleNotFound)
	return mux
}

// allowMethods answers 405 with an Allow header for any other method.
func allowMethods(methods ...string) func(http.HandlerFunc) http.HandlerFunc {
	return func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if !slices.Contains(methods, r.Method) {
				w.Header().Set("Allow", strings.Join(methods, ", "))
				http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
				return
			}
			h(w, r)
		}
	}
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

func isGraphEndpoint(name string) bool { return strings.HasPrefix(name, "graph.") }

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

// handleNotFound answers unknown paths; under /v1.0 and /beta it answers as Graph does.
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	for _, prefix := range []string{"/v1.0/", "/beta/"} {
		if rest, ok := strings.CutPrefix(r.URL.Path, prefix); ok {
			seg, _, _ := strings.Cut(rest, "/")
			s.writeGraphError(w, r, http.StatusBadRequest, "BadRequest",
				"Resource not found for the segment '"+clip(seg, 64)+"'.")
			return
		}
	}
	http.NotFound(w, r)
}
