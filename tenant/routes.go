package tenant

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/oobe-dev/oobe/internal/devicelogin"
)

// reqInfo follows one request through the handlers: the server it reached, the ids Entra puts
// in every error and the tenant to log.
type reqInfo struct {
	srv      *Server
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

// serverFunc is a handler of the shared endpoint table, given the server the request reached.
type serverFunc func(s *Server, w http.ResponseWriter, r *http.Request)

// sharedRoutes is the endpoint table, the same for every server and built once: a replay
// starts a server per scenario, and registering some thirty patterns cost each about 0.1 ms and
// 400 allocations. Each request finds its server in its reqInfo, which guard puts there.
var sharedRoutes = sync.OnceValue(func() *http.ServeMux {
	mux := http.NewServeMux()
	handle := func(pattern, endpoint string, h serverFunc, alsoFaultedAs ...string) {
		mux.Handle(pattern, serveEndpoint(endpoint, h, alsoFaultedAs...))
	}
	get := entraMethods(http.MethodGet, http.MethodHead)
	getPost := entraMethods(http.MethodGet, http.MethodHead, http.MethodPost)

	handle("/{tenant}/v2.0/.well-known/openid-configuration", EndpointDiscovery, get((*Server).handleDiscovery))
	handle("/{tenant}/discovery/v2.0/keys", EndpointKeys, get((*Server).handleKeys))
	handle("/common/discovery/instance", EndpointDiscovery, get((*Server).handleInstanceDiscovery))
	handle("/{tenant}/oauth2/v2.0/authorize", EndpointAuthorize, getPost((*Server).handleAuthorize))
	handle("/{tenant}/oauth2/v2.0/token", EndpointToken, (*Server).handleToken)
	handle("/{tenant}/oauth2/v2.0/devicecode", EndpointDeviceCode, (*Server).handleDeviceCode)
	handle("/{tenant}/oauth2/v2.0/logout", EndpointLogout, getPost((*Server).handleLogout))
	handle(devicelogin.Path, EndpointDeviceLogin, getPost((*Server).handleDeviceLogin))
	handle("/error", "error", get((*Server).handleErrorPage))

	handle("/v1.0/me", EndpointGraphMe, graph(needUserRead, (*Server).handleMe))
	handle("/v1.0/organization", EndpointGraphOrganization, graph(needOrganizationRead, (*Server).handleOrganization))
	handle("/v1.0/devices", EndpointGraphDevices, graph(needDeviceRead, (*Server).handleDevices))
	handle("/oidc/userinfo", EndpointGraphUserInfo, graph(needOpenID, (*Server).handleUserInfo))
	userRoutes(func(pattern, endpoint string, h serverFunc) { handle(pattern, endpoint, h) })
	backupRoutes(handle)
	sessionRoutes(func(pattern, endpoint string, h serverFunc) { handle(pattern, endpoint, h) })

	handle("/_oobe/tenants", "oobe", oobeMethods(http.MethodGet, http.MethodHead)((*Server).handleListTenants))
	// The controls that change the simulated cloud take the run's admin secret (secret.go).
	handle("/_oobe/tenants/{tid}/keys/rotate", "oobe", oobeMethods(http.MethodPost)(needAdminSecret((*Server).handleRotate)))
	handle("/_oobe/faults", "oobe", oobeMethods(http.MethodPost, http.MethodDelete)(needAdminSecret((*Server).handleFaults)))

	mux.Handle("/", notFoundEndpoint)
	return mux
})

// notFoundEndpoint answers paths no endpoint serves, and those guard finds unclean.
var notFoundEndpoint = serveEndpoint("notfound", (*Server).handleNotFound)

// routes is the server's handler: guard, then the shared endpoint table.
func (s *Server) routes() http.Handler {
	mux := sharedRoutes()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.guard(mux, w, r) })
}

// guard refuses requests addressed to a host name the simulator is not reached at, so a web page
// cannot use DNS rebinding to drive it from a browser, and answers paths that are not clean
// ("//", "..", a trailing "/") itself rather than letting the mux redirect them. It gives the
// request its reqInfo, which names this server to the shared endpoints.
func (s *Server) guard(next http.Handler, w http.ResponseWriter, r *http.Request) {
	if !s.hostAllowed(r.Host) {
		s.log.Warn("request refused: Host is not an address the simulator is reached at", "host", clip(r.Host, 100))
		writeJSON(w, http.StatusForbidden, adminError{"the Host header names " + clip(r.Host, 100) +
			", which is not an address this simulator is reached at; use the URL it printed"})
		return
	}
	r = r.WithContext(context.WithValue(r.Context(), reqInfoKey{}, &reqInfo{srv: s}))
	if p := r.URL.Path; p == "" || path.Clean(p) != p {
		notFoundEndpoint.ServeHTTP(w, r)
		return
	}
	next.ServeHTTP(w, r)
}

// hostAllowed reports whether a request's Host is the base URL's host (the public URL's, behind
// a reverse proxy) or, on the base URL's port or the port Start listens on, localhost or an IP
// address the server is bound to (any loopback address counts): a proxy may pass the client's
// Host on or rewrite it to 127.0.0.1:PORT. Only a DNS name can be rebound, so IP literals are
// safe; localhost cannot be registered by anyone. X-Forwarded-Host is never read: any client
// can send it, and Config.PublicURL says the same thing without trusting the request.
// Before the base URL is known only loopback hosts are accepted.
func (s *Server) hostAllowed(host string) bool {
	name, port, err := net.SplitHostPort(host)
	if err != nil {
		name, port = host, ""
	}
	s.baseMu.RLock()
	base, baseHost, baseName, basePort := s.base, s.baseHost, s.baseName, s.basePort
	baseOK, bound, listenPort := s.baseOK, s.bound, s.listenPort
	s.baseMu.RUnlock()
	if base == "" {
		ip := net.ParseIP(name)
		return strings.EqualFold(name, "localhost") || ip != nil && ip.IsLoopback()
	}
	if !baseOK { // SetBaseURL parsed it once
		return false
	}
	if strings.EqualFold(host, baseHost) { // nearly every request: no address to parse
		return true
	}
	// The base URL's default port, spelt out or left out: https://login.oobe.test and :443 are one.
	if strings.EqualFold(name, baseName) && orDefault(port, base) == orDefault(basePort, base) {
		return true
	}
	if port != basePort && (listenPort == "" || port != listenPort) {
		return false
	}
	ip := net.ParseIP(name)
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

// orDefault is port, or the one base's scheme implies when port is "".
func orDefault(port, base string) string {
	switch {
	case port != "":
		return port
	case strings.HasPrefix(base, "https:"):
		return "443"
	}
	return "80"
}

// allowMethods answers any other method with 405, an Allow header and a body from refuse.
func allowMethods(refuse serverFunc, methods ...string) func(serverFunc) serverFunc {
	allow := strings.Join(methods, ", ")
	return func(h serverFunc) serverFunc {
		return func(s *Server, w http.ResponseWriter, r *http.Request) {
			if !slices.Contains(methods, r.Method) {
				w.Header().Set("Allow", allow)
				refuse(s, w, r)
				return
			}
			h(s, w, r)
		}
	}
}

// entraMethods limits an issuer endpoint or page to methods; others get Entra's AADSTS900561 JSON.
func entraMethods(methods ...string) func(serverFunc) serverFunc {
	return allowMethods(func(s *Server, w http.ResponseWriter, r *http.Request) {
		e := errMethod(methods, r.Method)
		e.Status = http.StatusMethodNotAllowed
		s.writeEntraError(w, r, e)
	}, methods...)
}

// oobeMethods limits a /_oobe/ control to methods; others get the controls' JSON error.
func oobeMethods(methods ...string) func(serverFunc) serverFunc {
	return allowMethods(func(s *Server, w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusMethodNotAllowed, adminError{"method " + clip(r.Method, 16) + " is not allowed here; use " + strings.Join(methods, " or ")})
	}, methods...)
}

// serveEndpoint wraps a handler with request ids, fault injection and the request log line.
// The request's server comes from the reqInfo guard gave it. A route that also serves what
// another endpoint serves (the settings listing carries the instances inline) takes that
// endpoint's faults too, in alsoFaultedAs, after its own.
func serveEndpoint(name string, h serverFunc, alsoFaultedAs ...string) http.Handler {
	graphVoice := isGraphEndpoint(name)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ri, _ := r.Context().Value(reqInfoKey{}).(*reqInfo)
		if ri == nil || ri.srv == nil {
			http.Error(w, "the request did not come through a simulated tenant's handler", http.StatusInternalServerError)
			return
		}
		s := ri.srv
		ri.endpoint, ri.tenant = name, clip(r.PathValue("tenant"), 64)
		ri.traceID, _ = s.rand.guid()
		if c := r.Header.Get("Client-Request-Id"); IsGUID(c) {
			ri.corrID = strings.ToLower(c)
		} else {
			ri.corrID, _ = s.rand.guid()
		}
		// Header names in canonical form: net/http writes them so anyway, and a name given so
		// is not rewritten (allocated) on every request.
		if graphVoice {
			w.Header().Set("Request-Id", ri.traceID)
		} else {
			w.Header().Set("X-Ms-Request-Id", ri.traceID)
		}
		w.Header().Set("Client-Request-Id", ri.corrID)
		sw := &statusWriter{ResponseWriter: w}
		fault := ""
		f, ok := s.faults.take(name)
		for _, other := range alsoFaultedAs {
			if ok {
				break
			}
			f, ok = s.faults.take(other)
		}
		if ok {
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
		h(s, sw, r)
		s.logRequest(r, ri, sw.status, fault)
	})
}

// logRequest writes the access-log line: never the query string or body, which carry codes and tokens.
func (s *Server) logRequest(r *http.Request, ri *reqInfo, status int, fault string) {
	if !s.log.Enabled(r.Context(), slog.LevelInfo) {
		return // a replay's servers log nothing: skip building the line
	}
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
	buf, err := encodeJSON(v)
	if err != nil {
		http.Error(w, "encoding the response failed", http.StatusInternalServerError)
		return
	}
	defer releaseJSON(buf)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	// Announced, so the client reads the body into one buffer of the right size.
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// jsonBuffers hold answers while they are written: every request has one, and a buffer that
// goes back to the pool spares the next the allocation json.Marshal would make.
var jsonBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledJSON bounds the buffers kept: a page of a large listing is let go.
const maxPooledJSON = 64 << 10

// encodeJSON encodes v exactly as json.Marshal does, into a pooled buffer; give it back with
// releaseJSON once written.
func encodeJSON(v any) (*bytes.Buffer, error) {
	buf := jsonBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		releaseJSON(buf)
		return nil, err
	}
	buf.Truncate(buf.Len() - 1) // Encode ends the value with a newline, which Marshal does not write
	return buf, nil
}

func releaseJSON(buf *bytes.Buffer) {
	if buf.Cap() <= maxPooledJSON {
		jsonBuffers.Put(buf)
	}
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
