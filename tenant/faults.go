package tenant

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Endpoint names that faults can target.
const (
	EndpointDiscovery         = "discovery"          // /{tenant}/v2.0/.well-known/openid-configuration
	EndpointKeys              = "keys"               // /{tenant}/discovery/v2.0/keys
	EndpointAuthorize         = "authorize"          // /{tenant}/oauth2/v2.0/authorize, page and form post
	EndpointToken             = "token"              // /{tenant}/oauth2/v2.0/token
	EndpointDeviceCode        = "devicecode"         // /{tenant}/oauth2/v2.0/devicecode
	EndpointDeviceLogin       = "devicelogin"        // /devicelogin, page and form post
	EndpointLogout            = "logout"             // /{tenant}/oauth2/v2.0/logout
	EndpointGraphMe           = "graph.me"           // /v1.0/me
	EndpointGraphOrganization = "graph.organization" // /v1.0/organization
	EndpointGraphDevices      = "graph.devices"      // /v1.0/devices
	EndpointGraphUserInfo     = "graph.userinfo"     // /oidc/userinfo
	// EndpointGraphWindowsSettings is /{v1.0,beta}/me/settings/windows and .../{id}.
	EndpointGraphWindowsSettings = "graph.windowsSettings"
	// EndpointGraphWindowsSettingInstances is .../me/settings/windows/{id}/instances and .../{instanceId}.
	EndpointGraphWindowsSettingInstances = "graph.windowsSettingInstances"
	// EndpointGraphUserSettings is /beta/users/{id}@{tenantId}/settings/windows[/{id}]: the admin's listing, read and delete.
	EndpointGraphUserSettings = "graph.userSettings"
	// EndpointGraphEnrollmentConfigurations is /beta/deviceManagement/deviceEnrollmentConfigurations[/{id}].
	EndpointGraphEnrollmentConfigurations = "graph.deviceEnrollmentConfigurations"
	// EndpointGraphRevokeSessions is POST /{v1.0,beta}/{me,users/{id}}/revokeSignInSessions.
	EndpointGraphRevokeSessions = "graph.revokeSignInSessions"
	// EndpointGraphChangePassword is POST /{v1.0,beta}/me/changePassword.
	EndpointGraphChangePassword = "graph.changePassword"
	// EndpointSimBackups is the simulator's upload endpoint, backup.UploadPath.
	EndpointSimBackups = "sim.backups"
	// EndpointSimRestoreResults is backup.RestoreResultPath and /_oobe/tenants/{tid}/restore-results.
	EndpointSimRestoreResults = "sim.restoreResults"
)

// FaultEndpoints lists every endpoint name a Fault can target.
func FaultEndpoints() []string {
	return []string{EndpointDiscovery, EndpointKeys, EndpointAuthorize, EndpointToken, EndpointDeviceCode,
		EndpointDeviceLogin, EndpointLogout, EndpointGraphMe, EndpointGraphOrganization, EndpointGraphDevices,
		EndpointGraphUserInfo, EndpointGraphWindowsSettings, EndpointGraphWindowsSettingInstances,
		EndpointGraphUserSettings, EndpointGraphEnrollmentConfigurations, EndpointGraphRevokeSessions,
		EndpointGraphChangePassword, EndpointGraphUsers, EndpointSimBackups, EndpointSimRestoreResults}
}

// FaultKind is what goes wrong at an endpoint.
type FaultKind int

const (
	// FaultDelay holds the request for Delay on the injected clock, then answers normally.
	FaultDelay FaultKind = iota + 1
	// FaultThrottle answers 429 with Retry-After and the endpoint's error body.
	FaultThrottle
	// FaultServerError answers Status (5xx, default 503) with the endpoint's error body.
	FaultServerError
	// FaultDrop closes the connection without any response.
	FaultDrop
	// FaultSlowDown answers a token request with RFC 8628's slow_down, which Entra never sends
	// (domain.md §7.5): for testing a client's handling of a server that does. Token endpoint only.
	FaultSlowDown
)

var faultKindNames = map[FaultKind]string{
	FaultDelay: "delay", FaultThrottle: "throttle", FaultServerError: "server_error", FaultDrop: "drop",
	FaultSlowDown: "slow_down",
}

// faultKindList is the kinds' names for messages.
const faultKindList = "delay, throttle, server_error, drop, slow_down"

// String returns the kind's name as the /_oobe/faults endpoint spells it.
func (k FaultKind) String() string {
	if n, ok := faultKindNames[k]; ok {
		return n
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// ParseFaultKind reads a kind name: delay, throttle, server_error, drop or slow_down.
func ParseFaultKind(name string) (FaultKind, error) {
	for k, n := range faultKindNames {
		if n == name {
			return k, nil
		}
	}
	return 0, fmt.Errorf("fault kind %q is not one of %s", name, faultKindList)
}

// Fault is one injected failure at a named endpoint.
type Fault struct {
	Endpoint   string        // one of the Endpoint* names
	Kind       FaultKind     // what happens
	Times      int           // how many requests it hits; 0 means every request until Clear
	Delay      time.Duration // for FaultDelay
	RetryAfter time.Duration // for FaultThrottle (default 1 s) and, when set, FaultServerError
	Status     int           // for FaultServerError: a 5xx status, default 503
}

// Faults holds the injected failures; it is safe for concurrent use and its zero value is empty.
type Faults struct {
	mu   sync.Mutex
	list []*queuedFault // still to fire
	all  []*queuedFault // every fault added since the last Clear, for Unfired
}

// queuedFault is a fault with what is left of it and how often it fired.
type queuedFault struct {
	left  Fault // Times counts down
	added Fault
	hits  int
}

// CheckFault says what is wrong with a fault, as Add would refuse it, without queueing it.
func CheckFault(fault Fault) error {
	_, err := normalFault(fault)
	return err
}

// Add queues a fault. Faults at the same endpoint apply in the order added, one per request.
func (f *Faults) Add(fault Fault) error {
	fault, err := normalFault(fault)
	if err != nil {
		return err
	}
	q := &queuedFault{left: fault, added: fault}
	f.mu.Lock()
	f.list = append(f.list, q)
	f.all = append(f.all, q)
	f.mu.Unlock()
	return nil
}

// normalFault checks a fault and fills in its defaults.
func normalFault(fault Fault) (Fault, error) {
	if !slices.Contains(FaultEndpoints(), fault.Endpoint) {
		return Fault{}, fmt.Errorf("adding a fault: endpoint %q is not one of %v", fault.Endpoint, FaultEndpoints())
	}
	if _, ok := faultKindNames[fault.Kind]; !ok {
		return Fault{}, fmt.Errorf("adding a fault at %s: kind %d is not one of %s", fault.Endpoint, int(fault.Kind), faultKindList)
	}
	if fault.Kind == FaultSlowDown && fault.Endpoint != EndpointToken {
		return Fault{}, fmt.Errorf("adding a fault at %s: slow_down is a token endpoint answer; give endpoint %s", fault.Endpoint, EndpointToken)
	}
	if fault.Times < 0 || fault.Delay < 0 || fault.RetryAfter < 0 {
		return Fault{}, fmt.Errorf("adding a fault at %s: times, delay and retry-after cannot be negative", fault.Endpoint)
	}
	if fault.Kind == FaultServerError {
		if fault.Status == 0 {
			fault.Status = http.StatusServiceUnavailable
		}
		if fault.Status < 500 || fault.Status > 599 {
			return Fault{}, fmt.Errorf("adding a fault at %s: status %d is not a 5xx status", fault.Endpoint, fault.Status)
		}
	}
	if fault.Kind == FaultThrottle && fault.RetryAfter == 0 {
		fault.RetryAfter = time.Second
	}
	return fault, nil
}

// Unfired returns the faults added since the last Clear that no request ever reached, in the
// order added: a scenario whose fault never fires tests nothing, and should say so.
func (f *Faults) Unfired() []Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Fault
	for _, q := range f.all {
		if q.hits == 0 {
			out = append(out, q.added)
		}
	}
	return out
}

// Clear removes every queued fault.
func (f *Faults) Clear() {
	f.mu.Lock()
	f.list, f.all = nil, nil
	f.mu.Unlock()
}

// take returns the first fault queued for endpoint and uses up one of its Times.
func (f *Faults) take(endpoint string) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, q := range f.list {
		if q.left.Endpoint != endpoint {
			continue
		}
		got := q.left
		q.hits++
		if q.left.Times > 0 {
			q.left.Times--
			if q.left.Times == 0 {
				f.list = slices.Delete(f.list, i, i+1)
			}
		}
		return got, true
	}
	return Fault{}, false
}

// applyFault carries out f; it reports whether the request was answered (or dropped) by the fault.
func (s *Server) applyFault(w *statusWriter, r *http.Request, f Fault) bool {
	graph := isGraphEndpoint(f.Endpoint)
	switch f.Kind {
	case FaultDelay:
		// Sleep on the injected clock: replays pass the delay in virtual time.
		if err := s.clock.Sleep(r.Context(), f.Delay); err != nil {
			w.status = 499 // the client went away during the delay; nothing is written
			return true
		}
		return false
	case FaultThrottle:
		w.Header().Set("Retry-After", retryAfterSeconds(f.RetryAfter))
		if graph {
			s.writeGraphError(w, r, http.StatusTooManyRequests, "TooManyRequests",
				"Too many requests. Retry after the number of seconds in the Retry-After header.")
		} else {
			s.writeEntraError(w, r, errThrottled())
		}
		return true
	case FaultServerError:
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", retryAfterSeconds(f.RetryAfter))
		}
		if graph {
			code := "generalException"
			if f.Status == http.StatusServiceUnavailable || f.Status == http.StatusBadGateway {
				code = "serviceNotAvailable"
			}
			s.writeGraphError(w, r, f.Status, code, "The service is temporarily unavailable. Retry the request.")
		} else {
			s.writeEntraError(w, r, errServer(f.Status))
		}
		return true
	case FaultSlowDown:
		s.writeEntraError(w, r, errSlowDown(int((s.interval+slowDownStep)/time.Second)))
		return true
	case FaultDrop:
		w.status = 0
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(http.ErrAbortHandler) // HTTP/2 or a recorder: abort the stream instead
		}
		_ = conn.Close()
		return true
	}
	return false
}

// retryAfterSeconds renders a duration as Retry-After's whole seconds, rounded up, at least 1.
func retryAfterSeconds(d time.Duration) string {
	secs := int(math.Ceil(d.Seconds()))
	if secs < 1 {
		secs = 1
	}
	return strconv.Itoa(secs)
}
