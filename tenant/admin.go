package tenant

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strings"
	"time"
)

// The /_oobe/ endpoints are the simulator's own controls. The prefix keeps them from being
// mistaken for anything Entra or Graph serves.

// adminError is the plain error body of the /_oobe/ endpoints.
type adminError struct {
	Error string `json:"error"`
}

// TenantSummary is what /_oobe/tenants and `oobe serve --json` say about a tenant: no secrets.
type TenantSummary struct {
	ID        string       `json:"id"`
	Name      string       `json:"name"`
	Authority string       `json:"authority"`
	ClientID  string       `json:"clientId,omitempty"` // the first public client, the one to sign in with
	Domains   []string     `json:"domains"`
	Apps      []AppSummary `json:"apps"`
}

// AppSummary names an app registration without its secret.
type AppSummary struct {
	Name     string `json:"name"`
	ClientID string `json:"clientId"`
	Public   bool   `json:"public"`
}

// Summaries describes every served tenant for people and scripts.
func (s *Server) Summaries() []TenantSummary {
	out := make([]TenantSummary, 0, len(s.tenants))
	for _, ts := range s.tenants {
		sum := TenantSummary{ID: ts.id, Name: ts.t.Name, Authority: s.Authority(ts.id),
			Domains: append([]string{}, ts.t.Domains...), Apps: []AppSummary{}}
		for _, a := range ts.t.Apps {
			cid := strings.ToLower(a.ClientID)
			sum.Apps = append(sum.Apps, AppSummary{Name: a.Name, ClientID: cid, Public: a.Public})
			if a.Public && sum.ClientID == "" {
				sum.ClientID = cid
			}
		}
		out = append(out, sum)
	}
	return out
}

func (s *Server) handleListTenants(w http.ResponseWriter, r *http.Request) {
	sums := s.Summaries()
	base := s.baseURL(r)
	for i := range sums {
		sums[i].Authority = base + "/" + sums[i].ID
	}
	writeJSON(w, http.StatusOK, struct {
		URL     string          `json:"url"`
		Tenants []TenantSummary `json:"tenants"`
	}{base, sums})
}

// rotateResult answers a key rotation with the keys now published, signer first.
type rotateResult struct {
	Tenant string   `json:"tenant"`
	Signer string   `json:"signingKid"`
	Kids   []string `json:"kids"`
}

// handleRotate rotates a tenant's keys. Like /_oobe/faults it wants a JSON content type (the body
// is ignored), which a cross-site form post cannot send without a CORS preflight.
func (s *Server) handleRotate(w http.ResponseWriter, r *http.Request) {
	if !isJSON(r) {
		writeJSON(w, http.StatusUnsupportedMediaType, adminError{"send Content-Type: application/json (the body may be empty)"})
		return
	}
	ts := s.tenantBySegment(r.PathValue("tid"))
	if ts == nil {
		writeJSON(w, http.StatusNotFound, adminError{"no such tenant: use a tenant GUID from /_oobe/tenants"})
		return
	}
	info(r).tenant = ts.id
	if err := s.RotateKeys(ts.id); err != nil {
		writeJSON(w, http.StatusInternalServerError, adminError{err.Error()})
		return
	}
	res := rotateResult{Tenant: ts.id, Kids: []string{}}
	for _, k := range ts.keys.published() {
		res.Kids = append(res.Kids, k.kid)
	}
	res.Signer = res.Kids[0]
	writeJSON(w, http.StatusOK, res)
}

// faultRequest is the JSON body of POST /_oobe/faults; durations are Go duration strings ("2s").
type faultRequest struct {
	Endpoint   string `json:"endpoint"`
	Kind       string `json:"kind"`
	Times      int    `json:"times"`
	Delay      string `json:"delay"`
	RetryAfter string `json:"retryAfter"`
	Status     int    `json:"status"`
}

func (fr faultRequest) fault() (Fault, error) {
	kind, err := ParseFaultKind(fr.Kind)
	if err != nil {
		return Fault{}, err
	}
	f := Fault{Endpoint: fr.Endpoint, Kind: kind, Times: fr.Times, Status: fr.Status}
	for _, d := range []struct {
		raw  string
		dst  *time.Duration
		name string
	}{{fr.Delay, &f.Delay, "delay"}, {fr.RetryAfter, &f.RetryAfter, "retryAfter"}} {
		if d.raw == "" {
			continue
		}
		if *d.dst, err = time.ParseDuration(d.raw); err != nil {
			return Fault{}, errors.New(d.name + " is not a duration like 2s or 500ms")
		}
	}
	return f, nil
}

// handleFaults adds a fault (POST, JSON) or clears them all (DELETE). Requiring a JSON content
// type keeps a web page from adding faults with a plain cross-site form post.
func (s *Server) handleFaults(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodDelete {
		s.faults.Clear()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if !isJSON(r) {
		writeJSON(w, http.StatusUnsupportedMediaType, adminError{"send the fault as application/json"})
		return
	}
	var fr faultRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFormBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fr); err != nil {
		writeJSON(w, http.StatusBadRequest, adminError{"the fault is not valid JSON with endpoint, kind, times, delay, retryAfter, status"})
		return
	}
	f, err := fr.fault()
	if err == nil {
		err = s.faults.Add(f)
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, adminError{err.Error()})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// isJSON reports whether the request says its body is application/json.
func isJSON(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/json"
}
